m4_dnl mcu_float.m4 - float kernels of the microcontroller back end (hardware FPU).
m4_dnl
m4_dnl Each computes what the host kernels of dense.m4 and neuron.m4 compute,
m4_dnl in the same order of operations, so that with -ffp-contract=off the
m4_dnl results match a sequential host build bit for bit: zero inputs are
m4_dnl skipped (adding 0 * w changes no sum), spikes add their row.
m4_dnl Weights are stored [in][out], so that one input adds a contiguous row.
m4_dnl
m4_dnl SNN_MCU_F_DENSE(fn, K, O, alpha, beta, in_t, value): y = alpha W x + beta bias
m4_dnl for a static input x[K] of type in_t, value the C expression of x[k] as
m4_dnl the model sees it (uint8 pixels: (float)x[k] / 255.0f, what the host
m4_dnl programs compute); alpha and beta are C prefixes, empty for 1.
m4_define(<<<SNN_MCU_F_DENSE>>>, <<<
static void $1(const $6 *restrict x, const float *restrict w, const float *restrict bias,
    float *restrict y)
{
    for (int o = 0; o < $3; o++)
        y[o] = 0.0f;
    for (int k = 0; k < $2; k++) {
        if (x[k] == 0)
            continue;
        const float xk = $7;
        const float *restrict wk = w + k * $3;
        for (int o = 0; o < $3; o++)
            y[o] += xk * wk[o];
    }
    for (int o = 0; o < $3; o++)
        y[o] = $4y[o] + $5bias[o];
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_F_DENSE_EVENTS(fn, O, alpha, beta, idx_t): the same for spikes
m4_dnl given as a list.
m4_define(<<<SNN_MCU_F_DENSE_EVENTS>>>, <<<
static void $1(const $5 *restrict spk, int n, const float *restrict w,
    const float *restrict bias, float *restrict y)
{
    for (int o = 0; o < $2; o++)
        y[o] = 0.0f;
    for (int i = 0; i < n; i++) {
        const float *restrict wj = w + spk[i] * $2;
        for (int o = 0; o < $2; o++)
            y[o] += wj[o];
    }
    for (int o = 0; o < $2; o++)
        y[o] = $3y[o] + $4bias[o];
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_F_LEAKY(fn, M, reset, bidx, tidx, idx_t): as SNN_LEAKY_FORWARD,
m4_dnl on one sample, giving a spike list; beta comes clamped to [0, 1].
m4_define(<<<SNN_MCU_F_LEAKY>>>, <<<
static int $1(const float *restrict in, float *restrict u, $6 *restrict spk,
    const float *restrict beta, const float *restrict thr)
{
    int n = 0;
    for (int j = 0; j < $2; j++) {
        const float b = beta[$4];
        const float th = thr[$5];
        const float prev = u[j];
m4_ifelse(<<<$3>>>, <<<0>>>, <<<m4_dnl
        const float r = prev - th > 0.0f ? 1.0f : 0.0f;
        const float v = (b * prev + in[j]) - r * th;
>>>, <<<$3>>>, <<<1>>>, <<<m4_dnl
        const float r = prev - th > 0.0f ? 1.0f : 0.0f;
        const float v = b * ((1.0f - r) * prev) + in[j];
>>>, <<<m4_dnl
        const float v = b * prev + in[j];
>>>)m4_dnl
        u[j] = v;
        if (v - th > 0.0f)
            spk[n++] = ($6)j;
    }
    return n;
}
>>>)m4_dnl
