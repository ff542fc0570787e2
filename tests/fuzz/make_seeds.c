/* make_seeds.c - writes the generated seeds of tests/fuzz/corpus (ckpt, idx, cifar).
 *
 * Takes: the corpus folder as argv[1]. Gives: a checkpoint written by
 * snnrt_model_write with the parameters fuzz_ckpt.c loads; small IDX pairs
 * (raw and gzip) and CIFAR-10 pairs laid out as fuzz_idx.c and
 * fuzz_cifar.c expect. Build: cc -Iruntime tests/fuzz/make_seeds.c
 * runtime/rt_tensor_io.c -lz -o make_seeds. The other seeds are copies of
 * examples/, tests/cases/, tests/errors/ and tests/data/ files.
 */
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "snnrt.h"

static char dir[1024];

static void put(const char *name, const unsigned char *b, size_t n)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0)
        perror(p);
}

static size_t be32(unsigned char *b, unsigned long v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
    return 4;
}

static size_t gz(unsigned char *dst, size_t cap, const unsigned char *src, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY); /* 31: gzip wrapper */
    z.next_in = (unsigned char *)src;
    z.avail_in = (unsigned)n;
    z.next_out = dst;
    z.avail_out = (unsigned)cap;
    deflate(&z, Z_FINISH);
    deflateEnd(&z);
    return cap - z.avail_out;
}

/* [n: 2 bytes][a][b] */
static void pair(const char *name, const unsigned char *a, size_t na, const unsigned char *b,
                 size_t nb)
{
    static unsigned char buf[16384];
    buf[0] = (unsigned char)(na >> 8);
    buf[1] = (unsigned char)na;
    memcpy(buf + 2, a, na);
    memcpy(buf + 2 + na, b, nb);
    put(name, buf, 2 + na + nb);
}

int main(int argc, char **argv)
{
    static float w1[32 * 20], b1[32], w2[6 * 32], b2[6];
    char err[512], p[2048];
    for (int i = 0; i < 32 * 20; i++)
        w1[i] = (float)i / 640.0f - 0.5f;
    for (int i = 0; i < 6 * 32; i++)
        w2[i] = (float)(i % 7) / 7.0f;
    b1[3] = 1.5f;
    b2[5] = -2.0f;
    const struct snnrt_param params[] = {
        {"fc1.weight", w1, 2, {32, 20}, 32 * 20},
        {"fc1.bias", b1, 1, {32}, 32},
        {"fc2.weight", w2, 2, {6, 32}, 6 * 32},
        {"fc2.bias", b2, 1, {6}, 6},
    };
    /* ir_version 8; a graph named "g" */
    static const unsigned char head[] = {0x08, 0x08};
    static const unsigned char body[] = {0x12, 0x01, 'g'};
    if (argc != 2)
        return 2;
    snprintf(dir, sizeof dir, "%s/ckpt", argv[1]);
    snprintf(p, sizeof p, "%s/trainer_checkpoint.onnx", dir);
    if (snnrt_model_write(p, head, sizeof head, body, sizeof body, params, 4, err, sizeof err))
        fprintf(stderr, "%s\n", err);

    unsigned char img[64], lbl[16], zi[256], zl[256];
    size_t ni = 0, nl = 0;
    ni += be32(img + ni, 0x803);
    ni += be32(img + ni, 3);
    ni += be32(img + ni, 2);
    ni += be32(img + ni, 2);
    for (int i = 0; i < 12; i++)
        img[ni++] = (unsigned char)(i * 21);
    nl += be32(lbl + nl, 0x801);
    nl += be32(lbl + nl, 3);
    lbl[nl++] = 0;
    lbl[nl++] = 9;
    lbl[nl++] = 4;
    snprintf(dir, sizeof dir, "%s/idx", argv[1]);
    pair("raw", img, ni, lbl, nl);
    pair("gzip", zi, gz(zi, sizeof zi, img, ni), zl, gz(zl, sizeof zl, lbl, nl));
    pair("gzip_images", zi, gz(zi, sizeof zi, img, ni), lbl, nl);

    static unsigned char rec[3 * SNNRT_CIFAR_RECORD_BYTES];
    for (size_t i = 0; i < sizeof rec; i++)
        rec[i] = (unsigned char)(i * 7);
    rec[0] = 3;
    rec[SNNRT_CIFAR_RECORD_BYTES] = 9;
    rec[2 * SNNRT_CIFAR_RECORD_BYTES] = 0;
    snprintf(dir, sizeof dir, "%s/cifar", argv[1]);
    pair("one_one", rec, SNNRT_CIFAR_RECORD_BYTES, rec + SNNRT_CIFAR_RECORD_BYTES,
         SNNRT_CIFAR_RECORD_BYTES);
    pair("two_one", rec, 2 * SNNRT_CIFAR_RECORD_BYTES, rec + 2 * SNNRT_CIFAR_RECORD_BYTES,
         SNNRT_CIFAR_RECORD_BYTES);
    return 0;
}
