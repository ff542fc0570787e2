/* rt_progress.c - what the host trainer shows while it works.
 *
 * Takes: the number of samples an epoch has and how many are done, with
 * the running loss.
 * Gives: a one-line bar on stderr (samples/s, loss, ETA) when stderr is a
 * terminal, redrawn at most 10 times a second and cleared at the end; a
 * monotonic clock; the peak resident set size.
 * Afterwards: when stderr is not a terminal nothing at all was written, so
 * logs hold only the plain per-epoch lines that the trainer prints itself.
 * POSIX, for the host trainer only; never part of an inference build.
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "snnrt.h"

#define BAR_WIDTH 20
#define REDRAW_SECONDS 0.1

double snnrt_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

long snnrt_peak_rss_kb(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
#if defined(__APPLE__)
    return (long)(ru.ru_maxrss / 1024); /* bytes there, kB on Linux and the BSDs */
#else
    return (long)ru.ru_maxrss;
#endif
}

void snnrt_progress_start(struct snnrt_progress *p, const char *label, size_t total)
{
    const char *term = getenv("TERM");

    p->label = label ? label : "";
    p->total = total;
    p->t0 = snnrt_now();
    p->last_draw = -1.0;
    p->enabled = isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
    p->drawn = 0;
}

/* "1:02:03" or "2:03" into buf. */
static void format_duration(double s, char *buf, size_t len)
{
    unsigned long t;

    if (!(s >= 0.0) || s > 359999.0) {
        snprintf(buf, len, "--");
        return;
    }
    t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

size_t snnrt_progress_format(const struct snnrt_progress *p, size_t done, double loss, double now,
                             char *buf, size_t len)
{
    char bar[BAR_WIDTH + 1];
    char rate[32];
    char eta[32];
    double elapsed = now - p->t0;
    size_t fill = 0;
    size_t i;
    int n;

    if (len == 0)
        return 0;
    if (done > p->total)
        done = p->total;
    if (p->total > 0)
        fill = (size_t)((double)done / (double)p->total * BAR_WIDTH);
    for (i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    if (done > 0 && elapsed > 0.0) {
        double per_s = (double)done / elapsed;

        snprintf(rate, sizeof rate, "%.0f/s", per_s);
        format_duration((double)(p->total - done) / per_s, eta, sizeof eta);
    } else {
        snprintf(rate, sizeof rate, "--/s");
        snprintf(eta, sizeof eta, "--");
    }
    n = snprintf(buf, len, "%s [%s] %lu/%lu %s loss %.4f ETA %s", p->label, bar,
                 (unsigned long)done, (unsigned long)p->total, rate, loss, eta);
    if (n < 0) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)n < len ? (size_t)n : len - 1;
}

void snnrt_progress_update(struct snnrt_progress *p, size_t done, double loss)
{
    char line[256];
    double now;

    if (!p->enabled)
        return;
    now = snnrt_now();
    if (done < p->total && p->last_draw >= 0.0 && now - p->last_draw < REDRAW_SECONDS)
        return;
    snnrt_progress_format(p, done, loss, now, line, sizeof line);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->last_draw = now;
    p->drawn = 1;
}

void snnrt_progress_end(struct snnrt_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
