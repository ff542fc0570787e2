m4_dnl mcu_int8.m4 - integer kernels of the microcontroller back end.
m4_dnl
m4_dnl Number formats (chosen by emit_mcu.c from the trained weights):
m4_dnl   weights   int8, symmetric, one scale per output channel (max-abs / 127)
m4_dnl   pixels    uint8 as given; their 1/255 is folded into the layer's scale
m4_dnl   sums      int32, exact (|sum| < 784 * 127 * 255 < 2^25 for an image)
m4_dnl   membrane  int32 fixed point with F fraction bits per layer, as are the
m4_dnl             currents, biases and thresholds of that layer
m4_dnl   beta      Q31
m4_dnl A sum becomes a current with one multiply per output: round(sum m_o / 2^sh).
m4_dnl
m4_dnl SNN_MCU_Q_DENSE_U8(fn, K, O, OP, sh): y = rescale(W x) + bias for
m4_dnl uint8 x[K]. W is stored for the Cortex-M4's SMLAD: one 32-bit word per
m4_dnl pixel pair (2q, 2q+1) and output pair (2p, 2p+1), bytes
m4_dnl [w(2q,2p), w(2q,2p+1), w(2q+1,2p), w(2q+1,2p+1)], the OP/2 words of a
m4_dnl pixel pair contiguous (OP = O rounded up to 4). Pixel pairs that are
m4_dnl both zero cost one test: Fashion-MNIST images are half background.
m4_define(<<<SNN_MCU_Q_DENSE_U8>>>, <<<
static void $1(const uint8_t *restrict px, const uint32_t *restrict w,
    const int32_t *restrict mult, const int32_t *restrict bias, int32_t *restrict y)
{
    int32_t *const end = y + $4;
    for (int32_t *a = y; a != end; a++)
        *a = 0;
    for (int q = 0; q < $2 / 2 + $2 % 2; q++, w += $4 / 2) {
        const uint32_t x = (uint32_t)px[2 * q] | m4_dnl
SNN_IF(m4_eval($2 % 2), <<<(2 * q + 1 < $2 ? (uint32_t)px[2 * q + 1] << 16 : 0u)>>>, <<<(uint32_t)px[2 * q + 1] << 16>>>);
        if (x == 0u)
            continue;
        snn_pairs_mac(x, w, y, end); /* 4 outputs at a time: 2 words, 4 SXTB16, 4 SMLAD */
    }
    for (int o = 0; o < $3; o++)
        y[o] = snn_rescale(y[o], mult[o], $5) + bias[o];
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_Q_DENSE_EVENTS(fn, O, sh, idx_t): y = rescale(W s) + bias for
m4_dnl spikes s given as a list: one int8 row of W ([in][out]) per spike.
m4_define(<<<SNN_MCU_Q_DENSE_EVENTS>>>, <<<
static void $1(const $4 *restrict spk, int n, const int8_t *restrict w,
    const int32_t *restrict mult, const int32_t *restrict bias, int32_t *restrict y)
{
    for (int o = 0; o < $2; o++)
        y[o] = 0;
    for (int i = 0; i < n; i++) {
        const int8_t *restrict wj = w + spk[i] * $2;
        for (int o = 0; o < $2; o++)
            y[o] += wj[o];
    }
    for (int o = 0; o < $2; o++)
        y[o] = snn_rescale(y[o], mult[o], $3) + bias[o];
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_Q_DENSE_EVENTS16(fn, O, OP, sh, idx_t): the same, 4 outputs at a
m4_dnl time in int16 lanes (exact while inputs * 127 < 2^15): W rows of OP
m4_dnl int8 (O rounded up to 4) as words; acc[2p] holds outputs 4p and 4p+2,
m4_dnl acc[2p+1] outputs 4p+1 and 4p+3 (what SXTB16 and its ROR 8 form give).
m4_define(<<<SNN_MCU_Q_DENSE_EVENTS16>>>, <<<
static void $1(const $5 *restrict spk, int n, const uint32_t *restrict w,
    const int32_t *restrict mult, const int32_t *restrict bias, uint32_t *restrict acc,
    int32_t *restrict y)
{
    for (int p = 0; p < $3 / 2; p++)
        acc[p] = 0;
    for (int i = 0; i < n; i++) {
        const uint32_t *restrict wj = w + spk[i] * ($3 / 4);
        uint32_t *restrict a = acc;
        for (int p = 0; p < $3 / 4; p++, a += 2) {
            const uint32_t x = wj[p];
            a[0] = snn_sadd16(a[0], snn_sxtb16(x));
            a[1] = snn_sadd16(a[1], snn_sxtb16_ror8(x));
        }
    }
    for (int o = 0; o < $2; o++) {
        const uint32_t word = acc[o / 4 * 2 + o % 2];
        y[o] = snn_rescale(snn_lane16(o % 4 < 2 ? word : word >> 16), mult[o], $4) + bias[o];
    }
}
>>>)m4_dnl
m4_dnl
m4_dnl SNN_MCU_Q_LEAKY(fn, M, reset, decay, thr, idx_t): one step of M Leaky
m4_dnl neurons (SPEC section 4); reset 0 subtract, 1 zero, 2 none. decay is
m4_dnl the C expression of beta U[t-1] (in prev, j, beta), thr the threshold's
m4_dnl (a constant, or thr[j]). Appends the neurons that fire to spk and
m4_dnl returns how many did.
m4_define(<<<SNN_MCU_Q_LEAKY>>>, <<<
static int $1(const int32_t *restrict in, int32_t *restrict u, $6 *restrict spk,
    const int32_t *restrict beta, const int32_t *restrict thr)
{
    int n = 0;
    (void)beta;
    (void)thr;
    for (int j = 0; j < $2; j++) {
        const int32_t prev = u[j];
        const int32_t th = $5;
m4_ifelse(<<<$3>>>, <<<0>>>, <<<m4_dnl
        int32_t v = $4 + in[j];
        if (prev > th)
            v -= th;
>>>, <<<$3>>>, <<<1>>>, <<<m4_dnl
        const int32_t v = prev > th ? in[j] : $4 + in[j];
>>>, <<<m4_dnl
        const int32_t v = $4 + in[j];
>>>)m4_dnl
        u[j] = v;
        if (v > th)
            spk[n++] = ($6)j;
    }
    return n;
}
>>>)m4_dnl
