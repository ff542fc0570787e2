/* rt_cli.c - the command line of the programs snnc emits (trainer and
 * inference): GNU-style long options and the one-line messages.
 *
 * Takes: argv and a table of option names. Gives: each option's index and
 * value in turn; messages "PROG: ..." on stderr with the exit status the
 * programs use (2 for a bad command line, with a hint; 1 otherwise); the
 * IDX file of a dataset folder, raw or gzip; the names of a comma-separated
 * list of files.
 * Holds: no allocation; paths live in the caller's buffers.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snnrt.h"

int snnrt_report(const char *prog, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (status == 2)
        fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    else
        fputc('\n', stderr);
    return status;
}

int snnrt_option_next(const char *prog, int argc, char **argv, int *i, const struct snnrt_option *opts,
                      int nopts, const char **value)
{
    const char *a = argv[*i];
    if (!strcmp(a, "-h"))
        a = "--help";
    if (strncmp(a, "--", 2) != 0 || !a[2]) {
        snnrt_report(prog, 2, "unexpected argument '%s'", a);
        return -1;
    }
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    int found = -1, matches = 0;
    for (int k = 0; k < nopts; k++) {
        if (strncmp(opts[k].name, name, len) != 0)
            continue;
        found = k;
        if (strlen(opts[k].name) == len) { /* exact beats prefix */
            matches = 1;
            break;
        }
        matches++;
    }
    if (matches != 1) {
        snnrt_report(prog, 2, matches ? "option '%s' is ambiguous" : "unrecognized option '%s'", a);
        return -1;
    }
    *value = "";
    if (opts[found].has_arg) {
        if (eq) {
            *value = eq + 1;
        } else if (*i + 1 < argc) {
            *value = argv[++*i];
        } else {
            snnrt_report(prog, 2, "option '--%s' requires an argument", opts[found].name);
            return -1;
        }
    } else if (eq) {
        snnrt_report(prog, 2, "option '--%s' takes no argument", opts[found].name);
        return -1;
    }
    return found;
}

int snnrt_count_arg(const char *prog, const char *opt, const char *s, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < min)
        return snnrt_report(prog, 2, "--%s is '%s'; expected a whole number of at least %ld", opt, s, min);
    *out = v;
    return 0;
}

int snnrt_path_cat(const char *prog, char *buf, size_t len, const char *a, const char *b)
{
    int n = snprintf(buf, len, "%s%s", a, b);
    if (n < 0 || (size_t)n >= len)
        return snnrt_report(prog, 1, "%s%s: path too long", a, b);
    return 0;
}

const char *snnrt_idx_path(const char *prog, char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n + 3 >= len) { /* room for ".gz" too */
        snnrt_report(prog, 1, "%s/%s: path too long", dir, name);
        return NULL;
    }
    if (access(buf, F_OK) != 0)
        memcpy(buf + n, ".gz", 4); /* the reader names it if it is absent too */
    return buf;
}

int snnrt_split_list(const char *prog, const char *list, char *store, size_t len, int max, const char **out)
{
    int n = 0;
    for (const char *s = list; *s;) {
        const char *comma = strchr(s, ',');
        size_t l = comma ? (size_t)(comma - s) : strlen(s);
        if (l) { /* empty names (",," or a trailing comma) are skipped */
            if (n == max || l >= len) {
                snnrt_report(prog, 1, "too many or too long file names in '%s' (at most %d)", list, max);
                return -1;
            }
            char *p = store + (size_t)n * len;
            memcpy(p, s, l);
            p[l] = 0;
            out[n++] = p;
        }
        s += comma ? l + 1 : l;
    }
    return n;
}
