m4_dnl mcu.m4 - what the microcontroller back end's int8 and float code share:
m4_dnl the prelude (integer helpers, with the Cortex-M4 DSP instructions where
m4_dnl the compiler offers them and bit-identical portable C elsewhere) and the
m4_dnl readouts (SPEC section 5) on spike lists.
m4_dnl
m4_dnl A spike value is a list of the indices of the neurons that fired at
m4_dnl this step, in increasing order, and its length: later layers add one
m4_dnl weight row per spike, and nothing for the silent ones.
m4_dnl
m4_dnl SNN_MCU_PRELUDE(): helpers every kernel may use. Nothing here needs libc.
m4_define(<<<SNN_MCU_PRELUDE>>>, <<<
/* Helpers, each used by some models only. */
#if defined(__GNUC__)
#define SNN_INLINE static inline __attribute__((unused))
#else
#define SNN_INLINE static inline
#endif

/* The low int16 lane of a word, as a number. */
SNN_INLINE int32_t snn_lane16(uint32_t x)
{
    return (int32_t)(x & 0x7fffu) - (int32_t)(x & 0x8000u);
}

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32 && defined(__thumb2__) && !defined(SNN_MCU_PORTABLE)
#include <arm_acle.h>
/* Two int8 lanes (bytes 0 and 2, or 1 and 3) sign-extended to int16 lanes. */
SNN_INLINE uint32_t snn_sxtb16(uint32_t x)
{
    return (uint32_t)__sxtb16((int8x4_t)x);
}
SNN_INLINE uint32_t snn_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
/* lane by lane a + b, int16 lanes: one SADD16 */
SNN_INLINE uint32_t snn_sadd16(uint32_t a, uint32_t b)
{
    return (uint32_t)__sadd16((int16x2_t)a, (int16x2_t)b);
}
/* a[0..n) += the dual products of x (two uint8 pixels in int16 lanes) with
 * rows of int8 weight pairs, 4 outputs per loop: 2 words of weights, LDM and
 * STM of the 4 sums, 4 SXTB16, 4 SMLAD. GCC and Clang schedule the C form
 * below with 6 more instructions per loop; this is the inner loop of the
 * static input's projection, so it is written out. */
SNN_INLINE void snn_pairs_mac(uint32_t x, const uint32_t *wp, int32_t *a, const int32_t *end)
{
    uint32_t w0, w1, t;
    __asm__ volatile("1:\n\t"
                     "ldrd %[w0], %[w1], [%[wp]], #8\n\t"
                     "ldm %[a], {r8, r9, r10, r11}\n\t"
                     "sxtb16 %[t], %[w0]\n\t"
                     "smlad r8, %[x], %[t], r8\n\t"
                     "sxtb16 %[t], %[w0], ror #8\n\t"
                     "smlad r9, %[x], %[t], r9\n\t"
                     "sxtb16 %[t], %[w1]\n\t"
                     "smlad r10, %[x], %[t], r10\n\t"
                     "sxtb16 %[t], %[w1], ror #8\n\t"
                     "smlad r11, %[x], %[t], r11\n\t"
                     "stmia %[a]!, {r8, r9, r10, r11}\n\t"
                     "cmp %[a], %[end]\n\t"
                     "bne 1b"
                     : [wp] "+r"(wp), [a] "+r"(a), [w0] "=&r"(w0), [w1] "=&r"(w1), [t] "=&r"(t)
                     : [x] "r"(x), [end] "r"(end)
                     : "r8", "r9", "r10", "r11", "cc", "memory");
}
/* round(u b / 2^31), half up, for |u| < 2^30: one SMMULR */
SNN_INLINE int32_t snn_decay(int32_t u, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(u * 2), "r"(b));
    return r;
}
#else
/* The same operations in portable C, exact, so host builds agree bit for bit. */
SNN_INLINE uint32_t snn_sext8(uint32_t b)
{
    return ((b & 0xffu) ^ 0x80u) - 0x80u;
}
SNN_INLINE uint32_t snn_sxtb16(uint32_t x)
{
    return (snn_sext8(x) & 0xffffu) | snn_sext8(x >> 16) << 16;
}
SNN_INLINE uint32_t snn_sxtb16_ror8(uint32_t x)
{
    return snn_sxtb16(x >> 8 | x << 24);
}
/* acc + lo(a) lo(b) + hi(a) hi(b), int16 lanes: SMLAD */
SNN_INLINE int32_t snn_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return acc + snn_lane16(a) * snn_lane16(b) + snn_lane16(a >> 16) * snn_lane16(b >> 16);
}
SNN_INLINE uint32_t snn_sadd16(uint32_t a, uint32_t b)
{
    return ((a + b) & 0xffffu) | ((a >> 16) + (b >> 16)) << 16;
}
SNN_INLINE void snn_pairs_mac(uint32_t x, const uint32_t *wp, int32_t *a, const int32_t *end)
{
    do {
        const uint32_t w0 = wp[0], w1 = wp[1];
        a[0] = snn_smlad(x, snn_sxtb16(w0), a[0]);
        a[1] = snn_smlad(x, snn_sxtb16_ror8(w0), a[1]);
        a[2] = snn_smlad(x, snn_sxtb16(w1), a[2]);
        a[3] = snn_smlad(x, snn_sxtb16_ror8(w1), a[3]);
        wp += 2;
        a += 4;
    } while (a != end);
}
SNN_INLINE int32_t snn_decay(int32_t u, int32_t b)
{
    return (int32_t)(((int64_t)u * b + ((int64_t)1 << 30)) >> 31);
}
#endif

/* round(x m / 2^sh), half up: an int8 accumulator to the membrane's fixed
 * point. Right shifts of negative values are arithmetic (GCC and Clang
 * define them so, on the host and on Arm alike). */
SNN_INLINE int32_t snn_rescale(int32_t x, int32_t m, int sh)
{
    return (int32_t)(((int64_t)x * m + ((int64_t)1 << (sh - 1))) >> sh);
}
/* snn_decay(u, b) is the leak, beta in Q31 (0 <= b < 2^31): round(u b / 2^31). */

>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_COUNT(fn, idx_t): SpikeCount on a spike list.
m4_define(<<<SNN_MCU_COUNT>>>, <<<
static void $1(const $2 *restrict spk, int n, uint16_t *restrict count)
{
    for (int i = 0; i < n; i++)
        count[spk[i]]++;
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_FIRST(fn, idx_t): first step with a spike; 0xffff = not yet.
m4_define(<<<SNN_MCU_FIRST>>>, <<<
static void $1(const $2 *restrict spk, int n, int t, uint16_t *restrict first)
{
    for (int i = 0; i < n; i++)
        if (first[spk[i]] == 0xffffu)
            first[spk[i]] = (uint16_t)t;
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_ARGMAX(fn, C, type): the lowest index of the largest value.
m4_define(<<<SNN_MCU_ARGMAX>>>, <<<
static int $1(const $3 *restrict a)
{
    int best = 0;
    for (int c = 1; c < $2; c++)
        if (a[c] > a[best])
            best = c;
    return best;
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_ARGMIN_FIRST(fn, C, T): the earliest first spike; a silent
m4_dnl neuron counts as T-1 (SPEC section 5); ties to the lowest index.
m4_define(<<<SNN_MCU_ARGMIN_FIRST>>>, <<<
static int $1(const uint16_t *restrict first)
{
    int best = 0;
    unsigned bv = first[0] == 0xffffu ? $3 - 1u : first[0];
    for (int c = 1; c < $2; c++) {
        const unsigned v = first[c] == 0xffffu ? $3 - 1u : first[c];
        if (v < bv) {
            bv = v;
            best = c;
        }
    }
    return best;
}
>>>)m4_dnl
