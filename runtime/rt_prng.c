/* rt_prng.c - the seeded random numbers of training and of the encoders.
 *
 * Takes: a 64-bit seed (SPEC §1 snn.seed).
 * Gives: xoshiro128** (Blackman and Vigna) seeded by splitmix64, unbiased
 * bounded integers (Lemire), uniform floats with 24 random bits, Bernoulli
 * draws (SPEC §5 RateEncode), normal draws and a Fisher-Yates shuffle.
 * Afterwards: the same seed gives the same sequence on every platform. Only
 * integer arithmetic and IEEE +, -, *, / are used (no libm, no libc), and
 * no multiply may be fused with an add on one target and not on another:
 * contraction is switched off for this file, and where a fusable product is
 * not exact it goes through a volatile (clang -ffp-contract=fast ignores the
 * pragma). It needs FLT_EVAL_METHOD 0 (any SSE2, ARM or RISC-V target) and
 * no -ffast-math.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "snnrt.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint32_t rotl(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

void snnrt_rng_seed(struct snnrt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    uint64_t a = splitmix64(&x);
    uint64_t b = splitmix64(&x);
    r->s[0] = (uint32_t)a;
    r->s[1] = (uint32_t)(a >> 32);
    r->s[2] = (uint32_t)b;
    r->s[3] = (uint32_t)(b >> 32);
    /* All-zero is the one state xoshiro never leaves; splitmix64 cannot
     * produce it from two consecutive outputs, but stay safe. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1;
}

uint32_t snnrt_rng_u32(struct snnrt_rng *r)
{
    uint32_t *s = r->s;
    uint32_t result = rotl(s[1] * 5, 7) * 9;
    uint32_t t = s[1] << 9;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
}

/* Lemire, "Fast random integer generation in an interval" (2019). */
uint32_t snnrt_rng_below(struct snnrt_rng *r, uint32_t n)
{
    uint64_t m;
    uint32_t l;

    if (n == 0)
        return 0;
    m = (uint64_t)snnrt_rng_u32(r) * n;
    l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(UINT32_C(0) - n) % n;
        while (l < t) {
            m = (uint64_t)snnrt_rng_u32(r) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float snnrt_rng_uniform(struct snnrt_rng *r)
{
    /* k / 2^24 with k < 2^24: exact in float. */
    return (float)(snnrt_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

/* The largest float below x (x finite). */
static float float_below(float x)
{
    union {
        float f;
        uint32_t u;
    } b;

    b.f = x;
    if (x > 0.0f)
        b.u -= 1;
    else if (x < 0.0f)
        b.u += 1;
    else
        b.u = UINT32_C(0x80000001); /* -smallest subnormal */
    return b.f;
}

float snnrt_rng_uniform_range(struct snnrt_rng *r, float lo, float hi)
{
    float u = snnrt_rng_uniform(r);
    float d;
    float x;

    if (!(hi > lo))
        return lo;
    d = hi - lo;
    /* d * u has 48 significant bits: exact in double, so one rounding of
     * the sum, whether or not a target fuses it. */
    x = (float)((double)lo + (double)d * (double)u);
    if (x >= hi)
        x = float_below(hi);
    if (x < lo)
        x = lo;
    return x;
}

int snnrt_rng_bernoulli(struct snnrt_rng *r, float p)
{
    /* Always one draw, so that the stream does not depend on p. */
    return snnrt_rng_uniform(r) < p;
}

/* ln(x) for 0 < x < 1 with plain arithmetic: x = m 2^e with m in
 * [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m - 1) / (m + 1)) by its series. */
static double log_unit(double x)
{
    static const double ln2 = 0.69314718055994530942;
    double m = x;
    double t, t2, p;
    volatile double hi, lo;
    int e = 0;
    int k;

    while (m < 0.70710678118654752440) {
        m *= 2.0;
        e--;
    }
    t = (m - 1.0) / (m + 1.0);
    t2 = t * t;
    p = 0.0;
    for (k = 23; k >= 3; k -= 2)
        p = (p + 1.0 / k) * t2;
    hi = 2.0 * t * (1.0 + p);
    lo = e * ln2;
    return hi + lo;
}

/* sqrt(a) for a > 0 by Newton's method after scaling into [1/4, 1). */
static double sqrt_pos(double a)
{
    double x = a;
    double y;
    int k = 0;
    int i;

    while (x >= 1.0) {
        x *= 0.25;
        k++;
    }
    while (x < 0.25) {
        x *= 4.0;
        k--;
    }
    y = 0.5 + 0.5 * x;
    for (i = 0; i < 6; i++)
        y = 0.5 * (y + x / y);
    for (; k > 0; k--)
        y *= 2.0;
    for (; k < 0; k++)
        y *= 0.5;
    return y;
}

float snnrt_rng_normal(struct snnrt_rng *r)
{
    for (;;) {
        double u = 2.0 * snnrt_rng_uniform(r) - 1.0;
        double v = 2.0 * snnrt_rng_uniform(r) - 1.0;
        double s = u * u + v * v; /* both squares exact */

        if (s < 1.0 && s > 0.0)
            return (float)(u * sqrt_pos(-2.0 * log_unit(s) / s));
    }
}

void snnrt_shuffle_u32(struct snnrt_rng *r, uint32_t *idx, size_t n)
{
    size_t i;

    for (i = n; i > 1; i--) {
        uint32_t j = snnrt_rng_below(r, (uint32_t)i);
        uint32_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}
