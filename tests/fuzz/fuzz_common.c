/* fuzz_common.c - temporary files and the front-end driver of the fuzzers.
 *
 * Takes: fuzz inputs from the targets. Gives: see fuzz.h.
 * Holds: the temporary folder is private (mkdtemp) and removed at exit;
 * fuzz_front_end() frees every graph and message it makes.
 */
#define _POSIX_C_SOURCE 200809L
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx_read.h"
#include "pipeline.h"

bool plan_check(const struct ir_graph *g);

static char dir[4096];
static char paths[4][4200];

static void cleanup(void)
{
    for (int i = 0; i < 4; i++)
        if (paths[i][0])
            unlink(paths[i]);
    if (dir[0])
        rmdir(dir);
}

void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

const char *fuzz_file(int slot, const void *data, size_t size)
{
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        /* /dev/shm keeps the many small writes off the disk */
        snprintf(dir, sizeof dir, "%s/snnc-fuzz-XXXXXX",
                 t && *t ? t : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
            fuzz_fail("cannot create a temporary folder", dir);
        atexit(cleanup);
    }
    snprintf(paths[slot], sizeof paths[slot], "%s/f%d", dir, slot);
    FILE *f = fopen(paths[slot], "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fuzz_fail("cannot write", paths[slot]);
    return paths[slot];
}

bool fuzz_two_files(const uint8_t *data, size_t size, const char **first, const char **second)
{
    if (size < 2)
        return false;
    size_t n = (size_t)data[0] << 8 | data[1];
    if (n > size - 2)
        n = size - 2;
    *first = fuzz_file(0, data + 2, n);
    *second = fuzz_file(1, data + 2 + n, size - 2 - n);
    return true;
}

void fuzz_check_dataset(int rc, const char *err, size_t count, size_t cap, const uint8_t *labels,
                        int classes)
{
    if (rc != 0) {
        if (!err[0] || strchr(err, '\n'))
            fuzz_fail("no one-line message", err);
        return;
    }
    if (count == 0 || count > cap)
        fuzz_fail("a count out of range", NULL);
    for (size_t i = 0; i < count; i++)
        if (labels[i] >= classes)
            fuzz_fail("a label out of range", NULL);
}

void fuzz_front_end(const char *name, const uint8_t *data, size_t size)
{
    static FILE *null;
    struct diag d = {0};
    if (!null && !(null = fopen("/dev/null", "w")))
        fuzz_fail("cannot open /dev/null", NULL);
    Onnx__ModelProto *m = onnx_parse_model(name, data, size, &d);
    if (!m) {
        if (!d.failed || !d.msg[0])
            fuzz_fail("the reader failed without a message", NULL);
        return;
    }
    for (int training = 1; training >= 0; training--) {
        struct snnc_options o;
        snnc_options_init(&o);
        o.training = training;
        o.max_arena_bytes = (size_t)64 << 20; /* keeps the fuzzer's memory bounded */
        struct diag d2 = {0};
        struct ir_graph *g = pipeline_run_model(name, m, &o, &d2);
        if (!g) {
            if (!d2.failed || !d2.msg[0])
                fuzz_fail("a pass failed without a message", NULL);
            continue;
        }
        if (d2.failed)
            fuzz_fail("a graph came back with an error recorded", d2.msg);
        if (!plan_check(g))
            fuzz_fail("the memory plan overlaps two live values", name);
        if (g->arena_floats * sizeof(float) > o.max_arena_bytes)
            fuzz_fail("the plan exceeds the memory limit", name);
        ir_dump(g, null);
        ir_graph_free(g);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}
