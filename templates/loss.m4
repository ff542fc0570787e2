m4_dnl loss.m4 - the seven losses of SPEC section 6, forward and backward.
m4_dnl CE is PyTorch's CrossEntropyLoss (mean over the batch), MSE its MSELoss
m4_dnl (mean over N*C). Labels are int64 [N], checked by the caller.
m4_dnl
m4_dnl SNN_LOSS_HELPERS: emitted once when the model has a loss.
m4_define(<<<SNN_LOSS_HELPERS>>>, <<<
/* Cross-entropy of one row of logits; p receives softmax(z) unless NULL. */
static float snn_ce_row(const float *restrict z, int classes, int64_t y, float *restrict p)
{
    float mx = z[0];
    for (int c = 1; c < classes; c++)
        if (z[c] > mx)
            mx = z[c];
    float sum = 0.0f;
    for (int c = 0; c < classes; c++)
        sum += expf(z[c] - mx);
    if (p)
        for (int c = 0; c < classes; c++)
            p[c] = expf(z[c] - mx) / sum;
    return mx + logf(sum) - z[y];
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_CE_STEP(fn, N, C): loss += mean_n CE(z[t]) (CeMembraneLoss, CeRateLoss).
m4_dnl   fn_rows(n0, n1, ...) keeps the terms of rows [n0, n1) instead, for
m4_dnl   SNN_TERMS_SUM to add up after the loop in the same order.
m4_define(<<<SNN_CE_STEP>>>, <<<
SNN_INLINE void $1(const float *restrict z, const int64_t *restrict y, float *restrict loss)
{
    float sum = 0.0f;
    for (int n = 0; n < $2; n++)
        sum += snn_ce_row(z + n * $3, $3, y[n], NULL);
    loss[0] += sum / (float)$2;
}

SNN_INLINE void $1_rows(int n0, int n1, const float *restrict z, const int64_t *restrict y,
    float *restrict terms)
{
    for (int n = n0; n < n1; n++)
        terms[n] = snn_ce_row(z + n * $3, $3, y[n], NULL);
}
>>>)m4_dnl
m4_dnl SNN_TERMS_SUM(fn, T, count, div): loss += (sum of the count terms of step t) / div,
m4_dnl for t = 0 .. T-1: the whole-batch step code's sums, from kept terms.
m4_define(<<<SNN_TERMS_SUM>>>, <<<
static void $1(const float *restrict terms, float *restrict loss)
{
    for (int t = 0; t < $2; t++) {
        float sum = 0.0f;
        for (int i = 0; i < $3; i++)
            sum += terms[(long)t * $3 + i];
        loss[0] += sum / (float)($4);
    }
}
>>>)m4_dnl
m4_dnl SNN_CE_STEP_BACKWARD(fn, N, C, scale): dz[t] += scale (softmax(z[t]) - onehot).
m4_define(<<<SNN_CE_STEP_BACKWARD>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict z, const int64_t *restrict y,
    float *restrict dz)
{
    float p[$3];
    for (int n = n0; n < n1; n++) {
        snn_ce_row(z + n * $3, $3, y[n], p);
        for (int c = 0; c < $3; c++)
            dz[n * $3 + c] += (p[c] - (c == y[n] ? 1.0f : 0.0f)) * $4;
    }
}

SNN_INLINE void $1(const float *restrict z, const int64_t *restrict y, float *restrict dz)
{
    $1_rows(0, $2, z, y, dz);
}
>>>)m4_dnl
m4_dnl SNN_MSE_STEP(fn, N, C, on, off): loss += MSE(z[t], target) (MseMembraneLoss);
m4_dnl   fn_rows keeps the squared errors of rows [n0, n1) for SNN_TERMS_SUM.
m4_define(<<<SNN_MSE_STEP>>>, <<<
SNN_INLINE void $1(const float *restrict z, const int64_t *restrict y, float *restrict loss)
{
    float sum = 0.0f;
    for (int n = 0; n < $2; n++)
        for (int c = 0; c < $3; c++) {
            const float e = z[n * $3 + c] - (c == y[n] ? $4 : $5);
            sum += e * e;
        }
    loss[0] += sum / (float)($2 * $3);
}

SNN_INLINE void $1_rows(int n0, int n1, const float *restrict z, const int64_t *restrict y,
    float *restrict terms)
{
    for (int n = n0; n < n1; n++)
        for (int c = 0; c < $3; c++) {
            const float e = z[n * $3 + c] - (c == y[n] ? $4 : $5);
            terms[n * $3 + c] = e * e;
        }
}
>>>)m4_dnl
m4_dnl SNN_MSE_STEP_BACKWARD(fn, N, C, on, off, scale): dz[t] += scale 2 (z - target).
m4_define(<<<SNN_MSE_STEP_BACKWARD>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict z, const int64_t *restrict y,
    float *restrict dz)
{
    for (int n = n0; n < n1; n++)
        for (int c = 0; c < $3; c++) {
            const float e = z[n * $3 + c] - (c == y[n] ? $4 : $5);
            dz[n * $3 + c] += 2.0f * e * $6;
        }
}

SNN_INLINE void $1(const float *restrict z, const int64_t *restrict y, float *restrict dz)
{
    $1_rows(0, $2, z, y, dz);
}
>>>)m4_dnl
m4_dnl SNN_CE_FINISH(fn, N, C, scale): loss = CE(v); dv = scale (softmax(v) - onehot)
m4_dnl (CeCountLoss on the count, CeMaxMembraneLoss on the maximum).
m4_define(<<<SNN_CE_FINISH>>>, <<<
static void $1(const float *restrict v, const int64_t *restrict y, float *restrict loss,
    float *restrict dv)
{
    float sum = 0.0f, p[$3];
    for (int n = 0; n < $2; n++) {
        sum += snn_ce_row(v + n * $3, $3, y[n], p);
        for (int c = 0; c < $3; c++)
            dv[n * $3 + c] = (p[c] - (c == y[n] ? 1.0f : 0.0f)) * $4;
    }
    loss[0] = sum / (float)$2;
}
>>>)m4_dnl
m4_dnl SNN_MSE_COUNT_FINISH(fn, N, C, on, off, T): loss = MSE(count, target) / T.
m4_define(<<<SNN_MSE_COUNT_FINISH>>>, <<<
static void $1(const float *restrict v, const int64_t *restrict y, float *restrict loss,
    float *restrict dv)
{
    float sum = 0.0f;
    for (int n = 0; n < $2; n++)
        for (int c = 0; c < $3; c++) {
            const float e = v[n * $3 + c] - (c == y[n] ? $4 : $5);
            sum += e * e;
            dv[n * $3 + c] = 2.0f * e / (float)($2 * $3) / (float)$6;
        }
    loss[0] = sum / (float)($2 * $3) / (float)$6;
}
>>>)m4_dnl
m4_dnl SNN_AT_STEP_BACKWARD(fn, numel, M): dx[t] += dv where step[i] == t (the gradient
m4_dnl of a maximum, or of a first-spike time, goes to that one step).
m4_define(<<<SNN_AT_STEP_BACKWARD>>>, <<<
static void $1_rows(int n0, int n1, int t, const float *restrict step, const float *restrict dv,
    float *restrict dx)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        if (step[i] == (float)t)
            dx[i] += dv[i];
}

SNN_INLINE void $1(int t, const float *restrict step, const float *restrict dv, float *restrict dx)
{
    $1_rows(0, $2 / $3, t, step, dv, dx);
}
>>>)m4_dnl
m4_dnl SNN_ARGMAX_STEP(fn, numel, M): running maximum and the first step reaching it.
m4_define(<<<SNN_ARGMAX_STEP>>>, <<<
static void $1_rows(int n0, int n1, int t, const float *restrict x, float *restrict mx,
    float *restrict at)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        if (t == 0 || x[i] > mx[i]) {
            mx[i] = x[i];
            at[i] = (float)t;
        }
}

SNN_INLINE void $1(int t, const float *restrict x, float *restrict mx, float *restrict at)
{
    $1_rows(0, $2 / $3, t, x, mx, at);
}
>>>)m4_dnl
m4_dnl SNN_TEMPORAL_FINISH(fn, N, C, T, reciprocal): f = first spike (T-1 if none),
m4_dnl z = -f or 1/(f+1), loss = CE(z); sign estimator: dspk[f] = -dL/df.
m4_define(<<<SNN_TEMPORAL_FINISH>>>, <<<
static void $1(float *restrict first, const int64_t *restrict y, float *restrict loss,
    float *restrict dfirst)
{
    float sum = 0.0f, z[$3], p[$3];
    for (int n = 0; n < $2; n++) {
        float *restrict f = first + n * $3;
        for (int c = 0; c < $3; c++) {
            if (f[c] < 0.0f)
                f[c] = (float)($4 - 1);
            z[c] = SNN_IF($5, <<<1.0f / (f[c] + 1.0f)>>>, <<<-f[c]>>>);
        }
        sum += snn_ce_row(z, $3, y[n], p);
        for (int c = 0; c < $3; c++) {
            const float dz = (p[c] - (c == y[n] ? 1.0f : 0.0f)) / (float)$2;
            dfirst[n * $3 + c] = SNN_IF($5, <<<dz / ((f[c] + 1.0f) * (f[c] + 1.0f))>>>, <<<dz>>>);
        }
    }
    loss[0] = sum / (float)$2;
}
>>>)m4_dnl
