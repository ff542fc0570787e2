/* test_runtime.c - the runtime that emitted code links, module by module.
 *
 * Takes: the runtime (runtime/rt_*.c); fixtures tests/data/runtime_* (copies of the
 * golden case fc_membrane_ce, whose initializers use packed float_data and
 * whose test data use raw_data, and of conv_small's model, whose
 * initializers use raw_data); files this test writes into a fresh
 * directory under $TMPDIR.
 * Gives: runtime_suite().
 * Holds: the PRNG gives the sequence an independent implementation gave
 * (splitmix64 + xoshiro128** + Lemire, in Python); Adam and SGD give,
 * bit for bit, what an exact-rational emulation of PyTorch 1.13's CPU
 * kernels gives; TensorProto and ModelProto files round-trip and the golden
 * files read back to their known values; every corrupt file, short buffer
 * and bad dataset is refused with a message naming the file and the fault.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "snnrt.h"
#include "tests.h"

/* ------------------------------------------------------------ helpers */

static char tmpdir[256];

static void tmp_setup(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmpdir, sizeof tmpdir, "%s/snnrt_test_XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
}

static void tmp_teardown(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[512];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int next;
    char *p = buf[next++ % 8];

    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static size_t read_bytes(const char *path, void *data, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    n = fread(data, 1, cap, f);
    ck_assert_int_eq(fclose(f), 0);
    return n;
}

static int file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* The error must start with the path and contain words. */
#define ck_assert_err(err, path, words)                                                     \
    do {                                                                                    \
        ck_assert_msg(strncmp((err), (path), strlen(path)) == 0 && strstr((err), (words)),  \
                      "expected \"%s: ...%s...\"\n     got \"%s\"", (path), (words), (err)); \
    } while (0)

static uint32_t float_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, 4);
    return u;
}

/* Bit-exact comparison of float arrays, NaN-free. */
static void ck_floats_exact(const float *got, const float *want, size_t n, const char *what)
{
    size_t i;

    for (i = 0; i < n; i++)
        ck_assert_msg(float_bits(got[i]) == float_bits(want[i]), "%s[%zu]: got %a, want %a", what,
                      i, (double)got[i], (double)want[i]);
}

/* --------------------------------------------------------------- PRNG */

/* From an independent Python implementation of splitmix64 + xoshiro128**. */
START_TEST(test_rng_known_sequence)
{
    static const uint32_t seed1[8] = {0x650941ba, 0x54d30301, 0x25d2f321, 0x3fabdca9,
                                      0x2ab8e0a6, 0xf9890067, 0xe12b0ad9, 0xa193d86a};
    static const uint32_t seed0[4] = {0xdec9045d, 0x9a089d75, 0xab77d362, 0xc3e16405};
    static const uint32_t seed_date[4] = {0xe66adf90, 0xae8ea431, 0x8bc2d051, 0x4708d971};
    struct snnrt_rng r;
    int i;

    snnrt_rng_seed(&r, 1);
    for (i = 0; i < 8; i++)
        ck_assert_uint_eq(snnrt_rng_u32(&r), seed1[i]);
    snnrt_rng_seed(&r, 0);
    for (i = 0; i < 4; i++)
        ck_assert_uint_eq(snnrt_rng_u32(&r), seed0[i]);
    snnrt_rng_seed(&r, 20240601);
    for (i = 0; i < 4; i++)
        ck_assert_uint_eq(snnrt_rng_u32(&r), seed_date[i]);
}
END_TEST

START_TEST(test_rng_reseed_repeats)
{
    struct snnrt_rng a, b;
    int i, differ = 0;

    snnrt_rng_seed(&a, 12345);
    snnrt_rng_seed(&b, 12345);
    for (i = 0; i < 1000; i++)
        ck_assert_uint_eq(snnrt_rng_u32(&a), snnrt_rng_u32(&b));
    snnrt_rng_seed(&b, 12346);
    for (i = 0; i < 100; i++)
        differ += snnrt_rng_u32(&a) != snnrt_rng_u32(&b);
    ck_assert_int_gt(differ, 95);
}
END_TEST

START_TEST(test_rng_uniform)
{
    static const float want5[4] = {0.7839442491531372f, 0.1197860836982727f, 0.7209935784339905f,
                                   0.009225666522979736f};
    struct snnrt_rng r;
    double sum = 0, sq = 0;
    int i, n = 200000;

    snnrt_rng_seed(&r, 5);
    for (i = 0; i < 4; i++)
        ck_assert_uint_eq(float_bits(snnrt_rng_uniform(&r)), float_bits(want5[i]));
    snnrt_rng_seed(&r, 99);
    for (i = 0; i < n; i++) {
        float u = snnrt_rng_uniform(&r);

        ck_assert(u >= 0.0f && u < 1.0f);
        /* 24 random bits: u * 2^24 is an integer */
        ck_assert(u * 16777216.0f == floorf(u * 16777216.0f));
        sum += u;
        sq += (double)u * u;
    }
    ck_assert_double_eq_tol(sum / n, 0.5, 0.004);
    ck_assert_double_eq_tol(sq / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.002);
}
END_TEST

START_TEST(test_rng_below)
{
    static const uint32_t want3[8] = {4, 7, 6, 3, 6, 6, 9, 8};
    struct snnrt_rng r;
    int counts[3] = {0, 0, 0};
    int i;

    snnrt_rng_seed(&r, 3);
    for (i = 0; i < 8; i++)
        ck_assert_uint_eq(snnrt_rng_below(&r, 10), want3[i]);
    ck_assert_uint_eq(snnrt_rng_below(&r, 0), 0);
    ck_assert_uint_eq(snnrt_rng_below(&r, 1), 0);
    for (i = 0; i < 30000; i++) {
        uint32_t x = snnrt_rng_below(&r, 3);

        ck_assert_uint_lt(x, 3);
        counts[x]++;
    }
    for (i = 0; i < 3; i++)
        ck_assert_int_lt(abs(counts[i] - 10000), 400);
    for (i = 0; i < 1000; i++)
        ck_assert_uint_lt(snnrt_rng_below(&r, 0x80000001u), 0x80000001u);
}
END_TEST

START_TEST(test_rng_uniform_range)
{
    struct snnrt_rng r;
    double sum = 0;
    float lo = -0.25f, hi = 0.25f;
    float next1 = nextafterf(1.0f, 2.0f);
    int i, n = 100000;

    snnrt_rng_seed(&r, 7);
    for (i = 0; i < n; i++) {
        float x = snnrt_rng_uniform_range(&r, lo, hi);

        ck_assert(x >= lo && x < hi);
        sum += x;
    }
    ck_assert_double_eq_tol(sum / n, 0.0, 0.003);
    for (i = 0; i < 100; i++) {
        ck_assert(snnrt_rng_uniform_range(&r, 1.0f, next1) == 1.0f);
        ck_assert(snnrt_rng_uniform_range(&r, 3.0f, 3.0f) == 3.0f);
        ck_assert(snnrt_rng_uniform_range(&r, 3.0f, -3.0f) == 3.0f);
    }
}
END_TEST

START_TEST(test_rng_bernoulli)
{
    struct snnrt_rng r;
    int i, ones = 0, n = 100000;

    snnrt_rng_seed(&r, 11);
    for (i = 0; i < 1000; i++) {
        ck_assert_int_eq(snnrt_rng_bernoulli(&r, 0.0f), 0);
        ck_assert_int_eq(snnrt_rng_bernoulli(&r, -1.0f), 0);
        ck_assert_int_eq(snnrt_rng_bernoulli(&r, 1.0f), 1);
        ck_assert_int_eq(snnrt_rng_bernoulli(&r, 2.0f), 1);
    }
    for (i = 0; i < n; i++)
        ones += snnrt_rng_bernoulli(&r, 0.3f);
    ck_assert_double_eq_tol((double)ones / n, 0.3, 0.006);
}
END_TEST

/* The runtime's normal draw against the polar method computed here with
 * libm from the same uniforms, and against the moments of N(0, 1). */
START_TEST(test_rng_normal)
{
    struct snnrt_rng r, s;
    double sum = 0, sq = 0;
    int i, inside = 0, n = 200000;

    snnrt_rng_seed(&r, 2024);
    snnrt_rng_seed(&s, 2024);
    for (i = 0; i < 2000; i++) {
        float z = snnrt_rng_normal(&r);
        double u, v, q;

        do {
            u = 2.0 * snnrt_rng_uniform(&s) - 1.0;
            v = 2.0 * snnrt_rng_uniform(&s) - 1.0;
            q = u * u + v * v;
        } while (!(q < 1.0 && q > 0.0));
        ck_assert_double_eq_tol(z, u * sqrt(-2.0 * log(q) / q), 1e-6 * (1.0 + fabs(z)));
    }
    for (i = 0; i < n; i++) {
        float z = snnrt_rng_normal(&r);

        ck_assert(isfinite(z));
        sum += z;
        sq += (double)z * z;
        inside += fabsf(z) < 1.0f;
    }
    ck_assert_double_eq_tol(sum / n, 0.0, 0.01);
    ck_assert_double_eq_tol(sq / n, 1.0, 0.02);
    ck_assert_double_eq_tol((double)inside / n, 0.6827, 0.005);
}
END_TEST

START_TEST(test_shuffle)
{
    static const uint32_t want7[10] = {9, 6, 0, 8, 1, 2, 7, 5, 3, 4};
    static uint32_t idx[1000];
    static int seen[1000];
    struct snnrt_rng r;
    uint32_t one = 42;
    int i, moved = 0;

    for (i = 0; i < 10; i++)
        idx[i] = (uint32_t)i;
    snnrt_rng_seed(&r, 7);
    snnrt_shuffle_u32(&r, idx, 10);
    for (i = 0; i < 10; i++)
        ck_assert_uint_eq(idx[i], want7[i]);

    for (i = 0; i < 1000; i++)
        idx[i] = (uint32_t)i;
    snnrt_shuffle_u32(&r, idx, 1000);
    for (i = 0; i < 1000; i++) {
        ck_assert_uint_lt(idx[i], 1000);
        ck_assert_int_eq(seen[idx[i]]++, 0);
        moved += idx[i] != (uint32_t)i;
    }
    ck_assert_int_gt(moved, 900);
    snnrt_shuffle_u32(&r, &one, 1);
    ck_assert_uint_eq(one, 42);
    snnrt_shuffle_u32(&r, NULL, 0);
}
END_TEST

/* -------------------------------------------------------------- optim */

/* Expected values: an exact-rational emulation of torch 1.13 on the CPU
 * (Adam and SGD single-tensor paths; add_ with alpha is one fused
 * multiply-add, addcmul_/addcdiv_ round every operation), three steps of
 * lr 1e-2, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01 from adam_p0
 * with gradients adam_g0..2. Rounding add_ twice instead would change
 * elements 1, 2, 3, 4, 6 and 7 of the result. */
static const float adam_g[3][8] = {
    {0x1.99999ap-4f, -0x1.99999ap-3f, 0x1.333334p-2f, -0x1.99999ap-2f, 0x1p-1f, 0x1.0624dep-10f,
     -0x1.8p+1f, 0x0p+0f},
    {0x1.333334p-2f, 0x1.99999ap-4f, -0x1p-1f, 0x1.666666p-1f, -0x1.333334p-1f, 0x1.0624dep-9f,
     0x1.4p+1f, 0x1.ad7f2ap-24f},
    {-0x1.99999ap-3f, 0x1.99999ap-2f, 0x1.99999ap-3f, -0x1.99999ap-4f, 0x1.99999ap-5f,
     -0x1.0624dep-10f, 0x1p+0f, -0x1.ad7f2ap-24f},
};
static const float adam_p0[8] = {0x1p-1f, -0x1p-2f, 0x1p-3f, 0x1.8p+0f, -0x1p+1f, 0x1.333334p-2f,
                                 -0x1.666666p-1f, 0x1.47ae14p-7f};
static const float adam_p3[8] = {0x1.e9785p-2f, -0x1.eefcd4p-3f, 0x1.e31cdp-4f, 0x1.813364p+0f,
                                 -0x1.00e7fap+1f, 0x1.155004p-2f, -0x1.61b902p-1f,
                                 -0x1.e7fa9p-8f};
static const float adam_m3[8] = {0x1.0d22ecp-6f, 0x1.07537ep-5f, -0x1.8bab6cp-12f,
                                 0x1.945e04p-6f, -0x1.c8b1dep-7f, 0x1.ef7388p-11f,
                                 0x1.482e6cp-4f, 0x1.75f3c2p-20f};
static const float adam_v3[8] = {0x1.29bdb8p-13f, 0x1.b55baap-13f, 0x1.8e165cp-12f,
                                 0x1.5d2ce4p-11f, 0x1.426c6cp-11f, 0x1.730882p-25f,
                                 0x1.09bdc4p-6f, 0x1.fde0ap-37f};
/* The same emulation, SGD lr 0.1 with momentum 0.9 and weight_decay 0.01,
 * and plain SGD lr 0.1. */
static const float sgd_p3[8] = {0x1.bb8fb4p-2f, -0x1.038c3ep-2f, 0x1.e3965cp-4f, 0x1.7a16cap+0f,
                                -0x1.01f0c2p+1f, 0x1.30ea1ap-2f, -0x1.d5fb34p-2f, 0x1.45d7cep-7f};
static const float sgd_buf3[8] = {0x1.4fc598p-3f, 0x1.496a3cp-2f, -0x1.03528p-8f,
                                  0x1.f9e1b8p-3f, -0x1.1e903cp-3f, 0x1.3ea12ep-7f,
                                  0x1.9d290cp-1f, 0x1.1bc15p-12f};
static const float sgd_plain_p3[8] = {0x1.eb852p-2f, -0x1.1eb852p-2f, 0x1.fffffep-4f,
                                      0x1.7ae146p+0f, -0x1.feb85p+0f, 0x1.32fec6p-2f, -0x1.8p-1f,
                                      0x1.47ae14p-7f};

START_TEST(test_adam_matches_torch)
{
    struct snnrt_adam o = {1e-2, 0.9, 0.999, 1e-8, 0.01};
    float p[8], m[8] = {0}, v[8] = {0};
    long step;

    memcpy(p, adam_p0, sizeof p);
    for (step = 1; step <= 3; step++)
        snnrt_adam_step(&o, step, p, adam_g[step - 1], m, v, 8);
    ck_floats_exact(p, adam_p3, 8, "p");
    ck_floats_exact(m, adam_m3, 8, "exp_avg");
    ck_floats_exact(v, adam_v3, 8, "exp_avg_sq");
}
END_TEST

/* Adam by its textbook formulas in double: agrees to float precision. */
START_TEST(test_adam_against_double)
{
    struct snnrt_adam o = {3e-3, 0.8, 0.99, 1e-6, 0.05};
    float p[8], m[8] = {0}, v[8] = {0};
    double pd[8], md[8] = {0}, vd[8] = {0};
    long step;
    int i;

    for (i = 0; i < 8; i++)
        pd[i] = p[i] = adam_p0[i];
    for (step = 1; step <= 3; step++) {
        const float *g = adam_g[step - 1];

        snnrt_adam_step(&o, step, p, g, m, v, 8);
        for (i = 0; i < 8; i++) {
            double gi = g[i] + 0.05 * pd[i];
            double mh, vh;

            md[i] = 0.8 * md[i] + 0.2 * gi;
            vd[i] = 0.99 * vd[i] + 0.01 * gi * gi;
            mh = md[i] / (1 - pow(0.8, (double)step));
            vh = vd[i] / (1 - pow(0.99, (double)step));
            pd[i] -= 3e-3 * mh / (sqrt(vh) + 1e-6);
        }
    }
    for (i = 0; i < 8; i++) {
        ck_assert_double_eq_tol(p[i], pd[i], 1e-6);
        ck_assert_double_eq_tol(m[i], md[i], 1e-6 * fabs(md[i]) + 1e-12);
        ck_assert_double_eq_tol(v[i], vd[i], 1e-5 * fabs(vd[i]) + 1e-15);
    }
}
END_TEST

/* Numbers chosen so that every operation is exact: worked by hand. */
START_TEST(test_adam_by_hand)
{
    struct snnrt_adam o = {0.5, 0.5, 0.75, 0.0, 0.0};
    float p = 0.0f, g = 1.0f, m = 0.0f, v = 0.0f;
    float q[3] = {1.0f, -2.0f, 0.5f}, gq[3] = {1e-3f, -5.0f, 0.0f}, mq[3] = {0}, vq[3] = {0};
    struct snnrt_adam first = {0.01, 0.9, 0.999, 1e-8, 0.0};

    /* m = 0.5, v = 0.25, step_size = 0.5 / 0.5 = 1, denom = 0.5 / 0.5 */
    snnrt_adam_step(&o, 1, &p, &g, &m, &v, 1);
    ck_assert(m == 0.5f && v == 0.25f && p == -0.5f);
    /* m = 0.75, v = 0.4375, step_size = 2/3, denom = 1: p -= 0.5 */
    snnrt_adam_step(&o, 2, &p, &g, &m, &v, 1);
    ck_assert(m == 0.75f && v == 0.4375f && p == -1.0f);
    /* The first step of Adam moves each weight by about lr * sign(g). */
    snnrt_adam_step(&first, 1, q, gq, mq, vq, 3);
    ck_assert_double_eq_tol(q[0], 1.0 - 0.01, 1e-6);
    ck_assert_double_eq_tol(q[1], -2.0 + 0.01, 1e-6);
    ck_assert(q[2] == 0.5f);
}
END_TEST

START_TEST(test_sgd_matches_torch)
{
    float p[8], buf[8], q[8];
    int step;

    memcpy(p, adam_p0, sizeof p);
    memcpy(q, adam_p0, sizeof q);
    for (step = 0; step < 3; step++) {
        snnrt_sgd_step(0.1, 0.9, 0.01, p, adam_g[step], buf, 8, step == 0);
        snnrt_sgd_step(0.1, 0.0, 0.0, q, adam_g[step], NULL, 8, step == 0);
    }
    ck_floats_exact(p, sgd_p3, 8, "p");
    ck_floats_exact(buf, sgd_buf3, 8, "momentum_buffer");
    ck_floats_exact(q, sgd_plain_p3, 8, "p (no momentum)");
}
END_TEST

START_TEST(test_sgd_by_hand)
{
    float p = 1.0f, g = 0.5f, buf = 123.0f;

    /* first step: buf = g = 0.5; p = 1 - 0.5 * 0.5 */
    snnrt_sgd_step(0.5, 0.5, 0.0, &p, &g, &buf, 1, 1);
    ck_assert(buf == 0.5f && p == 0.75f);
    /* buf = 0.5 * 0.5 + 0.5 = 0.75; p = 0.75 - 0.375 */
    snnrt_sgd_step(0.5, 0.5, 0.0, &p, &g, &buf, 1, 0);
    ck_assert(buf == 0.75f && p == 0.375f);
    /* weight decay 1: d_p = g + p = 0.875; buf = 0.375 + 0.875 = 1.25 */
    snnrt_sgd_step(0.5, 0.5, 1.0, &p, &g, &buf, 1, 0);
    ck_assert(buf == 1.25f && p == -0.25f);
}
END_TEST

START_TEST(test_check_finite)
{
    float x[6] = {0.0f, -1.0f, 3.4028234663852886e38f, 1e-45f, -0.0f, 2.0f};

    ck_assert_int_eq(snnrt_check_finite(x, 6), -1);
    ck_assert_int_eq(snnrt_check_finite(NULL, 0), -1);
    x[3] = NAN;
    ck_assert_int_eq(snnrt_check_finite(x, 6), 3);
    ck_assert_int_eq(snnrt_check_finite(x, 3), -1);
    x[1] = -INFINITY;
    ck_assert_int_eq(snnrt_check_finite(x, 6), 1);
    x[0] = INFINITY;
    ck_assert_int_eq(snnrt_check_finite(x, 6), 0);
}
END_TEST

/* --------------------------------------------------------- tensor I/O */

START_TEST(test_tensor_read_golden)
{
    struct snnrt_tensor t;
    float f[128];
    int64_t y[8];
    char err[512];
    static const float grad3[6] = {0x1.1b885ap+2f, 0x1.328762p+4f, 0x1.734a54p+2f,
                                   -0x1.92cb3ep+0f, -0x1.277de8p+4f, -0x1.2b22e4p+3f};

    ck_assert_msg(snnrt_tensor_read(test_srcpath("tests/data/runtime_fc_membrane_ce_input_0.pb"),
                                    &t, f, sizeof f, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(t.name, "x");
    ck_assert_int_eq(t.data_type, SNNRT_DT_FLOAT);
    ck_assert_int_eq(t.rank, 2);
    ck_assert_int_eq(t.dims[0], 4);
    ck_assert_int_eq(t.dims[1], 20);
    ck_assert_uint_eq(t.numel, 80);
    ck_assert(f[0] == 0x1.7ad852p-1f && f[79] == 0x1.b38934p-2f);

    ck_assert_msg(snnrt_tensor_read(test_srcpath("tests/data/runtime_fc_membrane_ce_input_1.pb"),
                                    &t, y, sizeof y, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(t.name, "y");
    ck_assert_int_eq(t.data_type, SNNRT_DT_INT64);
    ck_assert_int_eq(t.rank, 1);
    ck_assert_uint_eq(t.numel, 4);
    ck_assert(y[0] == 4 && y[1] == 4 && y[2] == 5 && y[3] == 3);

    ck_assert_msg(snnrt_tensor_read(test_srcpath("tests/data/runtime_fc_membrane_ce_output_2.pb"),
                                    &t, f, sizeof f, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(t.name, "loss");
    ck_assert_int_eq(t.rank, 0);
    ck_assert_uint_eq(t.numel, 1);
    ck_assert(f[0] == 0x1.b3922p+4f); /* 27.2232 */

    ck_assert_msg(snnrt_tensor_read(test_srcpath("tests/data/runtime_fc_membrane_ce_grad_3.pb"),
                                    &t, f, sizeof f, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(t.name, "fc2.bias");
    ck_assert_int_eq(t.dims[0], 6);
    ck_floats_exact(f, grad3, 6, "fc2.bias grad");
}
END_TEST

START_TEST(test_tensor_read_small_buffer)
{
    const char *path = test_srcpath("tests/data/runtime_fc_membrane_ce_input_0.pb");
    struct snnrt_tensor t;
    float f[79];
    char err[512];

    f[0] = 42.0f;
    ck_assert_int_eq(snnrt_tensor_read(path, &t, f, sizeof f, err, sizeof err), -1);
    ck_assert_err(err, path, "tensor 'x' [4,20] of FLOAT needs 320 bytes; the buffer holds 316");
    ck_assert(f[0] == 42.0f);
    ck_assert_int_eq(snnrt_tensor_read(tmp("missing.pb"), &t, f, sizeof f, err, sizeof err), -1);
    ck_assert_err(err, tmp("missing.pb"), "cannot open");
    /* a NULL or zero-length error buffer is allowed */
    ck_assert_int_eq(snnrt_tensor_read(path, &t, f, sizeof f, NULL, 0), -1);
}
END_TEST

START_TEST(test_tensor_write_read)
{
    static const unsigned char want[] = {0x08, 0x02, 0x10, 0x01, 0x42, 0x01, 'w',  0x4a, 0x08,
                                         0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0};
    const float two[2] = {1.0f, -2.0f};
    const int64_t d2[1] = {2};
    float f[6] = {1.5f, -2.25f, 3.0f, 0.0f, 1e-30f, -7.0f}, g[6];
    const int64_t d23[2] = {2, 3};
    int64_t ints[5] = {-1, 0, 1, INT64_MAX, INT64_MIN}, ints2[5];
    const int64_t d5[1] = {5};
    float scalar = 0.125f, s2 = 0.0f;
    struct snnrt_tensor t;
    unsigned char bytes[64];
    char err[512];

    ck_assert_msg(snnrt_tensor_write(tmp("w.pb"), "w", SNNRT_DT_FLOAT, d2, 1, two, err,
                                     sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(read_bytes(tmp("w.pb"), bytes, sizeof bytes), sizeof want);
    ck_assert(memcmp(bytes, want, sizeof want) == 0);
    ck_assert(!file_exists(tmp("w.pb.tmp")));

    ck_assert_msg(snnrt_tensor_write(tmp("f.pb"), "layer/weight", SNNRT_DT_FLOAT, d23, 2, f, err,
                                     sizeof err) == 0, "%s", err);
    ck_assert_msg(snnrt_tensor_read(tmp("f.pb"), &t, g, sizeof g, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(t.name, "layer/weight");
    ck_assert(t.rank == 2 && t.dims[0] == 2 && t.dims[1] == 3 && t.numel == 6);
    ck_floats_exact(g, f, 6, "round trip");

    ck_assert(snnrt_tensor_write(tmp("i.pb"), "y", SNNRT_DT_INT64, d5, 1, ints, err,
                                 sizeof err) == 0);
    ck_assert(snnrt_tensor_read(tmp("i.pb"), &t, ints2, sizeof ints2, err, sizeof err) == 0);
    ck_assert_int_eq(t.data_type, SNNRT_DT_INT64);
    ck_assert(memcmp(ints, ints2, sizeof ints) == 0);

    /* rank 0 overwrites the earlier file */
    ck_assert(snnrt_tensor_write(tmp("f.pb"), "s", SNNRT_DT_FLOAT, NULL, 0, &scalar, err,
                                 sizeof err) == 0);
    ck_assert(snnrt_tensor_read(tmp("f.pb"), &t, &s2, sizeof s2, err, sizeof err) == 0);
    ck_assert(t.rank == 0 && t.numel == 1 && s2 == 0.125f);

    ck_assert_int_eq(snnrt_tensor_write(tmp("f.pb"), "s", 11, NULL, 0, &scalar, err, sizeof err),
                     -1);
    ck_assert_err(err, tmp("f.pb"), "data_type 11");
    ck_assert_int_eq(snnrt_tensor_write(tmp("nodir/f.pb"), "s", SNNRT_DT_FLOAT, NULL, 0, &scalar,
                                        err, sizeof err),
                     -1);
    ck_assert_err(err, tmp("nodir/f.pb.tmp"), "cannot create");
}
END_TEST

/* Hand-made protobufs: unpacked float_data, packed dims, int32_data with a
 * negative value, unknown fields of every wire type, any field order. */
START_TEST(test_tensor_read_variants)
{
    static const unsigned char unpacked[] = {
        0x62, 0x03, 'd', 'o', 'c',              /* doc_string 12 */
        0x25, 0x00, 0x00, 0x80, 0x3f,           /* float_data 1.0 (fixed32) */
        0x1a, 0x04, 0x08, 0x01, 0x10, 0x02,     /* segment 3 */
        0xc8, 0x3e, 0x96, 0x01,                 /* field 1001 varint 150 */
        0x0a, 0x02, 0x01, 0x02,                 /* dims packed [1,2] */
        0x25, 0x00, 0x00, 0x00, 0xc0,           /* float_data -2.0 */
        0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8,     /* field 99 fixed64 */
        0x42, 0x02, 'u', 'p',                   /* name "up" */
        0x10, 0x01,                             /* data_type FLOAT, last */
    };
    static const unsigned char int32s[] = {
        0x08, 0x03, 0x10, 0x06, 0x42, 0x01, 'k',
        0x2a, 0x0c,                               /* int32_data packed, 12 bytes */
        0x07,                                     /* 7 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* -1 */
        0x00,                                     /* 0 */
    };
    static const unsigned char int64s[] = {
        0x42, 0x01, 'n', 0x10, 0x07, 0x08, 0x02,
        0x38, 0x05,                               /* int64_data 5, unpacked */
        0x38, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* -2 */
    };
    struct snnrt_tensor t;
    float f[4];
    int32_t i32[4];
    int64_t i64[4];
    char err[512];

    write_bytes(tmp("u.pb"), unpacked, sizeof unpacked);
    ck_assert_msg(snnrt_tensor_read(tmp("u.pb"), &t, f, sizeof f, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(t.name, "up");
    ck_assert(t.rank == 2 && t.dims[0] == 1 && t.dims[1] == 2 && t.numel == 2);
    ck_assert(f[0] == 1.0f && f[1] == -2.0f);

    write_bytes(tmp("i32.pb"), int32s, sizeof int32s);
    ck_assert_msg(snnrt_tensor_read(tmp("i32.pb"), &t, i32, sizeof i32, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(t.data_type, SNNRT_DT_INT32);
    ck_assert(i32[0] == 7 && i32[1] == -1 && i32[2] == 0);

    write_bytes(tmp("i64.pb"), int64s, sizeof int64s);
    ck_assert_msg(snnrt_tensor_read(tmp("i64.pb"), &t, i64, sizeof i64, err, sizeof err) == 0,
                  "%s", err);
    ck_assert(t.numel == 2 && i64[0] == 5 && i64[1] == -2);
}
END_TEST

struct bad_tensor {
    const char *words;
    size_t len;
    unsigned char bytes[40];
};

START_TEST(test_tensor_read_corrupt)
{
    static const struct bad_tensor bad[] = {
        /* raw_data length runs past the end */
        {"runs past the end", 8, {0x08, 0x01, 0x10, 0x01, 0x4a, 0x10, 0, 0}},
        /* wire type 7 does not exist */
        {"wire type 7", 3, {0x08, 0x01, 0x0f}},
        /* name sent as a varint */
        {"name (8) has wire type 0", 4, {0x08, 0x01, 0x40, 0x01}},
        /* FLOAT with int64 data */
        {"not in float_data or raw_data", 6, {0x08, 0x01, 0x10, 0x01, 0x38, 0x01}},
        /* raw_data of 3 bytes for one float */
        {"raw_data holds 3 bytes; 1 elements of FLOAT need 4", 9,
         {0x08, 0x01, 0x10, 0x01, 0x4a, 0x03, 1, 2, 3}},
        /* float_data of 2 elements for dims [3] */
        {"float_data holds 2 elements; its dims need 3", 14,
         {0x08, 0x03, 0x10, 0x01, 0x22, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}},
        /* DOUBLE */
        {"data_type 11 (unsupported)", 4, {0x08, 0x01, 0x10, 0x0b}},
        /* no data_type at all */
        {"data_type 0 (UNDEFINED)", 2, {0x08, 0x01}},
        /* dims, no data */
        {"has dims but no data", 4, {0x08, 0x02, 0x10, 0x01}},
        /* 9 dims */
        {"more than 8 dims", 18, {8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1}},
        /* negative dim */
        {"negative dimension", 13,
         {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x10, 0x01}},
        /* external data */
        {"external file", 6, {0x08, 0x01, 0x10, 0x01, 0x70, 0x01}},
        /* both raw_data and float_data */
        {"more than one", 15, {0x10, 0x01, 0x4a, 0x04, 0, 0, 0, 0, 0x25, 0, 0, 0, 0, 0x08, 0x01}},
        /* a varint of 11 bytes */
        {"malformed varint", 12,
         {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
        /* field number 0 */
        {"invalid field number 0", 2, {0x00, 0x00}},
        /* packed float_data of 5 bytes */
        {"not a whole number of floats", 9, {0x10, 0x01, 0x22, 0x05, 0, 0, 0, 0, 0}},
    };
    struct snnrt_tensor t;
    float f[8];
    char err[512];
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *path = tmp("bad.pb");

        write_bytes(path, bad[i].bytes, bad[i].len);
        err[0] = '\0';
        ck_assert_msg(snnrt_tensor_read(path, &t, f, sizeof f, err, sizeof err) == -1,
                      "case %zu accepted", i);
        ck_assert_err(err, path, bad[i].words);
    }
}
END_TEST

/* Every prefix of a valid file and every one-byte change: no crash, and
 * every prefix is refused. */
START_TEST(test_tensor_read_fuzz)
{
    unsigned char good[400], buf[400];
    size_t n = read_bytes(test_srcpath("tests/data/runtime_fc_membrane_ce_input_0.pb"), good,
                          sizeof good);
    struct snnrt_tensor t;
    struct snnrt_rng r;
    float f[128];
    char err[256];
    size_t i, k;

    ck_assert_uint_eq(n, 332);
    for (i = 0; i < n; i++) {
        write_bytes(tmp("p.pb"), good, i);
        ck_assert_msg(snnrt_tensor_read(tmp("p.pb"), &t, f, sizeof f, err, sizeof err) == -1,
                      "prefix of %zu bytes accepted", i);
        ck_assert(strlen(err) > 0);
    }
    snnrt_rng_seed(&r, 1);
    for (k = 0; k < 300; k++) {
        memcpy(buf, good, n);
        i = snnrt_rng_below(&r, 20); /* the header is where it matters */
        buf[i] = (unsigned char)snnrt_rng_u32(&r);
        write_bytes(tmp("p.pb"), buf, n);
        if (snnrt_tensor_read(tmp("p.pb"), &t, f, sizeof f, err, sizeof err) == 0)
            ck_assert(t.numel * 4 <= sizeof f && t.rank <= SNNRT_MAX_RANK);
    }
    for (k = 0; k < 300; k++) {
        size_t len = snnrt_rng_below(&r, sizeof buf);

        for (i = 0; i < len; i++)
            buf[i] = (unsigned char)snnrt_rng_u32(&r);
        write_bytes(tmp("p.pb"), buf, len);
        if (snnrt_tensor_read(tmp("p.pb"), &t, f, sizeof f, err, sizeof err) == 0)
            ck_assert(t.numel * 4 <= sizeof f);
    }
}
END_TEST

/* ------------------------------------------------------------- models */

static const unsigned char model_head[] = {
    0x08, 0x08,                               /* ir_version 8 */
    0x12, 0x04, 's', 'n', 'n', 'c',           /* producer_name */
    0x42, 0x02, 0x10, 0x0d,                   /* opset_import { version 13 } */
};
static const unsigned char graph_body[] = {
    0x12, 0x01, 'g',                          /* name "g" */
    0x2a, 0x09, 0x08, 0x01, 0x10, 0x07, 0x42, 0x01, 's', 0x38, 0x02, /* frozen int64 init "s" */
    0x6a, 0x00,                               /* field 13 value_info {} */
};

START_TEST(test_model_write_load)
{
    float w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {-1.5f, 0.0f, 1e-20f}, beta = 0.9f;
    float w2[6] = {0}, b2[3] = {0}, beta2 = 0.0f;
    struct snnrt_param params[3] = {
        {"fc.weight", w, 2, {2, 3}, 6},
        {"fc.bias", b, 1, {3}, 3},
        {"lif.beta", &beta, 0, {0}, 1},
    };
    struct snnrt_param back[3] = {
        {"lif.beta", &beta2, 0, {0}, 1},
        {"fc.weight", w2, 2, {2, 3}, 6},
        {"fc.bias", b2, 1, {3}, 3},
    };
    unsigned char bytes[512];
    size_t n;
    char err[512];

    ck_assert_msg(snnrt_model_write(tmp("m.onnx"), model_head, sizeof model_head, graph_body,
                                    sizeof graph_body, params, 3, err, sizeof err) == 0,
                  "%s", err);
    ck_assert(!file_exists(tmp("m.onnx.tmp")));
    n = read_bytes(tmp("m.onnx"), bytes, sizeof bytes);
    /* head, then graph (field 7) whose length covers the rest of the file */
    ck_assert(memcmp(bytes, model_head, sizeof model_head) == 0);
    ck_assert_uint_eq(bytes[sizeof model_head], 0x3a);
    ck_assert_uint_eq(bytes[sizeof model_head + 1], n - sizeof model_head - 2);
    ck_assert(memcmp(bytes + sizeof model_head + 2, graph_body, sizeof graph_body) == 0);
    /* the first initializer: field 5, dims 2 3, FLOAT, name, raw_data */
    ck_assert_uint_eq(bytes[sizeof model_head + 2 + sizeof graph_body], 0x2a);
    ck_assert(memcmp(bytes + sizeof model_head + 2 + sizeof graph_body + 2,
                     "\x08\x02\x08\x03\x10\x01\x42\x09"
                     "fc.weight\x4a\x18",
                     19) == 0);

    ck_assert_msg(snnrt_model_load_params(tmp("m.onnx"), back, 3, err, sizeof err) == 0, "%s",
                  err);
    ck_floats_exact(w2, w, 6, "fc.weight");
    ck_floats_exact(b2, b, 3, "fc.bias");
    ck_assert(beta2 == 0.9f);

    /* a subset is fine; the frozen int64 initializer "s" is skipped */
    ck_assert(snnrt_model_load_params(tmp("m.onnx"), back + 2, 1, err, sizeof err) == 0);
    ck_assert(snnrt_model_load_params(tmp("m.onnx"), NULL, 0, err, sizeof err) == 0);
}
END_TEST

START_TEST(test_model_load_errors)
{
    float w[6] = {0}, x[1] = {0};
    struct snnrt_param params[2] = {
        {"fc.weight", w, 2, {2, 3}, 6},
        {"fc.bias", w, 1, {3}, 3},
    };
    struct snnrt_param missing = {"fc3.weight", x, 1, {1}, 1};
    struct snnrt_param transposed = {"fc.weight", w, 2, {3, 2}, 6};
    struct snnrt_param int64s = {"s", x, 1, {1}, 1};
    struct snnrt_param bad_numel = {"fc.bias", w, 1, {3}, 4};
    const char *m = tmp("m.onnx");
    char err[512];

    ck_assert(snnrt_model_write(m, model_head, sizeof model_head, graph_body, sizeof graph_body,
                                params, 2, err, sizeof err) == 0);
    ck_assert_int_eq(snnrt_model_load_params(m, &missing, 1, err, sizeof err), -1);
    ck_assert_err(err, m, "parameter 'fc3.weight' is not among the initializers of the graph");
    ck_assert_int_eq(snnrt_model_load_params(m, &transposed, 1, err, sizeof err), -1);
    ck_assert_err(err, m, "parameter 'fc.weight' has dims [2,3] in the file; the model expects "
                          "[3,2]");
    ck_assert_int_eq(snnrt_model_load_params(m, &int64s, 1, err, sizeof err), -1);
    ck_assert_err(err, m, "parameter 's' is stored as data_type 7 (INT64); expected FLOAT (1)");
    ck_assert_int_eq(snnrt_model_load_params(m, &bad_numel, 1, err, sizeof err), -1);
    ck_assert_err(err, m, "parameter 'fc.bias' has dims [3] (3 elements) but numel 4");
    ck_assert_int_eq(snnrt_model_load_params(tmp("none.onnx"), params, 1, err, sizeof err), -1);
    ck_assert_err(err, tmp("none.onnx"), "cannot open");
    write_bytes(tmp("empty.onnx"), "", 0);
    ck_assert_int_eq(snnrt_model_load_params(tmp("empty.onnx"), params, 1, err, sizeof err), -1);
    ck_assert_err(err, tmp("empty.onnx"), "no graph");
}
END_TEST

/* A failed save leaves the previous checkpoint whole. */
START_TEST(test_model_write_atomic)
{
    float w[3] = {1, 2, 3}, w2[3] = {0};
    struct snnrt_param good = {"w", w, 1, {3}, 3};
    struct snnrt_param bad = {"w", w, 1, {3}, 5};
    struct snnrt_param back = {"w", w2, 1, {3}, 3};
    static const unsigned char head_with_graph[] = {0x08, 0x08, 0x3a, 0x00};
    const char *m = tmp("ckpt.onnx");
    char err[512];

    ck_assert(snnrt_model_write(m, model_head, sizeof model_head, graph_body, sizeof graph_body,
                                &good, 1, err, sizeof err) == 0);
    ck_assert_int_eq(snnrt_model_write(m, model_head, sizeof model_head, graph_body,
                                       sizeof graph_body, &bad, 1, err, sizeof err),
                     -1);
    ck_assert_err(err, m, "numel 5");
    ck_assert_int_eq(snnrt_model_write(m, head_with_graph, sizeof head_with_graph, graph_body,
                                       sizeof graph_body, &good, 1, err, sizeof err),
                     -1);
    ck_assert_err(err, m, "without a graph");
    ck_assert_int_eq(snnrt_model_write(m, model_head, sizeof model_head - 1, graph_body,
                                       sizeof graph_body, &good, 1, err, sizeof err),
                     -1);
    ck_assert(!file_exists(tmp("ckpt.onnx.tmp")));
    ck_assert_msg(snnrt_model_load_params(m, &back, 1, err, sizeof err) == 0, "%s", err);
    ck_floats_exact(w2, w, 3, "w");
}
END_TEST

/* More parameters than one pass of the loader tracks (512). */
START_TEST(test_model_many_params)
{
    static float data[1200], back[1200];
    static struct snnrt_param params[1200], bparams[1200];
    static char names[1200][16];
    char err[512];
    size_t k;

    for (k = 0; k < 1200; k++) {
        snprintf(names[k], sizeof names[k], "p%zu", k);
        data[k] = (float)k * 0.5f;
        params[k].name = names[k];
        params[k].data = &data[k];
        params[k].rank = 1;
        params[k].dims[0] = 1;
        params[k].numel = 1;
        bparams[1199 - k] = params[k];
        bparams[1199 - k].data = &back[k];
    }
    ck_assert_msg(snnrt_model_write(tmp("big.onnx"), model_head, sizeof model_head, graph_body,
                                    sizeof graph_body, params, 1200, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_msg(snnrt_model_load_params(tmp("big.onnx"), bparams, 1200, err, sizeof err) == 0,
                  "%s", err);
    ck_floats_exact(back, data, 1200, "params");
    /* the last chunk is missing one */
    ck_assert_int_eq(snnrt_model_load_params(tmp("big.onnx"), params, 1199, err, sizeof err), 0);
    params[1100].name = "p1";
    ck_assert_int_eq(snnrt_model_write(tmp("dup.onnx"), model_head, sizeof model_head, graph_body,
                                       sizeof graph_body, params, 1200, err, sizeof err),
                     0);
    ck_assert_int_eq(snnrt_model_load_params(tmp("dup.onnx"), bparams, 1200, err, sizeof err),
                     -1);
    ck_assert_err(err, tmp("dup.onnx"), "parameter 'p1100' is not among the initializers");
    ck_assert_int_eq(snnrt_model_load_params(tmp("dup.onnx"), params, 2, err, sizeof err), -1);
    ck_assert_err(err, tmp("dup.onnx"), "parameter 'p1' appears twice among the initializers");
}
END_TEST

START_TEST(test_model_load_golden)
{
    static float fc1_w[32 * 20], fc1_b[32], fc2_w[6 * 32], fc2_b[6];
    static float conv_w[36], conv_b[4], lin_w[500];
    struct snnrt_param fc[4] = {
        {"fc2.bias", fc2_b, 1, {6}, 6},
        {"fc1.weight", fc1_w, 2, {32, 20}, 640},
        {"fc2.weight", fc2_w, 2, {6, 32}, 192},
        {"fc1.bias", fc1_b, 1, {32}, 32},
    };
    struct snnrt_param conv[3] = {
        {"conv1.weight", conv_w, 4, {4, 1, 3, 3}, 36},
        {"conv1.bias", conv_b, 1, {4}, 4},
        {"fc1.weight", lin_w, 2, {5, 100}, 500},
    };
    struct snnrt_param wrong = {"fc1.weight", fc1_w, 2, {20, 32}, 640};
    const char *path = test_srcpath("tests/data/runtime_fc_membrane_ce.onnx");
    char err[512];

    ck_assert_msg(snnrt_model_load_params(path, fc, 4, err, sizeof err) == 0, "%s", err);
    ck_assert(fc1_w[0] == -0x1.c5dc64p-3f && fc1_w[639] == 0x1.2c53bap-5f);
    ck_assert(fc1_b[0] == -0x1.b01510p-4f && fc1_b[31] == -0x1.2de6f6p-2f);
    ck_assert(fc2_w[0] == -0x1.601cf4p-5f && fc2_w[191] == -0x1.1a2482p-1f);
    ck_assert(fc2_b[0] == 0x1.12659cp-1f && fc2_b[5] == -0x1.bf376ap-2f);
    ck_assert_int_eq(snnrt_model_load_params(path, &wrong, 1, err, sizeof err), -1);
    ck_assert_err(err, path, "parameter 'fc1.weight' has dims [32,20] in the file; the model "
                             "expects [20,32]");

    path = test_srcpath("tests/data/runtime_conv_small.onnx");
    ck_assert_msg(snnrt_model_load_params(path, conv, 3, err, sizeof err) == 0, "%s", err);
    ck_assert(conv_w[0] == 0x1.fa4af6p-3f && conv_w[35] == 0x1.efd652p-7f);
    ck_assert(conv_b[0] == -0x1.de8d8ep-4f && conv_b[3] == 0x1.24199ap-9f);
    ck_assert(lin_w[0] == 0x1.55a4aep-3f && lin_w[499] == -0x1.d60746p-3f);
}
END_TEST

/* A prefix of a real model is refused, unless it holds the whole graph
 * (the fields after it are optional): never half-loaded. Random byte changes
 * never crash the loader. */
START_TEST(test_model_load_fuzz)
{
    static unsigned char good[8192], buf[8192];
    static float w[640];
    struct snnrt_param p = {"fc1.weight", w, 2, {32, 20}, 640};
    size_t n = read_bytes(test_srcpath("tests/data/runtime_fc_membrane_ce.onnx"), good,
                          sizeof good);
    struct snnrt_rng r;
    char err[512];
    size_t i, k;

    size_t refused = 0;

    ck_assert_uint_eq(n, 4373);
    for (i = 0; i < n; i += 3) {
        memset(w, 0, sizeof w);
        write_bytes(tmp("p.onnx"), good, i);
        if (snnrt_model_load_params(tmp("p.onnx"), &p, 1, err, sizeof err) == 0) {
            ck_assert_msg(w[0] == -0x1.c5dc64p-3f && w[639] == 0x1.2c53bap-5f,
                          "prefix of %zu bytes half-loaded", i);
        } else {
            ck_assert(strncmp(err, tmp("p.onnx"), strlen(tmp("p.onnx"))) == 0);
            refused++;
        }
    }
    ck_assert_uint_gt(refused, 4000 / 3);
    snnrt_rng_seed(&r, 77);
    for (k = 0; k < 400; k++) {
        memcpy(buf, good, n);
        for (i = 0; i < 3; i++)
            buf[snnrt_rng_below(&r, (uint32_t)n)] = (unsigned char)snnrt_rng_u32(&r);
        write_bytes(tmp("p.onnx"), buf, n);
        snnrt_model_load_params(tmp("p.onnx"), &p, 1, err, sizeof err);
    }
}
END_TEST

/* -------------------------------------------------------------- data */

#define IMG_ROWS 4
#define IMG_COLS 3
#define IMG_BYTES (IMG_ROWS * IMG_COLS)
#define IMG_COUNT 5

static void be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* An IDX image file of count images (rows x cols) and its label file. */
static size_t make_idx_images(unsigned char *buf, uint32_t magic, uint32_t count, uint32_t rows,
                              uint32_t cols, size_t data_bytes)
{
    size_t i;

    be32_put(buf, magic);
    be32_put(buf + 4, count);
    be32_put(buf + 8, rows);
    be32_put(buf + 12, cols);
    for (i = 0; i < data_bytes; i++)
        buf[16 + i] = (unsigned char)(i * 7 + 1);
    return 16 + data_bytes;
}

static size_t make_idx_labels(unsigned char *buf, uint32_t count, const unsigned char *labels)
{
    be32_put(buf, 0x00000801);
    be32_put(buf + 4, count);
    memcpy(buf + 8, labels, count);
    return 8 + count;
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile g = gzopen(path, "wb");

    ck_assert(g != NULL);
    ck_assert_int_eq(gzwrite(g, data, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

static const unsigned char idx_labels5[IMG_COUNT] = {3, 0, 9, 1, 4};

START_TEST(test_idx_load_raw_and_gzip)
{
    unsigned char im[256], lb[64];
    size_t ni = make_idx_images(im, 0x00000803, IMG_COUNT, IMG_ROWS, IMG_COLS,
                                IMG_COUNT * IMG_BYTES);
    size_t nl = make_idx_labels(lb, IMG_COUNT, idx_labels5);
    uint8_t images[8 * IMG_BYTES], labels[8];
    size_t count = 99;
    char err[512];
    int gz;

    write_bytes(tmp("img"), im, ni);
    write_bytes(tmp("lbl"), lb, nl);
    write_gz(tmp("img.gz"), im, ni);
    write_gz(tmp("lbl.gz"), lb, nl);
    for (gz = 0; gz < 2; gz++) {
        memset(images, 0, sizeof images);
        memset(labels, 0xee, sizeof labels);
        ck_assert_msg(snnrt_idx_load(tmp(gz ? "img.gz" : "img"), tmp(gz ? "lbl.gz" : "lbl"),
                                     images, labels, 8, IMG_BYTES, 10, &count, err,
                                     sizeof err) == 0,
                      "%s", err);
        ck_assert_uint_eq(count, IMG_COUNT);
        ck_assert(memcmp(images, im + 16, IMG_COUNT * IMG_BYTES) == 0);
        ck_assert(memcmp(labels, idx_labels5, IMG_COUNT) == 0);
        ck_assert_uint_eq(labels[IMG_COUNT], 0xee);
    }
    /* exactly at capacity */
    ck_assert(snnrt_idx_load(tmp("img.gz"), tmp("lbl"), images, labels, IMG_COUNT, IMG_BYTES, 10,
                             &count, err, sizeof err) == 0);
}
END_TEST

START_TEST(test_idx_load_errors)
{
    unsigned char im[256], lb[64], bad_lb[IMG_COUNT] = {3, 0, 12, 1, 4};
    uint8_t images[8 * IMG_BYTES], labels[8];
    size_t ni, nl, count;
    char err[512];
    const char *I = tmp("img"), *L = tmp("lbl");
    const char *gzI = tmp("img.gz");

    ni = make_idx_images(im, 0x00000803, IMG_COUNT, IMG_ROWS, IMG_COLS, IMG_COUNT * IMG_BYTES);
    nl = make_idx_labels(lb, IMG_COUNT, idx_labels5);
    write_bytes(L, lb, nl);

    /* wrong magic */
    be32_put(im, 0x00000804);
    write_bytes(I, im, ni);
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, I, "not an IDX image file: magic number 0x00000804, expected 0x00000803");
    /* labels given for images */
    ck_assert_int_eq(snnrt_idx_load(L, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, L, "is an IDX label file; expected the image file");
    be32_put(im, 0x00000803);

    /* truncated image data, raw and gzip */
    write_bytes(I, im, ni - 5);
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, I, "truncated: expected 60 bytes of image data, found 55");
    write_gz(gzI, im, ni - 5);
    ck_assert_int_eq(snnrt_idx_load(gzI, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, gzI, "truncated: expected 60 bytes of image data, found 55");
    /* a gzip stream cut short */
    {
        unsigned char z[512];
        size_t nz;

        write_gz(gzI, im, ni);
        nz = read_bytes(gzI, z, sizeof z);
        write_bytes(gzI, z, nz - 12);
        ck_assert_int_eq(snnrt_idx_load(gzI, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                        sizeof err),
                         -1);
        ck_assert_err(err, gzI, "truncated");
    }
    /* trailing data */
    im[ni] = 0;
    write_bytes(I, im, ni + 1);
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, I, "trailing data after the 5 images");
    /* a header cut short */
    write_bytes(I, im, 10);
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, I, "truncated: the IDX header needs 16 bytes, found 10");

    write_bytes(I, im, ni);
    /* wrong image size */
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 8, 16, 10, &count, err, sizeof err),
                     -1);
    ck_assert_err(err, I, "images are 4x3 = 12 bytes; the model's input needs 16");
    /* label out of range */
    write_bytes(L, lb, make_idx_labels(lb, IMG_COUNT, bad_lb));
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, L, "label 12 at index 2 is out of range for 10 classes");
    /* count mismatch */
    write_bytes(L, lb, make_idx_labels(lb, IMG_COUNT - 1, idx_labels5));
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, I, "holds 5 images but");
    ck_assert(strstr(err, "holds 4 labels") != NULL);
    /* over capacity */
    write_bytes(L, lb, make_idx_labels(lb, IMG_COUNT, idx_labels5));
    ck_assert_int_eq(snnrt_idx_load(I, L, images, labels, 3, IMG_BYTES, 10, &count, err,
                                    sizeof err),
                     -1);
    ck_assert_err(err, I, "holds 5 images; this trainer was compiled for at most 3 "
                          "(snnc emit --max-samples)");
    /* missing file */
    ck_assert_int_eq(snnrt_idx_load(I, tmp("nolabels"), images, labels, 8, IMG_BYTES, 10, &count,
                                    err, sizeof err),
                     -1);
    ck_assert_err(err, tmp("nolabels"), "cannot open");
    /* and after all that, the good pair still loads */
    ck_assert_msg(snnrt_idx_load(I, L, images, labels, 8, IMG_BYTES, 10, &count, err,
                                 sizeof err) == 0,
                  "%s", err);
    ck_assert_uint_eq(count, IMG_COUNT);
}
END_TEST

static size_t make_cifar(unsigned char *buf, int records, int first)
{
    int r, i;

    for (r = 0; r < records; r++) {
        unsigned char *rec = buf + (size_t)r * SNNRT_CIFAR_RECORD_BYTES;

        rec[0] = (unsigned char)((first + r) % 10);
        for (i = 0; i < SNNRT_CIFAR_IMAGE_BYTES; i++)
            rec[1 + i] = (unsigned char)(i / 1024 * 100 + (first + r)); /* plane R, G, B */
    }
    return (size_t)records * SNNRT_CIFAR_RECORD_BYTES;
}

START_TEST(test_cifar_load)
{
    static unsigned char buf[6 * SNNRT_CIFAR_RECORD_BYTES];
    static uint8_t images[8 * SNNRT_CIFAR_IMAGE_BYTES];
    uint8_t labels[8];
    const char *paths[2];
    size_t count, n;
    char err[512];
    int k;

    paths[0] = tmp("data_batch_1.bin");
    paths[1] = tmp("data_batch_2.bin");
    write_bytes(paths[0], buf, make_cifar(buf, 2, 0));
    write_bytes(paths[1], buf, make_cifar(buf, 3, 2));
    ck_assert_msg(snnrt_cifar_load(paths, 2, images, labels, 8, 10, &count, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_uint_eq(count, 5);
    for (k = 0; k < 5; k++) {
        const uint8_t *im = images + (size_t)k * SNNRT_CIFAR_IMAGE_BYTES;

        ck_assert_uint_eq(labels[k], k);
        ck_assert_uint_eq(im[0], k);          /* R plane */
        ck_assert_uint_eq(im[1024], 100 + k); /* G plane */
        ck_assert_uint_eq(im[3071], 200 + k); /* B plane, last pixel */
    }
    /* exactly at capacity, then one over */
    ck_assert(snnrt_cifar_load(paths, 2, images, labels, 5, 10, &count, err, sizeof err) == 0);
    ck_assert_int_eq(snnrt_cifar_load(paths, 2, images, labels, 4, 10, &count, err, sizeof err),
                     -1);
    ck_assert_err(err, paths[0], "and the other 1 files hold 5 images; this trainer was "
                                 "compiled for at most 4 (snnc emit --max-samples)");
    /* a size that is not whole records */
    n = make_cifar(buf, 2, 0);
    write_bytes(paths[1], buf, n + 5);
    ck_assert_int_eq(snnrt_cifar_load(paths, 2, images, labels, 8, 10, &count, err, sizeof err),
                     -1);
    ck_assert_err(err, paths[1], "size 6151 bytes is not a multiple of 3073");
    /* a label out of range */
    buf[SNNRT_CIFAR_RECORD_BYTES] = 10;
    write_bytes(paths[1], buf, n);
    ck_assert_int_eq(snnrt_cifar_load(paths, 2, images, labels, 8, 10, &count, err, sizeof err),
                     -1);
    ck_assert_err(err, paths[1], "label 10 at record 1 is out of range for 10 classes");
    /* empty and missing files */
    write_bytes(paths[1], buf, 0);
    ck_assert_int_eq(snnrt_cifar_load(paths, 2, images, labels, 8, 10, &count, err, sizeof err),
                     -1);
    ck_assert_err(err, paths[1], "is empty");
    paths[1] = tmp("nope.bin");
    ck_assert_int_eq(snnrt_cifar_load(paths, 2, images, labels, 8, 10, &count, err, sizeof err),
                     -1);
    ck_assert_err(err, paths[1], "cannot open");
}
END_TEST

/* ----------------------------------------------------------- progress */

START_TEST(test_progress_format)
{
    struct snnrt_progress p;
    char line[256];
    size_t n;

    memset(&p, 0, sizeof p);
    p.label = "epoch 1/3";
    p.total = 1000;
    p.t0 = 10.0;
    n = snnrt_progress_format(&p, 500, 0.25, 11.0, line, sizeof line);
    ck_assert_str_eq(line, "epoch 1/3 [##########..........] 500/1000 500/s loss 0.2500 ETA 0:01");
    ck_assert_uint_eq(n, strlen(line));
    snnrt_progress_format(&p, 0, 2.5, 10.0, line, sizeof line);
    ck_assert_str_eq(line, "epoch 1/3 [....................] 0/1000 --/s loss 2.5000 ETA --");
    p.total = 3600000;
    snnrt_progress_format(&p, 1000, 0.5, 11.0, line, sizeof line);
    ck_assert(strstr(line, "1000/s") && strstr(line, "ETA 59:59"));
    p.t0 = 0.0;
    p.total = 36099;
    snnrt_progress_format(&p, 100, 0.5, 100.0, line, sizeof line);
    ck_assert(strstr(line, "ETA 9:59:59") != NULL);
    n = snnrt_progress_format(&p, 100, 0.5, 100.0, line, 10);
    ck_assert_uint_eq(n, 9);
    ck_assert_uint_eq(strlen(line), 9);
}
END_TEST

/* Runs start/update/end with stderr sent to a file; returns what came. */
static size_t progress_capture(int force, char *out, size_t cap)
{
    struct snnrt_progress p;
    int saved = dup(2);
    int fd = open(tmp("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t i, n;

    ck_assert(saved >= 0 && fd >= 0);
    fflush(stderr);
    ck_assert_int_eq(dup2(fd, 2), 2);
    snnrt_progress_start(&p, "train", 100);
    if (force)
        p.enabled = 1;
    for (i = 1; i <= 100; i++)
        snnrt_progress_update(&p, i, 1.0 / (double)i);
    snnrt_progress_end(&p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    n = read_bytes(tmp("stderr"), out, cap - 1);
    out[n] = '\0';
    return n;
}

START_TEST(test_progress_output)
{
    char out[4096];

    /* not a terminal: nothing at all */
    ck_assert_uint_eq(progress_capture(0, out, sizeof out), 0);
    /* forced on: the first draw, the final one (the rest are within 0.1 s),
     * then the line is cleared */
    progress_capture(1, out, sizeof out);
    ck_assert_msg(strncmp(out, "\rtrain [", 8) == 0, "got \"%s\"", out);
    ck_assert(strstr(out, "100/100") != NULL);
    ck_assert(strstr(out, "loss 0.0100") != NULL);
    ck_assert(strcmp(out + strlen(out) - 4, "\r\033[K") == 0);
    ck_assert_msg(strstr(out, "50/100") == NULL, "redrawn too often: \"%s\"", out);
}
END_TEST

/* rt_cli.c: the emitted programs' long options, counts and dataset paths. */
START_TEST(test_cli_options)
{
    static const struct snnrt_option opts[] = {{"epochs", 1}, {"eval", 0}, {"lr", 1}, {"lr-schedule", 1},
                                               {"help", 0}};
    char *argv[] = {"prog", "--epochs=3", "--lr", "0.5", "--lr-s", "cosine", "-h", "--eval", "--ep", "7"};
    const int argc = (int)(sizeof argv / sizeof argv[0]);
    const int want[] = {0, 2, 3, 4, 1, 0};
    const char *want_v[] = {"3", "0.5", "cosine", "", "", "7"};
    int k = 0;
    for (int i = 1; i < argc; i++, k++) {
        const char *v = NULL;
        ck_assert_int_eq(snnrt_option_next("prog", argc, argv, &i, opts, 5, &v), want[k]);
        ck_assert_str_eq(v, want_v[k]);
    }
    ck_assert_int_eq(k, 6);
    /* each refusal: -1 (the message goes to stderr) */
    char *bad[][2] = {{"prog", "--e"},        /* ambiguous: epochs, eval */
                      {"prog", "--nope"},     /* unknown */
                      {"prog", "--lr"},       /* missing its value */
                      {"prog", "--eval=1"},   /* takes none */
                      {"prog", "epochs"}};    /* not an option */
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        int i = 1;
        const char *v;
        ck_assert_int_eq(snnrt_option_next("prog", 2, bad[b], &i, opts, 5, &v), -1);
    }
    long n = 0;
    ck_assert_int_eq(snnrt_count_arg("prog", "epochs", "12", 1, &n), 0);
    ck_assert_int_eq(n, 12);
    ck_assert_int_eq(snnrt_count_arg("prog", "epochs", "0", 1, &n), 2);
    ck_assert_int_eq(snnrt_count_arg("prog", "epochs", "3x", 1, &n), 2);
    ck_assert_int_eq(snnrt_count_arg("prog", "epochs", "99999999999999999999", 1, &n), 2);
    ck_assert_int_eq(n, 12);
}
END_TEST

START_TEST(test_cli_paths)
{
    char buf[64], big[5000];
    /* a raw file is taken as it is; a missing one becomes .gz for its reader to name */
    write_bytes(tmp("raw-idx"), "x", 1);
    ck_assert_ptr_eq(snnrt_idx_path("prog", buf, sizeof buf, tmpdir, "raw-idx"), buf);
    ck_assert(strstr(buf, "/raw-idx") && !strstr(buf, ".gz"));
    ck_assert_ptr_eq(snnrt_idx_path("prog", buf, sizeof buf, tmpdir, "other"), buf);
    ck_assert(strstr(buf, "/other.gz") != NULL);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ck_assert_ptr_null(snnrt_idx_path("prog", buf, sizeof buf, big, "x"));
    ck_assert_int_eq(snnrt_path_cat("prog", buf, sizeof buf, "ab", "cd"), 0);
    ck_assert_str_eq(buf, "abcd");
    ck_assert_int_eq(snnrt_path_cat("prog", buf, 4, "ab", "cd"), 1);
    /* comma-separated file lists: empty names skipped, limits refused */
    char store[3][8];
    const char *files[3];
    ck_assert_int_eq(snnrt_split_list("prog", "a.bin,,bb.bin,", store[0], 8, 3, files), 2);
    ck_assert_str_eq(files[0], "a.bin");
    ck_assert_str_eq(files[1], "bb.bin");
    ck_assert_int_eq(snnrt_split_list("prog", "", store[0], 8, 3, files), 0);
    ck_assert_int_eq(snnrt_split_list("prog", "a,b,c,d", store[0], 8, 3, files), -1);
    ck_assert_int_eq(snnrt_split_list("prog", "name-too-long", store[0], 8, 3, files), -1);
}
END_TEST

START_TEST(test_clock_and_rss)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    double t0 = snnrt_now(), t1;

    nanosleep(&ts, NULL);
    t1 = snnrt_now();
    ck_assert(t1 - t0 >= 0.015 && t1 - t0 < 5.0);
    ck_assert_int_gt(snnrt_peak_rss_kb(), 100);
}
END_TEST

Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *prng = tcase_create("prng");
    TCase *optim = tcase_create("optim");
    TCase *tio = tcase_create("tensor_io");
    TCase *data = tcase_create("data");
    TCase *prog = tcase_create("progress");

    tcase_add_test(prng, test_rng_known_sequence);
    tcase_add_test(prng, test_rng_reseed_repeats);
    tcase_add_test(prng, test_rng_uniform);
    tcase_add_test(prng, test_rng_below);
    tcase_add_test(prng, test_rng_uniform_range);
    tcase_add_test(prng, test_rng_bernoulli);
    tcase_add_test(prng, test_rng_normal);
    tcase_add_test(prng, test_shuffle);
    suite_add_tcase(s, prng);

    tcase_add_test(optim, test_adam_matches_torch);
    tcase_add_test(optim, test_adam_against_double);
    tcase_add_test(optim, test_adam_by_hand);
    tcase_add_test(optim, test_sgd_matches_torch);
    tcase_add_test(optim, test_sgd_by_hand);
    tcase_add_test(optim, test_check_finite);
    suite_add_tcase(s, optim);

    tcase_add_checked_fixture(tio, tmp_setup, tmp_teardown);
    tcase_add_test(tio, test_tensor_read_golden);
    tcase_add_test(tio, test_tensor_read_small_buffer);
    tcase_add_test(tio, test_tensor_write_read);
    tcase_add_test(tio, test_tensor_read_variants);
    tcase_add_test(tio, test_tensor_read_corrupt);
    tcase_add_test(tio, test_tensor_read_fuzz);
    tcase_add_test(tio, test_model_write_load);
    tcase_add_test(tio, test_model_load_errors);
    tcase_add_test(tio, test_model_write_atomic);
    tcase_add_test(tio, test_model_many_params);
    tcase_add_test(tio, test_model_load_golden);
    tcase_add_test(tio, test_model_load_fuzz);
    tcase_set_timeout(tio, 120);
    suite_add_tcase(s, tio);

    tcase_add_checked_fixture(data, tmp_setup, tmp_teardown);
    tcase_add_test(data, test_idx_load_raw_and_gzip);
    tcase_add_test(data, test_idx_load_errors);
    tcase_add_test(data, test_cifar_load);
    suite_add_tcase(s, data);

    tcase_add_checked_fixture(prog, tmp_setup, tmp_teardown);
    tcase_add_test(prog, test_progress_format);
    tcase_add_test(prog, test_progress_output);
    tcase_add_test(prog, test_clock_and_rss);
    tcase_add_test(prog, test_cli_options);
    tcase_add_test(prog, test_cli_paths);
    suite_add_tcase(s, prog);
    return s;
}
