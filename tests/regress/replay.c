/* replay.c - runs saved inputs through the fuzz targets, without libFuzzer.
 *
 * Takes: replay TARGET FILE..., TARGET one of onnx, textproto, tensor,
 * ckpt, idx, cifar, emit (tests/fuzz/fuzz_TARGET.c). Gives: exit 0 when every
 * FILE went through its target; a target that finds its contract broken
 * aborts, and a sanitizer build (configure --enable-sanitizers) stops at
 * any memory error or leak. Exit 2 for a bad command line or unreadable
 * FILE.
 * Holds: built with -DFUZZ_REPLAY by `make check`; tests/regress/regress.sh
 * feeds it every file of tests/regress/cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static const struct {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} targets[] = {
    {"onnx", fuzz_onnx}, {"textproto", fuzz_textproto}, {"tensor", fuzz_tensor},
    {"ckpt", fuzz_ckpt}, {"idx", fuzz_idx},             {"cifar", fuzz_cifar},
    {"emit", fuzz_emit},
};

int main(int argc, char **argv)
{
    size_t t;
    for (t = 0; argc > 1 && t < sizeof targets / sizeof targets[0]; t++)
        if (!strcmp(argv[1], targets[t].name))
            break;
    if (argc < 3 || t == sizeof targets / sizeof targets[0]) {
        fprintf(stderr, "usage: replay onnx|textproto|tensor|ckpt|idx|cifar|emit FILE...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        static uint8_t buf[1 << 20];
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (!f || ferror(f) || !feof(f)) {
            fprintf(stderr, "replay: %s: cannot read (or larger than 1 MiB)\n", argv[i]);
            if (f)
                fclose(f);
            return 2;
        }
        fclose(f);
        /* a copy of exactly n bytes, so reading past the end is caught */
        uint8_t *data = malloc(n ? n : 1);
        if (!data)
            return 2;
        memcpy(data, buf, n);
        targets[t].run(data, n);
        free(data);
        printf("ok %s %s\n", argv[1], argv[i]);
    }
    return 0;
}
