/* emit_mcu.c - inference code for microcontrollers (Cortex-M4): int8 or float.
 *
 * Takes: a planned inference graph (g->training false, the loss pruned,
 * parameters holding trained data) and the target options. Gives:
 * OUTDIR/PREFIX.h and OUTDIR/PREFIX.c, batch 1, which need nothing but
 * <stdint.h> (no libc, no libm, no heap), and a footprint report, printed
 * and written into both files' header comments.
 * Holds: everything mutable lives in one `struct PREFIX_state` (the plain
 * API uses a static one; the _r API takes the caller's); weights are const
 * (flash). The static input's projection runs once per inference
 * (PREFIX_set_input_u8); each time step then does work only for neurons
 * that spiked: a spike is an index in a list and adds one weight row.
 * In int8 mode everything after the weights' quantization is integer
 * arithmetic, so any C99 compiler gives the same bits (tests compare the
 * host and the target). In float mode the operations are the host
 * kernels', in the same order.
 *
 * Supported: Gemm and MatMul on the static input or on spikes, Leaky
 * (subtract, zero or none reset; beta and threshold constant or learned,
 * scalar or per neuron), Flatten/Reshape/Identity, SpikeCount, Predict
 * (count, first_spike, membrane_sum, membrane_max). Anything else is
 * refused with a message naming the node.
 *
 * Fixed point (int8 mode), chosen per Leaky layer from the trained values:
 * the membrane U, the input current, the bias and the threshold are int32
 * with F fraction bits, F = min(16, the most that keeps the worst-case
 * |U| below 2^30). The worst case is bounded from the quantized weights:
 * |I| <= max_o (sum_k |w_ok| + |b_o|) since inputs are in [0, 1], and
 * |U| <= |I| (1 + beta + ... + beta^(T-1)) + thr. int32 rather than int16:
 * with int16 the 15 bits would have to cover both that range (tens of
 * units for beta near 1) and the smallest currents (an int8 weight step,
 * about 1e-3), which they cannot; int32 costs the same instructions on a
 * 32-bit core, and 4 bytes per neuron of RAM. Beta is Q31; the leak is one
 * 32x32->64 multiply (SMLAL). Weights are int8 with one scale per output
 * channel (max |w| / 127, symmetric); a layer's int32 sums become currents
 * with one multiply and shift per output (round half up), with 1/255 of
 * the pixel inputs folded in.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "emit_int.h"

#define IND "    "

/* Footprint model of the generated code: bytes of Thumb-2 code per part, as
 * arm-none-eabi-gcc 12.2 -Os -mcpu=cortex-m4 lays out examples/mcu_fmnist
 * (scripts/mcu-report measures the real totals from the link map and the
 * call graph); float (FPU) code came out about 15% smaller. */
#define CODE_BASE 200          /* API wrappers, reset, run, predict */
#define CODE_DENSE_U8 200      /* the static input's projection */
#define CODE_DENSE_EVENTS 130  /* a layer on spikes */
#define CODE_LEAKY 110
#define CODE_READOUT 30        /* a count, first-spike or membrane readout */
#define CODE_FLOAT_FACTOR 0.85
#define STACK_BASE 16          /* PREFIX_run_r's frame */
#define STACK_STEP 48          /* PREFIX_step_r's, with every kernel inlined */

/* ---------------------------------------------------------------- model */

enum mkind { MK_NONE, MK_INPUT, MK_CUR, MK_SPK, MK_MEM, MK_COUNT, MK_PRED };

struct mgemm {
    struct ir_node *n;
    const char *k;      /* kernel name */
    int K, O, OP;       /* inputs, outputs, outputs padded to 4 */
    bool from_input;    /* static input (once) or spikes (every step) */
    bool lanes16;       /* int8 on spikes: sums in int16 lanes (SADD16) */
    struct mleaky *src; /* the spiking layer it reads */
    struct mleaky *dst; /* the Leaky it feeds */
    float alpha, beta;
    const float *w;     /* trained weights, as stored in the model */
    const float *b;     /* bias or NULL */
    int bias_scalar;
    /* int8 */
    int8_t *q;          /* [K][O] */
    double *scale;      /* real value of one unit of the int32 sum, per output */
    int32_t *mult, *bias_q;
    int sh;
    double maxcur;      /* worst-case |current| after quantization */
};

struct mleaky {
    struct ir_node *n;
    const char *k, *f; /* kernel name, state field prefix */
    int M;
    struct mgemm *in;
    int F;
    float beta_c, thr_c;            /* constants when not learned */
    const float *beta_p, *thr_p;    /* learned values, or NULL */
    size_t beta_n, thr_n;
    bool counted, first, msum, mmax;
    const char *idx_t;
};

struct mcu {
    struct emitter e;
    struct ir_graph *g;
    const struct emit_options *o;
    bool q; /* int8 */
    const char *P, *U;
    enum mkind *kind;
    void **src; /* per value id: the mgemm or mleaky it comes from */
    struct mgemm *gm[64];
    struct mleaky *lk[64];
    int ngm, nlk;
    struct ir_value *input;
    struct ir_node *predict;
    struct mleaky *pred_src, *count_src;
    /* footprint */
    size_t weight_bytes, code_bytes, ram_bytes, stack_bytes;
};

static bool unsupported(struct mcu *m, struct ir_node *n, const char *why, struct diag *d)
{
    const char *dom = ir_op_table[n->op].domain;
    return diag_error(d, "%s: node '%s' (%s%s%s): %s on target %s", m->g->file, n->name, dom,
                      *dom ? "." : "", ir_op_name(n->op), why, m->o->target ? m->o->target : "cortex-m4");
}

static const float *data_of(struct ir_value *v)
{
    return v && (v->role == IR_ROLE_PARAM || v->role == IR_ROLE_CONST) ? v->f32 : NULL;
}

static size_t per_sample(const struct ir_value *v)
{
    return v->batched ? v->numel / (size_t)v->dims[0] : v->numel;
}

static bool classify_gemm(struct mcu *m, struct ir_node *n, struct diag *d)
{
    struct ir_value *a = n->in[0], *w = n->in[1], *c = n->nin > 2 ? n->in[2] : NULL;
    enum mkind ka = m->kind[a->id];
    if (ka != MK_INPUT && ka != MK_SPK)
        return unsupported(m, n, "the input is neither the static model input nor spikes", d);
    if (!data_of(w) || w->rank != 2 || (c && !data_of(c)))
        return unsupported(m, n, "weights and bias must be initializers with trained data", d);
    if (m->ngm == 64)
        return unsupported(m, n, "too many layers", d);
    struct mgemm *l = arena_alloc(m->g->arena, sizeof *l);
    l->n = n;
    l->k = emit_kname(&m->e, n, "forward");
    l->K = (int)per_sample(a);
    l->O = (int)per_sample(n->out[0]);
    l->OP = (l->O + 3) / 4 * 4;
    l->from_input = ka == MK_INPUT;
    l->src = ka == MK_SPK ? m->src[a->id] : NULL;
    l->alpha = n->op == IR_OP_GEMM ? n->at.alpha : 1.0f;
    l->beta = n->op == IR_OP_GEMM ? n->at.beta : 1.0f;
    bool tb = n->op == IR_OP_GEMM && n->at.trans_b;
    if ((tb ? w->dims[1] : w->dims[0]) != l->K || (tb ? w->dims[0] : w->dims[1]) != l->O)
        return unsupported(m, n, "weights do not match a [batch, features] input", d);
    /* weights as [K][O] */
    float *wt = arena_array(m->g->arena, (size_t)l->K * (size_t)l->O, sizeof *wt);
    for (int k = 0; k < l->K; k++)
        for (int o = 0; o < l->O; o++)
            wt[(size_t)k * l->O + o] = tb ? w->f32[(size_t)o * l->K + k] : w->f32[(size_t)k * l->O + o];
    l->w = wt;
    l->b = c ? c->f32 : NULL;
    l->bias_scalar = c && c->numel == 1 && l->O != 1;
    if (l->from_input && l->K > 65535)
        return unsupported(m, n, "more than 65535 inputs overflow the int32 sums", d);
    m->gm[m->ngm++] = l;
    m->kind[n->out[0]->id] = MK_CUR;
    m->src[n->out[0]->id] = l;
    return true;
}

static bool classify_leaky(struct mcu *m, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0];
    if (m->kind[x->id] != MK_CUR)
        return unsupported(m, n, "the input current must come from a Gemm or MatMul", d);
    struct mgemm *in = m->src[x->id];
    if (in->dst)
        return unsupported(m, n, "a Gemm feeds two neuron layers", d);
    if (m->nlk == 64)
        return unsupported(m, n, "too many layers", d);
    struct mleaky *l = arena_alloc(m->g->arena, sizeof *l);
    l->n = n;
    l->k = emit_kname(&m->e, n, "step");
    l->f = arena_printf(m->g->arena, "n%d_%s", n->id, ir_cname(m->g, "", n->name));
    l->M = (int)per_sample(x);
    l->in = in;
    in->dst = l;
    l->beta_c = n->at.decay;
    l->thr_c = n->at.threshold;
    struct ir_value *pb = n->nin > 1 ? n->in[1] : NULL, *pt = n->nin > 2 ? n->in[2] : NULL;
    if ((pb && !data_of(pb)) || (pt && !data_of(pt)))
        return unsupported(m, n, "a learned beta or threshold needs trained data", d);
    if (pb) {
        l->beta_p = pb->f32;
        l->beta_n = pb->numel;
    }
    if (pt) {
        l->thr_p = pt->f32;
        l->thr_n = pt->numel;
    }
    if ((pb && pb->numel != 1 && pb->numel != (size_t)l->M) ||
        (pt && pt->numel != 1 && pt->numel != (size_t)l->M))
        return unsupported(m, n, "beta and threshold must be scalars or one per neuron", d);
    l->idx_t = l->M <= 256 ? "uint8_t" : "uint16_t";
    if (l->M > 65535)
        return unsupported(m, n, "more than 65535 neurons", d);
    m->lk[m->nlk++] = l;
    if (n->out[0]) {
        m->kind[n->out[0]->id] = MK_SPK;
        m->src[n->out[0]->id] = l;
    }
    if (n->nout > 1 && n->out[1]) {
        m->kind[n->out[1]->id] = MK_MEM;
        m->src[n->out[1]->id] = l;
    }
    return true;
}

static bool classify(struct mcu *m, struct diag *d)
{
    struct ir_graph *g = m->g;
    for (int i = 0; i < g->ninputs; i++) {
        struct ir_value *v = g->inputs[i];
        if (v->dtype != IR_F32)
            continue;
        if (v->time == IR_TEMPORAL)
            return diag_error(d, "%s: input '%s' is temporal; the %s target takes one static input "
                              "(an image) for now", g->file, v->name, m->o->target);
        if (m->input)
            return diag_error(d, "%s: inputs '%s' and '%s': the %s target takes one static input",
                              g->file, m->input->name, v->name, m->o->target);
        m->input = v;
        m->kind[v->id] = MK_INPUT;
    }
    if (!m->input)
        return diag_error(d, "%s: no float input to feed", g->file);
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        if (n->dead)
            continue;
        switch (n->op) {
        case IR_OP_FLATTEN:
        case IR_OP_RESHAPE:
        case IR_OP_IDENTITY:
            m->kind[n->out[0]->id] = m->kind[n->in[0]->id]; /* aliases: no code */
            m->src[n->out[0]->id] = m->src[n->in[0]->id];
            break;
        case IR_OP_GEMM:
        case IR_OP_MATMUL:
            if (!classify_gemm(m, n, d))
                return false;
            break;
        case IR_OP_LEAKY:
            if (!classify_leaky(m, n, d))
                return false;
            break;
        case IR_OP_SPIKE_COUNT:
            if (m->kind[n->in[0]->id] != MK_SPK)
                return unsupported(m, n, "counts spikes only", d);
            ((struct mleaky *)m->src[n->in[0]->id])->counted = true;
            if (!m->count_src)
                m->count_src = m->src[n->in[0]->id];
            m->kind[n->out[0]->id] = MK_COUNT;
            break;
        case IR_OP_PREDICT: {
            struct mleaky *l = m->src[n->in[0]->id];
            bool spikes = n->at.rule == IR_PRED_COUNT || n->at.rule == IR_PRED_FIRST_SPIKE;
            if (m->kind[n->in[0]->id] != (spikes ? MK_SPK : MK_MEM))
                return unsupported(m, n, spikes ? "this rule reads the spikes of a Leaky layer"
                                                : "this rule reads the membrane of a Leaky layer", d);
            if (m->predict)
                return unsupported(m, n, "a second Predict", d);
            m->predict = n;
            m->pred_src = l;
            if (n->at.rule == IR_PRED_COUNT)
                l->counted = true;
            else if (n->at.rule == IR_PRED_FIRST_SPIKE)
                l->first = true;
            else if (n->at.rule == IR_PRED_MEMBRANE_SUM)
                l->msum = true;
            else
                l->mmax = true;
            m->kind[n->out[0]->id] = MK_PRED;
            break;
        }
        case IR_OP_ADD:
        case IR_OP_SUB:
        case IR_OP_MUL:
        case IR_OP_RELU:
        case IR_OP_CONV:
        case IR_OP_MAXPOOL:
        case IR_OP_AVGPOOL:
        case IR_OP_SYNAPTIC:
        case IR_OP_MS_LEAKY:
        case IR_OP_RATE_ENCODE:
        case IR_OP_LATENCY_ENCODE:
        case IR_OP_CE_MEMBRANE_LOSS:
        case IR_OP_CE_RATE_LOSS:
        case IR_OP_CE_COUNT_LOSS:
        case IR_OP_CE_MAX_MEM_LOSS:
        case IR_OP_MSE_COUNT_LOSS:
        case IR_OP_MSE_MEMBRANE_LOSS:
        case IR_OP_CE_TEMPORAL_LOSS:
        case IR_OP_COUNT:
            return unsupported(m, n, "is not supported yet", d);
        }
    }
    for (int i = 0; i < m->ngm; i++)
        if (!m->gm[i]->dst)
            return unsupported(m, m->gm[i]->n, "the output must feed a Leaky layer", d);
    if (!m->count_src && m->pred_src && m->pred_src->counted)
        m->count_src = m->pred_src;
    if (!m->count_src) /* counts() reads the last layer's spikes anyway */
        for (int i = m->nlk - 1; i >= 0 && !m->count_src; i--)
            if (m->lk[i]->n->out[0])
                m->count_src = m->lk[i], m->lk[i]->counted = true;
    if (!m->count_src)
        return diag_error(d, "%s: no spiking layer to read", g->file);
    return true;
}

/* ---------------------------------------------------------------- quantization */

static float clamp01(float x)
{
    return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x;
}

static float leaky_beta(const struct mleaky *l, int j)
{
    return clamp01(l->beta_p ? l->beta_p[l->beta_n == 1 ? 0 : j] : l->beta_c);
}

static float leaky_thr(const struct mleaky *l, int j)
{
    return l->thr_p ? l->thr_p[l->thr_n == 1 ? 0 : j] : l->thr_c;
}

static int32_t to_fixed(double x, int F)
{
    return (int32_t)floor(x * ldexp(1.0, F) + 0.5);
}

/* int8 weights, one scale per output channel, and the worst current. */
static void quantize_weights(struct mcu *m, struct mgemm *l)
{
    struct arena *a = m->g->arena;
    l->q = arena_array(a, (size_t)l->K * (size_t)l->O, 1);
    double *scale = l->scale = arena_array(a, (size_t)l->O, sizeof *scale);
    l->lanes16 = !l->from_input && l->K * 127 < 32768;
    l->maxcur = 0;
    for (int o = 0; o < l->O; o++) {
        double mx = 0, sum = 0;
        for (int k = 0; k < l->K; k++)
            mx = fmax(mx, fabs((double)l->w[(size_t)k * l->O + o]));
        scale[o] = mx > 0 ? mx / 127.0 : 1.0;
        for (int k = 0; k < l->K; k++) {
            double r = floor((double)l->w[(size_t)k * l->O + o] / scale[o] + 0.5);
            r = r > 127 ? 127 : r < -127 ? -127 : r;
            l->q[(size_t)k * l->O + o] = (int8_t)r;
            sum += fabs(r);
        }
        double b = l->b ? fabs((double)l->beta * l->b[l->bias_scalar ? 0 : o]) : 0;
        l->maxcur = fmax(l->maxcur, fabs((double)l->alpha) * scale[o] * sum + b);
    }
    /* pixels are bytes: the model's input is pixel / 255 */
    for (int o = 0; o < l->O; o++)
        scale[o] *= (double)l->alpha * (l->from_input ? 1.0 / 255.0 : 1.0);
}

static bool quantize_layer(struct mcu *m, struct mgemm *l, struct diag *d)
{
    struct mleaky *lk = l->dst;
    int T = m->g->set.num_steps;
    double bmax = 0, tmax = 0;
    for (int j = 0; j < lk->M; j++) {
        bmax = fmax(bmax, (double)leaky_beta(lk, j));
        tmax = fmax(tmax, fabs((double)leaky_thr(lk, j)));
    }
    double geo = 0, p = 1;
    for (int t = 0; t < T; t++, p *= bmax)
        geo += p;
    double bound = l->maxcur * geo + tmax + 1.0;
    int F = 16;
    while (F > 0 && bound * ldexp(1.0, F) >= ldexp(1.0, 30))
        F--;
    if (F < 4)
        return unsupported(m, lk->n, arena_printf(m->g->arena, "the membrane may reach %g, too large "
                                                  "for int32 fixed point", bound), d);
    lk->F = F;
    const double *scale = l->scale;
    double smax = 0;
    for (int o = 0; o < l->O; o++)
        smax = fmax(smax, fabs(scale[o]) * ldexp(1.0, F));
    int sh = 1;
    while (sh < 48 && smax * ldexp(1.0, sh + 1) < 2147483647.0)
        sh++;
    if (smax * ldexp(1.0, sh) >= 2147483647.0)
        return unsupported(m, l->n, "weights too large for int32 fixed point", d);
    l->sh = sh;
    l->mult = arena_array(m->g->arena, (size_t)l->O, sizeof *l->mult);
    l->bias_q = arena_array(m->g->arena, (size_t)l->O, sizeof *l->bias_q);
    for (int o = 0; o < l->O; o++) {
        l->mult[o] = to_fixed(scale[o], F + sh);
        l->bias_q[o] = l->b ? to_fixed((double)l->beta * l->b[l->bias_scalar ? 0 : o], F) : 0;
    }
    return true;
}

/* ---------------------------------------------------------------- text */

static void ints(FILE *f, const char *decl, const int32_t *x, size_t n)
{
    fprintf(f, "%s = {", decl);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%ld,", i % 10 ? " " : "\n    ", (long)x[i]);
    fprintf(f, "\n};\n");
}

static void floats(FILE *f, const char *decl, const float *x, size_t n)
{
    fprintf(f, "%s = {", decl);
    emit_floats(f, x, n);
    fprintf(f, "};\n");
}

static const char *factor(struct mcu *m, float x)
{
    return x == 1.0f ? "" : arena_printf(m->g->arena, "%s * ", emit_float(&m->e, x));
}

/* ---------------------------------------------------------------- state */

struct field {
    const char *type, *name;
    size_t count, size;
    const char *what;
};

struct fields {
    struct field f[512];
    int n;
};

static void field(struct fields *fs, const char *type, size_t size, const char *name, size_t count,
                  const char *what)
{
    if (fs->n < 512)
        fs->f[fs->n++] = (struct field){type, name, count, size, what};
}

static void state_fields(struct mcu *m, struct fields *fs)
{
    struct arena *a = m->g->arena;
    const char *num = m->q ? "int32_t" : "float";
    for (int i = 0; i < m->ngm; i++) { /* currents: static ones hoisted, others scratch */
        struct mgemm *l = m->gm[i];
        field(fs, num, 4, arena_printf(a, "%s_cur", l->dst->f), (size_t)(m->q && l->from_input ? l->OP : l->O),
              arena_printf(a, "current into '%s'%s", l->dst->n->name,
                           l->from_input ? ", computed once per input" : ", this step"));
    }
    for (int i = 0; i < m->ngm; i++)
        if (m->gm[i]->lanes16)
            field(fs, "uint32_t", 4, arena_printf(a, "%s_acc", m->gm[i]->dst->f), (size_t)m->gm[i]->OP / 2,
                  "sums in int16 lanes, this step");
    for (int i = 0; i < m->nlk; i++) {
        struct mleaky *l = m->lk[i];
        field(fs, num, 4, arena_printf(a, "%s_u", l->f), (size_t)l->M,
              m->q ? arena_printf(a, "membrane, Q%d fixed point", l->F) : "membrane");
        if (l->mmax)
            field(fs, num, 4, arena_printf(a, "%s_mmax", l->f), (size_t)l->M, "largest membrane so far");
    }
    for (int i = 0; i < m->nlk; i++)
        if (m->lk[i]->msum)
            field(fs, m->q ? "int64_t" : "float", m->q ? 8 : 4, arena_printf(a, "%s_msum", m->lk[i]->f),
                  (size_t)m->lk[i]->M, "membrane summed over the steps");
    for (int i = 0; i < m->nlk; i++) {
        struct mleaky *l = m->lk[i];
        if (l->counted)
            field(fs, "uint16_t", 2, arena_printf(a, "%s_count", l->f), (size_t)l->M, "spikes so far");
        if (l->first)
            field(fs, "uint16_t", 2, arena_printf(a, "%s_first", l->f), (size_t)l->M,
                  "step of the first spike, 0xffff: none yet");
        if (!strcmp(l->idx_t, "uint16_t"))
            field(fs, "uint16_t", 2, arena_printf(a, "%s_spk", l->f), (size_t)l->M, "who spiked this step");
    }
    for (int i = 0; i < m->nlk; i++)
        field(fs, "uint16_t", 2, arena_printf(a, "%s_nspk", m->lk[i]->f), 1, "how many spiked");
    field(fs, "uint16_t", 2, "t", 1, "steps run since the last reset");
    for (int i = 0; i < m->nlk; i++)
        if (!strcmp(m->lk[i]->idx_t, "uint8_t"))
            field(fs, "uint8_t", 1, arena_printf(a, "%s_spk", m->lk[i]->f), (size_t)m->lk[i]->M,
                  "who spiked this step");
}

static size_t state_bytes(const struct fields *fs)
{
    size_t off = 0, al = 1;
    for (int i = 0; i < fs->n; i++) {
        size_t s = fs->f[i].size;
        off = (off + s - 1) / s * s + s * fs->f[i].count;
        if (s > al)
            al = s;
    }
    return (off + al - 1) / al * al;
}

/* ---------------------------------------------------------------- footprint */

static void footprint(struct mcu *m, const struct fields *fs)
{
    size_t w = 0, code = CODE_BASE;
    for (int i = 0; i < m->ngm; i++) {
        struct mgemm *l = m->gm[i];
        if (m->q)
            w += (l->from_input ? (size_t)((l->K + 1) / 2) * 4 * (size_t)(l->OP / 2)
                  : l->lanes16  ? (size_t)l->K * (size_t)l->OP
                                : (size_t)l->K * (size_t)l->O) + 8 * (size_t)l->O;
        else
            w += 4 * ((size_t)l->K * (size_t)l->O + (size_t)l->O);
        code += l->from_input ? CODE_DENSE_U8 : CODE_DENSE_EVENTS;
    }
    for (int i = 0; i < m->nlk; i++) {
        struct mleaky *l = m->lk[i];
        w += 4 * ((l->beta_p ? l->beta_n : 0) + (l->thr_p ? l->thr_n : 0));
        code += CODE_LEAKY + (l->counted + l->first + l->msum + l->mmax) * CODE_READOUT;
    }
    if (!m->q)
        code = (size_t)(code * CODE_FLOAT_FACTOR);
    m->weight_bytes = w;
    m->code_bytes = code;
    m->ram_bytes = state_bytes(fs);
    m->stack_bytes = STACK_BASE + STACK_STEP;
}

static void footprint_comment(struct mcu *m, FILE *f)
{
    fprintf(f, " * Footprint on %s (estimated by snnc for arm-none-eabi-gcc -Os):\n"
               " *   flash %zu bytes (weights and constants %zu + code about %zu)\n"
               " *   RAM   %zu bytes (struct %s_state: state and scratch; nothing else)\n"
               " *   stack about %zu bytes at the deepest call\n",
            m->o->target, m->weight_bytes + m->code_bytes, m->weight_bytes, m->code_bytes, m->ram_bytes,
            m->P, m->stack_bytes);
}

/* ---------------------------------------------------------------- header */

static void emit_h(struct mcu *m, FILE *f, const struct fields *fs)
{
    struct ir_graph *g = m->g;
    const char *P = m->P, *U = m->U;
    const char *num = m->q ? "int8" : "float";
    fprintf(f, "/* %s.h - generated by snnc %s from %s (model '%s') for %s, %s. Do not edit.\n", P,
            PACKAGE_VERSION, g->file, g->name, m->o->target, num);
    fprintf(f, " * Command: %s\n *\n", m->o->cmdline ? m->o->cmdline : "snnc");
    footprint_comment(m, f);
    fprintf(f, " *\n * Batch 1, no allocation, no libc: include <stdint.h> and go.\n"
               " *   %s_set_input_u8(pixels);  the image, raw bytes; its projection runs here, once\n"
               " *   %s_run();                 %s_reset() and all %d steps\n"
               " *   %s_predict(), %s_counts() the class, the output spike counts\n"
               " * Streaming: %s_reset(), then %s_step() once per step. The _r functions take\n"
               " * an explicit state, for several instances; the others use a static one.\n */\n",
            P, P, P, g->set.num_steps, P, P, P, P);
    fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n\n", U, U);
    fprintf(f, "#define %s_T %d /* time steps of one inference */\n", U, g->set.num_steps);
    fprintf(f, "#define %s_INPUT_SIZE %zu\n", U, per_sample(m->input));
    fprintf(f, "#define %s_NUM_COUNTS %d /* length of %s_counts() */\n", U, m->count_src->M, P);
    fprintf(f, "#define %s_INT8 %d\n", U, m->q);
    fprintf(f, "#define %s_FLASH_BYTES %zu /* estimated: weights %zu + code */\n", U,
            m->weight_bytes + m->code_bytes, m->weight_bytes);
    fprintf(f, "#define %s_RAM_BYTES %zu /* sizeof(struct %s_state) */\n", U, m->ram_bytes, P);
    fprintf(f, "#define %s_STACK_BYTES %zu /* estimated */\n\n", U, m->stack_bytes);
    fprintf(f, "/* Everything an inference changes. */\nstruct %s_state {\n", P);
    for (int i = 0; i < fs->n; i++) {
        const struct field *x = &fs->f[i];
        if (x->count == 1)
            fprintf(f, "    %s %s; /* %s */\n", x->type, x->name, x->what);
        else
            fprintf(f, "    %s %s[%zu]; /* %s */\n", x->type, x->name, x->count, x->what);
    }
    fprintf(f, "};\n\n");
    fprintf(f, "/* The input: %zu raw pixels (the model sees pixel / 255). Computes the\n"
               " * projection of the static input, once per inference. */\n", per_sample(m->input));
    fprintf(f, "void %s_set_input_u8(const uint8_t *pixels);\n", P);
    if (!m->q)
        fprintf(f, "void %s_set_input_f32(const float *x); /* the model's input as it is */\n", P);
    fprintf(f, "/* Clears the neurons' state and the readouts: time step 0. */\nvoid %s_reset(void);\n", P);
    fprintf(f, "/* Runs one time step; returns the number of steps run since the reset. */\n"
               "int %s_step(void);\n", P);
    fprintf(f, "/* %s_reset(), then %s_T steps. */\nvoid %s_run(void);\n", P, U, P);
    if (m->predict)
        fprintf(f, "/* The class (Predict rule '%s'), from the steps run so far. */\nint %s_predict(void);\n",
                m->predict->at.rule == IR_PRED_COUNT ? "count"
                : m->predict->at.rule == IR_PRED_FIRST_SPIKE ? "first_spike"
                : m->predict->at.rule == IR_PRED_MEMBRANE_SUM ? "membrane_sum" : "membrane_max", P);
    fprintf(f, "/* Spikes of layer '%s' per neuron so far (%s_NUM_COUNTS of them). */\n"
               "const uint16_t *%s_counts(void);\n\n", m->count_src->n->name, U, P);
    fprintf(f, "/* The same on an explicit state (reentrant). */\n");
    fprintf(f, "void %s_set_input_u8_r(struct %s_state *s, const uint8_t *pixels);\n", P, P);
    if (!m->q)
        fprintf(f, "void %s_set_input_f32_r(struct %s_state *s, const float *x);\n", P, P);
    fprintf(f, "void %s_reset_r(struct %s_state *s);\nint %s_step_r(struct %s_state *s);\n"
               "void %s_run_r(struct %s_state *s);\n", P, P, P, P, P, P);
    if (m->predict)
        fprintf(f, "int %s_predict_r(const struct %s_state *s);\n", P, P);
    fprintf(f, "const uint16_t *%s_counts_r(const struct %s_state *s);\n\n#endif\n", P, P);
}

/* ---------------------------------------------------------------- tables and kernels */

static void emit_gemm_defs(struct mcu *m, FILE *f, struct mgemm *l)
{
    struct arena *a = m->g->arena;
    fprintf(f, "\n/* %s '%s': %d -> %d, %s */\n", ir_op_name(l->n->op), l->n->name, l->K, l->O,
            l->from_input ? "on the static input, once per inference" : "on spikes, one row per spike");
    if (!m->q) {
        floats(f, arena_printf(a, "static const float %s_w[%zu]", l->k, (size_t)l->K * l->O), l->w,
               (size_t)l->K * l->O);
        float *b = arena_array(a, (size_t)l->O, sizeof *b);
        for (int o = 0; o < l->O; o++)
            b[o] = l->b ? l->b[l->bias_scalar ? 0 : o] : 0.0f;
        floats(f, arena_printf(a, "static const float %s_b[%d]", l->k, l->O), b, (size_t)l->O);
        if (l->from_input)
            for (int u8 = 0; u8 < 2; u8++)
                fprintf(f, "SNN_MCU_F_DENSE(%s%s, %d, %d, <<<%s>>>, <<<%s>>>, %s, <<<%s>>>)m4_dnl\n", l->k,
                        u8 ? "_u8" : "", l->K, l->O, factor(m, l->alpha), l->b ? factor(m, l->beta) : "",
                        u8 ? "uint8_t" : "float", u8 ? "(float)x[k] / 255.0f" : "x[k]");
        else
            fprintf(f, "SNN_MCU_F_DENSE_EVENTS(%s, %d, <<<%s>>>, <<<%s>>>, %s)m4_dnl\n", l->k, l->O,
                    factor(m, l->alpha), l->b ? factor(m, l->beta) : "", l->src->idx_t);
        return;
    }
    fprintf(f, "/* int8 weights, per-output scale; current = (sum * mult[o] >> %d) + bias[o], Q%d */\n",
            l->sh, l->dst->F);
    if (l->from_input) {
        int pairs = (l->K + 1) / 2, wpp = l->OP / 2;
        fprintf(f, "static const uint32_t %s_w[%d] = {", l->k, pairs * wpp);
        for (int qq = 0; qq < pairs; qq++)
            for (int p = 0; p < wpp; p++) {
                uint32_t word = 0;
                for (int byte = 0; byte < 4; byte++) {
                    int k = 2 * qq + byte / 2, o = 2 * p + byte % 2;
                    int8_t v = k < l->K && o < l->O ? l->q[(size_t)k * l->O + o] : 0;
                    word |= (uint32_t)(uint8_t)v << (8 * byte);
                }
                int i = qq * wpp + p;
                fprintf(f, "%s0x%08xu,", i % 8 ? " " : "\n    ", (unsigned)word);
            }
        fprintf(f, "\n};\n");
    } else if (l->lanes16) {
        int wpr = l->OP / 4;
        fprintf(f, "static const uint32_t %s_w[%d] = { /* rows of %d int8, 4 to a word */", l->k, l->K * wpr, l->OP);
        for (int k = 0; k < l->K; k++)
            for (int p = 0; p < wpr; p++) {
                uint32_t word = 0;
                for (int byte = 0; byte < 4; byte++) {
                    int o = 4 * p + byte;
                    int8_t v = o < l->O ? l->q[(size_t)k * l->O + o] : 0;
                    word |= (uint32_t)(uint8_t)v << (8 * byte);
                }
                int i = k * wpr + p;
                fprintf(f, "%s0x%08xu,", i % 8 ? " " : "\n    ", (unsigned)word);
            }
        fprintf(f, "\n};\n");
    } else {
        fprintf(f, "static const int8_t %s_w[%zu] = {", l->k, (size_t)l->K * l->O);
        for (size_t i = 0; i < (size_t)l->K * l->O; i++)
            fprintf(f, "%s%d,", i % 16 ? " " : "\n    ", l->q[i]);
        fprintf(f, "\n};\n");
    }
    ints(f, arena_printf(a, "static const int32_t %s_mult[%d]", l->k, l->O), l->mult, (size_t)l->O);
    ints(f, arena_printf(a, "static const int32_t %s_b[%d]", l->k, l->O), l->bias_q, (size_t)l->O);
    if (l->from_input)
        fprintf(f, "SNN_MCU_Q_DENSE_U8(%s, %d, %d, %d, %d)m4_dnl\n", l->k, l->K, l->O, l->OP, l->sh);
    else if (l->lanes16)
        fprintf(f, "SNN_MCU_Q_DENSE_EVENTS16(%s, %d, %d, %d, %s)m4_dnl\n", l->k, l->O, l->OP, l->sh,
                l->src->idx_t);
    else
        fprintf(f, "SNN_MCU_Q_DENSE_EVENTS(%s, %d, %d, %s)m4_dnl\n", l->k, l->O, l->sh, l->src->idx_t);
}

static void emit_leaky_defs(struct mcu *m, FILE *f, struct mleaky *l)
{
    struct arena *a = m->g->arena;
    const char *reset = l->n->at.reset == IR_RESET_SUBTRACT ? "subtract"
                        : l->n->at.reset == IR_RESET_ZERO   ? "zero" : "none";
    fprintf(f, "\n/* snn.Leaky '%s': %d neurons, reset %s */\n", l->n->name, l->M, reset);
    if (!m->q) {
        const char *bi = "0", *ti = "0";
        /* beta clamped to [0, 1] here, not per neuron at every step */
        if (l->beta_p) {
            float *b = arena_array(a, l->beta_n, sizeof *b);
            for (size_t j = 0; j < l->beta_n; j++)
                b[j] = leaky_beta(l, (int)j);
            floats(f, arena_printf(a, "static const float %s_beta[%zu]", l->k, l->beta_n), b, l->beta_n);
            bi = l->beta_n == 1 ? "0" : "j";
        } else {
            fprintf(f, "static const float %s_beta[1] = {%s};\n", l->k, emit_float(&m->e, leaky_beta(l, 0)));
        }
        if (l->thr_p) {
            floats(f, arena_printf(a, "static const float %s_thr[%zu]", l->k, l->thr_n), l->thr_p, l->thr_n);
            ti = l->thr_n == 1 ? "0" : "j";
        } else {
            fprintf(f, "static const float %s_thr[1] = {%s};\n", l->k, emit_float(&m->e, l->thr_c));
        }
        fprintf(f, "SNN_MCU_F_LEAKY(%s, %d, %d, %s, %s, %s)m4_dnl\n", l->k, l->M, (int)l->n->at.reset, bi, ti,
                l->idx_t);
        return;
    }
    const char *decay, *thr;
    bool per_beta = l->beta_p && l->beta_n > 1, per_thr = l->thr_p && l->thr_n > 1;
    if (per_beta) {
        int32_t *b = arena_array(a, (size_t)l->M, sizeof *b);
        for (int j = 0; j < l->M; j++) {
            double v = ldexp((double)leaky_beta(l, j), 31);
            b[j] = v >= 2147483647.0 ? 2147483647 : (int32_t)floor(v + 0.5);
        }
        ints(f, arena_printf(a, "static const int32_t %s_beta[%d] /* Q31 */", l->k, l->M), b, (size_t)l->M);
        decay = "snn_decay(prev, beta[j])";
    } else {
        float b = leaky_beta(l, 0);
        double v = ldexp((double)b, 31);
        decay = b == 1.0f ? "prev" : b == 0.0f ? "0"
                : arena_printf(a, "snn_decay(prev, %ld)", (long)floor(v + 0.5));
    }
    if (per_thr) {
        int32_t *t = arena_array(a, (size_t)l->M, sizeof *t);
        for (int j = 0; j < l->M; j++)
            t[j] = to_fixed((double)leaky_thr(l, j), l->F);
        ints(f, arena_printf(a, "static const int32_t %s_thr[%d] /* Q%d */", l->k, l->M, l->F), t, (size_t)l->M);
        thr = "thr[j]";
    } else {
        thr = arena_printf(a, "%ld", (long)to_fixed((double)leaky_thr(l, 0), l->F));
    }
    fprintf(f, "/* membrane, current and threshold in Q%d; beta %.9g in Q31 */\n", l->F,
            (double)leaky_beta(l, 0));
    fprintf(f, "SNN_MCU_Q_LEAKY(%s, %d, %d, <<<%s>>>, <<<%s>>>, %s)m4_dnl\n", l->k, l->M, (int)l->n->at.reset,
            decay, thr, l->idx_t);
}

/* ---------------------------------------------------------------- API */

static void loop(FILE *f, const char *ind, int n, const char *lhs, const char *rhs)
{
    fprintf(f, "%sfor (int i = 0; i < %d; i++)\n%s    %s[i] = %s;\n", ind, n, ind, lhs, rhs);
}

static void emit_api(struct mcu *m, FILE *f)
{
    struct ir_graph *g = m->g;
    const char *P = m->P;
    int T = g->set.num_steps;
    fprintf(f, "\n/* ---------------------------------------------------------------- API */\n");
    fprintf(f, "\nstatic struct %s_state %s_default;\n", P, P);
    /* set_input */
    if (!m->q) {
        fprintf(f, "\nvoid %s_set_input_f32_r(struct %s_state *s, const float *x)\n{\n", P, P);
        for (int i = 0; i < m->ngm; i++) {
            struct mgemm *l = m->gm[i];
            if (!l->from_input)
                continue;
            emit_call_comment(f, IND, l->n, "the static input's projection, once per inference");
            fprintf(f, IND "%s(x, %s_w, %s_b, s->%s_cur);\n", l->k, l->k, l->k, l->dst->f);
        }
        fprintf(f, "}\n");
        fprintf(f, "\nvoid %s_set_input_u8_r(struct %s_state *s, const uint8_t *pixels)\n{\n", P, P);
        for (int i = 0; i < m->ngm; i++) {
            struct mgemm *l = m->gm[i];
            if (!l->from_input)
                continue;
            emit_call_comment(f, IND, l->n, "the static input's projection, once per inference");
            fprintf(f, IND "%s_u8(pixels, %s_w, %s_b, s->%s_cur);\n", l->k, l->k, l->k, l->dst->f);
        }
        fprintf(f, "}\n");
    } else {
        fprintf(f, "\nvoid %s_set_input_u8_r(struct %s_state *s, const uint8_t *pixels)\n{\n", P, P);
        for (int i = 0; i < m->ngm; i++) {
            struct mgemm *l = m->gm[i];
            if (!l->from_input)
                continue;
            emit_call_comment(f, IND, l->n, "the static input's projection, once per inference");
            fprintf(f, IND "%s(pixels, %s_w, %s_mult, %s_b, s->%s_cur);\n", l->k, l->k, l->k, l->k, l->dst->f);
        }
        fprintf(f, "}\n");
    }
    /* reset */
    fprintf(f, "\nvoid %s_reset_r(struct %s_state *s)\n{\n", P, P);
    for (int i = 0; i < m->nlk; i++) {
        struct mleaky *l = m->lk[i];
        loop(f, IND, l->M, arena_printf(g->arena, "s->%s_u", l->f), m->q ? "0" : "0.0f");
        if (l->counted)
            loop(f, IND, l->M, arena_printf(g->arena, "s->%s_count", l->f), "0");
        if (l->first)
            loop(f, IND, l->M, arena_printf(g->arena, "s->%s_first", l->f), "0xffffu");
        if (l->msum)
            loop(f, IND, l->M, arena_printf(g->arena, "s->%s_msum", l->f), m->q ? "0" : "0.0f");
        fprintf(f, IND "s->%s_nspk = 0;\n", l->f);
    }
    fprintf(f, IND "s->t = 0;\n}\n");
    /* step */
    fprintf(f, "\nint %s_step_r(struct %s_state *s)\n{\n", P, P);
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        if (n->dead || n->phase == IR_PH_ONCE)
            continue;
        if (n->op == IR_OP_GEMM || n->op == IR_OP_MATMUL) {
            struct mgemm *l = m->src[n->out[0]->id];
            emit_call_comment(f, IND, n, "one weight row per spike");
            if (l->lanes16)
                fprintf(f, IND "%s(s->%s_spk, s->%s_nspk, %s_w, %s_mult, %s_b, s->%s_acc, s->%s_cur);\n", l->k,
                        l->src->f, l->src->f, l->k, l->k, l->k, l->dst->f, l->dst->f);
            else if (m->q)
                fprintf(f, IND "%s(s->%s_spk, s->%s_nspk, %s_w, %s_mult, %s_b, s->%s_cur);\n", l->k, l->src->f,
                        l->src->f, l->k, l->k, l->k, l->dst->f);
            else
                fprintf(f, IND "%s(s->%s_spk, s->%s_nspk, %s_w, %s_b, s->%s_cur);\n", l->k, l->src->f, l->src->f,
                        l->k, l->k, l->dst->f);
        } else if (n->op == IR_OP_LEAKY) {
            struct mleaky *l = NULL;
            for (int k = 0; k < m->nlk; k++)
                if (m->lk[k]->n == n)
                    l = m->lk[k];
            emit_call_comment(f, IND, n, NULL);
            bool pb = m->q ? l->beta_p && l->beta_n > 1 : true, pt = m->q ? l->thr_p && l->thr_n > 1 : true;
            fprintf(f, IND "s->%s_nspk = (uint16_t)%s(s->%s_cur, s->%s_u, s->%s_spk, %s%s, %s%s);\n", l->f, l->k,
                    l->f, l->f, l->f, pb ? l->k : "(const void *)0", pb ? "_beta" : "",
                    pt ? l->k : "(const void *)0", pt ? "_thr" : "");
            if (l->counted)
                fprintf(f, IND "%s_count(s->%s_spk, s->%s_nspk, s->%s_count);\n", l->k, l->f, l->f, l->f);
            if (l->first)
                fprintf(f, IND "%s_first(s->%s_spk, s->%s_nspk, s->t, s->%s_first);\n", l->k, l->f, l->f, l->f);
            if (l->msum)
                fprintf(f, IND "for (int i = 0; i < %d; i++)\n" IND IND "s->%s_msum[i] += s->%s_u[i];\n", l->M,
                        l->f, l->f);
            if (l->mmax)
                fprintf(f, IND "for (int i = 0; i < %d; i++)\n" IND IND
                           "if (s->t == 0 || s->%s_u[i] > s->%s_mmax[i])\n" IND IND IND
                           "s->%s_mmax[i] = s->%s_u[i];\n", l->M, l->f, l->f, l->f, l->f);
        }
    }
    fprintf(f, IND "return ++s->t;\n}\n");
    fprintf(f, "\nvoid %s_run_r(struct %s_state *s)\n{\n" IND "%s_reset_r(s);\n"
               IND "for (int t = 0; t < %d; t++)\n" IND IND "%s_step_r(s);\n}\n", P, P, P, T, P);
    if (m->predict) {
        struct mleaky *l = m->pred_src;
        fprintf(f, "\nint %s_predict_r(const struct %s_state *s)\n{\n", P, P);
        emit_call_comment(f, IND, m->predict, NULL);
        switch (m->predict->at.rule) {
        case IR_PRED_COUNT:
            fprintf(f, IND "return %s_argmax(s->%s_count);\n", l->k, l->f);
            break;
        case IR_PRED_FIRST_SPIKE:
            fprintf(f, IND "return %s_argmin(s->%s_first);\n", l->k, l->f);
            break;
        case IR_PRED_MEMBRANE_SUM:
            fprintf(f, IND "return %s_argmax(s->%s_msum);\n", l->k, l->f);
            break;
        case IR_PRED_MEMBRANE_MAX:
            fprintf(f, IND "return %s_argmax(s->%s_mmax);\n", l->k, l->f);
            break;
        }
        fprintf(f, "}\n");
    }
    fprintf(f, "\nconst uint16_t *%s_counts_r(const struct %s_state *s)\n{\n" IND "return s->%s_count;\n}\n", P,
            P, m->count_src->f);
    /* the static instance */
    fprintf(f, "\nvoid %s_set_input_u8(const uint8_t *pixels)\n{\n" IND "%s_set_input_u8_r(&%s_default, pixels);\n}\n",
            P, P, P);
    if (!m->q)
        fprintf(f, "\nvoid %s_set_input_f32(const float *x)\n{\n" IND "%s_set_input_f32_r(&%s_default, x);\n}\n",
                P, P, P);
    fprintf(f, "\nvoid %s_reset(void)\n{\n" IND "%s_reset_r(&%s_default);\n}\n", P, P, P);
    fprintf(f, "\nint %s_step(void)\n{\n" IND "return %s_step_r(&%s_default);\n}\n", P, P, P);
    fprintf(f, "\nvoid %s_run(void)\n{\n" IND "%s_run_r(&%s_default);\n}\n", P, P, P);
    if (m->predict)
        fprintf(f, "\nint %s_predict(void)\n{\n" IND "return %s_predict_r(&%s_default);\n}\n", P, P, P);
    fprintf(f, "\nconst uint16_t *%s_counts(void)\n{\n" IND "return %s_counts_r(&%s_default);\n}\n", P, P, P);
}

static void emit_c_driver(struct mcu *m, FILE *f)
{
    struct ir_graph *g = m->g;
    const char *P = m->P;
    fprintf(f, "m4_changequote(<<<,>>>)m4_dnl\nm4_include(<<<common.m4>>>)m4_dnl\n"
               "m4_include(<<<mcu.m4>>>)m4_dnl\nm4_include(<<<mcu_%s.m4>>>)m4_dnl\n",
            m->q ? "int8" : "float");
    fprintf(f, "/* %s.c - generated by snnc %s from %s (model '%s') for %s, %s. Do not edit.\n", P,
            PACKAGE_VERSION, g->file, g->name, m->o->target, m->q ? "int8" : "float");
    fprintf(f, " * Command: %s\n", m->o->cmdline ? m->o->cmdline : "snnc");
    fprintf(f, " * T = %d steps, batch 1. Static work runs once per input; each step works\n"
               " * only for the neurons that spiked.\n", g->set.num_steps);
    footprint_comment(m, f);
    if (m->q)
        fprintf(f, " * Integer only: the same bits from any C99 compiler whose >> of a negative\n"
                   " * number is arithmetic (GCC, Clang); -DSNN_MCU_PORTABLE forces the portable\n"
                   " * forms of the Cortex-M4 DSP instructions.\n");
    else
        fprintf(f, " * Build with -ffp-contract=off (the default under -std=c99) to get the\n"
                   " * host's bits.\n");
    fprintf(f, " */\n#include <stdint.h>\n\n#include \"%s.h\"\n", P);
    fprintf(f, "\n/* Zeroing loops stay loops (GCC would call memset): no libc needed. With\n"
               " * Clang, compile with -ffreestanding for the same effect. */\n"
               "#if defined(__GNUC__) && !defined(__clang__)\n"
               "#pragma GCC optimize(\"no-tree-loop-distribute-patterns\")\n#endif\n");
    if (m->q)
        fprintf(f, "SNN_MCU_PRELUDE()m4_dnl\n");
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        if (n->dead)
            continue;
        if (n->op == IR_OP_GEMM || n->op == IR_OP_MATMUL)
            emit_gemm_defs(m, f, m->src[n->out[0]->id]);
        for (int k = 0; k < m->nlk; k++) {
            struct mleaky *l = m->lk[k];
            if (l->n != n)
                continue;
            emit_leaky_defs(m, f, l);
            if (l->counted)
                fprintf(f, "SNN_MCU_COUNT(%s_count, %s)m4_dnl\n", l->k, l->idx_t);
            if (l->first)
                fprintf(f, "SNN_MCU_FIRST(%s_first, %s)m4_dnl\n", l->k, l->idx_t);
            if (m->pred_src == l) {
                int C = l->M;
                switch (m->predict->at.rule) {
                case IR_PRED_COUNT:
                    fprintf(f, "SNN_MCU_ARGMAX(%s_argmax, %d, uint16_t)m4_dnl\n", l->k, C);
                    break;
                case IR_PRED_FIRST_SPIKE:
                    fprintf(f, "SNN_MCU_ARGMIN_FIRST(%s_argmin, %d, %d)m4_dnl\n", l->k, C, g->set.num_steps);
                    break;
                case IR_PRED_MEMBRANE_SUM:
                    fprintf(f, "SNN_MCU_ARGMAX(%s_argmax, %d, %s)m4_dnl\n", l->k, C, m->q ? "int64_t" : "float");
                    break;
                case IR_PRED_MEMBRANE_MAX:
                    fprintf(f, "SNN_MCU_ARGMAX(%s_argmax, %d, %s)m4_dnl\n", l->k, C, m->q ? "int32_t" : "float");
                    break;
                }
            }
        }
    }
    emit_api(m, f);
}

/* ---------------------------------------------------------------- files */

bool emit_mcu_model(struct ir_graph *g, const struct emit_options *o, struct diag *d)
{
    if (g->training)
        return diag_error(d, "%s: microcontroller code is inference code; emit it with --infer", g->file);
    if (o->target && strcmp(o->target, "cortex-m4"))
        return diag_error(d, "%s: unknown target '%s'", g->file, o->target);
    struct emit_options oo = *o;
    if (!oo.target || !strcmp(oo.target, "host"))
        return diag_error(d, "%s: --quantize=int8 needs a microcontroller --target (cortex-m4)", g->file);
    for (int i = 0; i < g->nparams; i++)
        if (!g->params[i]->f32)
            return diag_error(d, "%s: parameter '%s' has no data; inference code bakes trained weights in, "
                              "so emit it from a trained checkpoint", g->file, g->params[i]->name);
    struct mcu m = {0};
    m.g = g;
    m.o = &oo;
    m.e.g = g;
    m.e.prefix = m.P = o->prefix ? o->prefix : "model";
    m.e.cmdline = o->cmdline;
    m.q = o->quantize && !strcmp(o->quantize, "int8");
    m.U = emit_upper(&m.e, m.P);
    m.kind = arena_array(g->arena, (size_t)g->nvalues + 1, sizeof *m.kind);
    m.src = arena_array(g->arena, (size_t)g->nvalues + 1, sizeof *m.src);
    if (g->set.num_steps > 65534)
        return diag_error(d, "%s: %d steps; the %s target counts steps in 16 bits", g->file, g->set.num_steps,
                          oo.target);
    if (!classify(&m, d))
        return false;
    for (int i = 0; m.q && i < m.ngm; i++) {
        quantize_weights(&m, m.gm[i]);
        if (!quantize_layer(&m, m.gm[i], d))
            return false;
    }
    struct fields *fs = arena_alloc(g->arena, sizeof *fs);
    state_fields(&m, fs);
    footprint(&m, fs);

    char *hbuf = NULL, *dbuf = NULL;
    size_t hlen = 0, dlen = 0;
    FILE *h = open_memstream(&hbuf, &hlen), *f = open_memstream(&dbuf, &dlen);
    if (!h || !f) {
        fprintf(stderr, "snnc: out of memory\n");
        abort();
    }
    emit_h(&m, h, fs);
    emit_c_driver(&m, f);
    fclose(h);
    fclose(f);
    char *c = NULL, tmp[4096];
    const char *cname = arena_printf(g->arena, "%s.c", m.P), *hname = arena_printf(g->arena, "%s.h", m.P);
    bool ok = emit_run_m4(g, dbuf, dlen, &c, d) && emit_folder_begin(o->outdir, tmp, d);
    if (ok) /* the two files appear together, or not at all */
        ok = emit_folder_commit(o->outdir, tmp, cname,
                                emit_write_file(tmp, cname, c, strlen(c), d) &&
                                    emit_write_file(tmp, hname, hbuf, hlen, d),
                                d);
    free(hbuf);
    free(dbuf);
    if (ok)
        fprintf(stderr, "snnc: %s %s footprint: flash %zu bytes (weights %zu + code ~%zu), RAM %zu bytes, "
                        "stack ~%zu bytes\n", oo.target, m.q ? "int8" : "float", m.weight_bytes + m.code_bytes,
                m.weight_bytes, m.code_bytes, m.ram_bytes, m.stack_bytes);
    return ok;
}
