m4_dnl eltwise.m4 - Add, Sub, Mul and Relu with numpy broadcasting (SPEC section 3).
m4_dnl Operands may be the same tensor (x * x), so no restrict here.
m4_dnl Index maps come from the emitter as C expressions of the output index i
m4_dnl (e.g. "i", "i % 32", "0"), so each kernel has constant strides.
m4_dnl Each kernel fn also has fn_rows(n0, n1, ...) for the rows [n0, n1) of a
m4_dnl batched output of M elements per row (a chunk of the batch).
m4_dnl
m4_dnl SNN_BINARY_FORWARD(fn, numel, OP, aidx, bidx, M)
m4_define(<<<SNN_BINARY_FORWARD>>>, <<<
static void $1_rows(int n0, int n1, const float *a, const float *b, float *y)
{
    for (int i = n0 * $6; i < n1 * $6; i++)
        y[i] = a[$4] $3 b[$5];
}

SNN_INLINE void $1(const float *a, const float *b, float *y)
{
    $1_rows(0, $2 / $6, a, b, y);
}
>>>)m4_dnl
m4_dnl SNN_BINARY_BACKWARD(fn, numel, op, aidx, bidx, M): op 0 add, 1 sub, 2 mul.
m4_define(<<<SNN_BINARY_BACKWARD>>>, <<<
static void $1_rows(int n0, int n1, const float *a, const float *b, const float *dy, float *da,
    float *db)
{
    (void)a; (void)b;
    for (int i = n0 * $6; i < n1 * $6; i++) {
m4_ifelse(<<<$3>>>, <<<2>>>, <<<m4_dnl
        if (da)
            da[$4] += dy[i] * b[$5];
        if (db)
            db[$5] += dy[i] * a[$4];
>>>, <<<m4_dnl
        if (da)
            da[$4] += dy[i];
        if (db)
            db[$5] SNN_IF($3, <<<-=>>>, <<<+=>>>) dy[i];
>>>)m4_dnl
    }
}

SNN_INLINE void $1(const float *a, const float *b, const float *dy, float *da, float *db)
{
    $1_rows(0, $2 / $6, a, b, dy, da, db);
}
>>>)m4_dnl
m4_dnl SNN_RELU_FORWARD(fn, numel, M) / SNN_RELU_BACKWARD(fn, numel, M)
m4_define(<<<SNN_RELU_FORWARD>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict x, float *restrict y)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

SNN_INLINE void $1(const float *restrict x, float *restrict y)
{
    $1_rows(0, $2 / $3, x, y);
}
>>>)m4_dnl
m4_define(<<<SNN_RELU_BACKWARD>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict x, const float *restrict dy,
    float *restrict dx)
{
    for (int i = n0 * $3; i < n1 * $3; i++)
        dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
}

SNN_INLINE void $1(const float *restrict x, const float *restrict dy, float *restrict dx)
{
    $1_rows(0, $2 / $3, x, dy, dx);
}
>>>)m4_dnl
