/* idx2c.c - writes the first N images and labels of an IDX data set as a C
 * header (mcu_images.h) for the test firmware.
 * Usage: idx2c IMAGES LABELS N > mcu_images.h   (uncompressed IDX files)
 * Exit 1 with a message on a bad file. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long be32(const unsigned char *b)
{
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: idx2c IMAGES LABELS N\n");
        return 2;
    }
    long n = strtol(argv[3], NULL, 10);
    FILE *fi = fopen(argv[1], "rb"), *fl = fopen(argv[2], "rb");
    unsigned char hi[16], hl[8];
    if (!fi || !fl || fread(hi, 1, 16, fi) != 16 || fread(hl, 1, 8, fl) != 8 || be32(hi) != 0x803 ||
        be32(hl) != 0x801) {
        fprintf(stderr, "idx2c: %s, %s: not IDX image and label files\n", argv[1], argv[2]);
        return 1;
    }
    unsigned long size = be32(hi + 8) * be32(hi + 12);
    if (n < 1 || (unsigned long)n > be32(hi + 4) || (unsigned long)n > be32(hl + 4)) {
        fprintf(stderr, "idx2c: N must be 1..%lu\n", be32(hi + 4));
        return 1;
    }
    printf("/* mcu_images.h - the first %ld images of %s, written by idx2c. */\n", n, argv[1]);
    printf("#define MCU_NIMAGES %ld\n", n);
    printf("static const uint8_t mcu_images[%ld][%lu] = {\n", n, size);
    for (long i = 0; i < n; i++) {
        printf("    {");
        for (unsigned long k = 0; k < size; k++) {
            int c = getc(fi);
            if (c == EOF) {
                fprintf(stderr, "idx2c: %s: truncated\n", argv[1]);
                return 1;
            }
            printf("%s%d,", k % 28 ? "" : "\n     ", c);
        }
        printf("},\n");
    }
    printf("};\nstatic const uint8_t mcu_labels[%ld] = {", n);
    for (long i = 0; i < n; i++) {
        int c = getc(fl);
        if (c == EOF) {
            fprintf(stderr, "idx2c: %s: truncated\n", argv[2]);
            return 1;
        }
        printf("%s%d,", i % 25 ? " " : "\n    ", c);
    }
    printf("\n};\n");
    return 0;
}
