m4_dnl conv.m4 - Conv (2-D), MaxPool and AveragePool, forward and backward
m4_dnl (SPEC section 3). Tensors are NCHW; Conv weights [M][C][KH][KW] as
m4_dnl PyTorch's nn.Conv2d; dilation 1, group 1, ceil_mode 0 (import.c and
m4_dnl infer.c refuse the rest). Pads are ONNX's: top, left, bottom, right.
m4_dnl
m4_dnl Convolutions run in scatter form on channel-last scratch: for each
m4_dnl nonzero input element, add its contribution to every output it
m4_dnl touches, the inner loop running over output channels (or, for the
m4_dnl input gradient, over kernel column x input channel, which is one
m4_dnl contiguous run). Spike maps are mostly zero, so the work is
m4_dnl proportional to the number of spikes (times their strength, which
m4_dnl multiplies the weights as any input value does). Scratch buffers
m4_dnl are static arrays of constant size inside each kernel: nothing is
m4_dnl allocated, and each kernel instance owns its own.
m4_dnl
m4_dnl Every size is a macro argument, so every loop bound is a constant.
m4_dnl Gradient kernels accumulate (+=) into buffers the emitter cleared.
m4_dnl
m4_dnl SNN_CONV_ONCE(): C helpers shared by the kernels of this file, written
m4_dnl before the first kernel that needs them and never again.
m4_define(<<<SNN_CONV_ONCE>>>, <<<m4_ifdef(<<<SNN_CONV_ONCE_DONE>>>, <<<>>>, <<<m4_define(<<<SNN_CONV_ONCE_DONE>>>, 1)
#if defined(_OPENMP) || defined(SNN_OPENMP_SIMD)
#define SNN_CONV_SIMD _Pragma("omp simd")
#else
#define SNN_CONV_SIMD
#endif

/* The taps k of a kernel of size K, stride S and leading pad P that reach
 * input coordinate i from an output o = (i + P - k) / S in [0, O): k runs
 * from *k0 to *k1 in steps of S. Empty when *k0 > *k1. */
static inline void snn_conv_taps(int i, int K, int S, int P, int O, int *k0, int *k1)
{
    const int t = i + P;
    int lo = t - (O - 1) * S;
    if (lo < 0)
        lo = 0;
    *k0 = lo + (t - lo) % S;
    *k1 = t < K - 1 ? t : K - 1;
}
>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_DIMS(N, C, H, W, M, KH, KW, SH, SW, PT, PL, PB, PR): the sizes
m4_dnl as C constants, output sizes derived as ONNX does with ceil_mode 0.
m4_define(<<<SNN_CONV_DIMS>>>, <<<enum {
        N = $1, C = $2, H = $3, W = $4, M = $5, KH = $6, KW = $7, SH = $8, SW = $9,
        PT = $10, PL = $11, HP = H + $10 + $12, WP = W + $11 + $13,
        OH = (HP - KH) / SH + 1, OW = (WP - KW) / SW + 1
    };>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_SCATTER(xn, body): for each nonzero xn[c][ih][iw] (as v), runs
m4_dnl body for every tap (kh, kw) and output (oh, ow) it reaches.
m4_define(<<<SNN_CONV_SCATTER>>>, <<<m4_dnl
        for (int c = 0; c < C; c++) {
            for (int ih = 0; ih < H; ih++) {
                int kh0, kh1;
                snn_conv_taps(ih, KH, SH, PT, OH, &kh0, &kh1);
                if (kh0 > kh1)
                    continue;
                const float *restrict xr = $1 + (c * H + ih) * W;
                for (int iw = 0; iw < W; iw++) {
                    const float v = xr[iw];
                    if (v == 0.0f)
                        continue; /* spikes are mostly zero */
                    int kw0, kw1;
                    snn_conv_taps(iw, KW, SW, PL, OW, &kw0, &kw1);
                    for (int kh = kh0; kh <= kh1; kh += SH) {
                        const int oh = (ih + PT - kh) / SH;
                        for (int kw = kw0; kw <= kw1; kw += SW) {
                            const int ow = (iw + PL - kw) / SW;
$2
                        }
                    }
                }
            }
        }
>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_FORWARD(fn, N, C, H, W, M, KH, KW, SH, SW, PT, PL, PB, PR, bias)
m4_dnl   y[n][m] = sum_c x[n][c] * w[m][c] (+ b[m]); bias 0 or 1.
m4_define(<<<SNN_CONV_FORWARD>>>, <<<SNN_CONV_ONCE()
static void $1(const float *restrict x, const float *restrict w, const float *restrict b,
    float *restrict y)
{
    SNN_CONV_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    static float wt[C * KH * KW * M] __attribute__((aligned(64)));  /* [c][kh][kw][m] */
    static float acc[OH * OW * M] __attribute__((aligned(64)));     /* [oh][ow][m] */
    (void)b;
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < KH * KW; k++)
                wt[(c * KH * KW + k) * M + m] = w[(m * C + c) * KH * KW + k];
    for (int n = 0; n < N; n++) {
        const float *restrict xn = x + (size_t)n * (C * H * W);
        float *restrict yn = y + (size_t)n * (M * OH * OW);
        memset(acc, 0, sizeof acc);
SNN_CONV_SCATTER(<<<xn>>>, <<<m4_dnl
                            float *restrict a = acc + (oh * OW + ow) * M;
                            const float *restrict wv = wt + ((c * KH + kh) * KW + kw) * M;
                            SNN_CONV_SIMD
                            for (int m = 0; m < M; m++)
                                a[m] += v * wv[m];>>>)m4_dnl
        for (int m = 0; m < M; m++) {
            float *restrict ym = yn + m * (OH * OW);
SNN_IF($15, <<<m4_dnl
            const float bm = b[m];
            for (int p = 0; p < OH * OW; p++)
                ym[p] = acc[p * M + m] + bm;
>>>, <<<m4_dnl
            for (int p = 0; p < OH * OW; p++)
                ym[p] = acc[p * M + m];
>>>)m4_dnl
        }
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_BACKWARD(fn, N, C, H, W, M, KH, KW, SH, SW, PT, PL, PB, PR,
m4_dnl                   want_dx, want_dw, want_db)
m4_dnl   Accumulates dx += conv_transpose(dy, w), dw += dy (x) x, db += sum dy.
m4_dnl   dw scatters over the nonzero inputs; dx over the nonzero output
m4_dnl   gradients (after a MaxPool three in four are zero), adding for each
m4_dnl   kernel row one contiguous run of KW*C values into a padded
m4_dnl   channel-last buffer, then cropping it into dx.
m4_define(<<<SNN_CONV_BACKWARD>>>, <<<SNN_CONV_ONCE()
static void $1(const float *restrict x, const float *restrict w, const float *restrict dy,
    float *restrict dx, float *restrict dw, float *restrict db)
{
    SNN_CONV_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    (void)x; (void)w; (void)dx; (void)dw; (void)db;
SNN_IF($15, <<<m4_dnl
    static float wt[M * KH * KW * C] __attribute__((aligned(64)));  /* [m][kh][kw][c] */
    static float dxp[HP * WP * C] __attribute__((aligned(64)));     /* padded [h][w][c] */
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < KH * KW; k++)
                wt[(m * KH * KW + k) * C + c] = w[(m * C + c) * KH * KW + k];
>>>)m4_dnl
SNN_IF($16, <<<m4_dnl
    static float dwt[C * KH * KW * M] __attribute__((aligned(64)));  /* [c][kh][kw][m] */
    static float dyt[OH * OW * M] __attribute__((aligned(64)));      /* [oh][ow][m] */
    memset(dwt, 0, sizeof dwt);
>>>)m4_dnl
    for (int n = 0; n < N; n++) {
        const float *restrict dyn = dy + (size_t)n * (M * OH * OW);
SNN_IF($17, <<<m4_dnl
        for (int m = 0; m < M; m++) {
            float s = 0.0f;
            for (int p = 0; p < OH * OW; p++)
                s += dyn[m * (OH * OW) + p];
            db[m] += s;
        }
>>>)m4_dnl
SNN_IF($16, <<<m4_dnl
        const float *restrict xn = x + (size_t)n * (C * H * W);
        for (int m = 0; m < M; m++)
            for (int p = 0; p < OH * OW; p++)
                dyt[p * M + m] = dyn[m * (OH * OW) + p];
SNN_CONV_SCATTER(<<<xn>>>, <<<m4_dnl
                            float *restrict g = dwt + ((c * KH + kh) * KW + kw) * M;
                            const float *restrict d = dyt + (oh * OW + ow) * M;
                            SNN_CONV_SIMD
                            for (int m = 0; m < M; m++)
                                g[m] += v * d[m];>>>)m4_dnl
>>>)m4_dnl
SNN_IF($15, <<<m4_dnl
        float *restrict dxn = dx + (size_t)n * (C * H * W);
        memset(dxp, 0, sizeof dxp);
        for (int m = 0; m < M; m++) {
            for (int oh = 0; oh < OH; oh++) {
                for (int ow = 0; ow < OW; ow++) {
                    const float gy = dyn[(m * OH + oh) * OW + ow];
                    if (gy == 0.0f)
                        continue;
                    for (int kh = 0; kh < KH; kh++) {
                        float *restrict d = dxp + ((oh * SH + kh) * WP + ow * SW) * C;
                        const float *restrict wr = wt + (m * KH + kh) * (KW * C);
                        SNN_CONV_SIMD
                        for (int j = 0; j < KW * C; j++)
                            d[j] += gy * wr[j];
                    }
                }
            }
        }
        for (int c = 0; c < C; c++)
            for (int ih = 0; ih < H; ih++) {
                const float *restrict s = dxp + ((ih + PT) * WP + PL) * C + c;
                float *restrict d = dxn + (c * H + ih) * W;
                for (int iw = 0; iw < W; iw++)
                    d[iw] += s[iw * C];
            }
>>>)m4_dnl
    }
SNN_IF($16, <<<m4_dnl
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < KH * KW; k++)
                dw[(m * C + c) * KH * KW + k] += dwt[(c * KH * KW + k) * M + m];
>>>)m4_dnl
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_POOL_WINDOWS(body): for each plane (N*C of them), output (oh, ow)
m4_dnl and its window clipped to the input, kh in [kh0, kh1), kw in [kw0, kw1)
m4_dnl (the input row is h0 + kh, the column w0 + kw); padding is never read.
m4_define(<<<SNN_POOL_WINDOWS>>>, <<<m4_dnl
    for (int nc = 0; nc < NC; nc++) {
        for (int oh = 0; oh < OH; oh++) {
            const int h0 = oh * SH - PT;
            const int kh0 = h0 < 0 ? -h0 : 0, kh1 = H - h0 < KH ? H - h0 : KH;
            for (int ow = 0; ow < OW; ow++) {
                const int w0 = ow * SW - PL;
                const int kw0 = w0 < 0 ? -w0 : 0, kw1 = W - w0 < KW ? W - w0 : KW;
                const int o = (nc * OH + oh) * OW + ow;
                const int base = nc * (H * W) + h0 * W + w0;
$1
            }
        }
    }
>>>)m4_dnl
m4_dnl SNN_POOL_DIMS(N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR)
m4_define(<<<SNN_POOL_DIMS>>>, <<<enum {
        NC = $1 * $2, H = $3, W = $4, KH = $5, KW = $6, SH = $7, SW = $8, PT = $9, PL = $10,
        OH = (H + $9 + $11 - KH) / SH + 1, OW = (W + $10 + $12 - KW) / SW + 1
    };>>>)m4_dnl
m4_dnl
m4_dnl SNN_MAXPOOL_FORWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR)
m4_dnl   Padding counts as -inf; NaN wins, as in PyTorch.
m4_define(<<<SNN_MAXPOOL_FORWARD>>>, <<<
static void $1(const float *restrict x, float *restrict y)
{
    SNN_POOL_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
SNN_POOL_WINDOWS(<<<m4_dnl
                float best = x[base + kh0 * W + kw0];
                for (int kh = kh0; kh < kh1; kh++)
                    for (int kw = kw0; kw < kw1; kw++) {
                        const float v = x[base + kh * W + kw];
                        if (v > best || v != v)
                            best = v;
                    }
                y[o] = best;>>>)m4_dnl
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MAXPOOL_BACKWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR)
m4_dnl   dx += dy at the first maximal element of each window in row-major
m4_dnl   order (PyTorch's choice; ties are common after spiking layers).
m4_define(<<<SNN_MAXPOOL_BACKWARD>>>, <<<
static void $1(const float *restrict x, const float *restrict dy, float *restrict dx)
{
    SNN_POOL_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
SNN_POOL_WINDOWS(<<<m4_dnl
                int at = base + kh0 * W + kw0;
                float best = x[at];
                for (int kh = kh0; kh < kh1; kh++)
                    for (int kw = kw0; kw < kw1; kw++) {
                        const float v = x[base + kh * W + kw];
                        if (v > best || v != v) {
                            best = v;
                            at = base + kh * W + kw;
                        }
                    }
                dx[at] += dy[o];>>>)m4_dnl
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_AVGPOOL_FORWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR, include_pad)
m4_dnl   The window sum divided by KH*KW (include_pad 1) or by the number of
m4_dnl   input elements in the window (0), as PyTorch (sum first, then divide).
m4_define(<<<SNN_AVGPOOL_FORWARD>>>, <<<
static void $1(const float *restrict x, float *restrict y)
{
    SNN_POOL_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
SNN_POOL_WINDOWS(<<<m4_dnl
                float s = 0.0f;
                for (int kh = kh0; kh < kh1; kh++)
                    for (int kw = kw0; kw < kw1; kw++)
                        s += x[base + kh * W + kw];
                y[o] = s / (float)SNN_IF($14, <<<(KH * KW)>>>, <<<((kh1 - kh0) * (kw1 - kw0))>>>);>>>)m4_dnl
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_AVGPOOL_BACKWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR, include_pad)
m4_define(<<<SNN_AVGPOOL_BACKWARD>>>, <<<
static void $1(const float *restrict dy, float *restrict dx)
{
    SNN_POOL_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
SNN_POOL_WINDOWS(<<<m4_dnl
                const float g = dy[o] / (float)SNN_IF($14, <<<(KH * KW)>>>, <<<((kh1 - kh0) * (kw1 - kw0))>>>);
                for (int kh = kh0; kh < kh1; kh++)
                    for (int kw = kw0; kw < kw1; kw++)
                        dx[base + kh * W + kw] += g;>>>)m4_dnl
}
>>>)m4_dnl
