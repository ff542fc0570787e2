m4_dnl conv.m4 - Conv (2-D), MaxPool and AveragePool, forward and backward
m4_dnl (SPEC section 3). Tensors are NCHW; Conv weights [M][C][KH][KW] as
m4_dnl PyTorch's nn.Conv2d; dilation 1, group 1, ceil_mode 0 (import.c and
m4_dnl infer.c refuse the rest). Pads are ONNX's: top, left, bottom, right.
m4_dnl
m4_dnl Convolutions are sums of weight rows over lists of nonzero inputs:
m4_dnl each kernel first lists the nonzero elements of its sparse operand
m4_dnl (the input for y and dw, the output gradient for dx), then every
m4_dnl output vector (the output channels of one position, the weight
m4_dnl gradient of one tap, the input-gradient run of one kernel row) sums
m4_dnl the rows of a channel-last copy of the dense operand that its list
m4_dnl entries select, in registers, 8 to 64 channels at a time (GNU C
m4_dnl vectors of 8 or 16 floats). Spike maps are mostly zero, so the work is
m4_dnl (spikes) x taps x channels; a spike's strength multiplies the weights
m4_dnl as any input value does. Scratch buffers are static arrays of
m4_dnl constant size inside each kernel: nothing is allocated, and each
m4_dnl kernel instance owns its own, one per batch group.
m4_dnl
m4_dnl Threads: a Conv cuts the batch into SNN_CONV_GROUPS fixed groups of
m4_dnl consecutive samples that run in parallel; a sum over samples (dw,
m4_dnl db) is kept per group and the groups' sums are added in group order
m4_dnl after them, so no result depends on the number of threads. Pools
m4_dnl run their planes in parallel.
m4_dnl
m4_dnl Every size is a macro argument, so every loop bound is a constant.
m4_dnl Gradient kernels accumulate (+=) into buffers the emitter cleared,
m4_dnl or store into them where the emitter says they write all of dx.
m4_dnl
m4_dnl SNN_CONV_ONCE(): C helpers shared by the kernels of this file, written
m4_dnl before the first kernel that needs them and never again. snn_v8 is a
m4_dnl GNU C vector of 8 floats: a block of NB of them is summed in registers
m4_dnl (the unroll pragma lets the compiler keep the array there). A block of
m4_dnl an even NB is summed in dense.m4's widest vectors instead (snn_vf, 16
m4_dnl floats with AVX-512): fewer instructions for the same arithmetic, lane
m4_dnl by lane (SNN_CV below chooses).
m4_define(<<<SNN_CONV_ONCE>>>, <<<m4_ifdef(<<<SNN_CONV_ONCE_DONE>>>, <<<>>>, <<<m4_define(<<<SNN_CONV_ONCE_DONE>>>, 1)SNN_VEC_ONCE()
typedef float snn_v8 __attribute__((vector_size(32)));
#define SNN_CONV_UNROLL _Pragma("GCC unroll 8")
/* unaligned loads and stores of 8 floats (macros: a function passing
 * vectors by value would depend on the target's vector ABI) */
#define SNN_V8_LOAD(v, p) memcpy(&(v), (p), sizeof(snn_v8))
#define SNN_V8_STORE(p, v) memcpy((p), &(v), sizeof(snn_v8))
/* lanes of t where mask m (a vector compare: all ones or zeros) is set,
 * else of f */
typedef int snn_v8i __attribute__((vector_size(32)));
#define SNN_V8_SELECT(m, t, f) ((snn_v8)(((snn_v8i)(t) & (m)) | ((snn_v8i)(f) & ~(m))))
/* a += v * t: one fused multiply-add where the target has it (rounded
 * once, so a little closer to the exact sum; the order is the same) */
#if (defined(__AVX__) || defined(__AVX512F__)) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif
#if defined(__FMA__) && (defined(__x86_64__) || defined(__i386__))
#define SNN_V8_MADD(a, v, t) ((a) = _mm256_fmadd_ps(_mm256_set1_ps(v), (t), (a)))
#else
#define SNN_V8_MADD(a, v, t) ((a) += (v) * (t))
#endif
/* the same three on dense.m4's vectors (SNN_VW floats) */
#define SNN_VF_LOAD(v, p) ((v) = snn_vload(p))
#define SNN_VF_STORE(p, v) snn_vstore((p), (v))
#define SNN_VF_MADD(a, v, t) ((a) = snn_vfma(snn_vset1(v), (t), (a)))
/* The batch is cut into this many fixed groups of consecutive samples,
 * the units the threads share out. Each group owns its scratch and its
 * partial weight gradient; the partials are added in group order, so the
 * result depends on this number, never on how many threads ran. */
#ifndef SNN_CONV_GROUPS
#define SNN_CONV_GROUPS 4
#endif
#ifndef SNN_PAR_FOR /* the emitted programs define it (threads on or off) */
#define SNN_PAR_FOR
#endif
/* The nonzeros of v[0..len) in order: values into val[] (unless val is
 * NULL: a list of 0/1 spikes needs none), base + index * stride into
 * off[]; returns their number. Each array needs 16 slots of
 * slack (AVX-512 stores whole vectors: a compress per 16 values, with no
 * branch to mispredict; the scalar loop has no branch either). NaN counts
 * as nonzero, as v != 0 says. */
static inline __attribute__((unused)) int snn_conv_nonzeros(const float *restrict v, const int len,
    const int stride, const int base, float *restrict val, int *restrict off)
{
    int n = 0;
#if defined(__AVX512F__)
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int i = 0; i < len; i += 16) {
        const __mmask16 in = len - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (len - i)) - 1u);
        const __m512 x = _mm512_maskz_loadu_ps(in, v + i);
        const __mmask16 k = _mm512_mask_cmp_ps_mask(in, x, _mm512_setzero_ps(), _CMP_NEQ_UQ);
        const __m512i at = _mm512_add_epi32(_mm512_set1_epi32(base),
            _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(i)), _mm512_set1_epi32(stride)));
        if (val)
            _mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(k, x));
        _mm512_storeu_si512((void *)(off + n), _mm512_maskz_compress_epi32(k, at));
        n += __builtin_popcount((unsigned)k);
    }
#else
    for (int i = 0; i < len; i++) {
        if (val)
            val[n] = v[i];
        off[n] = base + i * stride;
        n += v[i] != 0.0f;
    }
#endif
    return n;
}
/* dst[j * dstride + i] = src[i * sstride + j] for i < rows, j < cols: the
 * copies between a conv's channel-major tensors and its channel-last
 * scratch. Where AVX has the shuffles, 8 x 8 blocks go through registers,
 * and with AVX-512VL's masked loads and stores so do the partial blocks at
 * the edges (12 channels: half the block); a strided scalar copy takes a
 * cache line per element. */
static inline __attribute__((unused)) void snn_conv_transpose(const float *restrict src, const int sstride,
    float *restrict dst, const int dstride, const int rows, const int cols)
{
#if defined(__AVX__)
#if defined(__AVX512VL__)
    const int rows8 = rows, cols8 = cols; /* every block, the partial ones masked */
#define SNN_TR_LOAD(k) ((k) < nr ? _mm256_maskz_loadu_ps(cm, s + (k) * sstride) : _mm256_setzero_ps())
#define SNN_TR_STORE(k, v) do { if ((k) < nc) _mm256_mask_storeu_ps(d + (k) * dstride, rm, (v)); } while (0)
#else
    const int rows8 = rows / 8 * 8, cols8 = cols / 8 * 8;
#define SNN_TR_LOAD(k) _mm256_loadu_ps(s + (k) * sstride)
#define SNN_TR_STORE(k, v) _mm256_storeu_ps(d + (k) * dstride, (v))
#endif
    for (int i0 = 0; i0 < rows8; i0 += 8)
        for (int j0 = 0; j0 < cols8; j0 += 8) {
            const int nr = rows - i0 < 8 ? rows - i0 : 8, nc = cols - j0 < 8 ? cols - j0 : 8;
            const unsigned char rm = (unsigned char)((1u << nr) - 1u), cm = (unsigned char)((1u << nc) - 1u);
            (void)nr; (void)nc; (void)rm; (void)cm;
            const float *restrict s = src + (size_t)i0 * sstride + j0;
            const __m256 r0 = SNN_TR_LOAD(0), r1 = SNN_TR_LOAD(1), r2 = SNN_TR_LOAD(2), r3 = SNN_TR_LOAD(3),
                         r4 = SNN_TR_LOAD(4), r5 = SNN_TR_LOAD(5), r6 = SNN_TR_LOAD(6), r7 = SNN_TR_LOAD(7);
            const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
                         t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
                         t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                         t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee),
                         u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee),
                         u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee),
                         u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
            float *restrict d = dst + (size_t)j0 * dstride + i0;
            SNN_TR_STORE(0, _mm256_permute2f128_ps(u0, u4, 0x20));
            SNN_TR_STORE(1, _mm256_permute2f128_ps(u1, u5, 0x20));
            SNN_TR_STORE(2, _mm256_permute2f128_ps(u2, u6, 0x20));
            SNN_TR_STORE(3, _mm256_permute2f128_ps(u3, u7, 0x20));
            SNN_TR_STORE(4, _mm256_permute2f128_ps(u0, u4, 0x31));
            SNN_TR_STORE(5, _mm256_permute2f128_ps(u1, u5, 0x31));
            SNN_TR_STORE(6, _mm256_permute2f128_ps(u2, u6, 0x31));
            SNN_TR_STORE(7, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
#undef SNN_TR_LOAD
#undef SNN_TR_STORE
#else
    const int rows8 = 0, cols8 = 0;
#endif
    /* what the blocks left: the last columns of their rows, the last rows */
    for (int i = 0; i < rows; i++)
        for (int j = i < rows8 ? cols8 : 0; j < cols; j++)
            dst[(size_t)j * dstride + i] = src[(size_t)i * sstride + j];
}
>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_ROUND_UP(n, b): n rounded up to a multiple of b, for array sizes at file scope.
m4_define(<<<SNN_ROUND_UP>>>, <<<m4_eval(((<<<$1>>>) + (<<<$2>>>) - 1) / (<<<$2>>>) * (<<<$2>>>))>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_DIMS(N, C, H, W, M, KH, KW, SH, SW, PT, PL, PB, PR): the sizes
m4_dnl as C constants, output sizes derived as ONNX does with ceil_mode 0.
m4_dnl HP x WP is the padded input.
m4_define(<<<SNN_CONV_DIMS>>>, <<<enum {
        N = $1, C = $2, H = $3, W = $4, M = $5, KH = $6, KW = $7, SH = $8, SW = $9,
        PT = $10, PL = $11, HP = H + $10 + $12, WP = W + $11 + $13,
        OH = (HP - KH) / SH + 1, OW = (WP - KW) / SW + 1, KK = KH * KW
    };>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_LIST(set_row, val_slot, count, indent): appends v to a list
m4_dnl when it is nonzero: the entry (set_row stores its row pointer at index
m4_dnl count, val_slot its value unless empty: a list of 0/1 spikes needs
m4_dnl none) is written unconditionally and kept (count advanced) only for
m4_dnl v != 0, with no branch: at the 5-30% spike densities of trained
m4_dnl networks a branch on each input mispredicts too often (measured: the
m4_dnl second conv of fmnist_conv's forward 25% faster without it).
m4_define(<<<SNN_CONV_LIST>>>, <<<m4_dnl
$4                    $1
m4_ifelse(<<<$2>>>, <<<>>>, <<<>>>, <<<m4_dnl
$4                    $2 = v;
>>>)m4_dnl
$4                    $3 += v != 0.0f;
>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_WIDE_C(C, then[, else]): then where C channels fill a vector
m4_dnl compress well (8 or more), else `else`.
m4_define(<<<SNN_CONV_WIDE_C>>>, <<<SNN_IF(m4_eval(<<<$1 >= 8>>>), <<<$2>>>, <<<$3>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_CV(NB, what): for a block of NB (a number) vectors of 8 floats, the C
m4_dnl name of what: its vector type, how many of them (n), floats per
m4_dnl vector (w), and their LOAD, STORE and MADD; dense.m4's snn_vf (4, 8
m4_dnl or 16 floats, which divide 16) when NB is even, snn_v8 otherwise.
m4_define(<<<SNN_CV>>>, <<<m4_ifelse(m4_eval(($1) % 2), 0, <<<m4_ifelse($2, type, snn_vf, $2, n, ($1 * 8 / SNN_VW),
    $2, w, SNN_VW, <<<SNN_VF_$2>>>)>>>, <<<m4_ifelse($2, type, snn_v8, $2, n, $1, $2, w, 8, <<<SNN_V8_$2>>>)>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_BLOCK(NB, vals, row, count, shift, dst, mode, indent[, rstep, dstep, nv]):
m4_dnl the sum over the `count` entries q of a list (values vals[q], row
m4_dnl pointers given by the expression row of q) of val * row[shift ..
m4_dnl shift + 8 NB), in registers, NB vectors of 8 floats at dst: added to
m4_dnl them when it is done (mode add), or continued from them and stored
m4_dnl (mode continue: the same additions, in the same order, as one longer
m4_dnl sum). With rstep and dstep (mode add), a second sum over the same
m4_dnl list, of the rows at row + rstep, goes to dst + dstep: twice the
m4_dnl independent additions in flight for one walk of the list. The row of
m4_dnl an entry is computed once (base + its offset + shift), so that each
m4_dnl load is one register plus a constant displacement. An empty vals
m4_dnl says every value is 1 (a list of 0/1 spikes): the rows are added,
m4_dnl which is what multiplying them by 1 gives, without loading a value
m4_dnl per entry. nv, a C constant, sums that many of the NB vectors
m4_dnl (the first nv of them) instead of all. It declares a[] (and b[]):
m4_dnl call it as the whole body of a block.
m4_define(<<<SNN_CONV_BLOCK>>>, <<<m4_pushdef(<<<PAIR>>>, m4_ifelse(<<<$9>>>, <<<>>>, 0, 1))m4_dnl
m4_pushdef(<<<NV>>>, m4_ifelse(<<<$11>>>, <<<>>>, <<<SNN_CV($1, n)>>>, <<<$11>>>))m4_dnl
$8                    SNN_CV($1, type) a[NV]SNN_IF(PAIR, <<<, b[NV]>>>);
$8                    SNN_CONV_UNROLL
$8                    for (int u = 0; u < NV; u++)
m4_ifelse($7, continue, <<<m4_dnl
$8                        SNN_CV($1, LOAD)(a[u], $6 + SNN_CV($1, w) * u);
>>>, <<<m4_dnl
$8                        a[u] = SNN_IF(PAIR, <<<b[u] = >>>)(SNN_CV($1, type)){0};
>>>)m4_dnl
$8                    for (int q = 0; q < $4; q++) {
m4_ifelse(<<<$2>>>, <<<>>>, <<<>>>, <<<m4_dnl
$8                        const float v = $2[q];
>>>)m4_dnl
$8                        const float *restrict r = ($3) + ($5);
$8                        SNN_CONV_UNROLL
$8                        for (int u = 0; u < NV; u++) {
$8                            SNN_CV($1, type) t;
$8                            SNN_CV($1, LOAD)(t, r + SNN_CV($1, w) * u);
$8                            m4_ifelse(<<<$2>>>, <<<>>>, <<<a[u] += t;>>>, <<<SNN_CV($1, MADD)(a[u], v, t);>>>)
SNN_IF(PAIR, <<<m4_dnl
$8                            SNN_CV($1, LOAD)(t, r + ($9) + SNN_CV($1, w) * u);
$8                            m4_ifelse(<<<$2>>>, <<<>>>, <<<b[u] += t;>>>, <<<SNN_CV($1, MADD)(b[u], v, t);>>>)
>>>)m4_dnl
$8                        }
$8                    }
$8                    SNN_CONV_UNROLL
$8                    for (int u = 0; u < NV; u++) {
m4_ifelse($7, continue, <<<m4_dnl
$8                        SNN_CV($1, STORE)($6 + SNN_CV($1, w) * u, a[u]);
>>>, <<<m4_dnl
$8                        SNN_CV($1, type) t;
$8                        SNN_CV($1, LOAD)(t, $6 + SNN_CV($1, w) * u);
$8                        t += a[u];
$8                        SNN_CV($1, STORE)($6 + SNN_CV($1, w) * u, t);
SNN_IF(PAIR, <<<m4_dnl
$8                        SNN_CV($1, LOAD)(t, $6 + ($10) + SNN_CV($1, w) * u);
$8                        t += b[u];
$8                        SNN_CV($1, STORE)($6 + ($10) + SNN_CV($1, w) * u, t);
>>>)m4_dnl
>>>)m4_dnl
$8                    }
m4_popdef(<<<NV>>>)m4_popdef(<<<PAIR>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_POOLED(PKH): 1 when a Conv kernel computes a MaxPool of
m4_dnl PKH x PKW windows (PKH > 0), 0 when not (0 or no argument).
m4_define(<<<SNN_CONV_POOLED>>>, <<<m4_ifelse(<<<$1>>>, <<<>>>, 0, <<<$1>>>, <<<0>>>, 0, 1)>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_FORWARD(fn, N, C, H, W, M, KH, KW, SH, SW, PT, PL, PB, PR, bias, NB[, PKH, PKW, argmax, binary])
m4_dnl   y[n][m] = sum_c x[n][c] * w[m][c] (+ b[m]); bias 0 or 1; fn_weights(w, b)
m4_dnl   lays the weights out first, once per pass. With PKH x PKW (windows
m4_dnl   that tile the output), y is instead the MaxPool of that, taken from
m4_dnl   the kernel's scratch (the conv output is never stored): per channel
m4_dnl   the first maximum in window order, or NaN when the window holds one,
m4_dnl   as the MaxPool kernel below; with argmax, fn(x, y, am) also writes
m4_dnl   where it is (its offset in the conv output's plane). The nonzero
m4_dnl   inputs are listed once per input row, by column, then by channel
m4_dnl   (a column's entries start at colstart[column]). The inputs one
m4_dnl   kernel row of an output sees are then one contiguous run of its
m4_dnl   input row's list; the output sums, over its KH runs, the rows
m4_dnl   wt[c][kh][kw][m] of their taps times the input, NB vectors of output
m4_dnl   channels at a time in registers. The sums run kernel row by kernel
m4_dnl   row through a channel-last scratch (exact, so the order of the
m4_dnl   additions is the same as in one pass), which keeps one kernel row's
m4_dnl   weights in the L1 cache: read from L2, a 64-channel row costs about
m4_dnl   twice its multiply-adds. The scratch is transposed into y. Work:
m4_dnl   (nonzero inputs) x taps x output channels. binary 1: x holds 0/1
m4_dnl   spikes only, so the weight rows are added without a value per
m4_dnl   entry (one load in six fewer).
m4_define(<<<SNN_CONV_FORWARD>>>, <<<SNN_CONV_ONCE()
/* The weights as [c][kh][kw][m], m padded with 0, and the bias padded:
 * laid out by the _weights function once per pass, read by the kernel at
 * every step. The slack keeps every list entry's pointer (its tap column
 * not yet chosen) inside the array. */
static float $1_wt[$3 * $7 * $8 * SNN_ROUND_UP($6, 8 * $16) + ($5 + $12) * SNN_ROUND_UP($6, 8 * $16)]
    __attribute__((aligned(64)));
static float $1_bp[SNN_ROUND_UP($6, 8 * $16)] __attribute__((aligned(64)));

static void $1_weights(const float *restrict w, const float *restrict b)
{
    enum { M = $6, C = $3, KK = $7 * $8, MP = SNN_ROUND_UP($6, 8 * $16) };
    (void)b;
    for (int m = 0; m < M; m++) {
        $1_bp[m] = SNN_IF($15, <<<b[m]>>>, <<<0.0f>>>);
        for (int c = 0; c < C; c++)
            for (int k = 0; k < KK; k++)
                $1_wt[(c * KK + k) * MP + m] = w[(m * C + c) * KK + k];
    }
}

m4_pushdef(<<<POOLED>>>, SNN_CONV_POOLED($17))m4_dnl
m4_pushdef(<<<ARGMAX>>>, m4_ifelse(POOLED, 1, m4_ifelse(<<<$19>>>, <<<1>>>, 1, 0), 0))m4_dnl
m4_pushdef(<<<BIN>>>, m4_ifelse(<<<$20>>>, <<<1>>>, 1, 0))m4_dnl
static void $1(const float *restrict x, float *restrict y<<<>>>SNN_IF(ARGMAX, <<<, float *restrict am>>>))
{
    SNN_CONV_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    enum { NB = $16, MB = 8 * NB, MP = (M + MB - 1) / MB * MB };
    enum { G = N < SNN_CONV_GROUPS ? N : SNN_CONV_GROUPS };
SNN_IF(POOLED, <<<m4_dnl
    enum { PKH = $17, PKW = $18, PH = OH / PKH, PW = OW / PKW };
    static float pool_g[G][2][PH * PW * MP] __attribute__((aligned(64)));  /* maxima, where; [ph][pw][m] */
>>>)m4_dnl
    const float *restrict wt = $1_wt, *restrict bp = $1_bp;
    static int colstart_g[G][H * (W + 1)];        /* per row and column: first entry */
    /* per nonzero input: the offset in wt of its channel's rows at column
     * iw + PL, and its value unless x is 0/1 spikes (+ 16:
     * snn_conv_nonzeros writes whole vectors) */
    static int in_off_g[G][H * W * C + 16];
SNN_IF(BIN, <<<>>>, <<<m4_dnl
    static float in_val_g[G][H * W * C + 16];
>>>)m4_dnl
SNN_CONV_WIDE_C($3, <<<m4_dnl
    static float xt_g[G][H * W * C] __attribute__((aligned(64)));  /* x channel-last, [ih][iw][c] */
>>>)m4_dnl
    static float acc_g[G][OH * OW * MP] __attribute__((aligned(64)));  /* [oh][ow][m] */
    SNN_PAR_FOR
    for (int g = 0; g < G; g++)
        for (int n = g * N / G; n < (g + 1) * N / G; n++) {
            int *restrict colstart = colstart_g[g], *restrict in_off = in_off_g[g];
SNN_IF(BIN, <<<>>>, <<<m4_dnl
            float *restrict in_val = in_val_g[g];
>>>)m4_dnl
            const float *restrict xn = x + (size_t)n * (C * H * W);
            float *restrict yn = y + (size_t)n * (M * SNN_IF(POOLED, <<<PH * PW>>>, <<<OH * OW>>>));
SNN_CONV_WIDE_C($3, <<<m4_dnl
            /* a column's channels are contiguous channel-last: one vector
             * compress each */
            float *restrict xt = xt_g[g];
            snn_conv_transpose(xn, H * W, xt, C, C, H * W);
>>>)m4_dnl
            for (int ih = 0; ih < H; ih++) {
                int k = ih * (W * C);
                for (int iw = 0; iw < W; iw++) {
                    colstart[ih * (W + 1) + iw] = k;
SNN_CONV_WIDE_C($3, <<<m4_dnl
                    k += snn_conv_nonzeros(xt + (ih * W + iw) * C, C, KK * MP, (iw + PL) * MP,
                        SNN_IF(BIN, <<<NULL>>>, <<<in_val + k>>>), in_off + k);
>>>, <<<m4_dnl
                    for (int c = 0; c < C; c++) {
                        const float v = xn[(c * H + ih) * W + iw];
SNN_CONV_LIST(<<<in_off[k] = (c * KK + iw + PL) * MP;>>>, SNN_IF(BIN, <<<>>>, <<<in_val[k]>>>), <<<k>>>, <<<    >>>)m4_dnl
                    }
>>>)m4_dnl
                }
                colstart[ih * (W + 1) + W] = k;
            }
            /* from the bias, kernel row after kernel row (C x KW x MP
             * floats of wt in use) */
            float *restrict acc = acc_g[g];
            for (int p = 0; p < OH * OW; p++)
                memcpy(acc + p * MP, bp, sizeof(float) * MP);
            for (int kh = 0; kh < KH; kh++)
                for (int oh = 0; oh < OH; oh++) {
                    const int ih = oh * SH + kh - PT;
                    if (ih < 0 || ih >= H)
                        continue;
                    for (int ow = 0; ow < OW; ow++) {
                        const int w0 = ow * SW - PL;
                        const int c0 = w0 < 0 ? 0 : w0, c1 = w0 + KW > W ? W : w0 + KW;
                        /* entry (c, iw) is tap kw = iw + PL - ow*SW: row c*KK + kh*KW + kw */
                        const int e0 = colstart[ih * (W + 1) + c0], e1 = colstart[ih * (W + 1) + c1];
SNN_IF(BIN, <<<>>>, <<<m4_dnl
                        const float *restrict ev = in_val + e0;
>>>)m4_dnl
                        const int *restrict eo = in_off + e0;
                        for (int jb = 0; jb < MP; jb += MB) {
                            float *restrict ao = acc + (oh * OW + ow) * MP + jb;
                            const int shift = (kh * KW - ow * SW) * MP + jb;
SNN_CONV_BLOCK($16, SNN_IF(BIN, <<<>>>, <<<ev>>>), <<<wt + eo[q]>>>, <<<e1 - e0>>>, <<<shift>>>, <<<ao>>>, continue, <<<        >>>)m4_dnl
                        }
                    }
                }
SNN_IF(POOLED, <<<m4_dnl
            /* the pool, 8 channels of a window at a time; yn holds PH x PW
             * per channel */
            float *restrict best = pool_g[g][0], *restrict at = pool_g[g][1];
            for (int q = 0; q < PH * PW; q++) {
                const int o0 = q / PW * PKH * OW + q % PW * PKW;
                for (int u = 0; u < MP / 8; u++) {
                    snn_v8 b, a = (snn_v8){0} + (float)o0, z = (snn_v8){0} - 1.0f;
                    SNN_V8_LOAD(b, acc + o0 * MP + 8 * u);
                    for (int kh = 0; kh < PKH; kh++)
                        for (int kw = 0; kw < PKW; kw++) {
                            const int o = o0 + kh * OW + kw;
                            const snn_v8 here = (snn_v8){0} + (float)o;
                            snn_v8 v;
                            SNN_V8_LOAD(v, acc + o * MP + 8 * u);
                            const snn_v8i gt = v > b;
                            a = SNN_V8_SELECT(gt, here, a);
                            b = SNN_V8_SELECT(gt, v, b);
                            z = SNN_V8_SELECT(v != v, here, z);
                        }
                    const snn_v8i nan_in = z >= 0.0f;
                    b = SNN_V8_SELECT(nan_in, (snn_v8){0} + NAN, b);
                    a = SNN_V8_SELECT(nan_in, z, a);
                    SNN_V8_STORE(best + q * MP + 8 * u, b);
                    SNN_V8_STORE(at + q * MP + 8 * u, a);
                }
            }
            snn_conv_transpose(best, MP, yn, PH * PW, PH * PW, M);
SNN_IF(ARGMAX, <<<m4_dnl
            snn_conv_transpose(at, MP, am + (size_t)n * (M * PH * PW), PH * PW, PH * PW, M);
>>>)m4_dnl
>>>, <<<m4_dnl
            snn_conv_transpose(acc, MP, yn, OH * OW, OH * OW, M);
>>>)m4_dnl
        }
}
m4_popdef(<<<POOLED>>>)m4_popdef(<<<ARGMAX>>>)m4_popdef(<<<BIN>>>)m4_dnl
>>>)m4_dnl
m4_dnl
m4_dnl SNN_CONV_BACKWARD(fn, N, C, H, W, M, KH, KW, SH, SW, PT, PL, PB, PR,
m4_dnl                   want_dx, want_dw, want_db, NB, NBX[, PKH, PKW, binary])
m4_dnl   Accumulates dx += conv_transpose(dy, w) (want_dx 1; 2 stores it: dx
m4_dnl   was not cleared), dw += dy (x) x, db += sum dy. With PKH x PKW (the
m4_dnl   forward computed the MaxPool), fn(x, dp, am, dx, dw, db) takes the
m4_dnl   gradient of the pool's output and its maxima instead of dy, and puts
m4_dnl   each window's gradient at its maximum itself. The batch groups run
m4_dnl   in parallel; each sums its own dw and db, added in group order.
m4_dnl   dw: for each pair of taps of a kernel row, the nonzero inputs of each
m4_dnl   channel are listed row by row, only in the columns where an output
m4_dnl   of either tap is in range (all columns would waste a third of the
m4_dnl   multiply-adds on zeros at fmnist_conv's sizes); for each tap, their
m4_dnl   rows of dy (channel-last, laid out so that a tap is a fixed offset
m4_dnl   and out-of-range outputs read zeros) are summed, NVW vectors of
m4_dnl   output channels and the pair's two taps at a time: all of a block's
m4_dnl   vectors up to 4 a tap (one walk of each list; halving the block to
m4_dnl   keep its part of dy in the L1 cache measured 3-5% slower at
m4_dnl   fmnist_conv with 512-bit vectors), half of them above 4 when they
m4_dnl   split evenly.
m4_dnl   With binary 1 (x holds 0/1 spikes only), dw adds the rows of dy
m4_dnl   without a value per entry. db sums every channel at once over the
m4_dnl   channel-last dy.
m4_dnl   dx: for each output position, its nonzero gradients (after a MaxPool
m4_dnl   three in four are zero) weight rows of wt2[m][kh][kw][c]; each
m4_dnl   kernel row is one contiguous run of KW*C values of a padded
m4_dnl   channel-last buffer, cropped into dx. The
m4_dnl   gradients of all positions are listed first; the sums then take
m4_dnl   kernel row after kernel row, so that the rows of wt2 in use stay
m4_dnl   in the L1 cache. With want_dx, fn_weights(w) lays wt2 out first,
m4_dnl   once per pass.
m4_define(<<<SNN_CONV_BACKWARD>>>, <<<SNN_CONV_ONCE()
SNN_IF($15, <<<m4_dnl
/* The weights as [m][kh][kw c], each kernel row padded with 0: laid out by
 * the _weights function once per backward pass, read by the kernel at
 * every step. */
static float $1_wt2[$6 * $7 * SNN_ROUND_UP($8 * $3, 8 * $19)] __attribute__((aligned(64)));

static void $1_weights(const float *restrict w)
{
    enum { M = $6, C = $3, KH = $7, KW = $8, RW = SNN_ROUND_UP($8 * $3, 8 * $19) };
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            for (int kh = 0; kh < KH; kh++)
                for (int kw = 0; kw < KW; kw++)
                    $1_wt2[(m * KH + kh) * RW + kw * C + c] = w[((m * C + c) * KH + kh) * KW + kw];
}

>>>)m4_dnl
m4_pushdef(<<<POOLED>>>, SNN_CONV_POOLED($20))m4_dnl
m4_pushdef(<<<DYD>>>, m4_eval(<<<$15 || $16 || $17 || >>>POOLED))m4_dnl
m4_pushdef(<<<BIN>>>, m4_ifelse(<<<$22>>>, <<<1>>>, 1, 0))m4_dnl
static void $1(const float *restrict x, const float *restrict dy<<<>>>SNN_IF(POOLED, <<<, const float *restrict am>>>),
    float *restrict dx, float *restrict dw, float *restrict db)
{
    SNN_CONV_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    enum { NB = $18, MB = 8 * NB, MP = (M + MB - 1) / MB * MB };
    /* dw's blocks of channels, two taps at a time: all NVB vectors of a
     * tap up to 4 (8 registers for the pair: 64 channels with 512-bit
     * vectors), half of them above 4 when they split evenly */
    enum { NVB = SNN_CV($18, n), NVW = NVB > 4 && NVB % 2 == 0 ? NVB / 2 : NVB,
           MBW = NVW * SNN_CV($18, w), NT = (KW + 1) / 2 };
    enum { NBX = $19, RB = 8 * NBX, RW = (KW * C + RB - 1) / RB * RB };
    enum { R = HP + KH - 1, S = WP + KW - 1 };
    enum { G = N < SNN_CONV_GROUPS ? N : SNN_CONV_GROUPS };
    (void)x; (void)dx; (void)dw; (void)db;
SNN_IF(POOLED, <<<m4_dnl
    enum { PKH = $20, PKW = $21, PH = OH / PKH, PW = OW / PKW };
    /* the pool's gradient and maxima, channel-last, padded with zeros */
    static float dpl_g[G][PH * PW * MP] __attribute__((aligned(64))), aml_g[G][PH * PW * MP] __attribute__((aligned(64)));
>>>)m4_dnl
SNN_IF($15, <<<m4_dnl
    const float *restrict wt2 = $1_wt2;
    static float dxp_g[G][HP * WP * C + RW] __attribute__((aligned(64)));  /* padded [h][w][c] */
    /* the nonzero gradients of every output position, position after
     * position (+ 16: snn_conv_nonzeros writes whole vectors) */
    static int bx_start_g[G][OH * OW + 1];
    static int bx_off_g[G][OH * OW * M + 16];
    static float bx_val_g[G][OH * OW * M + 16];
>>>)m4_dnl
    /* dy channel-last, dy[n][m][oh][ow] at row oh*SH + KH-1, column
     * ow*SW + KW-1 (for dw a tap is then a fixed offset, and outputs out of
     * range read the zeros that are never written) */
    static float dyd_g[G][SNN_IF(DYD, <<<R * S * MP>>>, 1)] __attribute__((aligned(64)));
    (void)dyd_g;
SNN_IF($16, <<<m4_dnl
    static float dwt_g[G][C * KK * MP] __attribute__((aligned(64)));  /* [c][kh][kw][m] */
    /* per pair of taps t, channel and row: the nonzero inputs of the
     * columns whose outputs are in range for either tap, each with the
     * offset of its row of dyd and its value unless x is 0/1 spikes (+ 16:
     * snn_conv_nonzeros writes whole vectors) */
    static int bw_rowstart_g[G][NT * C * (H + 1)];
    static int bw_off_g[G][NT * C * H * W + 16];
SNN_IF(BIN, <<<>>>, <<<m4_dnl
    static float bw_val_g[G][NT * C * H * W + 16];
>>>)m4_dnl
    memset(dwt_g, 0, sizeof dwt_g);
>>>)m4_dnl
SNN_IF($17, <<<m4_dnl
    static float db_g[G][M];
    memset(db_g, 0, sizeof db_g);
>>>)m4_dnl
    SNN_PAR_FOR
    for (int g = 0; g < G; g++)
        for (int n = g * N / G; n < (g + 1) * N / G; n++) {
            float *restrict dyd = dyd_g[g];
            (void)dyd;
SNN_IF(POOLED, <<<m4_dnl
            /* dy where the outputs are: each window's gradient at its
             * maximum and 0 at the rest of it (0 + g, as the pool's backward
             * adds it to a cleared dy); the windows tile the outputs, so
             * every one is written. The gradient and the maxima go
             * channel-last first, 8 channels of a window at a time. */
            float *restrict dpl = dpl_g[g], *restrict aml = aml_g[g];
            snn_conv_transpose(dy + (size_t)n * (M * PH * PW), PH * PW, dpl, MP, M, PH * PW);
            snn_conv_transpose(am + (size_t)n * (M * PH * PW), PH * PW, aml, MP, M, PH * PW);
            for (int q = 0; q < PH * PW; q++) {
                const int o0 = q / PW * PKH * OW + q % PW * PKW;
                for (int kh = 0; kh < PKH; kh++)
                    for (int kw = 0; kw < PKW; kw++) {
                        const int o = o0 + kh * OW + kw;
                        const snn_v8 here = (snn_v8){0} + (float)o, zero = {0};
                        float *restrict d = dyd + ((o / OW * SH + KH - 1) * S + o % OW * SW + KW - 1) * MP;
                        for (int u = 0; u < MP / 8; u++) {
                            snn_v8 gv, av;
                            SNN_V8_LOAD(gv, dpl + q * MP + 8 * u);
                            SNN_V8_LOAD(av, aml + q * MP + 8 * u);
                            const snn_v8 put = SNN_V8_SELECT(av == here, zero + gv, zero);
                            SNN_V8_STORE(d + 8 * u, put);
                        }
                    }
            }
>>>, <<<m4_dnl
            const float *restrict dyn = dy + (size_t)n * (M * OH * OW);
            (void)dyn;
SNN_IF(DYD, <<<m4_dnl
            for (int oh = 0; oh < OH; oh++)
                snn_conv_transpose(dyn + oh * OW, OH * OW, dyd + ((oh * SH + KH - 1) * S + KW - 1) * MP, SW * MP, M, OW);
>>>)m4_dnl
>>>)m4_dnl
SNN_IF($17, <<<m4_dnl
            {   /* db: each channel's sum over the positions in order, all
                 * channels at once from the channel-last copy */
                snn_v8 s[MP / 8];
                for (int u = 0; u < MP / 8; u++)
                    s[u] = (snn_v8){0};
                for (int p = 0; p < OH * OW; p++) {
                    const float *restrict r = dyd + ((p / OW * SH + KH - 1) * S + p % OW * SW + KW - 1) * MP;
                    for (int u = 0; u < MP / 8; u++) {
                        snn_v8 t;
                        SNN_V8_LOAD(t, r + 8 * u);
                        s[u] += t;
                    }
                }
                for (int m = 0; m < M; m++)
                    db_g[g][m] += s[m / 8][m % 8];
            }
>>>)m4_dnl
SNN_IF($16, <<<m4_dnl
            const float *restrict xn = x + (size_t)n * (C * H * W);
            int *restrict bw_rowstart = bw_rowstart_g[g], *restrict bw_off = bw_off_g[g];
SNN_IF(BIN, <<<>>>, <<<m4_dnl
            float *restrict bw_val = bw_val_g[g];
>>>)m4_dnl
            int cnt = 0;
            for (int t = 0; t < NT; t++) {
                /* tap kw's outputs are in range for the input columns
                 * kw - PL + ow*SW: a pair's are those of both */
                const int kw0 = 2 * t, kw1 = kw0 + 1 < KW ? kw0 + 1 : kw0;
                const int lo = kw0 - PL < 0 ? 0 : kw0 - PL;
                const int hi = kw1 - PL + (OW - 1) * SW + 1 > W ? W : kw1 - PL + (OW - 1) * SW + 1;
                for (int c = 0; c < C; c++) {
                    int *restrict rs = bw_rowstart + (t * C + c) * (H + 1);
                    for (int ih = 0; ih < H; ih++) {
                        rs[ih] = cnt;
                        if (lo < hi)
                            cnt += snn_conv_nonzeros(xn + (c * H + ih) * W + lo, hi - lo, MP,
                                ((ih + PT + KH - 1) * S + lo + PL + KW - 1) * MP,
                                SNN_IF(BIN, <<<NULL>>>, <<<bw_val + cnt>>>), bw_off + cnt);
                    }
                    rs[H] = cnt;
                }
            }
            /* MBW output channels at a time, the two taps of a pair at once
             * (adjacent rows of dyd) */
            for (int jb = 0; jb < MP; jb += MBW)
                for (int c = 0; c < C; c++)
                    for (int kh = 0; kh < KH; kh++) {
                        /* only the input rows kernel row kh maps to an output row */
                        const int r0 = kh - PT, r1 = kh - PT + (OH - 1) * SH + 1;
                        const int i0 = r0 < 0 ? 0 : r0 > H ? H : r0, i1 = r1 < 0 ? 0 : r1 > H ? H : r1;
                        for (int t = 0; t < NT; t++) {
                            const int *restrict rs = bw_rowstart + (t * C + c) * (H + 1);
                            const int e0 = rs[i0], e1 = rs[i1];
                            if (e0 >= e1)
                                continue;
                            const int *restrict bk_off = bw_off + e0;
SNN_IF(BIN, <<<>>>, <<<m4_dnl
                            const float *restrict bk_val = bw_val + e0;
>>>)m4_dnl
                            const int kw = 2 * t, shift = jb - (kh * S + kw) * MP;
                            float *restrict gk = dwt_g[g] + (c * KK + kh * KW + kw) * MP + jb;
                            if (kw + 1 < KW) {
SNN_CONV_BLOCK($18, SNN_IF(BIN, <<<>>>, <<<bk_val>>>), <<<dyd + bk_off[q]>>>, <<<e1 - e0>>>, <<<shift>>>, <<<gk>>>, add, <<<            >>>, <<<-MP>>>, <<<MP>>>, NVW)m4_dnl
                            } else {
SNN_CONV_BLOCK($18, SNN_IF(BIN, <<<>>>, <<<bk_val>>>), <<<dyd + bk_off[q]>>>, <<<e1 - e0>>>, <<<shift>>>, <<<gk>>>, add, <<<            >>>, <<<>>>, <<<>>>, NVW)m4_dnl
                            }
                        }
                    }
>>>)m4_dnl
SNN_IF($15, <<<m4_dnl
            float *restrict dxn = dx + (size_t)n * (C * H * W);
            float *restrict dxp = dxp_g[g];
            int *restrict bx_start = bx_start_g[g], *restrict bx_off = bx_off_g[g];
            float *restrict bx_val = bx_val_g[g];
            memset(dxp, 0, sizeof dxp_g[g]);
            int nzs = 0;
            for (int p = 0; p < OH * OW; p++) {
                const float *restrict gr = dyd + ((p / OW * SH + KH - 1) * S + p % OW * SW + KW - 1) * MP;
                bx_start[p] = nzs;
                nzs += snn_conv_nonzeros(gr, M, KH * RW, 0, bx_val + nzs, bx_off + nzs);
            }
            bx_start[OH * OW] = nzs;
            /* kernel row after kernel row (M x RW floats of wt2 in use) */
            for (int kh = 0; kh < KH; kh++)
                for (int p = 0; p < OH * OW; p++) {
                    const int q0 = bx_start[p], nz = bx_start[p + 1] - q0;
                    if (!nz)
                        continue;
                    const float *restrict pv = bx_val + q0;
                    const int *restrict po = bx_off + q0;
                    for (int jb = 0; jb < RW; jb += RB) {
                        float *restrict d = dxp + ((p / OW * SH + kh) * WP + p % OW * SW) * C + jb;
                        const int shift = kh * RW + jb;
SNN_CONV_BLOCK($19, <<<pv>>>, <<<wt2 + po[q]>>>, <<<nz>>>, <<<shift>>>, <<<d>>>, add, <<<    >>>)m4_dnl
                    }
                }
SNN_IF(m4_eval(<<<$15 == 2>>>), <<<m4_dnl
            for (int ih = 0; ih < H; ih++)
                snn_conv_transpose(dxp + ((ih + PT) * WP + PL) * C, C, dxn + ih * W, H * W, W, C);
>>>, <<<m4_dnl
            for (int c = 0; c < C; c++)
                for (int ih = 0; ih < H; ih++) {
                    const float *restrict s = dxp + ((ih + PT) * WP + PL) * C + c;
                    float *restrict d = dxn + (c * H + ih) * W;
                    for (int iw = 0; iw < W; iw++)
                        d[iw] += s[iw * C];
                }
>>>)m4_dnl
>>>)m4_dnl
        }
    /* the groups' partial sums, added in group order */
SNN_IF($16, <<<m4_dnl
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < KK; k++) {
                float s = dwt_g[0][(c * KK + k) * MP + m];
                for (int g = 1; g < G; g++)
                    s += dwt_g[g][(c * KK + k) * MP + m];
                dw[(m * C + c) * KK + k] += s;
            }
>>>)m4_dnl
SNN_IF($17, <<<m4_dnl
    for (int m = 0; m < M; m++) {
        float s = db_g[0][m];
        for (int g = 1; g < G; g++)
            s += db_g[g][m];
        db[m] += s;
    }
>>>)m4_dnl
}
m4_popdef(<<<POOLED>>>)m4_popdef(<<<DYD>>>)m4_popdef(<<<BIN>>>)m4_dnl
>>>)m4_dnl
m4_dnl
m4_dnl SNN_POOL_ONCE(): the pools' C helper, written once.
m4_define(<<<SNN_POOL_ONCE>>>, <<<m4_ifdef(<<<SNN_POOL_ONCE_DONE>>>, <<<>>>, <<<m4_define(<<<SNN_POOL_ONCE_DONE>>>, 1)
#ifndef SNN_PAR_FOR /* the emitted programs define it (threads on or off) */
#define SNN_PAR_FOR
#endif
#if defined(_OPENMP) || defined(SNN_OPENMP_SIMD)
#define SNN_POOL_SIMD _Pragma("omp simd")
#else
#define SNN_POOL_SIMD
#endif
>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_POOL_WINDOWS(body): for each plane (N*C of them, in parallel), output (oh, ow)
m4_dnl and its window clipped to the input, kh in [kh0, kh1), kw in [kw0, kw1)
m4_dnl (the input row is h0 + kh, the column w0 + kw); padding is never read.
m4_dnl Without pads the bounds are the constants 0 and KH, KW.
m4_define(<<<SNN_POOL_WINDOWS>>>, <<<m4_dnl
    SNN_PAR_FOR
    for (int nc = 0; nc < NC; nc++) {
        for (int oh = 0; oh < OH; oh++) {
            const int h0 = oh * SH - PT;
            const int kh0 = PADDED && h0 < 0 ? -h0 : 0, kh1 = PADDED && H - h0 < KH ? H - h0 : KH;
            for (int ow = 0; ow < OW; ow++) {
                const int w0 = ow * SW - PL;
                const int kw0 = PADDED && w0 < 0 ? -w0 : 0, kw1 = PADDED && W - w0 < KW ? W - w0 : KW;
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
        OH = (H + $9 + $11 - KH) / SH + 1, OW = (W + $10 + $12 - KW) / SW + 1,
        PADDED = ($9 | $10 | $11 | $12) != 0
    };>>>)m4_dnl
m4_dnl
m4_dnl SNN_MAXPOOL_FORWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR, argmax)
m4_dnl   Padding counts as -inf; a NaN in the window gives NaN, as in PyTorch.
m4_dnl   Written so that the compiler needs no branch (max instructions,
m4_dnl   conditional moves): the maxima of spike maps and membranes are
m4_dnl   unpredictable. argmax 1: fn(x, y, am) also writes, for backward,
m4_dnl   where each maximum is (its offset in the input plane, as a float):
m4_dnl   the first maximal element of the window in row-major order
m4_dnl   (PyTorch's choice; ties are common after spiking layers), or its
m4_dnl   last NaN, where PyTorch's forward puts its index.
m4_define(<<<SNN_MAXPOOL_FORWARD>>>, <<<SNN_POOL_ONCE()
static void $1(const float *restrict x, float *restrict y<<<>>>SNN_IF($14, <<<, float *restrict am>>>))
{
    SNN_POOL_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    if (!PADDED) { /* constant windows: vectorized over the output row */
        SNN_PAR_FOR
        for (int r = 0; r < NC * OH; r++) {
            const int r0 = (r % OH) * SH * W; /* the window row's offset in its plane */
            const float *restrict xr = x + (r / OH) * (H * W) + r0;
            float *restrict yr = y + r * OW;
            (void)r0;
            SNN_POOL_SIMD
            for (int ow = 0; ow < OW; ow++) {
                float best = xr[ow * SW];
                int at = ow * SW, nat = -1;
                for (int kh = 0; kh < KH; kh++)
                    for (int kw = 0; kw < KW; kw++) {
                        const int i = kh * W + ow * SW + kw;
                        const float v = xr[i];
                        at = v > best ? i : at;
                        best = v > best ? v : best;
                        nat = v != v ? i : nat;
                    }
                yr[ow] = nat >= 0 ? NAN : best;
SNN_IF($14, <<<m4_dnl
                am[r * OW + ow] = (float)(r0 + (nat >= 0 ? nat : at));
>>>, <<<m4_dnl
                (void)at;
>>>)m4_dnl
            }
        }
        return;
    }
SNN_POOL_WINDOWS(<<<m4_dnl
                int at = base + kh0 * W + kw0, nat = -1;
                float best = x[at];
                for (int kh = kh0; kh < kh1; kh++)
                    for (int kw = kw0; kw < kw1; kw++) {
                        const int i = base + kh * W + kw;
                        const float v = x[i];
                        at = v > best ? i : at;
                        best = v > best ? v : best;
                        nat = v != v ? i : nat;
                    }
                y[o] = nat >= 0 ? NAN : best;
SNN_IF($14, <<<m4_dnl
                am[o] = (float)((nat >= 0 ? nat : at) - nc * (H * W));>>>, <<<m4_dnl
                (void)at;>>>)>>>)m4_dnl
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MAXPOOL_BACKWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR, store)
m4_dnl   fn(am, dy, dx): dx += dy at the positions the forward's argmax
m4_dnl   output names. store 1: the windows tile the input and dx was not
m4_dnl   cleared, so each plane is zeroed first. Planes run in parallel:
m4_dnl   windows of one plane may overlap, planes not.
m4_define(<<<SNN_MAXPOOL_BACKWARD>>>, <<<SNN_POOL_ONCE()
static void $1(const float *restrict am, const float *restrict dy, float *restrict dx)
{
    SNN_POOL_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    SNN_PAR_FOR
    for (int nc = 0; nc < NC; nc++) {
        const float *restrict a = am + (size_t)nc * (OH * OW), *restrict g = dy + (size_t)nc * (OH * OW);
        float *restrict d = dx + (size_t)nc * (H * W);
SNN_IF($14, <<<m4_dnl
        memset(d, 0, sizeof(float) * (H * W));
>>>)m4_dnl
        for (int o = 0; o < OH * OW; o++)
            d[(int)a[o]] += g[o];
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_AVGPOOL_FORWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR, include_pad)
m4_dnl   The window sum divided by KH*KW (include_pad 1) or by the number of
m4_dnl   input elements in the window (0), as PyTorch (sum first, then divide).
m4_define(<<<SNN_AVGPOOL_FORWARD>>>, <<<SNN_POOL_ONCE()
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
m4_dnl SNN_AVGPOOL_BACKWARD(fn, N, C, H, W, KH, KW, SH, SW, PT, PL, PB, PR, include_pad, store)
m4_dnl   store 1: the windows tile the input and dx was not cleared.
m4_define(<<<SNN_AVGPOOL_BACKWARD>>>, <<<SNN_POOL_ONCE()
static void $1(const float *restrict dy, float *restrict dx)
{
    SNN_POOL_DIMS($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
SNN_POOL_WINDOWS(<<<m4_dnl
                const float g = dy[o] / (float)SNN_IF($14, <<<(KH * KW)>>>, <<<((kh1 - kh0) * (kw1 - kw0))>>>);
                for (int kh = kh0; kh < kh1; kh++)
                    for (int kw = kw0; kw < kw1; kw++)
                        dx[base + kh * W + kw] SNN_IF($15, =, +=) g;>>>)m4_dnl
}
>>>)m4_dnl
