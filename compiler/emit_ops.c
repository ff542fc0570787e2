/* emit_ops.c - one small function per op per phase: which kernel macro,
 * with which constants, called where and with which pointers.
 *
 * Takes: a planned graph and the emitter's sections, and the forms plan.c
 * chose (event-driven or tiled products, bit copies of spikes, weight
 * copies, row chunks, recomputed membranes). Gives: m4 macro calls
 * (SEC_DEFS) and C calls in the section of each phase; in a chunked pass,
 * step kernels are called on rows [n0, n1) of the batch.
 * Holds: a gradient buffer is cleared once before its first writer (before
 * the reverse loop for sums over steps), or its first writer stores when
 * it writes it whole (a product's or a convolution's dx, a neuron's din,
 * a pool's dx when its windows tile the input, a single weight gradient);
 * every other kernel accumulates.
 */
#include <math.h>
#include <string.h>

#include "emit_int.h"

#define IND "    "
#define IND2 "        "

static const char *P(struct emitter *e, struct ir_value *v) { return emit_ptr(e, v, false); }
static const char *Pt(struct emitter *e, struct ir_value *v) { return emit_ptr(e, v, true); }

static size_t per_sample(const struct ir_value *v)
{
    return v->batched ? v->numel / (size_t)v->dims[0] : v->numel;
}

static int batch_of(const struct ir_value *v)
{
    return v->batched ? (int)v->dims[0] : 1;
}

/* Which step-loop section a forward node's work goes to. */
static FILE *body(struct emitter *e, struct ir_node *n)
{
    return e->sec[n->phase == IR_PH_ONCE ? SEC_ONCE : n->phase == IR_PH_STEP ? SEC_STEP : SEC_AFTER];
}

static FILE *bbody(struct emitter *e, struct ir_node *n)
{
    return e->sec[n->phase == IR_PH_ONCE ? SEC_BONCE : n->phase == IR_PH_STEP ? SEC_BSTEP : SEC_BAFTER];
}

static const char *ind(struct ir_node *n)
{
    return n->phase == IR_PH_STEP ? IND2 : IND;
}

static void zero(struct emitter *e, FILE *f, const char *indent, struct ir_value *v)
{
    struct ir_value *r = ir_root(v);
    if (r->storage == IR_ST_NONE)
        return;
    size_t n = r->storage == IR_ST_RECORD ? r->numel * (size_t)e->g->set.num_steps : r->numel;
    emit_printf(f, "%smemset(%s, 0, %zu * sizeof(float));\n", indent, P(e, r), n);
}

/* Does step node n run on a chunk of rows [n0, n1) of the batch (plan.c)? */
static bool chunked(struct emitter *e, struct ir_node *n)
{
    return n->phase == IR_PH_STEP && (n->fwd ? e->g->chunk_bwd : e->g->chunk_fwd);
}

/* The start of a call of kernel k by node n: "k(" or, on chunks, "k_rows(n0, n1, ". */
static const char *kcall(struct emitter *e, struct ir_node *n, const char *k)
{
    return chunked(e, n) ? arena_printf(e->g->arena, "%s_rows(n0, n1, ", k) : arena_printf(e->g->arena, "%s(", k);
}

/* Clears a per-step gradient before its first writer (its rows, on chunks). */
static void zero_step(struct emitter *e, FILE *f, struct ir_node *b, struct ir_value *v)
{
    struct ir_value *r = ir_root(v);
    if (r->storage == IR_ST_NONE)
        return;
    if (!chunked(e, b)) {
        zero(e, f, ind(b), r);
        return;
    }
    emit_printf(f, IND2 "memset(%s + (size_t)n0 * %zu, 0, (size_t)(n1 - n0) * %zu * sizeof(float));\n",
                Pt(e, r), per_sample(r), per_sample(r));
}

/* ---------------------------------------------------------------- surrogate */

static const char *surrogate(struct emitter *e, const struct ir_attrs *at)
{
    struct arena *a = e->g->arena;
    switch (at->surrogate) {
    case IR_SURR_ATAN: { /* (alpha/2) / (1 + (pi/2 alpha x)^2), snnTorch's constants */
        const char *h = emit_float(e, (float)(at->surr_alpha / 2.0));
        const char *c = emit_float(e, (float)(3.14159265358979323846 / 2.0 * at->surr_alpha));
        return arena_printf(a, "%s / (1.0f + (%s * x) * (%s * x))", h, c, c);
    }
    case IR_SURR_FAST_SIGMOID: {
        const char *k = emit_float(e, at->slope);
        return arena_printf(a, "1.0f / ((%s * fabsf(x) + 1.0f) * (%s * fabsf(x) + 1.0f))", k, k);
    }
    case IR_SURR_SIGMOID: { /* slope s (1 - s), s = sigmoid(slope x): SPEC section 4 */
        const char *k = emit_float(e, at->slope);
        return arena_printf(a, "%s * (1.0f / (1.0f + expf(-%s * x))) * (1.0f - 1.0f / (1.0f + expf(-%s * x)))",
                            k, k, k);
    }
    case IR_SURR_STRAIGHT:
        return "1.0f";
    }
    return "1.0f";
}

/* ---------------------------------------------------------------- dense */

static void dense_dims(struct ir_node *n, int *N, int *K, int *O, int *tb, int *bias)
{
    struct ir_value *a = n->in[0], *y = n->out[0], *c = n->nin > 2 ? n->in[2] : NULL;
    *N = (int)a->dims[0];
    *K = (int)a->dims[1];
    *O = (int)y->dims[1];
    *tb = n->op == IR_OP_GEMM ? n->at.trans_b : 0;
    *bias = !c ? 0 : c->numel == 1 && *O != 1 ? 2 : 1;
}

static const char *factor(struct emitter *e, float x)
{
    return x == 1.0f ? "" : arena_printf(e->g->arena, "%s * ", emit_float(e, x));
}

/* Worth a parallel region (a few microseconds) with this many operations? */
static int par(double work)
{
    return work >= 65536.0;
}

/* The operations of an event-driven product over K inputs: one O-wide
 * add per spike, at a spike density of about 1 in 8 (trained spiking
 * layers fire at 5-30%). */
static double event_work(double rows, int K, int O)
{
    return rows * O * K / 8.0;
}

/* Is v kept as a float tensor (someone reads it)? */
static bool present(struct ir_value *v)
{
    return v && ir_root(v)->storage != IR_ST_NONE;
}

/* How a neuron writes an output: 0 not at all, 1 stored, 2 streamed past
 * the cache (a record only the caller reads, plan.c). */
static int out_mode(struct ir_value *v)
{
    return !present(v) ? 0 : ir_root(v)->write_only && ir_root(v)->storage == IR_ST_RECORD ? 2 : 1;
}

static int words_of(const struct ir_value *v)
{
    return (int)((per_sample(v) + 63) / 64);
}

/* The bits of a spike value at step t, for an event kernel. */
static const char *bits_at(struct emitter *e, struct ir_value *v)
{
    return Pt(e, ir_root(v)->bits);
}

/* Copies weights into another layout: in [R][ldi] -> out [C][ldo]. Constant
 * weights (inference) are copied at the first call only. */
static void emit_copy(struct emitter *e, FILE *f, const char *indent, struct ir_node *n, const char *part,
                      struct ir_value *from, struct ir_value *to, int R, int C, int ldo, bool once)
{
    const char *k = emit_kname(e, n, part);
    emit_printf(e->sec[SEC_DEFS], "SNN_TRANSPOSE(%s, %d, %d, %d, %d, 0, %d)m4_dnl\n", k, R, C, C, ldo,
                par((double)R * C));
    emit_call_comment(f, indent, n, "weights re-laid out");
    emit_call_once(e, f, indent, k, arena_printf(e->g->arena, "%s(%s, %s)", k, P(e, from), P(e, to)), once);
}

void emit_call_once(struct emitter *e, FILE *f, const char *indent, const char *flag, const char *call, bool once)
{
    if (once) {
        emit_printf(e->sec[SEC_DEFS], "static int %s_done;\n", flag);
        emit_printf(f, "%sif (!%s_done) {\n%s    %s;\n%s    %s_done = 1;\n%s}\n", indent, flag, indent, call, indent,
                    flag, indent);
    } else {
        emit_printf(f, "%s%s;\n", indent, call);
    }
}

static bool fwd_dense(struct emitter *e, struct ir_node *n)
{
    int N, K, O, tb, bias;
    dense_dims(n, &N, &K, &O, &tb, &bias);
    float alpha = n->op == IR_OP_GEMM ? n->at.alpha : 1.0f, beta = n->op == IR_OP_GEMM ? n->at.beta : 1.0f;
    struct ir_value *a = n->in[0], *w = n->in[1];
    FILE *f = body(e, n);
    const char *wr = P(e, w);
    int ldw = O;
    if (n->wcopy) { /* W [O][K] -> rows [K][ldw] */
        bool loop = n->phase == IR_PH_STEP;
        emit_copy(e, loop ? e->sec[SEC_PRE] : f, loop ? IND : ind(n), n, "wrows", w, n->wcopy, O, K, n->ldw,
                  n->wcopy_once);
        wr = P(e, n->wcopy);
        ldw = n->ldw;
    }
    const char *k = emit_kname(e, n, "forward");
    const char *c = n->nin > 2 ? P(e, n->in[2]) : "NULL";
    if (n->event) {
        bool bits = ir_root(a)->bits != NULL;
        emit_printf(e->sec[SEC_DEFS], "SNN_EVENT_FORWARD(%s, %d, %d, %d, %d, %d, %d, %s, %d, %s, %d, %d)m4_dnl\n",
                    k, N, K, O, ldw, bits, words_of(a), emit_float(e, alpha), bias, emit_float(e, beta),
                    par(event_work(N, K, O)), n->wcopy != NULL);
        emit_call_comment(f, ind(n), n, bits ? "event-driven, spikes as bits" : "event-driven");
        emit_printf(f, "%s%s%s, %s, %s, %s);\n", ind(n), kcall(e, n, k), bits ? bits_at(e, a) : Pt(e, a), wr, c,
                    Pt(e, n->out[0]));
        return true;
    }
    if (N <= 2 && !chunked(e, n) && K <= 65536) { /* one image or two: only their nonzero inputs */
        emit_printf(e->sec[SEC_DEFS], "SNN_GEMM_SPARSE(%s, %d, %d, %d, %d, %s, %d, %s, %d, %d)m4_dnl\n", k, N, O, K,
                    ldw, emit_float(e, alpha), bias, emit_float(e, beta), par((double)N * O * K),
                    n->wcopy != NULL);
        emit_call_comment(f, ind(n), n, "the nonzero inputs");
        emit_printf(f, "%s%s(%s, %s, %s, %s);\n", ind(n), k, Pt(e, a), wr, c, Pt(e, n->out[0]));
        return true;
    }
    emit_printf(e->sec[SEC_DEFS], "SNN_GEMM(%s, %d, %d, %d, %d, 1, %d, %d, 0, %s, %d, %s, %d)m4_dnl\n", k, N, O,
                K, K, ldw, O, emit_float(e, alpha), bias, emit_float(e, beta), par((double)N * O * K));
    emit_call_comment(f, ind(n), n, NULL);
    emit_printf(f, "%s%s%s, %s, %s, %s);\n", ind(n), kcall(e, n, k), Pt(e, a), wr, c, Pt(e, n->out[0]));
    return true;
}

/* Is gradient gv written by one product's weight gradient, once per
 * backward pass and whole? Then that product stores it, and nobody clears
 * it first. */
static bool dw_stores(struct ir_graph *g, struct ir_value *gv)
{
    struct ir_node *w = NULL;
    for (int i = 0; gv && i < g->nbwd; i++)
        for (int k = 0; k < g->bwd[i]->nout; k++)
            if (g->bwd[i]->out[k] && ir_root(g->bwd[i]->out[k]) == ir_root(gv)) {
                if (w || k != 1)
                    return false;
                w = g->bwd[i];
            }
    if (!w || (w->op != IR_OP_GEMM && w->op != IR_OP_MATMUL))
        return false;
    if (w->phase == IR_PH_STEP && !w->deferred)
        return false; /* a sum over the steps in the loop */
    return !w->fwd->event || w->dwcopy; /* events add to a cleared buffer */
}

/* overwrite: dx's buffer was not cleared, so the product stores instead
 * of accumulating (it is dx's first writer). */
static bool bwd_dense(struct emitter *e, struct ir_node *b, bool overwrite)
{
    struct ir_node *n = b->fwd;
    int N, K, O, tb, bias;
    dense_dims(n, &N, &K, &O, &tb, &bias);
    float alpha = n->op == IR_OP_GEMM ? n->at.alpha : 1.0f, beta = n->op == IR_OP_GEMM ? n->at.beta : 1.0f;
    struct ir_value *a = n->in[0], *w = n->in[1], *dy = b->in[0];
    FILE *f = bbody(e, b);
    bool loop = b->phase == IR_PH_STEP;
    emit_call_comment(f, ind(b), b, "backward");
    if (b->out[0]) { /* dx = alpha dy W^T: rows of W along k */
        const char *wc = P(e, w);
        int ldw = K;
        if (b->wcopy) { /* W [K][O] -> [O][ldw] */
            emit_copy(e, loop ? e->sec[SEC_BPRE] : f, loop ? IND : ind(b), b, "wcols", w, b->wcopy, K, O,
                      b->ldw, false);
            wc = P(e, b->wcopy);
            ldw = b->ldw;
        }
        const char *k = emit_kname(e, b, "dx");
        emit_printf(e->sec[SEC_DEFS], "SNN_GEMM(%s, %d, %d, %d, %d, 1, %d, %d, %d, %s, 0, 1.0f, %d)m4_dnl\n", k, N,
                    K, O, O, ldw, K, !overwrite, emit_float(e, alpha), par((double)N * O * K));
        emit_printf(f, "%s%s%s, %s, NULL, %s);\n", ind(b), kcall(e, b, k), Pt(e, dy), wc, Pt(e, b->out[0]));
    }
    /* The weight and bias gradients sum over rows: in the loop, step by step,
     * or, when chunks of rows run the loop, after it from the records of dy
     * and x, in the same order. */
    int T = b->deferred ? e->g->set.num_steps : 1;
    FILE *g = b->deferred ? e->sec[SEC_BONCE] : f;
    const char *gi = b->deferred ? IND : ind(b);
    const char *xp = b->deferred ? P(e, ir_root(a)->bits ? ir_root(a)->bits : ir_root(a))
                                 : ir_root(a)->bits ? bits_at(e, a) : Pt(e, a);
    const char *dyp = b->deferred ? P(e, ir_root(dy)) : Pt(e, dy);
    if (b->deferred && (b->out[1] || b->out[2]))
        emit_call_comment(g, gi, b, "weight gradient of every step, from the records");
    if (b->out[1] && n->event) { /* dW: one row per spike */
        bool bits = ir_root(a)->bits != NULL;
        struct ir_value *to = b->dwcopy ? b->dwcopy : b->out[1];
        int ldd = b->dwcopy ? b->ldw : O;
        const char *k = emit_kname(e, b, "dw");
        emit_printf(e->sec[SEC_DEFS], "SNN_EVENT_DW(%s, %d, %d, %d, %d, %d, %d, %d, %s, %d, %d)m4_dnl\n", k, T, N, K,
                    O, ldd, bits, words_of(a), emit_float(e, alpha), par(event_work((double)T * N, K, O)),
                    b->dwcopy != NULL);
        emit_printf(g, "%s%s(%s, %s, %s);\n", gi, k, xp, dyp, P(e, to));
        if (b->dwcopy) { /* rows [K][ldd], cleared before the loop, added to dW [O][K] after it */
            FILE *pre = loop ? e->sec[SEC_BPRE] : f, *post = loop ? e->sec[SEC_BONCE] : f;
            zero(e, pre, loop ? IND : ind(b), b->dwcopy);
            const char *kt = emit_kname(e, b, "dw_add");
            emit_printf(e->sec[SEC_DEFS], "SNN_TRANSPOSE(%s, %d, %d, %d, %d, %d, %d)m4_dnl\n", kt, K, O, ldd, K,
                        !dw_stores(e->g, b->out[1]), par((double)K * O));
            emit_call_comment(post, loop ? IND : ind(b), b, "weight gradient rows, added back");
            emit_printf(post, "%s%s(%s, %s);\n", loop ? IND : ind(b), kt, P(e, b->dwcopy), P(e, b->out[1]));
        }
    } else if (b->out[1]) { /* dW += alpha dy^T a */
        const char *k = emit_kname(e, b, "dw");
        size_t xs = ir_root(a)->numel, ys = ir_root(dy)->numel; /* per step, in the records */
        int st = dw_stores(e->g, b->out[1]); /* the first step stores */
        if (tb) /* dW [O][K]: A(o,n) = dy[n][o], B(n,k) = a[n][k] */
            emit_printf(e->sec[SEC_DEFS],
                        "SNN_GEMM_STEPS(%s, %d, %d, %d, %d, 1, %d, %d, %d, %s, %zu, %zu, %d, %d)m4_dnl\n", k, T,
                        O, K, N, O, K, K, emit_float(e, alpha), ys, xs, par((double)T * N * O * K), st);
        else /* dW [K][O]: A(k,n) = a[n][k], B(n,o) = dy[n][o] */
            emit_printf(e->sec[SEC_DEFS],
                        "SNN_GEMM_STEPS(%s, %d, %d, %d, %d, 1, %d, %d, %d, %s, %zu, %zu, %d, %d)m4_dnl\n", k, T,
                        K, O, N, K, O, O, emit_float(e, alpha), xs, ys, par((double)T * N * O * K), st);
        emit_printf(g, "%s%s(%s, %s, %s);\n", gi, k, tb ? dyp : xp, tb ? xp : dyp, P(e, b->out[1]));
    }
    if (b->out[2] && bias) {
        const char *k = emit_kname(e, b, "dbias");
        emit_printf(e->sec[SEC_DEFS], "SNN_BIAS_BACKWARD(%s, %d, %d, %d, %d, <<<%s>>>)m4_dnl\n", k, T, N, O, bias,
                    factor(e, beta));
        emit_printf(g, "%s%s(%s, %s);\n", gi, k, dyp, P(e, b->out[2]));
    }
    return true;
}

/* Spikes that event kernels read as bits, written by a producer that
 * writes floats: pack them right after it. */
static void pack_bits(struct emitter *e, struct ir_node *n)
{
    if (n->op == IR_OP_LEAKY || n->op == IR_OP_SYNAPTIC)
        return; /* these write their bits themselves */
    for (int i = 0; i < n->nout; i++) {
        struct ir_value *v = n->out[i];
        if (!v || v->alias || !v->bits)
            continue;
        const char *k = emit_kname(e, n, "bits");
        emit_printf(e->sec[SEC_DEFS], "SNN_PACK_BITS(%s, %d, %zu, %d)m4_dnl\n", k, batch_of(v), per_sample(v),
                    words_of(v));
        FILE *f = body(e, n);
        emit_call_comment(f, ind(n), n, "spikes as bits");
        emit_printf(f, "%s%s%s, (snn_bits *)(%s));\n", ind(n), kcall(e, n, k), Pt(e, v), Pt(e, v->bits));
    }
}

/* ---------------------------------------------------------------- elementwise */

/* The flat index into input v of output element i under broadcasting. */
static const char *bcast_index(struct emitter *e, const struct ir_value *v, const struct ir_value *y)
{
    if (v->numel == y->numel)
        return "i";
    if (v->numel == 1)
        return "0";
    char buf[1024] = "";
    size_t len = 0;
    size_t ostride = 1, istride = 1;
    for (int d = y->rank - 1; d >= 0; d--) {
        int vd = d - (y->rank - v->rank);
        int64_t dim = vd >= 0 ? v->dims[vd] : 1;
        if (dim != 1)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s(i / %zu %% %lld) * %zu",
                                    len ? " + " : "", ostride, (long long)y->dims[d], istride);
        ostride *= (size_t)y->dims[d];
        istride *= (size_t)dim;
    }
    return arena_strdup(e->g->arena, buf);
}

static bool fwd_binary(struct emitter *e, struct ir_node *n)
{
    const char *op = n->op == IR_OP_ADD ? "+" : n->op == IR_OP_SUB ? "-" : "*";
    const char *k = emit_kname(e, n, "forward");
    struct ir_value *y = n->out[0];
    emit_printf(e->sec[SEC_DEFS], "SNN_BINARY_FORWARD(%s, %zu, %s, <<<%s>>>, <<<%s>>>, %zu)m4_dnl\n", k, y->numel,
                op, bcast_index(e, n->in[0], y), bcast_index(e, n->in[1], y), per_sample(y));
    FILE *f = body(e, n);
    emit_call_comment(f, ind(n), n, NULL);
    emit_printf(f, "%s%s%s, %s, %s);\n", ind(n), kcall(e, n, k), Pt(e, n->in[0]), Pt(e, n->in[1]), Pt(e, y));
    return true;
}

static bool bwd_binary(struct emitter *e, struct ir_node *b)
{
    struct ir_node *n = b->fwd;
    int op = n->op == IR_OP_ADD ? 0 : n->op == IR_OP_SUB ? 1 : 2;
    const char *k = emit_kname(e, b, "backward");
    struct ir_value *y = n->out[0];
    emit_printf(e->sec[SEC_DEFS], "SNN_BINARY_BACKWARD(%s, %zu, %d, <<<%s>>>, <<<%s>>>, %zu)m4_dnl\n", k,
                y->numel, op, bcast_index(e, n->in[0], y), bcast_index(e, n->in[1], y), per_sample(y));
    FILE *f = bbody(e, b);
    emit_call_comment(f, ind(b), b, "backward");
    emit_printf(f, "%s%s%s, %s, %s, %s, %s);\n", ind(b), kcall(e, b, k), op == 2 ? Pt(e, n->in[0]) : "NULL",
                op == 2 ? Pt(e, n->in[1]) : "NULL", Pt(e, b->in[0]), Pt(e, b->out[0]), Pt(e, b->out[1]));
    return true;
}

static bool fwd_relu(struct emitter *e, struct ir_node *n)
{
    const char *k = emit_kname(e, n, "forward");
    emit_printf(e->sec[SEC_DEFS], "SNN_RELU_FORWARD(%s, %zu, %zu)m4_dnl\n", k, n->out[0]->numel,
                per_sample(n->out[0]));
    FILE *f = body(e, n);
    emit_call_comment(f, ind(n), n, NULL);
    emit_printf(f, "%s%s%s, %s);\n", ind(n), kcall(e, n, k), Pt(e, n->in[0]), Pt(e, n->out[0]));
    return true;
}

static bool bwd_relu(struct emitter *e, struct ir_node *b)
{
    const char *k = emit_kname(e, b, "backward");
    emit_printf(e->sec[SEC_DEFS], "SNN_RELU_BACKWARD(%s, %zu, %zu)m4_dnl\n", k, b->fwd->out[0]->numel,
                per_sample(b->fwd->out[0]));
    FILE *f = bbody(e, b);
    emit_call_comment(f, ind(b), b, "backward");
    emit_printf(f, "%s%s%s, %s, %s);\n", ind(b), kcall(e, b, k), Pt(e, b->fwd->in[0]), Pt(e, b->in[0]),
                Pt(e, b->out[0]));
    return true;
}

/* ---------------------------------------------------------------- neurons */

/* beta or threshold: a learnable input, or a constant of the node. */
static const char *neuron_param(struct emitter *e, struct ir_node *n, int slot, float value,
                                const char **idx)
{
    struct ir_value *p = slot < n->nin ? n->in[slot] : NULL;
    if (p) {
        *idx = p->numel == 1 ? "0" : "j";
        return P(e, p);
    }
    *idx = "0";
    const char *name = arena_printf(e->g->arena, "%s", emit_kname(e, n, slot == 1 ? "beta" : "thr"));
    emit_printf(e->sec[SEC_DEFS], "static const float %s[1] = {%s};\n", name, emit_float(e, value));
    return name;
}

static const char *bits_arg(struct emitter *e, struct ir_value *spk)
{
    struct ir_value *b = spk ? ir_root(spk)->bits : NULL;
    return b ? arena_printf(e->g->arena, "(snn_bits *)(%s)", Pt(e, b)) : "NULL";
}

static bool fwd_leaky(struct emitter *e, struct ir_node *n)
{
    struct ir_value *x = n->in[0], *spk = n->out[0], *mem = n->out[1];
    const char *bi, *ti;
    const char *beta = neuron_param(e, n, 1, n->at.decay, &bi);
    const char *thr = neuron_param(e, n, 2, n->at.threshold, &ti);
    const char *k = emit_kname(e, n, "step");
    bool bits = spk && ir_root(spk)->bits;
    emit_printf(e->sec[SEC_DEFS], "SNN_LEAKY_FORWARD(%s, %d, %zu, %d, %s, %s, %d, %d, %d, %d, %d)m4_dnl\n", k,
                batch_of(x), per_sample(x), (int)n->at.reset, bi, ti, out_mode(mem), out_mode(spk), bits,
                words_of(x), par((double)x->numel * 8));
    zero(e, e->sec[SEC_PRE], IND, n->aux[0]);
    emit_call_comment(e->sec[SEC_STEP], IND2, n, bits ? "spikes also as bits" : NULL);
    emit_printf(e->sec[SEC_STEP], IND2 "%s%s, %s, %s, %s, %s, %s, %s);\n", kcall(e, n, k), Pt(e, x), P(e, n->aux[0]),
                Pt(e, mem), Pt(e, spk), bits_arg(e, spk), beta, thr);
    if (n->seg) { /* the state after every seg steps, for backward to start from */
        int T = e->g->set.num_steps;
        const char *kc = emit_kname(e, n, "ckpt");
        emit_printf(e->sec[SEC_DEFS], "SNN_COPY_ROWS(%s, %d, %zu)m4_dnl\n", kc, batch_of(x), per_sample(x));
        emit_printf(e->sec[SEC_STEP], IND2 "if ((t + 1) %% %d == 0 && t + 1 < %d) /* membrane checkpoint */\n"
                    IND2 IND "%s%s, %s + (size_t)((t + 1) / %d - 1) * %zu);\n", n->seg, T, kcall(e, n, kc),
                    P(e, n->aux[0]), P(e, n->ckpt), n->seg, x->numel);
    }
    return true;
}

/* How a backward kernel writes din: 0 not at all, 1 added, 2 stored (the
 * first writer of a gradient cleared for it, emit_ops). */
static int din_mode(struct ir_value *din, bool overwrite)
{
    return !present(din) ? 0 : overwrite ? 2 : 1;
}

static bool bwd_leaky(struct emitter *e, struct ir_node *b, bool overwrite)
{
    struct ir_node *n = b->fwd;
    struct ir_value *x = n->in[0];
    const char *bi, *ti;
    /* the constants were defined by the forward instance */
    struct ir_value *pb = n->nin > 1 ? n->in[1] : NULL, *pt = n->nin > 2 ? n->in[2] : NULL;
    const char *beta = pb ? P(e, pb) : emit_kname(e, n, "beta");
    const char *thr = pt ? P(e, pt) : emit_kname(e, n, "thr");
    bi = pb && pb->numel != 1 ? "j" : "0";
    ti = pt && pt->numel != 1 ? "j" : "0";
    const char *k = emit_kname(e, b, "backward");
    bool learn = b->out[1] || b->out[2]; /* sums over neurons: one thread */
    emit_printf(e->sec[SEC_DEFS],
                "SNN_LEAKY_BACKWARD(%s, %d, %zu, %d, %s, %s, <<<%s>>>, %d, %d, %d, %d, %d, %d)m4_dnl\n", k,
                batch_of(x), per_sample(x), (int)n->at.reset, bi, ti, surrogate(e, &n->at), b->out[1] != NULL,
                b->out[2] != NULL, present(b->in[0]), present(b->in[1]), din_mode(b->out[0], overwrite),
                !learn && par((double)x->numel * 8));
    zero(e, e->sec[SEC_BPRE], IND, b->aux[0]);
    const char *tt = "t", *mem = P(e, n->out[1]);
    if (n->seg) { /* the membrane of a segment, recomputed when backward enters it */
        int T = e->g->set.num_steps, S = n->seg;
        const char *kr = emit_kname(e, b, "recompute");
        emit_printf(e->sec[SEC_DEFS], "SNN_LEAKY_RECOMPUTE(%s, %d, %zu, %d, %s, %s, %d)m4_dnl\n", kr, batch_of(x),
                    per_sample(x), (int)n->at.reset, bi, ti, S);
        emit_call_comment(e->sec[SEC_BSTEP], IND2, b, "membrane of this segment of steps, recomputed");
        emit_printf(e->sec[SEC_BSTEP], IND2 "if (t %% %d == %d || t == %d)\n" IND2 IND
                    "%st - t %% %d, t %% %d + 1, %s, %s, %s, %s, %s);\n", S, S - 1, T - 1, kcall(e, b, kr), S, S,
                    P(e, x), P(e, n->ckpt), P(e, n->segbuf), beta, thr);
        tt = arena_printf(e->g->arena, "t %% %d", S);
        mem = P(e, n->segbuf);
    }
    emit_call_comment(e->sec[SEC_BSTEP], IND2, b, "backward through time");
    emit_printf(e->sec[SEC_BSTEP], IND2 "%s%s, %s, %s, %s, %s, %s, %s, %s, %s, %s);\n", kcall(e, b, k), tt, mem,
                Pt(e, b->in[0]), Pt(e, b->in[1]), Pt(e, b->out[0]), P(e, b->aux[0]), beta, thr,
                P(e, b->out[1]), P(e, b->out[2]));
    return true;
}

static bool fwd_synaptic(struct emitter *e, struct ir_node *n)
{
    struct ir_value *x = n->in[0], *spk = n->out[0];
    const char *k = emit_kname(e, n, "step");
    bool bits = spk && ir_root(spk)->bits;
    emit_printf(e->sec[SEC_DEFS], "SNN_SYNAPTIC_FORWARD(%s, %d, %zu, %d, %s, %s, %s, %d, %d, %d, %d, %d, %d)m4_dnl\n",
                k, batch_of(x), per_sample(x), (int)n->at.reset, emit_float(e, n->at.syn_decay),
                emit_float(e, n->at.decay), emit_float(e, n->at.threshold), present(n->out[2]),
                present(n->out[1]), present(spk), bits, words_of(x), par((double)x->numel * 8));
    zero(e, e->sec[SEC_PRE], IND, n->aux[0]);
    zero(e, e->sec[SEC_PRE], IND, n->aux[1]);
    emit_call_comment(e->sec[SEC_STEP], IND2, n, bits ? "spikes also as bits" : NULL);
    emit_printf(e->sec[SEC_STEP], IND2 "%s%s, %s, %s, %s, %s, %s, %s);\n", kcall(e, n, k), Pt(e, x), P(e, n->aux[0]),
                P(e, n->aux[1]), Pt(e, n->out[2]), Pt(e, n->out[1]), Pt(e, spk), bits_arg(e, spk));
    return true;
}

static bool bwd_synaptic(struct emitter *e, struct ir_node *b, bool overwrite)
{
    struct ir_node *n = b->fwd;
    struct ir_value *x = n->in[0];
    const char *k = emit_kname(e, b, "backward");
    emit_printf(e->sec[SEC_DEFS],
                "SNN_SYNAPTIC_BACKWARD(%s, %d, %zu, %d, %s, %s, %s, <<<%s>>>, %d, %d, %d, %d, %d)m4_dnl\n", k,
                batch_of(x), per_sample(x), (int)n->at.reset, emit_float(e, n->at.syn_decay),
                emit_float(e, n->at.decay), emit_float(e, n->at.threshold), surrogate(e, &n->at),
                present(b->in[0]), present(b->in[1]), present(b->in[2]), din_mode(b->out[0], overwrite),
                par((double)x->numel * 8));
    zero(e, e->sec[SEC_BPRE], IND, b->aux[0]);
    zero(e, e->sec[SEC_BPRE], IND, b->aux[1]);
    emit_call_comment(e->sec[SEC_BSTEP], IND2, b, "backward through time");
    emit_printf(e->sec[SEC_BSTEP], IND2 "%st, %s, %s, %s, %s, %s, %s, %s);\n", kcall(e, b, k), P(e, n->out[2]),
                Pt(e, b->in[0]), Pt(e, b->in[1]), Pt(e, b->in[2]), Pt(e, b->out[0]), P(e, b->aux[0]),
                P(e, b->aux[1]));
    return true;
}

static bool fwd_msleaky(struct emitter *e, struct ir_node *n)
{
    struct ir_value *x = n->in[0];
    const char *k = emit_kname(e, n, "step");
    emit_printf(e->sec[SEC_DEFS], "SNN_MSLEAKY_FORWARD(%s, %d, %zu, %s, %s, %d, %d, %d, %d)m4_dnl\n", k,
                batch_of(x), per_sample(x), emit_float(e, n->at.decay), emit_float(e, n->at.threshold),
                n->at.max_strength, present(n->out[1]), present(n->out[0]), par((double)x->numel * 8));
    zero(e, e->sec[SEC_PRE], IND, n->aux[0]);
    emit_call_comment(e->sec[SEC_STEP], IND2, n, NULL);
    emit_printf(e->sec[SEC_STEP], IND2 "%s%s, %s, %s, %s);\n", kcall(e, n, k), Pt(e, x), P(e, n->aux[0]),
                Pt(e, n->out[1]), Pt(e, n->out[0]));
    return true;
}

static bool bwd_msleaky(struct emitter *e, struct ir_node *b, bool overwrite)
{
    struct ir_node *n = b->fwd;
    struct ir_value *x = n->in[0];
    const char *k = emit_kname(e, b, "backward");
    emit_printf(e->sec[SEC_DEFS], "SNN_MSLEAKY_BACKWARD(%s, %d, %zu, %s, %s, %d, %d, %d, %d, %d)m4_dnl\n", k,
                batch_of(x), per_sample(x), emit_float(e, n->at.decay), emit_float(e, n->at.threshold),
                n->at.max_strength, present(b->in[0]), present(b->in[1]), din_mode(b->out[0], overwrite),
                par((double)x->numel * 8));
    zero(e, e->sec[SEC_BPRE], IND, b->aux[0]);
    emit_call_comment(e->sec[SEC_BSTEP], IND2, b, "backward through time");
    emit_printf(e->sec[SEC_BSTEP], IND2 "%st, %s, %s, %s, %s, %s, %s);\n", kcall(e, b, k), P(e, n->out[1]),
                P(e, n->out[0]), Pt(e, b->in[0]), Pt(e, b->in[1]), Pt(e, b->out[0]), P(e, b->aux[0]));
    return true;
}

/* ---------------------------------------------------------------- encoders */

static bool fwd_rate(struct emitter *e, struct ir_node *n)
{
    const char *k = emit_kname(e, n, "step");
    emit_printf(e->sec[SEC_DEFS], "SNN_RATE_STEP(%s, %zu, %s)m4_dnl\n", k, n->in[0]->numel,
                emit_float(e, n->at.gain));
    emit_call_comment(e->sec[SEC_STEP], IND2, n, NULL);
    emit_printf(e->sec[SEC_STEP], IND2 "%s(%s, %s, &%s_rng);\n", k, P(e, n->in[0]), Pt(e, n->out[0]),
                e->prefix);
    return true;
}

static bool fwd_latency(struct emitter *e, struct ir_node *n, struct diag *d)
{
    const struct ir_attrs *at = &n->at;
    int T = e->g->set.num_steps;
    if (at->first_spike_time < 0 || at->first_spike_time > T - 1)
        return diag_error(d, "%s: node '%s' (snn.LatencyEncode): first_spike_time %g is outside [0, %d]",
                          e->g->file, n->name, (double)at->first_spike_time, T - 1);
    double tau = at->linear && at->normalize ? T - 1 - at->first_spike_time : at->tau;
    const char *k = emit_kname(e, n, "init"), *ks = emit_kname(e, n, "step");
    emit_printf(e->sec[SEC_DEFS],
                "SNN_LATENCY_INIT(%s, %zu, %d, %d, %d, %d, %s, %s, %s, %s, %s, %s)m4_dnl\n", k,
                n->in[0]->numel, T, at->linear, at->normalize, at->clip, emit_float(e, at->tau),
                emit_float(e, at->lat_threshold), emit_float(e, at->first_spike_time),
                emit_float(e, (float)((double)at->lat_threshold + (double)at->epsilon)),
                emit_float(e, (float)-tau), emit_float(e, (float)(-tau * ((double)at->lat_threshold - 1.0))));
    emit_call_comment(e->sec[SEC_PRE], IND, n, "spike times");
    emit_printf(e->sec[SEC_PRE], IND "if (%s(%s, %s))\n" IND2 "return -1;\n", k, P(e, n->in[0]),
                P(e, n->aux[0]));
    emit_call_comment(e->sec[SEC_STEP], IND2, n, NULL);
    if (chunked(e, n)) { /* an instance for one chunk of rows */
        size_t m = per_sample(n->in[0]);
        emit_printf(e->sec[SEC_DEFS], "SNN_LATENCY_STEP(%s, %zu)m4_dnl\n", ks, (size_t)e->g->chunk_rows * m);
        emit_printf(e->sec[SEC_STEP], IND2 "%s(t, %s + (size_t)n0 * %zu, %s + (size_t)n0 * %zu);\n", ks,
                    P(e, n->aux[0]), m, Pt(e, n->out[0]), m);
        return true;
    }
    emit_printf(e->sec[SEC_DEFS], "SNN_LATENCY_STEP(%s, %zu)m4_dnl\n", ks, n->in[0]->numel);
    emit_printf(e->sec[SEC_STEP], IND2 "%s(t, %s, %s);\n", ks, P(e, n->aux[0]), Pt(e, n->out[0]));
    return true;
}

/* ---------------------------------------------------------------- reductions */

static void fill(struct emitter *e, FILE *f, struct ir_value *v, const char *value)
{
    emit_printf(f, IND "for (int i = 0; i < %zu; i++)\n" IND2 "%s[i] = %s;\n", v->numel, P(e, v), value);
}

/* A per-element kernel of a temporal value x: its size and its row length. */
static const char *sizes(struct emitter *e, struct ir_value *x)
{
    return arena_printf(e->g->arena, "%zu, %zu", x->numel, per_sample(x));
}

static const char *sum_step(struct emitter *e, struct ir_node *n, struct ir_value *x)
{
    const char *k = emit_kname(e, n, "sum");
    emit_printf(e->sec[SEC_DEFS], "SNN_SUM_STEP(%s, %s)m4_dnl\n", k, sizes(e, x));
    return kcall(e, n, k);
}

static bool fwd_spike_count(struct emitter *e, struct ir_node *n)
{
    const char *k = sum_step(e, n, n->in[0]);
    zero(e, e->sec[SEC_PRE], IND, n->out[0]);
    emit_call_comment(e->sec[SEC_STEP], IND2, n, NULL);
    emit_printf(e->sec[SEC_STEP], IND2 "%s%s, %s);\n", k, Pt(e, n->in[0]), P(e, n->out[0]));
    return true;
}

static const char *broadcast_bwd(struct emitter *e, struct ir_node *b, struct ir_value *x)
{
    const char *k = emit_kname(e, b, "backward");
    emit_printf(e->sec[SEC_DEFS], "SNN_BROADCAST_BACKWARD(%s, %s)m4_dnl\n", k, sizes(e, x));
    return kcall(e, b, k);
}

static bool bwd_spike_count(struct emitter *e, struct ir_node *b)
{
    const char *k = broadcast_bwd(e, b, b->fwd->in[0]);
    emit_call_comment(e->sec[SEC_BSTEP], IND2, b, "backward");
    emit_printf(e->sec[SEC_BSTEP], IND2 "%s%s, %s);\n", k, P(e, b->in[0]), Pt(e, b->out[0]));
    return true;
}

static bool fwd_predict(struct emitter *e, struct ir_node *n)
{
    struct ir_value *x = n->in[0], *acc = n->aux[0];
    const char *k;
    FILE *s = e->sec[SEC_STEP];
    emit_call_comment(s, IND2, n, NULL);
    switch (n->at.rule) {
    case IR_PRED_COUNT:
    case IR_PRED_MEMBRANE_SUM:
        k = sum_step(e, n, x);
        zero(e, e->sec[SEC_PRE], IND, acc);
        emit_printf(s, IND2 "%s%s, %s);\n", k, Pt(e, x), P(e, acc));
        break;
    case IR_PRED_MEMBRANE_MAX:
        k = emit_kname(e, n, "max");
        emit_printf(e->sec[SEC_DEFS], "SNN_MAX_STEP(%s, %s)m4_dnl\n", k, sizes(e, x));
        emit_printf(s, IND2 "%st, %s, %s);\n", kcall(e, n, k), Pt(e, x), P(e, acc));
        break;
    case IR_PRED_FIRST_SPIKE:
        k = emit_kname(e, n, "first");
        emit_printf(e->sec[SEC_DEFS], "SNN_FIRST_STEP(%s, %s)m4_dnl\n", k, sizes(e, x));
        fill(e, e->sec[SEC_PRE], acc, "-1.0f");
        emit_printf(s, IND2 "%st, %s, %s);\n", kcall(e, n, k), Pt(e, x), P(e, acc));
        break;
    }
    k = emit_kname(e, n, "finish");
    emit_printf(e->sec[SEC_DEFS], "SNN_PREDICT_FINISH(%s, %d, %lld, %d, %d)m4_dnl\n", k, batch_of(x),
                (long long)x->dims[1], n->at.rule == IR_PRED_FIRST_SPIKE, e->g->set.num_steps);
    emit_call_comment(e->sec[SEC_POST], IND, n, "class per sample");
    emit_printf(e->sec[SEC_POST], IND "%s(%s, %s);\n", k, P(e, acc), P(e, n->out[0]));
    return true;
}

/* ---------------------------------------------------------------- losses */

static bool is_ce(enum ir_op op)
{
    return op == IR_OP_CE_MEMBRANE_LOSS || op == IR_OP_CE_RATE_LOSS || op == IR_OP_CE_COUNT_LOSS ||
           op == IR_OP_CE_MAX_MEM_LOSS || op == IR_OP_CE_TEMPORAL_LOSS;
}

/* snnTorch targets_convert: on > off gives max(onehot on, off), else
 * onehot on + (1 - onehot) off; either way the label gets on', others off'. */
static void targets(const struct ir_node *n, int T, float *on, float *off)
{
    float a, b;
    if (n->op == IR_OP_MSE_COUNT_LOSS) { /* int(T * rate), as snnTorch */
        a = (float)(int)(T * (double)n->at.correct_rate);
        b = (float)(int)(T * (double)n->at.incorrect_rate);
    } else {
        a = n->at.on_target;
        b = n->at.off_target;
    }
    *on = a;
    *off = a > b && b < 0.0f ? 0.0f : b;
}

/* On chunks, a loss summed over the batch at each step keeps each row's
 * term (its last aux, plan.c); after the loop they are summed in the order
 * of the whole-batch code. */
static void terms_sum(struct emitter *e, struct ir_node *n, int count, const char *div)
{
    if (!chunked(e, n))
        return;
    const char *k = emit_kname(e, n, "terms");
    emit_printf(e->sec[SEC_DEFS], "SNN_TERMS_SUM(%s, %d, %d, <<<%s>>>)m4_dnl\n", k, e->g->set.num_steps, count, div);
    emit_call_comment(e->sec[SEC_POST], IND, n, "the rows' terms, summed");
    emit_printf(e->sec[SEC_POST], IND "%s(%s, %s);\n", k, P(e, n->aux[n->naux - 1]), P(e, n->out[0]));
}

static bool fwd_loss(struct emitter *e, struct ir_node *n)
{
    struct ir_value *z = n->in[0], *y = n->in[1], *loss = n->out[0];
    int N = batch_of(z), C = (int)z->dims[1], T = e->g->set.num_steps;
    FILE *s = e->sec[SEC_STEP], *post = e->sec[SEC_POST];
    const char *k;
    float on, off;
    targets(n, T, &on, &off);
    /* labels are checked before anything runs */
    emit_printf(e->sec[SEC_CHECKS], IND "for (int n = 0; n < %d; n++)\n" IND2
                "if (%s[n] < 0 || %s[n] >= %d)\n" IND2 IND
                "return snn_fail(\"%s: label %%lld of sample %%d is not a class of 0..%d\", (long long)%s[n], n);\n",
                N, P(e, y), P(e, y), C, y->name, C - 1, P(e, y));
    emit_printf(e->sec[SEC_PRE], IND "%s[0] = 0.0f;\n", P(e, loss));
    emit_call_comment(s, IND2, n, NULL);
    switch (n->op) {
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
        k = emit_kname(e, n, "step");
        emit_printf(e->sec[SEC_DEFS], "SNN_CE_STEP(%s, %d, %d)m4_dnl\n", k, N, C);
        if (chunked(e, n)) /* each row's term, summed after the loop */
            emit_printf(s, IND2 "%s%s, %s, %s);\n", kcall(e, n, k), Pt(e, z), P(e, y), Pt(e, n->aux[n->naux - 1]));
        else
            emit_printf(s, IND2 "%s(%s, %s, %s);\n", k, Pt(e, z), P(e, y), P(e, loss));
        terms_sum(e, n, N, arena_printf(e->g->arena, "%d", N));
        if (n->op == IR_OP_CE_RATE_LOSS)
            emit_printf(post, IND "%s[0] /= (float)%d; /* mean over steps */\n", P(e, loss), T);
        break;
    case IR_OP_MSE_MEMBRANE_LOSS:
        k = emit_kname(e, n, "step");
        emit_printf(e->sec[SEC_DEFS], "SNN_MSE_STEP(%s, %d, %d, %s, %s)m4_dnl\n", k, N, C, emit_float(e, on),
                    emit_float(e, off));
        if (chunked(e, n))
            emit_printf(s, IND2 "%s%s, %s, %s);\n", kcall(e, n, k), Pt(e, z), P(e, y), Pt(e, n->aux[n->naux - 1]));
        else
            emit_printf(s, IND2 "%s(%s, %s, %s);\n", k, Pt(e, z), P(e, y), P(e, loss));
        terms_sum(e, n, N * C, arena_printf(e->g->arena, "%d * %d", N, C));
        emit_printf(post, IND "%s[0] /= (float)%d; /* mean over steps */\n", P(e, loss), T);
        break;
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
        k = sum_step(e, n, z);
        zero(e, e->sec[SEC_PRE], IND, n->aux[0]);
        emit_printf(s, IND2 "%s%s, %s);\n", k, Pt(e, z), P(e, n->aux[0]));
        k = emit_kname(e, n, "finish");
        if (n->op == IR_OP_CE_COUNT_LOSS)
            emit_printf(e->sec[SEC_DEFS], "SNN_CE_FINISH(%s, %d, %d, %s)m4_dnl\n", k, N, C,
                        emit_float(e, (float)(1.0 / N)));
        else
            emit_printf(e->sec[SEC_DEFS], "SNN_MSE_COUNT_FINISH(%s, %d, %d, %s, %s, %d)m4_dnl\n", k, N, C,
                        emit_float(e, on), emit_float(e, off), T);
        emit_call_comment(post, IND, n, "loss of the spike count");
        emit_printf(post, IND "%s(%s, %s, %s, %s);\n", k, P(e, n->aux[0]), P(e, y), P(e, loss), P(e, n->aux[1]));
        break;
    case IR_OP_CE_MAX_MEM_LOSS:
        k = emit_kname(e, n, "max");
        emit_printf(e->sec[SEC_DEFS], "SNN_ARGMAX_STEP(%s, %s)m4_dnl\n", k, sizes(e, z));
        emit_printf(s, IND2 "%st, %s, %s, %s);\n", kcall(e, n, k), Pt(e, z), P(e, n->aux[0]), P(e, n->aux[1]));
        k = emit_kname(e, n, "finish");
        emit_printf(e->sec[SEC_DEFS], "SNN_CE_FINISH(%s, %d, %d, %s)m4_dnl\n", k, N, C,
                    emit_float(e, (float)(1.0 / N)));
        emit_call_comment(post, IND, n, "loss of the maximum membrane");
        emit_printf(post, IND "%s(%s, %s, %s, %s);\n", k, P(e, n->aux[0]), P(e, y), P(e, loss), P(e, n->aux[2]));
        break;
    case IR_OP_CE_TEMPORAL_LOSS:
        k = emit_kname(e, n, "first");
        emit_printf(e->sec[SEC_DEFS], "SNN_FIRST_STEP(%s, %s)m4_dnl\n", k, sizes(e, z));
        fill(e, e->sec[SEC_PRE], n->aux[0], "-1.0f");
        emit_printf(s, IND2 "%st, %s, %s);\n", kcall(e, n, k), Pt(e, z), P(e, n->aux[0]));
        k = emit_kname(e, n, "finish");
        emit_printf(e->sec[SEC_DEFS], "SNN_TEMPORAL_FINISH(%s, %d, %d, %d, %d)m4_dnl\n", k, N, C, T,
                    n->at.reciprocal);
        emit_call_comment(post, IND, n, "loss of the first-spike times");
        emit_printf(post, IND "%s(%s, %s, %s, %s);\n", k, P(e, n->aux[0]), P(e, y), P(e, loss), P(e, n->aux[1]));
        break;
    default:
        break;
    }
    return true;
}

static bool bwd_loss(struct emitter *e, struct ir_node *b)
{
    struct ir_node *n = b->fwd;
    struct ir_value *z = n->in[0], *y = n->in[1];
    int N = batch_of(z), C = (int)z->dims[1], T = e->g->set.num_steps;
    FILE *s = e->sec[SEC_BSTEP];
    const char *k = emit_kname(e, b, "backward");
    float on, off;
    targets(n, T, &on, &off);
    emit_call_comment(s, IND2, b, "backward");
    switch (n->op) {
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
        emit_printf(e->sec[SEC_DEFS], "SNN_CE_STEP_BACKWARD(%s, %d, %d, %s)m4_dnl\n", k, N, C,
                    emit_float(e, (float)(n->op == IR_OP_CE_RATE_LOSS ? 1.0 / ((double)N * T) : 1.0 / N)));
        emit_printf(s, IND2 "%s%s, %s, %s);\n", kcall(e, b, k), Pt(e, z), P(e, y), Pt(e, b->out[0]));
        break;
    case IR_OP_MSE_MEMBRANE_LOSS:
        emit_printf(e->sec[SEC_DEFS], "SNN_MSE_STEP_BACKWARD(%s, %d, %d, %s, %s, %s)m4_dnl\n", k, N, C,
                    emit_float(e, on), emit_float(e, off), emit_float(e, (float)(1.0 / ((double)N * C * T))));
        emit_printf(s, IND2 "%s%s, %s, %s);\n", kcall(e, b, k), Pt(e, z), P(e, y), Pt(e, b->out[0]));
        break;
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
        k = broadcast_bwd(e, b, z);
        emit_printf(s, IND2 "%s%s, %s);\n", k, P(e, n->aux[1]), Pt(e, b->out[0]));
        break;
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS: {
        emit_printf(e->sec[SEC_DEFS], "SNN_AT_STEP_BACKWARD(%s, %s)m4_dnl\n", k, sizes(e, z));
        bool mx = n->op == IR_OP_CE_MAX_MEM_LOSS;
        emit_printf(s, IND2 "%st, %s, %s, %s);\n", kcall(e, b, k), P(e, n->aux[mx ? 1 : 0]),
                    P(e, n->aux[mx ? 2 : 1]), Pt(e, b->out[0]));
        break;
    }
    default:
        break;
    }
    return true;
}

/* ---------------------------------------------------------------- dispatch */

static bool emit_forward(struct emitter *e, struct ir_node *n, struct diag *d)
{
    switch (n->op) {
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
        return fwd_dense(e, n);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
        return fwd_binary(e, n);
    case IR_OP_RELU:
        return fwd_relu(e, n);
    case IR_OP_FLATTEN:
    case IR_OP_RESHAPE:
    case IR_OP_IDENTITY:
        return true; /* aliases: no code */
    case IR_OP_CONV:
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
        return emit_conv_forward(e, n, d);
    case IR_OP_LEAKY:
        return fwd_leaky(e, n);
    case IR_OP_SYNAPTIC:
        return fwd_synaptic(e, n);
    case IR_OP_MS_LEAKY:
        return fwd_msleaky(e, n);
    case IR_OP_RATE_ENCODE:
        return fwd_rate(e, n);
    case IR_OP_LATENCY_ENCODE:
        return fwd_latency(e, n, d);
    case IR_OP_SPIKE_COUNT:
        return fwd_spike_count(e, n);
    case IR_OP_PREDICT:
        return fwd_predict(e, n);
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS:
        return fwd_loss(e, n);
    case IR_OP_COUNT:
        break;
    }
    return diag_error(d, "%s: node '%s': no emitter for %s", e->g->file, n->name, ir_op_name(n->op));
}

static bool emit_backward(struct emitter *e, struct ir_node *b, bool overwrite, struct diag *d)
{
    switch (b->op) {
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
        return bwd_dense(e, b, overwrite);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
        return bwd_binary(e, b);
    case IR_OP_RELU:
        return bwd_relu(e, b);
    case IR_OP_CONV:
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
        return emit_conv_backward(e, b, overwrite, d);
    case IR_OP_LEAKY:
        return bwd_leaky(e, b, overwrite);
    case IR_OP_SYNAPTIC:
        return bwd_synaptic(e, b, overwrite);
    case IR_OP_MS_LEAKY:
        return bwd_msleaky(e, b, overwrite);
    case IR_OP_SPIKE_COUNT:
        return bwd_spike_count(e, b);
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS:
        return bwd_loss(e, b);
    case IR_OP_FLATTEN:
    case IR_OP_RESHAPE:
    case IR_OP_IDENTITY:
    case IR_OP_RATE_ENCODE:
    case IR_OP_LATENCY_ENCODE:
    case IR_OP_PREDICT:
    case IR_OP_COUNT:
        break;
    }
    return diag_error(d, "%s: node '%s': no backward for %s", e->g->file, b->name, ir_op_name(b->op));
}

bool emit_ops(struct emitter *e, struct diag *d)
{
    struct ir_graph *g = e->g;
    bool ce = false, rate = false;
    for (int i = 0; i < g->nnodes; i++) {
        if (g->nodes[i]->dead)
            continue;
        ce |= is_ce(g->nodes[i]->op);
        rate |= g->nodes[i]->op == IR_OP_RATE_ENCODE;
    }
    emit_printf(e->sec[SEC_DEFS], "SNN_VEC_ONCE()m4_dnl\n");
    if (ce)
        emit_printf(e->sec[SEC_DEFS], "SNN_LOSS_HELPERS()m4_dnl\n");
    if (rate) /* RateEncode draws from one generator: snn.seed unless PREFIX_seed() says */
        emit_printf(e->sec[SEC_CHECKS], IND "if (!%s_rng_seeded)\n" IND2 "%s_seed(%lluULL);\n", e->prefix,
                    e->prefix, (unsigned long long)g->set.seed);
    for (int i = 0; i < g->nnodes; i++) {
        if (g->nodes[i]->dead)
            continue;
        if (!emit_forward(e, g->nodes[i], d))
            return false;
        pack_bits(e, g->nodes[i]);
    }
    if (!g->training)
        return true;
    for (int i = 0; i < g->nparams; i++)
        if (g->params[i]->trainable && !dw_stores(g, g->params[i]->grad))
            emit_printf(e->sec[SEC_BZERO], IND "memset(%s_g_%s, 0, sizeof %s_g_%s);\n", e->prefix,
                        g->params[i]->cname + 2, e->prefix, g->params[i]->cname + 2);
    bool *cleared = arena_array(g->arena, (size_t)g->nvalues, sizeof *cleared);
    for (int i = 0; i < g->nbwd; i++) {
        struct ir_node *b = g->bwd[i];
        bool overwrite = false;
        for (int k = 0; k < b->nout; k++) { /* clear each gradient before its first writer */
            struct ir_value *r = b->out[k] ? ir_root(b->out[k]) : NULL;
            if (!r || r->storage == IR_ST_EXTERN || r->storage == IR_ST_NONE || cleared[r->id])
                continue;
            cleared[r->id] = true;
            /* products and neurons write all of din at each call: their
             * first writer stores, unless it is a sum over the steps */
            bool full = k == 0 && (b->op == IR_OP_GEMM || b->op == IR_OP_MATMUL || b->op == IR_OP_LEAKY ||
                                   b->op == IR_OP_SYNAPTIC || b->op == IR_OP_MS_LEAKY ||
                                   emit_conv_writes_dx_whole(b));
            if (full && (b->phase != IR_PH_STEP || r->storage != IR_ST_ONCE))
                overwrite = true;
            else if (b->phase == IR_PH_STEP && r->storage != IR_ST_STEP)
                zero(e, e->sec[SEC_BPRE], IND, r);
            else
                zero_step(e, bbody(e, b), b, r);
        }
        if (!emit_backward(e, b, overwrite, d))
            return false;
    }
    return true;
}
