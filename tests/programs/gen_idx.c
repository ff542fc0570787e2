/* gen_idx.c - writes small IDX datasets, good and broken, for the program tests.
 *
 * Takes: gen_idx KIND IMAGES LABELS COUNT. Gives: an IDX image file and an
 * IDX label file. KIND ok: COUNT 28x28 images of 10 learnable classes (class
 * c is a bright band at rows 2c..2c+7, plus deterministic noise); the broken
 * kinds change one thing: magic (the image file starts with a wrong magic
 * number), truncated (the image data stops half way), size20 (20x20
 * images), label (label 12 at index 5), count (one label fewer than images).
 * Holds: deterministic; no Python in the tests, so this is C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void be32(FILE *f, unsigned long v)
{
    putc((int)(v >> 24 & 255), f);
    putc((int)(v >> 16 & 255), f);
    putc((int)(v >> 8 & 255), f);
    putc((int)(v & 255), f);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: gen_idx ok|magic|truncated|size20|label|count IMAGES LABELS COUNT\n");
        return 2;
    }
    const char *kind = argv[1];
    unsigned long n = strtoul(argv[4], NULL, 10), side = strcmp(kind, "size20") ? 28 : 20;
    FILE *im = fopen(argv[2], "wb"), *lb = fopen(argv[3], "wb");
    if (!im || !lb) {
        perror("gen_idx");
        return 1;
    }
    be32(im, strcmp(kind, "magic") ? 0x803 : 0x1234);
    be32(im, n);
    be32(im, side);
    be32(im, side);
    be32(lb, 0x801);
    be32(lb, strcmp(kind, "count") ? n : n - 1);
    unsigned long state = 12345, bytes = n * side * side;
    if (!strcmp(kind, "truncated"))
        bytes /= 2;
    for (unsigned long i = 0; i < bytes; i++) {
        unsigned long s = i / (side * side), row = i % (side * side) / side;
        unsigned long c = s * 7 % 10;
        state = state * 1103515245ul + 12345ul;
        int v = (int)(state >> 16 & 63);
        if (row >= 2 * c && row < 2 * c + 8)
            v += 160;
        putc(v, im);
    }
    for (unsigned long s = 0; s < n; s++) {
        if (!strcmp(kind, "count") && s == n - 1)
            break;
        putc(!strcmp(kind, "label") && s == 5 ? 12 : (int)(s * 7 % 10), lb);
    }
    if (fclose(im) != 0 || fclose(lb) != 0) {
        perror("gen_idx");
        return 1;
    }
    return 0;
}
