m4_dnl dense.m4 - Gemm and MatMul (SPEC section 3): y = alpha * a . W + beta * c,
m4_dnl W stored [O][K] (transB=1, PyTorch nn.Linear) or [K][O].
m4_dnl
m4_dnl SNN_DENSE_FORWARD(fn, N, K, O, transB, bias, alpha, beta)
m4_dnl   bias: 0 none, 1 one per output, 2 a scalar; alpha and beta are
m4_dnl   factors written as C prefixes ("0.5f * "), empty for 1.
m4_define(<<<SNN_DENSE_FORWARD>>>, <<<
static void $1(const float *restrict a, const float *restrict w, const float *restrict c,
    float *restrict y)
{
    (void)c;
    for (int n = 0; n < $2; n++) {
        const float *restrict an = a + n * $3;
        float *restrict yn = y + n * $4;
SNN_IF($5, <<<m4_dnl
        for (int o = 0; o < $4; o++) {
            const float *restrict wo = w + o * $3;
            float acc = 0.0f;
            SNN_SIMD_SUM
            for (int k = 0; k < $3; k++)
                acc += an[k] * wo[k];
            yn[o] = acc;
        }
>>>, <<<m4_dnl
        for (int o = 0; o < $4; o++)
            yn[o] = 0.0f;
        for (int k = 0; k < $3; k++) {
            const float x = an[k];
            if (x == 0.0f)
                continue; /* spikes are mostly zero */
            const float *restrict wk = w + k * $4;
            for (int o = 0; o < $4; o++)
                yn[o] += x * wk[o];
        }
>>>)m4_dnl
        for (int o = 0; o < $4; o++)
            yn[o] = $7yn[o]m4_dnl
m4_ifelse(<<<$6>>>, <<<1>>>, <<< + $8c[o]>>>, <<<$6>>>, <<<2>>>, <<< + $8c[0]>>>);
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_DENSE_BACKWARD(fn, N, K, O, transB, bias, alpha, beta, want_da, want_dw)
m4_dnl   Accumulates: da += alpha dy . W^T, dw += alpha dy^T . a, dc += beta sum_n dy.
m4_define(<<<SNN_DENSE_BACKWARD>>>, <<<
static void $1(const float *restrict a, const float *restrict w, const float *restrict dy,
    float *restrict da, float *restrict dw, float *restrict dc)
{
    (void)a; (void)w; (void)da; (void)dw; (void)dc;
    for (int n = 0; n < $2; n++) {
        const float *restrict an = a + n * $3;
        const float *restrict dyn = dy + n * $4;
SNN_IF($9, <<<m4_dnl
        float *restrict dan = da + n * $3;
>>>)m4_dnl
SNN_IF($5, <<<m4_dnl
        for (int o = 0; o < $4; o++) {
            const float gy = $7dyn[o];
            if (gy == 0.0f)
                continue;
SNN_IF($9, <<<m4_dnl
            const float *restrict wo = w + o * $3;
            for (int k = 0; k < $3; k++)
                dan[k] += gy * wo[k];
>>>)m4_dnl
SNN_IF($10, <<<m4_dnl
            float *restrict dwo = dw + o * $3;
            for (int k = 0; k < $3; k++)
                dwo[k] += gy * an[k];
>>>)m4_dnl
        }
>>>, <<<m4_dnl
        for (int k = 0; k < $3; k++) {
SNN_IF($9, <<<m4_dnl
            const float *restrict wk = w + k * $4;
            float acc = 0.0f;
            SNN_SIMD_SUM
            for (int o = 0; o < $4; o++)
                acc += dyn[o] * wk[o];
            dan[k] += $7acc;
>>>)m4_dnl
SNN_IF($10, <<<m4_dnl
            const float x = $7an[k];
            if (x != 0.0f) {
                float *restrict dwk = dw + k * $4;
                for (int o = 0; o < $4; o++)
                    dwk[o] += x * dyn[o];
            }
>>>)m4_dnl
        }
>>>)m4_dnl
m4_ifelse(<<<$6>>>, <<<1>>>, <<<m4_dnl
        for (int o = 0; o < $4; o++)
            dc[o] += $8dyn[o];
>>>, <<<$6>>>, <<<2>>>, <<<m4_dnl
        for (int o = 0; o < $4; o++)
            dc[0] += $8dyn[o];
>>>)m4_dnl
    }
}
>>>)m4_dnl
