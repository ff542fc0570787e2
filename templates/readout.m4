m4_dnl readout.m4 - SpikeCount and Predict (SPEC section 5): reductions over time.
m4_dnl
m4_dnl Each per-element kernel fn(...) also has fn_rows(n0, n1, ...) for the rows
m4_dnl [n0, n1) of a batch of M elements per row.
m4_dnl
m4_dnl SNN_SUM_STEP(fn, numel, M): acc += x[t]. Also SpikeCount's forward.
m4_define(<<<SNN_SUM_STEP>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict x, float *restrict acc)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        acc[i] += x[i];
}

SNN_INLINE void $1(const float *restrict x, float *restrict acc)
{
    $1_rows(0, $2 / $3, x, acc);
}
>>>)m4_dnl
m4_dnl SNN_BROADCAST_BACKWARD(fn, numel, M): dx[t] += dacc (the backward of a sum over t).
m4_define(<<<SNN_BROADCAST_BACKWARD>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict dacc, float *restrict dx)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        dx[i] += dacc[i];
}

SNN_INLINE void $1(const float *restrict dacc, float *restrict dx)
{
    $1_rows(0, $2 / $3, dacc, dx);
}
>>>)m4_dnl
m4_dnl SNN_MAX_STEP(fn, numel, M): running maximum; ties keep the earliest step.
m4_define(<<<SNN_MAX_STEP>>>, <<<
static void $1_rows(int n0, int n1, int t, const float *restrict x, float *restrict acc)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        if (t == 0 || x[i] > acc[i])
            acc[i] = x[i];
}

SNN_INLINE void $1(int t, const float *restrict x, float *restrict acc)
{
    $1_rows(0, $2 / $3, t, x, acc);
}
>>>)m4_dnl
m4_dnl SNN_FIRST_STEP(fn, numel, M): first step with a spike; acc starts at -1.
m4_define(<<<SNN_FIRST_STEP>>>, <<<
static void $1_rows(int n0, int n1, int t, const float *restrict x, float *restrict first)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        if (first[i] < 0.0f && x[i] > 0.0f)
            first[i] = (float)t;
}

SNN_INLINE void $1(int t, const float *restrict x, float *restrict first)
{
    $1_rows(0, $2 / $3, t, x, first);
}
>>>)m4_dnl
m4_dnl SNN_PREDICT_FINISH(fn, N, C, argmin, T): class per sample, ties to the
m4_dnl lowest index; argmin treats a silent neuron (-1) as firing at T-1.
m4_define(<<<SNN_PREDICT_FINISH>>>, <<<
static void $1(const float *restrict acc, int64_t *restrict cls)
{
    for (int n = 0; n < $2; n++) {
        const float *restrict a = acc + n * $3;
        int best = 0;
SNN_IF($4, <<<m4_dnl
        float bv = a[0] < 0.0f ? (float)($5 - 1) : a[0];
        for (int c = 1; c < $3; c++) {
            const float v = a[c] < 0.0f ? (float)($5 - 1) : a[c];
            if (v < bv)
                bv = v, best = c;
        }
>>>, <<<m4_dnl
        for (int c = 1; c < $3; c++)
            if (a[c] > a[best])
                best = c;
>>>)m4_dnl
        cls[n] = best;
    }
}
>>>)m4_dnl
