/* host_float.c - the float model as the host runs it: snnc's host inference
 * code (snnc emit --infer) over an IDX test set, for comparison with the
 * microcontroller builds.
 * Usage: host_float IMAGES LABELS [LIMIT]   (uncompressed IDX files)
 * Prints "correct C of N" and "hash H", H over each image's predicted class
 * and output spike counts exactly as test_main.c hashes them, so equal
 * hashes mean equal results image by image.
 * Takes: model.h/model.c with a Predict output and a count output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static uint32_t hash = 2166136261u;

static void hash_byte(uint32_t b)
{
    hash = (hash ^ (b & 0xffu)) * 16777619u;
}

static unsigned long be32(const unsigned char *b)
{
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: host_float IMAGES LABELS [LIMIT]\n");
        return 2;
    }
    long limit = argc > 3 ? strtol(argv[3], NULL, 10) : 1L << 30;
    FILE *fi = fopen(argv[1], "rb"), *fl = fopen(argv[2], "rb");
    unsigned char hi[16], hl[8];
    if (!fi || !fl || fread(hi, 1, 16, fi) != 16 || fread(hl, 1, 8, fl) != 8 || be32(hi) != 0x803 ||
        be32(hl) != 0x801) {
        fprintf(stderr, "host_float: %s, %s: not IDX image and label files\n", argv[1], argv[2]);
        return 1;
    }
    const struct model_tensor *x = &model_inputs[0], *pred = &model_outputs[MODEL_PREDICT_OUTPUT];
    const struct model_tensor *counts = NULL;
    for (int i = 0; i < MODEL_NUM_OUTPUTS; i++)
        if (model_outputs[i].f32 && !model_outputs[i].temporal && model_outputs[i].rank == 2)
            counts = &model_outputs[i];
    size_t size = be32(hi + 8) * be32(hi + 12), per = x->numel / MODEL_BATCH;
    if (size != per || !counts) {
        fprintf(stderr, "host_float: the model wants %zu values per image and a count output; the images have %zu\n",
                per, size);
        return 1;
    }
    size_t C = counts->numel / MODEL_BATCH;
    static unsigned char img[MODEL_BATCH][4096], lab[MODEL_BATCH];
    long n = 0, correct = 0, total = (long)be32(hi + 4) < limit ? (long)be32(hi + 4) : limit;
    while (n < total) {
        int b = 0;
        for (; b < MODEL_BATCH && n + b < total; b++)
            if (fread(img[b], 1, size, fi) != size || fread(&lab[b], 1, 1, fl) != 1) {
                fprintf(stderr, "host_float: truncated data\n");
                return 1;
            }
        memset(x->f32, 0, x->numel * sizeof(float));
        for (int k = 0; k < b; k++)
            for (size_t i = 0; i < size; i++)
                x->f32[(size_t)k * size + i] = (float)img[k][i] / 255.0f;
        if (model_forward() != 0) {
            fprintf(stderr, "host_float: %s\n", model_error());
            return 1;
        }
        for (int k = 0; k < b; k++) {
            int p = (int)pred->i64[k];
            correct += p == lab[k];
            hash_byte((uint32_t)p);
            for (size_t c = 0; c < C; c++) {
                uint32_t v = (uint32_t)counts->f32[(size_t)k * C + c];
                hash_byte(v);
                hash_byte(v >> 8);
            }
        }
        n += b;
    }
    printf("correct %ld of %ld\nhash %08lx\n", correct, n, (unsigned long)hash);
    return 0;
}
