m4_dnl neuron.m4 - Leaky, Synaptic and MultiStrengthLeaky, forward and backward
m4_dnl (SPEC section 4). r[t] = H(U[t-1] - thr) is detached; spikes are strict
m4_dnl H(U - thr); backward replaces dspk/dU by the surrogate SG, an expression in x.
m4_dnl
m4_dnl SNN_LEAKY_FORWARD(fn, N, M, reset, bidx, tidx, want_mem, want_spk, bits, words, par)
m4_dnl   M neurons per sample; reset 0 subtract, 1 zero, 2 none; bidx/tidx index
m4_dnl   beta/threshold: 0 for one value, j for one per neuron. want_mem and
m4_dnl   want_spk say whether anybody reads those floats (2: only the caller,
m4_dnl   after the pass: stored past the cache); with bits, the spikes are also
m4_dnl   written as bits, 64 neurons to a word, for event-driven readers.
m4_define(<<<SNN_LEAKY_FORWARD>>>, <<<
static SNN_NOINLINE void $1_rows(int n0, int n1, const float *restrict in, float *restrict u,
    float *restrict mem, float *restrict spk, snn_bits *restrict bits, const float *restrict beta,
    const float *restrict thr)
{
    (void)mem; (void)spk; (void)bits;
    for (int n = n0; n < n1; n++) {
        for (int q = 0; q < $10; q++) {
            const int j0 = q * 64, len = $3 - j0 < 64 ? $3 - j0 : 64;
            float s[64];
m4_ifelse(<<<$7>>>, <<<2>>>, <<<m4_dnl
            float vm[64];
>>>)m4_dnl
            for (int jj = 0; jj < len; jj++) {
                const int j = j0 + jj, i = n * $3 + j;
                (void)j;
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
m4_ifelse(<<<$7>>>, <<<1>>>, <<<m4_dnl
                mem[i] = v;
>>>, <<<$7>>>, <<<2>>>, <<<m4_dnl
                vm[jj] = v;
>>>)m4_dnl
                s[jj] = v - th > 0.0f ? 1.0f : 0.0f;
m4_ifelse(<<<$8>>>, <<<1>>>, <<<m4_dnl
                spk[i] = s[jj];
>>>)m4_dnl
            }
m4_ifelse(<<<$7>>>, <<<2>>>, <<<m4_dnl
            snn_stream64(mem + n * $3 + j0, vm, len);
>>>)m4_dnl
m4_ifelse(<<<$8>>>, <<<2>>>, <<<m4_dnl
            snn_stream64(spk + n * $3 + j0, s, len);
>>>)m4_dnl
SNN_IF($9, <<<m4_dnl
            bits[n * $10 + q] = snn_pack_bits(s, len);
>>>, <<<m4_dnl
            (void)s;
>>>)m4_dnl
        }
    }
SNN_IF(m4_eval(<<<$7 == 2 || $8 == 2>>>), <<<m4_dnl
    snn_stream_done();
>>>)m4_dnl
}

SNN_INLINE void $1(const float *restrict in, float *restrict u, float *restrict mem,
    float *restrict spk, snn_bits *restrict bits, const float *restrict beta,
    const float *restrict thr)
{
SNN_ROWS($11, $2, $1_rows(n0, n1, in, u, mem, spk, bits, beta, thr))
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_LEAKY_BACKWARD(fn, N, M, reset, bidx, tidx, SG, learn_beta, learn_thr,
m4_dnl                    has_dspk, has_dmem, has_din, par)
m4_dnl   Step t of the reverse loop. carry holds dL/dU[t] from step t+1. The
m4_dnl   has_ flags say which gradients exist (an absent one counts as 0);
m4_dnl   has_din 2: din is stored, not added to (its first writer).
m4_define(<<<SNN_LEAKY_BACKWARD>>>, <<<
static SNN_NOINLINE void $1_rows(int n0, int n1, int t, const float *restrict mem,
    const float *restrict dspk, const float *restrict dmem, float *restrict din,
    float *restrict carry, const float *restrict beta, const float *restrict thr,
    float *restrict dbeta, float *restrict dthr)
{
    const float *restrict now = mem + (size_t)t * ($2 * $3);
    (void)dspk; (void)dmem; (void)din; (void)dbeta; (void)dthr;
    for (int n = n0; n < n1; n++) {
        for (int j = 0; j < $3; j++) {
            const int i = n * $3 + j;
            const float b = snn_clamp01(beta[$5]);
            const float th = thr[$6];
            const float prev = t > 0 ? now[i - $2 * $3] : 0.0f;
            const float r = prev - th > 0.0f ? 1.0f : 0.0f;
            const float x = now[i] - th;
            (void)x;
            const float sg = $7;
            (void)sg;
            const float gs = SNN_IF($10, <<<dspk[i] * sg>>>, <<<0.0f>>>);
            const float du = carry[i] + gs + SNN_IF($11, <<<dmem[i]>>>, <<<0.0f>>>);
m4_ifelse(<<<$12>>>, <<<1>>>, <<<m4_dnl
            din[i] += du;
>>>, <<<$12>>>, <<<2>>>, <<<m4_dnl
            din[i] = du;
>>>)m4_dnl
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
            (void)gs;
        }
    }
}

SNN_INLINE void $1(int t, const float *restrict mem, const float *restrict dspk,
    const float *restrict dmem, float *restrict din, float *restrict carry,
    const float *restrict beta, const float *restrict thr, float *restrict dbeta,
    float *restrict dthr)
{
SNN_ROWS($13, $2, $1_rows(n0, n1, t, mem, dspk, dmem, din, carry, beta, thr, dbeta, dthr))
}
>>>)m4_dnl
m4_dnl
m4_dnl
m4_dnl SNN_LEAKY_RECOMPUTE(fn, N, M, reset, bidx, tidx, seg): a Leaky neuron of
m4_dnl static input recomputes its membrane for backward: fn_rows(n0, n1, t0,
m4_dnl count, in, ckpt, seg, beta, thr) writes U[t0 + k], k < count, into slot k
m4_dnl of seg, from U[t0 - 1] (slot t0 / seg - 1 of ckpt; 0 before step 0), with
m4_dnl the forward kernel's operations, so bit for bit the same values.
m4_dnl SNN_COPY_ROWS(fn, N, M): the forward keeps those checkpoints.
m4_define(<<<SNN_LEAKY_RECOMPUTE>>>, <<<
static SNN_NOINLINE void $1_rows(int n0, int n1, int t0, int count, const float *restrict in,
    const float *restrict ckpt, float *restrict seg, const float *restrict beta,
    const float *restrict thr)
{
    for (int n = n0; n < n1; n++)
        for (int k = 0; k < count; k++) {
            const float *restrict from = k ? seg + (long)(k - 1) * ($2 * $3)
                                           : t0 ? ckpt + (long)(t0 / $7 - 1) * ($2 * $3) : NULL;
            float *restrict to = seg + (long)k * ($2 * $3);
            for (int j = 0; j < $3; j++) {
                const int i = n * $3 + j;
                const float b = snn_clamp01(beta[$5]);
                const float th = thr[$6];
                const float prev = from ? from[i] : 0.0f;
m4_ifelse(<<<$4>>>, <<<0>>>, <<<m4_dnl
                const float r = prev - th > 0.0f ? 1.0f : 0.0f;
                const float v = (b * prev + in[i]) - r * th;
>>>, <<<m4_dnl
                const float v = b * prev + in[i];
                (void)th;
>>>)m4_dnl
                to[i] = v;
            }
        }
}
>>>)m4_dnl
m4_define(<<<SNN_COPY_ROWS>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict from, float *restrict to)
{
    memcpy(to + (long)n0 * $3, from + (long)n0 * $3, (size_t)(n1 - n0) * $3 * sizeof(float));
}

SNN_INLINE void $1(const float *restrict from, float *restrict to)
{
    $1_rows(0, $2, from, to);
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_SYNAPTIC_FORWARD(fn, N, M, reset, alpha, beta, thr, want_mem, want_syn, want_spk,
m4_dnl                      bits, words, par): constants as C literals.
m4_define(<<<SNN_SYNAPTIC_FORWARD>>>, <<<
static SNN_NOINLINE void $1_rows(int n0, int n1, const float *restrict in, float *restrict u,
    float *restrict syn_state, float *restrict mem, float *restrict syn, float *restrict spk,
    snn_bits *restrict bits)
{
    const float a = snn_clamp01($5), b = snn_clamp01($6), th = $7;
    (void)mem; (void)syn; (void)spk; (void)bits;
    for (int n = n0; n < n1; n++) {
        for (int q = 0; q < $12; q++) {
            const int j0 = q * 64, len = $3 - j0 < 64 ? $3 - j0 : 64;
            float sp[64];
            for (int jj = 0; jj < len; jj++) {
                const int i = n * $3 + j0 + jj;
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
SNN_IF($8, <<<m4_dnl
                mem[i] = v;
>>>)m4_dnl
SNN_IF($9, <<<m4_dnl
                syn[i] = s;
>>>)m4_dnl
                sp[jj] = v - th > 0.0f ? 1.0f : 0.0f;
SNN_IF($10, <<<m4_dnl
                spk[i] = sp[jj];
>>>)m4_dnl
            }
SNN_IF($11, <<<m4_dnl
            bits[n * $12 + q] = snn_pack_bits(sp, len);
>>>, <<<m4_dnl
            (void)sp;
>>>)m4_dnl
        }
    }
}

SNN_INLINE void $1(const float *restrict in, float *restrict u, float *restrict syn_state,
    float *restrict mem, float *restrict syn, float *restrict spk, snn_bits *restrict bits)
{
SNN_ROWS($13, $2, $1_rows(n0, n1, in, u, syn_state, mem, syn, spk, bits))
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_SYNAPTIC_BACKWARD(fn, N, M, reset, alpha, beta, thr, SG, has_dspk, has_dsyn,
m4_dnl                       has_dmem, has_din, par)
m4_define(<<<SNN_SYNAPTIC_BACKWARD>>>, <<<
static SNN_NOINLINE void $1_rows(int n0, int n1, int t, const float *restrict mem,
    const float *restrict dspk, const float *restrict dsyn, const float *restrict dmem,
    float *restrict din, float *restrict carry, float *restrict carry_syn)
{
    const float a = snn_clamp01($5), b = snn_clamp01($6), th = $7;
    const float *restrict now = mem + (size_t)t * ($2 * $3);
    (void)dspk; (void)dsyn; (void)dmem; (void)din;
    for (int i = n0 * $3; i < n1 * $3; i++) {
        const float prev = t > 0 ? now[i - $2 * $3] : 0.0f;
        const float r = prev - th > 0.0f ? 1.0f : 0.0f;
        const float x = now[i] - th;
        (void)x;
        const float sg = $8;
        (void)sg;
        const float du = carry[i] + SNN_IF($9, <<<dspk[i] * sg>>>, <<<0.0f>>>) + SNN_IF($11, <<<dmem[i]>>>, <<<0.0f>>>);
        const float keep = m4_ifelse(<<<$4>>>, <<<1>>>, <<<1.0f - r>>>, <<<1.0f>>>);
        const float ds = carry_syn[i] + SNN_IF($10, <<<dsyn[i]>>>, <<<0.0f>>>) + du * keep;
        (void)r;
m4_ifelse(<<<$12>>>, <<<1>>>, <<<m4_dnl
        din[i] += ds;
>>>, <<<$12>>>, <<<2>>>, <<<m4_dnl
        din[i] = ds;
>>>)m4_dnl
        carry[i] = du * (b * keep);
        carry_syn[i] = ds * a;
    }
}

SNN_INLINE void $1(int t, const float *restrict mem, const float *restrict dspk,
    const float *restrict dsyn, const float *restrict dmem, float *restrict din,
    float *restrict carry, float *restrict carry_syn)
{
SNN_ROWS($13, $2, $1_rows(n0, n1, t, mem, dspk, dsyn, dmem, din, carry, carry_syn))
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MSLEAKY_FORWARD(fn, N, M, beta, thr, cap, want_mem, want_spk, par):
m4_dnl multi-strength spikes, a = beta U + I, s = floor(max(a,0)/thr) (capped),
m4_dnl U = a - thr s.
m4_define(<<<SNN_MSLEAKY_FORWARD>>>, <<<
static SNN_NOINLINE void $1_rows(int n0, int n1, const float *restrict in, float *restrict u,
    float *restrict mem, float *restrict spk)
{
    const float b = $4, th = $5;
    (void)mem; (void)spk;
    for (int i = n0 * $3; i < n1 * $3; i++) {
        const float a = b * u[i] + in[i];
        float s = a > 0.0f ? floorf(a / th) : 0.0f;
SNN_IF(m4_eval(<<<$6>>> > 0), <<<m4_dnl
        if (s > (float)$6)
            s = (float)$6;
>>>)m4_dnl
        const float v = a - th * s;
        u[i] = v;
SNN_IF($7, <<<m4_dnl
        mem[i] = v;
>>>)m4_dnl
SNN_IF($8, <<<m4_dnl
        spk[i] = s;
>>>)m4_dnl
    }
}

SNN_INLINE void $1(const float *restrict in, float *restrict u, float *restrict mem,
    float *restrict spk)
{
SNN_ROWS($9, $2, $1_rows(n0, n1, in, u, mem, spk))
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MSLEAKY_BACKWARD(fn, N, M, beta, thr, cap, has_dspk, has_dmem, has_din, par):
m4_dnl straight-through ramp ds/da = 1/thr on 0 < a < thr (cap + 1); the
m4_dnl subtraction of thr s is detached.
m4_define(<<<SNN_MSLEAKY_BACKWARD>>>, <<<
static SNN_NOINLINE void $1_rows(int n0, int n1, int t, const float *restrict mem,
    const float *restrict spk, const float *restrict dspk, const float *restrict dmem,
    float *restrict din, float *restrict carry)
{
    const float b = $4, th = $5;
    const float *restrict now = mem + (size_t)t * ($2 * $3);
    const float *restrict s = spk + (size_t)t * ($2 * $3);
    (void)dspk; (void)dmem; (void)din;
    for (int i = n0 * $3; i < n1 * $3; i++) {
        const float a = now[i] + th * s[i];
        const float ramp = a > 0.0f SNN_IF(m4_eval(<<<$6>>> > 0), <<<&& a < th * (float)($6 + 1)>>>) ? 1.0f / th : 0.0f;
        (void)ramp;
        const float da = carry[i] + SNN_IF($8, <<<dmem[i]>>>, <<<0.0f>>>) + SNN_IF($7, <<<dspk[i] * ramp>>>, <<<0.0f>>>);
m4_ifelse(<<<$9>>>, <<<1>>>, <<<m4_dnl
        din[i] += da;
>>>, <<<$9>>>, <<<2>>>, <<<m4_dnl
        din[i] = da;
>>>)m4_dnl
        carry[i] = da * b;
    }
}

SNN_INLINE void $1(int t, const float *restrict mem, const float *restrict spk,
    const float *restrict dspk, const float *restrict dmem, float *restrict din,
    float *restrict carry)
{
SNN_ROWS($10, $2, $1_rows(n0, n1, t, mem, spk, dspk, dmem, din, carry))
}
>>>)m4_dnl
