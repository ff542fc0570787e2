m4_dnl encode.m4 - RateEncode and LatencyEncode (SPEC section 5).
m4_dnl
m4_dnl SNN_RATE_STEP(fn, numel, gain): spk ~ Bernoulli(clamp(gain x, 0, 1)).
m4_define(<<<SNN_RATE_STEP>>>, <<<
static void $1(const float *restrict x, float *restrict spk, struct snnrt_rng *rng)
{
    for (int i = 0; i < $2; i++) {
        const float p = snn_clamp01($3 * x[i]);
        spk[i] = snnrt_rng_uniform(rng) < p ? 1.0f : 0.0f;
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_LATENCY_INIT(fn, numel, T, linear, normalize, clip, tau, thr, fst, thr+eps, neg_tau, cap)
m4_dnl   Computes each element's spike step k (-1: none) once per sample, with
m4_dnl   snnTorch's float32 operations; neg_tau = -tau' and cap = -tau' (thr - 1)
m4_dnl   are the constants snnTorch forms in double and casts.
m4_define(<<<SNN_LATENCY_INIT>>>, <<<
static int $1(const float *restrict x, float *restrict k)
{
    for (int i = 0; i < $2; i++)
        if (!(x[i] >= 0.0f && x[i] <= 1.0f))
            return snn_fail("$1: input element %d is %g, outside [0, 1]", i, (double)x[i]);
SNN_IF($4, <<<m4_dnl
    for (int i = 0; i < $2; i++) {
        float s = $11 * (x[i] - 1.0f);
        if (s > $12)
            s = $12;
        k[i] = s + $9;
    }
>>>, <<<m4_dnl
    float smax = 0.0f;
    for (int i = 0; i < $2; i++) {
        const float d = x[i] > $10 ? x[i] : $10;
        float s = $7 * logf(d / (d - $8)) + $9;
        k[i] = s;
        if (i == 0 || s - $9 > smax)
            smax = s - $9;
    }
SNN_IF($5, <<<m4_dnl
    for (int i = 0; i < $2; i++)
        k[i] = (k[i] - $9) * (float)($3 - $9 - 1.0f) / smax + $9;
>>>)m4_dnl
>>>)m4_dnl
    float top = k[0];
    for (int i = 1; i < $2; i++)
        if (k[i] > top)
            top = k[i];
    if (nearbyintf(top) > (float)($3 - 1))
        return snn_fail("$1: the latest spike time %g is past the last step %d "
                        "(lower tau or set normalize)", (double)nearbyintf(top), $3 - 1);
    for (int i = 0; i < $2; i++) {
        const float s = k[i];
        int step = (int)nearbyintf(s < (float)($3 - 1) ? s : (float)($3 - 1));
        if (nearbyintf(s) > (float)($3 - 1))
            step = -1;
SNN_IF($6, <<<m4_dnl
        if (x[i] < $8)
            step = -1;
>>>)m4_dnl
        k[i] = (float)step;
    }
    return 0;
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_LATENCY_STEP(fn, numel)
m4_define(<<<SNN_LATENCY_STEP>>>, <<<
static void $1(int t, const float *restrict k, float *restrict spk)
{
    for (int i = 0; i < $2; i++)
        spk[i] = k[i] == (float)t ? 1.0f : 0.0f;
}
>>>)m4_dnl
