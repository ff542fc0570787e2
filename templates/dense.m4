m4_dnl dense.m4 - Gemm and MatMul (SPEC section 3): y = alpha * a . W + beta * c,
m4_dnl W stored [O][K] (transB=1, PyTorch nn.Linear) or [K][O].
m4_dnl
m4_dnl Three kinds of kernels, all with compile-time sizes:
m4_dnl - register-blocked GEMM tiles (SNN_GEMM) for dense operands: the
m4_dnl   forward product, the input gradient and, for a dense input, the
m4_dnl   weight gradient;
m4_dnl - event-driven kernels (SNN_EVENT_*) for a spike input: each spike adds
m4_dnl   its weight row (times its strength), in forward and in the weight
m4_dnl   gradient, so the work is (spikes) x (outputs); binary spikes come as
m4_dnl   bits, 64 to a word, and are walked with count-trailing-zeros;
m4_dnl - copies that re-lay out weights (SNN_TRANSPOSE), so that every kernel
m4_dnl   reads rows that are contiguous along its vectors.
m4_dnl Each output element is computed the same way whatever the blocking
m4_dnl and whichever thread computes it: a sum runs in order over its terms,
m4_dnl in one register lane. Threads (OpenMP) split outputs, never sums, so
m4_dnl results are bit-identical for any thread count.
m4_dnl
m4_dnl SNN_VEC_ONCE(): the vector layer every kernel of this family uses,
m4_dnl written once at the top of the kernels. It picks the widest vectors
m4_dnl the target has (AVX-512, AVX2 with FMA, else GNU C vectors of 4) and
m4_dnl the GEMM register block: SNN_MR rows x SNN_NV vectors of accumulators.
m4_define(<<<SNN_VEC_ONCE>>>, <<<m4_ifdef(<<<SNN_VEC_ONCE_DONE>>>, <<<>>>, <<<m4_define(<<<SNN_VEC_ONCE_DONE>>>, 1)
/* ---- vectors: the widest the target has; fused multiply-adds only where named ---- */
/* helpers and whole-batch or row-chunk forms: each program uses some of them */
#define SNN_INLINE static inline __attribute__((unused))
#define SNN_ALWAYS_INLINE static inline __attribute__((always_inline, unused))
#if defined(__AVX512F__)
#include <immintrin.h>
#define SNN_VW 16 /* floats per vector */
#define SNN_MR 8  /* GEMM tile: rows */
#define SNN_NV 2  /* GEMM tile: vectors per row */
#define SNN_EP 8  /* event kernels: vectors per output panel */
typedef __m512 snn_vf;
#define snn_vzero() _mm512_setzero_ps()
#define snn_vset1(x) _mm512_set1_ps(x)
#define snn_vload(p) _mm512_loadu_ps(p)
#define snn_vstore(p, v) _mm512_storeu_ps((p), (v))
#define snn_vload_n(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
#define snn_vstore_n(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1u), (v))
#define snn_vadd(a, b) _mm512_add_ps((a), (b))
#define snn_vmul(a, b) _mm512_mul_ps((a), (b))
#define snn_vfma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define snn_vnonzero(v) ((uint64_t)_mm512_cmp_ps_mask((v), _mm512_setzero_ps(), _CMP_NEQ_UQ))
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SNN_VW 8
#define SNN_MR 6
#define SNN_NV 2
#define SNN_EP 8
typedef __m256 snn_vf;
static const int snn_lanes_tab[16] __attribute__((unused)) = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
#define snn_lanes(n) _mm256_loadu_si256((const __m256i *)(const void *)(snn_lanes_tab + 8 - (n)))
#define snn_vzero() _mm256_setzero_ps()
#define snn_vset1(x) _mm256_set1_ps(x)
#define snn_vload(p) _mm256_loadu_ps(p)
#define snn_vstore(p, v) _mm256_storeu_ps((p), (v))
#define snn_vload_n(p, n) _mm256_maskload_ps((p), snn_lanes(n))
#define snn_vstore_n(p, v, n) _mm256_maskstore_ps((p), snn_lanes(n), (v))
#define snn_vadd(a, b) _mm256_add_ps((a), (b))
#define snn_vmul(a, b) _mm256_mul_ps((a), (b))
#define snn_vfma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define snn_vnonzero(v) ((uint64_t)_mm256_movemask_ps(_mm256_cmp_ps((v), _mm256_setzero_ps(), _CMP_NEQ_UQ)))
#else
#define SNN_VW 4
#define SNN_MR 4
#define SNN_NV 2
#define SNN_EP 4
typedef float snn_vf __attribute__((vector_size(16)));
SNN_INLINE snn_vf snn_vset1(float x)
{
    snn_vf v = {x, x, x, x};
    return v;
}
#define snn_vzero() snn_vset1(0.0f)
SNN_INLINE snn_vf snn_vload(const float *p)
{
    snn_vf v;
    memcpy(&v, p, sizeof v);
    return v;
}
SNN_INLINE snn_vf snn_vload_n(const float *p, int n)
{
    snn_vf v = snn_vzero();
    memcpy(&v, p, (size_t)n * sizeof(float));
    return v;
}
SNN_INLINE void snn_vstore(float *p, snn_vf v)
{
    memcpy(p, &v, sizeof v);
}
SNN_INLINE void snn_vstore_n(float *p, snn_vf v, int n)
{
    memcpy(p, &v, (size_t)n * sizeof(float));
}
#define snn_vadd(a, b) ((a) + (b))
#define snn_vmul(a, b) ((a) * (b))
#define snn_vfma(a, b, c) ((a) * (b) + (c)) /* two roundings here */
SNN_INLINE uint64_t snn_vnonzero(snn_vf v)
{
    return (uint64_t)(v[0] != 0.0f) | (uint64_t)(v[1] != 0.0f) << 1 | (uint64_t)(v[2] != 0.0f) << 2 |
           (uint64_t)(v[3] != 0.0f) << 3;
}
#endif
#define SNN_NR (SNN_VW * SNN_NV)
#define SNN_CHUNKS 16 /* pieces of a batch for the threads */
/* a kernel's loop over rows: its own function, so that restrict survives
 * the outlining of parallel regions and the loops stay vectorized */
#define SNN_NOINLINE __attribute__((noinline))
#if defined(__clang__)
#define SNN_UNROLL _Pragma("unroll")
#else
#define SNN_UNROLL _Pragma("GCC unroll 16")
#endif
/* spike bits: 64 neurons to a word, stored in the float arena */
typedef uint64_t __attribute__((may_alias)) snn_bits;
#define SNN_CTZ(m) __builtin_ctzll(m)

/* Bit j of the word says x[j] != 0, for j < len (<= 64); nothing past
 * x[len - 1] is read. A whole word takes the unrolled loop. */
SNN_INLINE uint64_t snn_pack_bits(const float *restrict x, const int len)
{
    uint64_t m = 0;
    if (len == 64) {
        SNN_UNROLL
        for (int v = 0; v < 64 / SNN_VW; v++)
            m |= snn_vnonzero(snn_vload(x + v * SNN_VW)) << (v * SNN_VW);
        return m;
    }
    for (int v = 0; v * SNN_VW < len; v++)
        m |= snn_vnonzero(len - v * SNN_VW >= SNN_VW ? snn_vload(x + v * SNN_VW)
                          : snn_vload_n(x + v * SNN_VW, len - v * SNN_VW)) << (v * SNN_VW);
    return m;
}

/* Stores len (<= 64) floats of a buffer of 64 past the cache, for a record
 * nobody reads during the pass: the lines are not read first, nor kept.
 * snn_stream_done() orders these stores before whatever follows. */
SNN_INLINE void snn_stream64(float *restrict dst, const float *restrict src, const int len)
{
#if defined(__AVX__)
    if (len == 64 && ((uintptr_t)dst & 31) == 0) {
        SNN_UNROLL
        for (int v = 0; v < 8; v++)
            _mm256_stream_ps(dst + 8 * v, _mm256_loadu_ps(src + 8 * v));
        return;
    }
#endif
    memcpy(dst, src, (size_t)len * sizeof(float));
}
#if defined(__AVX__)
#define snn_stream_done() _mm_sfence()
#else
#define snn_stream_done() ((void)0)
#endif

/* out[c ldo + r] (+)= in[r ldi + c] for an 8 x 8 block: in registers (AVX)
 * or element by element; the same values either way. */
SNN_ALWAYS_INLINE void snn_tr8(const float *restrict in, const long ldi,
    float *restrict out, const long ldo, const int add)
{
#if defined(__AVX__)
    __m256 r0 = _mm256_loadu_ps(in), r1 = _mm256_loadu_ps(in + ldi), r2 = _mm256_loadu_ps(in + 2 * ldi),
           r3 = _mm256_loadu_ps(in + 3 * ldi), r4 = _mm256_loadu_ps(in + 4 * ldi),
           r5 = _mm256_loadu_ps(in + 5 * ldi), r6 = _mm256_loadu_ps(in + 6 * ldi),
           r7 = _mm256_loadu_ps(in + 7 * ldi);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
           t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    r0 = _mm256_shuffle_ps(t0, t2, 0x44);
    r1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    r2 = _mm256_shuffle_ps(t1, t3, 0x44);
    r3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    r4 = _mm256_shuffle_ps(t4, t6, 0x44);
    r5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    r6 = _mm256_shuffle_ps(t5, t7, 0x44);
    r7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    __m256 c[8] = {_mm256_permute2f128_ps(r0, r4, 0x20), _mm256_permute2f128_ps(r1, r5, 0x20),
                   _mm256_permute2f128_ps(r2, r6, 0x20), _mm256_permute2f128_ps(r3, r7, 0x20),
                   _mm256_permute2f128_ps(r0, r4, 0x31), _mm256_permute2f128_ps(r1, r5, 0x31),
                   _mm256_permute2f128_ps(r2, r6, 0x31), _mm256_permute2f128_ps(r3, r7, 0x31)};
    SNN_UNROLL
    for (int k = 0; k < 8; k++)
        _mm256_storeu_ps(out + k * ldo, add ? _mm256_add_ps(_mm256_loadu_ps(out + k * ldo), c[k]) : c[k]);
#else
    for (int k = 0; k < 8; k++)
        for (int r = 0; r < 8; r++)
            out[k * ldo + r] = add ? out[k * ldo + r] + in[r * ldi + k] : in[r * ldi + k];
#endif
}

/* y = v or y = y + v on n lanes (a whole vector when n >= SNN_VW) */
#define SNN_PUT(p, v, n, add) \
    do { \
        if ((n) >= SNN_VW) \
            snn_vstore((p), (add) ? snn_vadd(snn_vload(p), (v)) : (v)); \
        else \
            snn_vstore_n((p), (add) ? snn_vadd(snn_vload_n((p), (n)), (v)) : (v), (n)); \
    } while (0)

/* alpha v + beta bias, the epilogue of a forward product (alpha, beta
 * applied only when they are not 1, as the scalar code did) */
SNN_ALWAYS_INLINE snn_vf snn_epilogue(snn_vf v, const float alpha,
    const float *restrict bias, const int bias_mode, const float beta, const int n)
{
    if (alpha != 1.0f)
        v = snn_vmul(snn_vset1(alpha), v);
    if (bias_mode) {
        snn_vf c = bias_mode == 2 ? snn_vset1(bias[0]) : n >= SNN_VW ? snn_vload(bias) : snn_vload_n(bias, n);
        if (beta != 1.0f)
            c = snn_vmul(snn_vset1(beta), c);
        v = snn_vadd(v, c);
    }
    return v;
}

/* One register tile of a product: C(i,j) = alpha sum_r A(i,r) B(r,j), then
 * + beta bias(j), or C(i,j) += alpha sum (accumulate), for i < rows <=
 * SNN_MR and j < cols <= SNN_NR, where A(i,r) = a[i sai + r sar],
 * B(r,j) = b[r sbr + j], C(i,j) = c[i ldc + j]. The sum over r runs in
 * order, one fused multiply-add per term. Every size is a constant at the
 * call, so the tile compiles to straight-line code on registers. */
SNN_ALWAYS_INLINE void snn_tile(const int rows, const int cols, const int kk,
    const float *restrict a, const long sai, const long sar, const float *restrict b, const long sbr,
    float *restrict c, const long ldc, const int accumulate, const float alpha,
    const float *restrict bias, const int bias_mode, const float beta)
{
    snn_vf acc[SNN_MR][SNN_NV];
    SNN_UNROLL
    for (int i = 0; i < SNN_MR; i++) {
        SNN_UNROLL
        for (int j = 0; j < SNN_NV; j++)
            acc[i][j] = snn_vzero();
    }
    for (int r = 0; r < kk; r++) {
        const float *restrict br = b + r * sbr;
        snn_vf bv[SNN_NV];
        SNN_UNROLL
        for (int j = 0; j < SNN_NV; j++)
            bv[j] = (j + 1) * SNN_VW <= cols ? snn_vload(br + j * SNN_VW)
                    : j * SNN_VW < cols ? snn_vload_n(br + j * SNN_VW, cols - j * SNN_VW) : snn_vzero();
        SNN_UNROLL
        for (int i = 0; i < SNN_MR; i++) {
            if (i < rows) {
                const snn_vf av = snn_vset1(a[i * sai + r * sar]);
                SNN_UNROLL
                for (int j = 0; j < SNN_NV; j++)
                    if (j * SNN_VW < cols)
                        acc[i][j] = snn_vfma(av, bv[j], acc[i][j]);
            }
        }
    }
    SNN_UNROLL
    for (int i = 0; i < SNN_MR; i++) {
        SNN_UNROLL
        for (int j = 0; j < SNN_NV; j++) {
            if (i < rows && j * SNN_VW < cols) {
                const int n = cols - j * SNN_VW;
                const snn_vf v = snn_epilogue(acc[i][j], alpha, bias + (bias_mode == 1 ? j * SNN_VW : 0),
                                              bias_mode, beta, n);
                SNN_PUT(c + i * ldc + j * SNN_VW, v, n, accumulate);
            }
        }
    }
}

/* Event rows: acc[v] of one output panel (cols <= SNN_EP vectors) sums
 * the weight rows w[k] of the inputs k that fired, in order of k. pad: the
 * rows are padded to whole vectors (a re-laid-out copy), so no load needs
 * a mask; the lanes past cols are never stored. */
SNN_ALWAYS_INLINE void snn_events_bits(const int cols, const int words,
    const snn_bits *restrict s, const float *restrict w, const long ldw, float *restrict y,
    const float alpha, const float *restrict bias, const int bias_mode, const float beta, const int pad)
{
    snn_vf acc[SNN_EP];
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        acc[v] = snn_vzero();
    for (int q = 0; q < words; q++) {
        for (uint64_t m = s[q]; m; m &= m - 1) {
            const float *restrict wk = w + (long)(q * 64 + SNN_CTZ(m)) * ldw;
            SNN_UNROLL
            for (int v = 0; v < SNN_EP; v++)
                if (v * SNN_VW < cols)
                    acc[v] = snn_vadd(acc[v], pad || cols - v * SNN_VW >= SNN_VW ? snn_vload(wk + v * SNN_VW)
                                                : snn_vload_n(wk + v * SNN_VW, cols - v * SNN_VW));
        }
    }
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        if (v * SNN_VW < cols) {
            const int n = cols - v * SNN_VW;
            SNN_PUT(y + v * SNN_VW, snn_epilogue(acc[v], alpha, bias + (bias_mode == 1 ? v * SNN_VW : 0),
                                                 bias_mode, beta, n), n, 0);
        }
}

/* Two rows at once, each summed as snn_events_bits does: their chains of
 * additions interleave, so one waits less for the other. */
SNN_ALWAYS_INLINE void snn_events_bits2(const int cols, const int words,
    const snn_bits *restrict s0, const snn_bits *restrict s1, const float *restrict w, const long ldw,
    float *restrict y0, float *restrict y1, const float alpha, const float *restrict bias,
    const int bias_mode, const float beta, const int pad)
{
    snn_vf a0[SNN_EP], a1[SNN_EP];
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        a0[v] = a1[v] = snn_vzero();
#define SNN_EV_ADD(acc, wk) \
    SNN_UNROLL \
    for (int v = 0; v < SNN_EP; v++) \
        if (v * SNN_VW < cols) \
            acc[v] = snn_vadd(acc[v], pad || cols - v * SNN_VW >= SNN_VW ? snn_vload((wk) + v * SNN_VW) \
                                          : snn_vload_n((wk) + v * SNN_VW, cols - v * SNN_VW));
    for (int q = 0; q < words; q++) {
        uint64_t m0 = s0[q], m1 = s1[q];
        for (; m0 && m1; m0 &= m0 - 1, m1 &= m1 - 1) {
            const float *restrict w0 = w + (long)(q * 64 + SNN_CTZ(m0)) * ldw;
            const float *restrict w1 = w + (long)(q * 64 + SNN_CTZ(m1)) * ldw;
            SNN_EV_ADD(a0, w0)
            SNN_EV_ADD(a1, w1)
        }
        for (; m0; m0 &= m0 - 1) {
            const float *restrict w0 = w + (long)(q * 64 + SNN_CTZ(m0)) * ldw;
            SNN_EV_ADD(a0, w0)
        }
        for (; m1; m1 &= m1 - 1) {
            const float *restrict w1 = w + (long)(q * 64 + SNN_CTZ(m1)) * ldw;
            SNN_EV_ADD(a1, w1)
        }
    }
#undef SNN_EV_ADD
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        if (v * SNN_VW < cols) {
            const int n = cols - v * SNN_VW;
            const float *restrict bv = bias + (bias_mode == 1 ? v * SNN_VW : 0);
            SNN_PUT(y0 + v * SNN_VW, snn_epilogue(a0[v], alpha, bv, bias_mode, beta, n), n, 0);
            SNN_PUT(y1 + v * SNN_VW, snn_epilogue(a1[v], alpha, bv, bias_mode, beta, n), n, 0);
        }
}

/* A row of a dense input with many zeros (a single image): the nonzero
 * inputs idx[0..nnz) add x[k] times their weight rows with one fused
 * multiply-add each, in order of k: the same values as a GEMM tile, whose
 * terms of zero inputs leave the sums as they are. */
SNN_ALWAYS_INLINE void snn_rows_fma(const int cols, const int nnz,
    const int *restrict idx, const float *restrict x, const float *restrict w, const long ldw,
    float *restrict y, const float alpha, const float *restrict bias, const int bias_mode, const float beta,
    const int pad)
{
    snn_vf acc[SNN_EP];
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        acc[v] = snn_vzero();
    for (int e = 0; e < nnz; e++) {
        const int k = idx[e];
        const snn_vf xv = snn_vset1(x[k]);
        const float *restrict wk = w + (long)k * ldw;
        SNN_UNROLL
        for (int v = 0; v < SNN_EP; v++)
            if (v * SNN_VW < cols)
                acc[v] = snn_vfma(xv, pad || cols - v * SNN_VW >= SNN_VW ? snn_vload(wk + v * SNN_VW)
                                      : snn_vload_n(wk + v * SNN_VW, cols - v * SNN_VW), acc[v]);
    }
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        if (v * SNN_VW < cols) {
            const int n = cols - v * SNN_VW;
            SNN_PUT(y + v * SNN_VW, snn_epilogue(acc[v], alpha, bias + (bias_mode == 1 ? v * SNN_VW : 0),
                                                 bias_mode, beta, n), n, 0);
        }
}

/* Four rows at once for narrow outputs (one or two vectors: a classifier
 * layer), each row summed in order as snn_events_bits does. */
SNN_ALWAYS_INLINE void snn_events_bits4(const int cols, const int words, const snn_bits *restrict s,
    const long sstride, const float *restrict w, const long ldw, float *restrict y, const long ystride,
    const float alpha, const float *restrict bias, const int bias_mode, const float beta, const int pad)
{
    enum { V = 2 };
    snn_vf a[4][V];
    SNN_UNROLL
    for (int r = 0; r < 4; r++) {
        SNN_UNROLL
        for (int v = 0; v < V; v++)
            a[r][v] = snn_vzero();
    }
#define SNN_EV4(r, k) \
    do { \
        const float *restrict wk = w + (long)(k) * ldw; \
        SNN_UNROLL \
        for (int v = 0; v < V; v++) \
            if (v * SNN_VW < cols) \
                a[r][v] = snn_vadd(a[r][v], pad || cols - v * SNN_VW >= SNN_VW ? snn_vload(wk + v * SNN_VW) \
                                                : snn_vload_n(wk + v * SNN_VW, cols - v * SNN_VW)); \
    } while (0)
    for (int q = 0; q < words; q++) {
        uint64_t m0 = s[q], m1 = s[sstride + q], m2 = s[2 * sstride + q], m3 = s[3 * sstride + q];
        for (; m0 && m1 && m2 && m3; m0 &= m0 - 1, m1 &= m1 - 1, m2 &= m2 - 1, m3 &= m3 - 1) {
            SNN_EV4(0, q * 64 + SNN_CTZ(m0));
            SNN_EV4(1, q * 64 + SNN_CTZ(m1));
            SNN_EV4(2, q * 64 + SNN_CTZ(m2));
            SNN_EV4(3, q * 64 + SNN_CTZ(m3));
        }
        for (; m0; m0 &= m0 - 1)
            SNN_EV4(0, q * 64 + SNN_CTZ(m0));
        for (; m1; m1 &= m1 - 1)
            SNN_EV4(1, q * 64 + SNN_CTZ(m1));
        for (; m2; m2 &= m2 - 1)
            SNN_EV4(2, q * 64 + SNN_CTZ(m2));
        for (; m3; m3 &= m3 - 1)
            SNN_EV4(3, q * 64 + SNN_CTZ(m3));
    }
#undef SNN_EV4
    SNN_UNROLL
    for (int r = 0; r < 4; r++) {
        SNN_UNROLL
        for (int v = 0; v < V; v++)
            if (v * SNN_VW < cols) {
                const int n = cols - v * SNN_VW;
                SNN_PUT(y + r * ystride + v * SNN_VW,
                        snn_epilogue(a[r][v], alpha, bias + (bias_mode == 1 ? v * SNN_VW : 0), bias_mode, beta, n),
                        n, 0);
            }
    }
}

/* The same for spikes as floats (integer strengths): rows times strengths,
 * multiplied and added as the scalar code did. */
SNN_ALWAYS_INLINE void snn_events_float(const int cols, const int kk,
    const float *restrict x, const float *restrict w, const long ldw, float *restrict y,
    const float alpha, const float *restrict bias, const int bias_mode, const float beta, const int pad)
{
    snn_vf acc[SNN_EP];
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        acc[v] = snn_vzero();
    for (int k = 0; k < kk; k++) {
        if (x[k] == 0.0f)
            continue; /* spikes are mostly zero */
        const snn_vf xv = snn_vset1(x[k]);
        const float *restrict wk = w + (long)k * ldw;
        SNN_UNROLL
        for (int v = 0; v < SNN_EP; v++)
            if (v * SNN_VW < cols)
                acc[v] = snn_vadd(acc[v], snn_vmul(xv, pad || cols - v * SNN_VW >= SNN_VW ? snn_vload(wk + v * SNN_VW)
                                                  : snn_vload_n(wk + v * SNN_VW, cols - v * SNN_VW)));
    }
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++)
        if (v * SNN_VW < cols) {
            const int n = cols - v * SNN_VW;
            SNN_PUT(y + v * SNN_VW, snn_epilogue(acc[v], alpha, bias + (bias_mode == 1 ? v * SNN_VW : 0),
                                                 bias_mode, beta, n), n, 0);
        }
}

/* The events of one row of x for one output panel (cols <= SNN_EP vectors):
 * g, a row of dy times alpha, is loaded once into registers, and each input
 * k that fired adds it to row k of dw (times its strength for floats). pad:
 * the rows of dw are padded to whole vectors, which then take zeros. */
SNN_ALWAYS_INLINE void snn_event_rows(const int cols, const int words,
    const snn_bits *restrict s, const float *restrict x, const int kk, const float *restrict g,
    const float alpha, float *restrict dw, const long ldd, const int pad)
{
    snn_vf gv[SNN_EP];
    SNN_UNROLL
    for (int v = 0; v < SNN_EP; v++) {
        gv[v] = v * SNN_VW >= cols ? snn_vzero() : cols - v * SNN_VW >= SNN_VW ? snn_vload(g + v * SNN_VW)
                                                : snn_vload_n(g + v * SNN_VW, cols - v * SNN_VW);
        if (alpha != 1.0f)
            gv[v] = snn_vmul(snn_vset1(alpha), gv[v]);
    }
#define SNN_EV_PUT(k, scale) \
    do { \
        float *restrict dwk = dw + (long)(k) * ldd; \
        SNN_UNROLL \
        for (int v = 0; v < SNN_EP; v++) \
            if (v * SNN_VW < cols) \
                SNN_PUT(dwk + v * SNN_VW, (scale) ? snn_vmul(gv[v], snn_vset1(x[k])) : gv[v], \
                        pad ? SNN_VW : cols - v * SNN_VW, 1); \
    } while (0)
    if (s) {
        for (int q = 0; q < words; q++)
            for (uint64_t m = s[q]; m; m &= m - 1)
                SNN_EV_PUT(q * 64 + SNN_CTZ(m), 0);
    } else {
        for (int k = 0; k < kk; k++)
            if (x[k] != 0.0f)
                SNN_EV_PUT(k, 1);
    }
#undef SNN_EV_PUT
}
>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_ROWS(par, N, call): runs call, a function of rows [n0, n1), over rows
m4_dnl [0, N): in SNN_CHUNKS pieces shared by the threads when par, else at once.
m4_define(<<<SNN_ROWS>>>, <<<SNN_IF($1, <<<m4_dnl
    SNN_PAR_FOR
    for (int c = 0; c < SNN_CHUNKS; c++) {
        const int n0 = (int)((long)$2 * c / SNN_CHUNKS), n1 = (int)((long)$2 * (c + 1) / SNN_CHUNKS);
        if (n0 < n1)
            $3;
    }>>>, <<<m4_dnl
    const int n0 = 0, n1 = $2;
    $3;>>>)>>>)m4_dnl
m4_dnl
m4_dnl SNN_GEMM(fn, M, N, K, sai, sar, sbr, ldc, accumulate, alpha, bias, beta, par)
m4_dnl   C[i ldc + j] = alpha sum_r a[i sai + r sar] b[r sbr + j] (+ beta bias),
m4_dnl   or += with accumulate; bias 0 none, 1 one per column j, 2 a scalar.
m4_dnl   Tiles of SNN_MR x SNN_NR; threads take column panels (then rows).
m4_dnl   fn_rows(i0, i1, ...) computes rows [i0, i1) only (a chunk of a batch).
m4_define(<<<SNN_GEMM>>>, <<<
SNN_INLINE void $1(const float *restrict a, const float *restrict b, const float *restrict bias,
    float *restrict c)
{
    enum { MF = $2 / SNN_MR, MB = ($2 + SNN_MR - 1) / SNN_MR, NF = $3 / SNN_NR, NB = ($3 + SNN_NR - 1) / SNN_NR };
    (void)bias;
SNN_IF($13, <<<    SNN_PAR_FOR2
>>>)m4_dnl
    for (int jb = 0; jb < NB; jb++)
        for (int ib = 0; ib < MB; ib++) {
            const float *restrict ap = a + (long)ib * SNN_MR * $5;
            const float *restrict bp = b + jb * SNN_NR;
            const float *restrict cb = bias + ($11 == 1 ? jb * SNN_NR : 0);
            float *restrict cp = c + (long)ib * SNN_MR * $8 + jb * SNN_NR;
            if (jb < NF) {
                if (ib < MF)
                    snn_tile(SNN_MR, SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
                else
                    snn_tile($2 % SNN_MR, SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
            } else {
                if (ib < MF)
                    snn_tile(SNN_MR, $3 % SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
                else
                    snn_tile($2 % SNN_MR, $3 % SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
            }
        }
}

SNN_INLINE void $1_rows(int i0, int i1, const float *restrict a, const float *restrict b,
    const float *restrict bias, float *restrict c)
{
    enum { NF = $3 / SNN_NR, NB = ($3 + SNN_NR - 1) / SNN_NR };
    (void)bias;
    for (int jb = 0; jb < NB; jb++) {
        const float *restrict bp = b + jb * SNN_NR;
        const float *restrict cb = bias + ($11 == 1 ? jb * SNN_NR : 0);
        int i = i0;
        for (; i + SNN_MR <= i1; i += SNN_MR) {
            const float *restrict ap = a + (long)i * $5;
            float *restrict cp = c + (long)i * $8 + jb * SNN_NR;
            if (jb < NF)
                snn_tile(SNN_MR, SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
            else
                snn_tile(SNN_MR, $3 % SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
        }
        for (; i < i1; i++) { /* the rows left: one at a time, computed the same way */
            const float *restrict ap = a + (long)i * $5;
            float *restrict cp = c + (long)i * $8 + jb * SNN_NR;
            if (jb < NF)
                snn_tile(1, SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
            else
                snn_tile(1, $3 % SNN_NR, $4, ap, $5, $6, bp, $7, cp, $8, $9, $10, cb, $11, $12);
        }
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_GEMM_SPARSE(fn, N, O, K, ldw, alpha, bias, beta, par, pad): y = alpha x w + beta
m4_dnl   bias for a few rows x [N][K] of a dense input (a batch of one or two):
m4_dnl   only the nonzero inputs are read, with the arithmetic of SNN_GEMM.
m4_define(<<<SNN_GEMM_SPARSE>>>, <<<
SNN_INLINE void $1(const float *restrict x, const float *restrict w, const float *restrict bias,
    float *restrict y)
{
    enum { PW = SNN_EP * SNN_VW, NPF = $3 / PW, NP = ($3 + PW - 1) / PW };
    static int idx[$2][$4], nnz[$2];
    (void)bias;
    for (int n = 0; n < $2; n++) {
        nnz[n] = 0;
        for (int k = 0; k < $4; k++)
            if (x[n * $4 + k] != 0.0f)
                idx[n][nnz[n]++] = k;
    }
SNN_IF($9, <<<    SNN_PAR_FOR2
>>>)m4_dnl
    for (int p = 0; p < NP; p++)
        for (int n = 0; n < $2; n++) {
            if (NPF > 0 && p < NPF)
                snn_rows_fma(PW, nnz[n], idx[n], x + n * $4, w + p * PW, $5, y + n * $3 + p * PW, $6,
                             bias + ($7 == 1 ? p * PW : 0), $7, $8, $10);
            else
                snn_rows_fma($3 % PW, nnz[n], idx[n], x + n * $4, w + p * PW, $5, y + n * $3 + p * PW, $6,
                             bias + ($7 == 1 ? p * PW : 0), $7, $8, $10);
        }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_GEMM_STEPS(fn, T, M, N, K, sai, sar, sbr, ldc, alpha, astep, bstep, par, store): the
m4_dnl   weight gradient of a product, from records after the reverse loop when
m4_dnl   T > 1: for t = T-1 down to 0, C += alpha sum_r A_t(i,r) B_t(r,j),
m4_dnl   A_t = a + t astep, B_t = b + t bstep: the sums of the in-loop code, in its
m4_dnl   order. store: step T-1 stores C rather than adding (nobody cleared it).
m4_define(<<<SNN_GEMM_STEPS>>>, <<<
SNN_ALWAYS_INLINE void $1_tile(const int rows, const int cols, int ib, int jb,
    const float *restrict a, const float *restrict b, float *restrict c)
{
    for (int t = $2 - 1; t >= 0; t--) {
        const float *restrict ap = a + (long)t * $11 + (long)ib * SNN_MR * $6;
        const float *restrict bp = b + (long)t * $12 + jb * SNN_NR;
        float *restrict cp = c + (long)ib * SNN_MR * $9 + jb * SNN_NR;
        if ($14 && t == $2 - 1)
            snn_tile(rows, cols, $5, ap, $6, $7, bp, $8, cp, $9, 0, $10, NULL, 0, 1.0f);
        else
            snn_tile(rows, cols, $5, ap, $6, $7, bp, $8, cp, $9, 1, $10, NULL, 0, 1.0f);
    }
}

static void $1(const float *restrict a, const float *restrict b, float *restrict c)
{
    enum { MF = $3 / SNN_MR, MB = ($3 + SNN_MR - 1) / SNN_MR, NF = $4 / SNN_NR, NB = ($4 + SNN_NR - 1) / SNN_NR };
SNN_IF($13, <<<    SNN_PAR_FOR2
>>>)m4_dnl
    for (int jb = 0; jb < NB; jb++)
        for (int ib = 0; ib < MB; ib++) {
            if (jb < NF) {
                if (ib < MF)
                    $1_tile(SNN_MR, SNN_NR, ib, jb, a, b, c);
                else
                    $1_tile($3 % SNN_MR, SNN_NR, ib, jb, a, b, c);
            } else {
                if (ib < MF)
                    $1_tile(SNN_MR, $4 % SNN_NR, ib, jb, a, b, c);
                else
                    $1_tile($3 % SNN_MR, $4 % SNN_NR, ib, jb, a, b, c);
            }
        }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_EVENT_FORWARD(fn, N, K, O, ldw, bits, words, alpha, bias, beta, par, pad)
m4_dnl   y[n][o] = alpha sum_k x[n][k] w[k ldw + o] + beta bias over the k with
m4_dnl   x[n][k] != 0; x is bits ([N][words]) or floats ([N][K]). Threads take
m4_dnl   output panels, then rows; fn_rows(n0, n1, ...) does rows [n0, n1).
m4_define(<<<SNN_EVENT_FORWARD>>>, <<<
SNN_INLINE void $1_row(int n, int p, const void *restrict x, const float *restrict w,
    const float *restrict bias, float *restrict y)
{
    enum { PW = SNN_EP * SNN_VW, NPF = $4 / PW };
    (void)bias;
SNN_IF($6, <<<m4_dnl
    const snn_bits *restrict s = (const snn_bits *)x + n * $7;
    if (NPF > 0 && p < NPF)
        snn_events_bits(PW, $7, s, w + p * PW, $5, y + n * $4 + p * PW, $8, bias + ($9 == 1 ? p * PW : 0), $9, $10, $12);
    else
        snn_events_bits($4 % PW, $7, s, w + p * PW, $5, y + n * $4 + p * PW, $8, bias + ($9 == 1 ? p * PW : 0), $9, $10, $12);
>>>, <<<m4_dnl
    const float *restrict s = (const float *)x + n * $3;
    if (NPF > 0 && p < NPF)
        snn_events_float(PW, $3, s, w + p * PW, $5, y + n * $4 + p * PW, $8, bias + ($9 == 1 ? p * PW : 0), $9, $10, $12);
    else
        snn_events_float($4 % PW, $3, s, w + p * PW, $5, y + n * $4 + p * PW, $8, bias + ($9 == 1 ? p * PW : 0), $9, $10, $12);
>>>)m4_dnl
}

/* rows n and n + 1 */
SNN_INLINE void $1_row2(int n, int p, const void *restrict x, const float *restrict w,
    const float *restrict bias, float *restrict y)
{
SNN_IF($6, <<<m4_dnl
    enum { PW = SNN_EP * SNN_VW, NPF = $4 / PW };
    (void)bias;
    const snn_bits *restrict s = (const snn_bits *)x + n * $7;
    float *restrict yn = y + n * $4 + p * PW;
    if (NPF > 0 && p < NPF)
        snn_events_bits2(PW, $7, s, s + $7, w + p * PW, $5, yn, yn + $4, $8, bias + ($9 == 1 ? p * PW : 0), $9, $10, $12);
    else
        snn_events_bits2($4 % PW, $7, s, s + $7, w + p * PW, $5, yn, yn + $4, $8, bias + ($9 == 1 ? p * PW : 0), $9, $10, $12);
>>>, <<<m4_dnl
    $1_row(n, p, x, w, bias, y);
    $1_row(n + 1, p, x, w, bias, y);
>>>)m4_dnl
}

SNN_INLINE void $1_rows(int n0, int n1, const void *restrict x, const float *restrict w,
    const float *restrict bias, float *restrict y)
{
    enum { PW = SNN_EP * SNN_VW, NP = ($4 + PW - 1) / PW };
    int n = n0;
SNN_IF($6, <<<m4_dnl
    if ($4 <= 2 * SNN_VW) /* a narrow layer: four rows at once */
        for (; n + 3 < n1; n += 4)
            snn_events_bits4($4, $7, (const snn_bits *)x + n * $7, $7, w, $5, y + n * $4, $4, $8, bias, $9, $10, $12);
>>>)m4_dnl
    for (int p = 0; p < NP; p++) {
        int m = n;
        for (; m + 1 < n1; m += 2)
            $1_row2(m, p, x, w, bias, y);
        if (m < n1)
            $1_row(m, p, x, w, bias, y);
    }
}

SNN_INLINE void $1(const void *restrict x, const float *restrict w, const float *restrict bias,
    float *restrict y)
{
SNN_IF($11, <<<m4_dnl
    enum { PW = SNN_EP * SNN_VW, NP = ($4 + PW - 1) / PW, RB = 8, NRB = ($2 + RB - 1) / RB };
    if (SNN_IF($6, <<<$4 <= 2 * SNN_VW>>>, 0)) { /* narrow: blocks of rows, four at a time */
        SNN_PAR_FOR
        for (int b = 0; b < NRB; b++)
            $1_rows(b * RB, b * RB + RB < $2 ? b * RB + RB : $2, x, w, bias, y);
        return;
    }
    SNN_PAR_FOR2
    for (int p = 0; p < NP; p++)
        for (int n2 = 0; n2 < ($2 + 1) / 2; n2++) {
            if (2 * n2 + 1 < $2)
                $1_row2(2 * n2, p, x, w, bias, y);
            else
                $1_row(2 * n2, p, x, w, bias, y);
        }
>>>, <<<m4_dnl
    $1_rows(0, $2, x, w, bias, y); /* the same sums, rows four at a time where narrow */
>>>)m4_dnl
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_EVENT_DW(fn, T, N, K, O, ldd, bits, words, alpha, par, pad)
m4_dnl   dw[k ldd + o] += (alpha dy[n][o]) x[n][k] for the k with x[n][k] != 0, in
m4_dnl   order of n: the weight gradient as rows [K][O], one row per spike. With
m4_dnl   T > 1, x and dy are records of T steps, summed from step T-1 down to 0
m4_dnl   (after the reverse loop, in the order of the in-loop code). Threads take
m4_dnl   output panels and blocks of 64 inputs.
m4_define(<<<SNN_EVENT_DW>>>, <<<
static void $1(const void *restrict x, const float *restrict dy, float *restrict dw)
{
    /* units of work: output panels times blocks of QB words; in each, every
     * row of dy is read once and added for each spike of the block */
    enum { PW = SNN_EP * SNN_VW, NPF = $5 / PW, NP = ($5 + PW - 1) / PW,
           QB = NP >= 8 ? $8 : ($8 * NP + 7) / 8, NQ = ($8 + QB - 1) / QB };
SNN_IF($10, <<<    SNN_PAR_FOR2
>>>)m4_dnl
    for (int p = 0; p < NP; p++)
        for (int qb = 0; qb < NQ; qb++) {
            const int q0 = qb * QB, nq = $8 - q0 < QB ? $8 - q0 : QB;
            for (int t = $2 - 1; t >= 0; t--)
                for (int n = 0; n < $3; n++) {
                    const long row = (long)t * $3 + n;
                    const float *restrict g = dy + row * $5 + p * PW;
                    __builtin_prefetch(g + 2 * $5); /* two rows ahead: records are read once */
SNN_IF($7, <<<m4_dnl
                    const snn_bits *restrict s = (const snn_bits *)x + row * $8 + q0;
                    if (NPF > 0 && p < NPF)
                        snn_event_rows(PW, nq, s, NULL, 0, g, $9, dw + (long)q0 * 64 * $6 + p * PW, $6, $11);
                    else
                        snn_event_rows($5 % PW, nq, s, NULL, 0, g, $9, dw + (long)q0 * 64 * $6 + p * PW, $6, $11);
>>>, <<<m4_dnl
                    const float *restrict xr = (const float *)x + row * $4 + q0 * 64;
                    const int kk = $4 - q0 * 64 < nq * 64 ? $4 - q0 * 64 : nq * 64;
                    if (NPF > 0 && p < NPF)
                        snn_event_rows(PW, 0, NULL, xr, kk, g, $9, dw + (long)q0 * 64 * $6 + p * PW, $6, $11);
                    else
                        snn_event_rows($5 % PW, 0, NULL, xr, kk, g, $9, dw + (long)q0 * 64 * $6 + p * PW, $6, $11);
>>>)m4_dnl
                }
        }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_BIAS_BACKWARD(fn, T, N, O, bias, beta): dc += beta sum_n dy[n], in order of n;
m4_dnl   with T > 1, over a record of dy from step T-1 down to 0.
m4_define(<<<SNN_BIAS_BACKWARD>>>, <<<
static void $1(const float *restrict dy, float *restrict dc)
{
    for (int t = $2 - 1; t >= 0; t--)
        for (int n = 0; n < $3; n++)
            for (int o = 0; o < $4; o++)
                dc[m4_ifelse(<<<$5>>>, <<<2>>>, <<<0>>>, <<<o>>>)] += $6dy[((long)t * $3 + n) * $4 + o];
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_TRANSPOSE(fn, R, C, ldi, ldo, add, par): out[c ldo + r] (+)= in[r ldi + c],
m4_dnl in blocks of 8 x 8 (re-laid-out weights; a weight gradient's rows added back).
m4_define(<<<SNN_TRANSPOSE>>>, <<<
static void $1(const float *restrict in, float *restrict out)
{
SNN_IF($7, <<<    SNN_PAR_FOR
>>>)m4_dnl
    for (int r0 = 0; r0 < $2; r0 += 8)
        for (int c0 = 0; c0 < $3; c0 += 8) {
            if (r0 + 8 <= $2 && c0 + 8 <= $3) {
                snn_tr8(in + (long)r0 * $4 + c0, $4, out + (long)c0 * $5 + r0, $5, $6);
            } else {
                for (int c = c0; c < c0 + 8 && c < $3; c++)
                    for (int r = r0; r < r0 + 8 && r < $2; r++)
                        out[(long)c * $5 + r] SNN_IF($6, <<<+=>>>, <<<=>>>) in[(long)r * $4 + c];
            }
        }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_PACK_BITS(fn, N, M, words): bit j of word q of row n says x[n][64 q + j] != 0.
m4_define(<<<SNN_PACK_BITS>>>, <<<
static void $1_rows(int n0, int n1, const float *restrict x, snn_bits *restrict s)
{
    for (int n = n0; n < n1; n++)
        for (int q = 0; q < $4; q++)
            s[n * $4 + q] = snn_pack_bits(x + n * $3 + q * 64, $3 - q * 64 < 64 ? $3 - q * 64 : 64);
}

SNN_INLINE void $1(const float *restrict x, snn_bits *restrict s)
{
    $1_rows(0, $2, x, s);
}
>>>)m4_dnl
