m4_dnl neuron.m4 - Leaky, Synaptic and MultiStrengthLeaky, forward and backward
m4_dnl (SPEC section 4). r[t] = H(U[t-1] - thr) is detached; spikes are strict
m4_dnl H(U - thr); backward replaces dspk/dU by the surrogate SG, an expression in x.
m4_dnl
m4_dnl SNN_LEAKY_FORWARD(fn, N, M, reset, bidx, tidx)
m4_dnl   M neurons per sample; reset 0 subtract, 1 zero, 2 none; bidx/tidx index
m4_dnl   beta/threshold: 0 for one value, j for one per neuron.
m4_define(<<<SNN_LEAKY_FORWARD>>>, <<<
static void $1(const float *restrict in, float *restrict u, float *restrict mem,
    float *restrict spk, const float *restrict beta, const float *restrict thr)
{
    for (int n = 0; n < $2; n++) {
        for (int j = 0; j < $3; j++) {
            const int i = n * $3 + j;
            const float b = snn_clamp01(beta[$5]);
            const float th = thr[$6];
            const float prev = u[i];
m4_ifelse(<<<$4>>>, <<<0>>>, <<<m4_dnl
            const float r = prev - th > 0.0f ? 1.0f : 0.0f;
            const float v = (b * prev + in[i]) - r * th;
>>>, <<<$4>>>, <<<1>>>, <<<m4_dnl
            const float r = prev - th > 0.0f ? 1.0f : 0.0f;
            const float v = b * ((1.0f - r) * prev) + in[i];
>>>, <<<m4_dnl
            const float v = b * prev + in[i];
>>>)m4_dnl
            u[i] = v;
            mem[i] = v;
            spk[i] = v - th > 0.0f ? 1.0f : 0.0f;
        }
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_LEAKY_BACKWARD(fn, N, M, reset, bidx, tidx, SG, learn_beta, learn_thr)
m4_dnl   Step t of the reverse loop. carry holds dL/dU[t] from step t+1.
m4_define(<<<SNN_LEAKY_BACKWARD>>>, <<<
static void $1(int t, const float *restrict mem, const float *restrict dspk,
    const float *restrict dmem, float *restrict din, float *restrict carry,
    const float *restrict beta, const float *restrict thr, float *restrict dbeta,
    float *restrict dthr)
{
    const float *restrict now = mem + (size_t)t * ($2 * $3);
    (void)dbeta; (void)dthr;
    for (int n = 0; n < $2; n++) {
        for (int j = 0; j < $3; j++) {
            const int i = n * $3 + j;
            const float b = snn_clamp01(beta[$5]);
            const float th = thr[$6];
            const float prev = t > 0 ? now[i - $2 * $3] : 0.0f;
            const float r = prev - th > 0.0f ? 1.0f : 0.0f;
            const float x = now[i] - th;
            (void)x;
            const float sg = $7;
            const float gs = dspk ? dspk[i] * sg : 0.0f;
            const float du = carry[i] + gs + (dmem ? dmem[i] : 0.0f);
            if (din)
                din[i] += du;
m4_ifelse(<<<$4>>>, <<<1>>>, <<<m4_dnl
            carry[i] = du * (b * (1.0f - r));
            SNN_IF($8, <<<if (beta[$5] >= 0.0f && beta[$5] <= 1.0f)
                dbeta[$5] += du * ((1.0f - r) * prev);>>>)
>>>, <<<m4_dnl
            carry[i] = du * b;
            SNN_IF($8, <<<if (beta[$5] >= 0.0f && beta[$5] <= 1.0f)
                dbeta[$5] += du * prev;>>>)
>>>)m4_dnl
            SNN_IF($9, <<<dthr[$6] += -gs m4_ifelse(<<<$4>>>, <<<0>>>, <<<- du * r>>>);>>>)
            (void)r;
        }
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_SYNAPTIC_FORWARD(fn, N, M, reset, alpha, beta, thr): constants as C literals.
m4_define(<<<SNN_SYNAPTIC_FORWARD>>>, <<<
static void $1(const float *restrict in, float *restrict u, float *restrict syn_state,
    float *restrict mem, float *restrict syn, float *restrict spk)
{
    const float a = snn_clamp01($5), b = snn_clamp01($6), th = $7;
    for (int i = 0; i < $2 * $3; i++) {
        const float prev = u[i];
        const float r = prev - th > 0.0f ? 1.0f : 0.0f;
        const float s = a * syn_state[i] + in[i];
        const float base = b * prev + s;
m4_ifelse(<<<$4>>>, <<<0>>>, <<<m4_dnl
        const float v = base - r * th;
>>>, <<<$4>>>, <<<1>>>, <<<m4_dnl
        const float v = base - base * r;
>>>, <<<m4_dnl
        const float v = base;
>>>)m4_dnl
        (void)r;
        syn_state[i] = s;
        u[i] = v;
        mem[i] = v;
        syn[i] = s;
        spk[i] = v - th > 0.0f ? 1.0f : 0.0f;
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_SYNAPTIC_BACKWARD(fn, N, M, reset, alpha, beta, thr, SG)
m4_define(<<<SNN_SYNAPTIC_BACKWARD>>>, <<<
static void $1(int t, const float *restrict mem, const float *restrict dspk,
    const float *restrict dsyn, const float *restrict dmem, float *restrict din,
    float *restrict carry, float *restrict carry_syn)
{
    const float a = snn_clamp01($5), b = snn_clamp01($6), th = $7;
    const float *restrict now = mem + (size_t)t * ($2 * $3);
    for (int i = 0; i < $2 * $3; i++) {
        const float prev = t > 0 ? now[i - $2 * $3] : 0.0f;
        const float r = prev - th > 0.0f ? 1.0f : 0.0f;
        const float x = now[i] - th;
        (void)x;
        const float sg = $8;
        const float du = carry[i] + (dspk ? dspk[i] * sg : 0.0f) + (dmem ? dmem[i] : 0.0f);
        const float keep = m4_ifelse(<<<$4>>>, <<<1>>>, <<<1.0f - r>>>, <<<1.0f>>>);
        const float ds = carry_syn[i] + (dsyn ? dsyn[i] : 0.0f) + du * keep;
        (void)r;
        if (din)
            din[i] += ds;
        carry[i] = du * (b * keep);
        carry_syn[i] = ds * a;
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MSLEAKY_FORWARD(fn, N, M, beta, thr, cap): multi-strength spikes,
m4_dnl a = beta U + I, s = floor(max(a,0)/thr) (capped), U = a - thr s.
m4_define(<<<SNN_MSLEAKY_FORWARD>>>, <<<
static void $1(const float *restrict in, float *restrict u, float *restrict mem,
    float *restrict spk)
{
    const float b = $4, th = $5;
    for (int i = 0; i < $2 * $3; i++) {
        const float a = b * u[i] + in[i];
        float s = a > 0.0f ? floorf(a / th) : 0.0f;
SNN_IF(m4_eval(<<<$6>>> > 0), <<<m4_dnl
        if (s > (float)$6)
            s = (float)$6;
>>>)m4_dnl
        const float v = a - th * s;
        u[i] = v;
        mem[i] = v;
        spk[i] = s;
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MSLEAKY_BACKWARD(fn, N, M, beta, thr, cap): straight-through ramp
m4_dnl ds/da = 1/thr on 0 < a < thr (cap + 1); the subtraction of thr s is detached.
m4_define(<<<SNN_MSLEAKY_BACKWARD>>>, <<<
static void $1(int t, const float *restrict mem, const float *restrict spk,
    const float *restrict dspk, const float *restrict dmem, float *restrict din,
    float *restrict carry)
{
    const float b = $4, th = $5;
    const float *restrict now = mem + (size_t)t * ($2 * $3);
    const float *restrict s = spk + (size_t)t * ($2 * $3);
    for (int i = 0; i < $2 * $3; i++) {
        const float a = now[i] + th * s[i];
        const float ramp = a > 0.0f SNN_IF(m4_eval(<<<$6>>> > 0), <<<&& a < th * (float)($6 + 1)>>>) ? 1.0f / th : 0.0f;
        const float da = carry[i] + (dmem ? dmem[i] : 0.0f) + (dspk ? dspk[i] * ramp : 0.0f);
        if (din)
            din[i] += da;
        carry[i] = da * b;
    }
}
>>>)m4_dnl
