/* gen_cifar.c - writes a CIFAR-10 binary file of learnable synthetic images:
 * records of one label byte and 3072 image bytes (planes R, G, B, 32x32).
 * Class c is a bright 8x8 square in cell c of a 4x3 grid of the plane
 * c % 3, on noise, so a small network can tell the classes apart.
 * Usage: gen_cifar FILE COUNT SEED */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    FILE *f = fopen(argv[1], "wb");
    if (!f)
        return 1;
    long n = atol(argv[2]);
    unsigned long s = (unsigned long)atol(argv[3]) * 2654435761UL + 1;
    for (long i = 0; i < n; i++) {
        unsigned char rec[3073];
        int c = (int)(i % 10);
        rec[0] = (unsigned char)c;
        for (int k = 0; k < 3072; k++) {
            s = s * 1103515245UL + 12345UL;
            rec[1 + k] = (unsigned char)((s >> 16) % 64);
        }
        int plane = c % 3, y0 = (c / 4) * 10, x0 = (c % 4) * 8;
        for (int y = y0; y < y0 + 8; y++)
            for (int x = x0; x < x0 + 8; x++)
                rec[1 + plane * 1024 + y * 32 + x] = 230;
        if (fwrite(rec, 1, sizeof rec, f) != sizeof rec)
            return 1;
    }
    return fclose(f) != 0;
}
