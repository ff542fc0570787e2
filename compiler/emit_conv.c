/* emit_conv.c - Conv, MaxPool and AveragePool kernels and calls (SPEC section 3).
 *
 * Takes: a planned Conv / MaxPool / AveragePool node, forward or backward,
 * whose shapes and attributes infer.c checked (NCHW, 2-D, dilation 1,
 * group 1, ceil_mode 0). Gives: one kernel instance from templates/conv.m4
 * in SEC_DEFS and its call in the section of the node's phase, as
 * emit_ops.c does for the other ops.
 * Holds: backward kernels accumulate into gradients that emit_ops.c
 * cleared, or store dx when they are its first writer and write all of it
 * (a Conv always, a pool whose windows tile its input); a Conv's input is
 * read by its backward only when the weight gradient is wanted (autodiff.c
 * saves it then), MaxPool's always. A Conv that plan.c gave its MaxPool
 * emits both (the pool's output and maxima, and in backward the pool's
 * gradient); the MaxPool then emits nothing.
 */
#include "emit_int.h"

#define IND "    "
#define IND2 "        "

static const char *P(struct emitter *e, struct ir_value *v) { return emit_ptr(e, v, false); }
static const char *Pt(struct emitter *e, struct ir_value *v) { return emit_ptr(e, v, true); }

/* Which section a node's work goes to (as in emit_ops.c). */
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

/* "N, C, H, W" of the input, then (Conv) "M", then the window:
 * "KH, KW, SH, SW, PT, PL, PB, PR" - the leading arguments of every
 * kernel macro of conv.m4. */
static const char *geometry(struct emitter *e, struct ir_node *n)
{
    const struct ir_value *x = n->in[0];
    const struct ir_attrs *at = &n->at;
    const char *m = n->op == IR_OP_CONV ? arena_printf(e->g->arena, ", %lld", (long long)n->in[1]->dims[0])
                                        : "";
    return arena_printf(e->g->arena, "%lld, %lld, %lld, %lld%s, %d, %d, %d, %d, %d, %d, %d, %d",
                        (long long)x->dims[0], (long long)x->dims[1], (long long)x->dims[2],
                        (long long)x->dims[3], m, at->kernel[0], at->kernel[1], at->strides[0],
                        at->strides[1], at->pads[0], at->pads[1], at->pads[2], at->pads[3]);
}

/* How many 8-float vectors a register block of a run of n floats holds:
 * at most 8, and as few blocks (each padded to whole vectors) as that allows. */
static int block_vectors(long long n)
{
    long long v = (n + 7) / 8, blocks = (v + 7) / 8;
    return (int)((v + blocks - 1) / blocks);
}

static struct ir_value *conv_bias(struct ir_node *n)
{
    return n->nin > 2 ? n->in[2] : NULL;
}

/* ---------------------------------------------------------------- Conv */

/* The call of a kernel's weight layout: before the step loop when the
 * kernel runs at every step (once per pass, not T times), else before the
 * kernel; in an inference build, whose weights are constants, only once. */
static void layout_call(struct emitter *e, struct ir_node *n, bool backward, FILE *f, const char *k,
                        const char *args)
{
    bool loop = n->phase == IR_PH_STEP;
    FILE *at = loop ? e->sec[backward ? SEC_BPRE : SEC_PRE] : f;
    const char *indent = loop ? IND : ind(n);
    emit_call_comment(at, indent, n, "weights laid out");
    emit_call_once(e, at, indent, k, arena_printf(e->g->arena, "%s_weights(%s)", k, args), !e->g->training);
}

/* ", PKH, PKW": the windows of the MaxPool a Conv computes (0, 0: none). */
static const char *pool_window(struct emitter *e, struct ir_node *n)
{
    return arena_printf(e->g->arena, "%d, %d", n->pool ? n->pool->at.kernel[0] : 0,
                        n->pool ? n->pool->at.kernel[1] : 0);
}

static bool fwd_conv(struct emitter *e, struct ir_node *n)
{
    struct ir_value *bias = conv_bias(n);
    struct ir_node *m = n->pool;
    const char *k = emit_kname(e, n, "forward");
    emit_printf(e->sec[SEC_DEFS], "SNN_CONV_FORWARD(%s, %s, %d, %d, %s, %d, %d)m4_dnl\n", k, geometry(e, n),
                bias != NULL, block_vectors(n->in[1]->dims[0]), pool_window(e, n), m && m->argmax,
                n->in[0]->binary);
    FILE *f = body(e, n);
    layout_call(e, n, false, f, k, arena_printf(e->g->arena, "%s, %s", P(e, n->in[1]), bias ? P(e, bias) : "NULL"));
    if (m) {
        emit_call_comment(f, ind(n), n, arena_printf(e->g->arena, "with MaxPool '%s' in one kernel", m->name));
        emit_printf(f, "%s%s(%s, %s%s%s);\n", ind(n), k, Pt(e, n->in[0]), Pt(e, m->out[0]), m->argmax ? ", " : "",
                    m->argmax ? Pt(e, m->argmax) : "");
        return true;
    }
    emit_call_comment(f, ind(n), n, NULL);
    emit_printf(f, "%s%s(%s, %s);\n", ind(n), k, Pt(e, n->in[0]), Pt(e, n->out[0]));
    return true;
}

static bool bwd_conv(struct emitter *e, struct ir_node *b, bool overwrite)
{
    struct ir_node *n = b->fwd;
    bool dx = b->out[0] != NULL, dw = b->out[1] != NULL, db = b->nout > 2 && b->out[2] != NULL;
    const char *k = emit_kname(e, b, "backward");
    struct ir_value *w = n->in[1];
    emit_printf(e->sec[SEC_DEFS], "SNN_CONV_BACKWARD(%s, %s, %d, %d, %d, %d, %d, %s, %d)m4_dnl\n", k,
                geometry(e, n), dx ? (overwrite ? 2 : 1) : 0, dw, db, block_vectors(w->dims[0]),
                block_vectors(w->dims[1] * w->dims[3]), pool_window(e, n), n->in[0]->binary);
    FILE *f = bbody(e, b);
    if (dx)
        layout_call(e, b, true, f, k, P(e, n->in[1]));
    /* the input is saved only when the weight gradient needs it; with its
     * MaxPool, the gradient comes as the pool's, with the maxima */
    const char *dy = n->pool ? arena_printf(e->g->arena, "%s, %s", Pt(e, n->pool_dy), Pt(e, n->pool->argmax))
                             : Pt(e, b->in[0]);
    emit_call_comment(f, ind(b), b, n->pool ? arena_printf(e->g->arena, "backward, with MaxPool '%s'", n->pool->name)
                                            : "backward");
    emit_printf(f, "%s%s(%s, %s, %s, %s, %s);\n", ind(b), k, dw ? Pt(e, n->in[0]) : "NULL", dy,
                dx ? Pt(e, b->out[0]) : "NULL", dw ? P(e, b->out[1]) : "NULL", db ? P(e, b->out[2]) : "NULL");
    return true;
}

/* ---------------------------------------------------------------- pools */

static bool fwd_pool(struct emitter *e, struct ir_node *n)
{
    if (n->fused)
        return true; /* its Conv computes it */
    const char *k = emit_kname(e, n, "forward");
    if (n->op == IR_OP_MAXPOOL)
        emit_printf(e->sec[SEC_DEFS], "SNN_MAXPOOL_FORWARD(%s, %s, %d)m4_dnl\n", k, geometry(e, n),
                    n->argmax != NULL);
    else
        emit_printf(e->sec[SEC_DEFS], "SNN_AVGPOOL_FORWARD(%s, %s, %d)m4_dnl\n", k, geometry(e, n),
                    n->at.count_include_pad != 0);
    FILE *f = body(e, n);
    emit_call_comment(f, ind(n), n, NULL);
    emit_printf(f, "%s%s(%s, %s%s%s);\n", ind(n), k, Pt(e, n->in[0]), Pt(e, n->out[0]), n->argmax ? ", " : "",
                n->argmax ? Pt(e, n->argmax) : "");
    return true;
}

static bool bwd_pool(struct emitter *e, struct ir_node *b, bool overwrite)
{
    struct ir_node *n = b->fwd;
    if (n->fused)
        return true; /* its Conv's backward takes the pool's gradient */
    const char *k = emit_kname(e, b, "backward");
    FILE *f = bbody(e, b);
    emit_call_comment(f, ind(b), b, "backward");
    if (n->op == IR_OP_MAXPOOL) { /* to where forward found each maximum */
        emit_printf(e->sec[SEC_DEFS], "SNN_MAXPOOL_BACKWARD(%s, %s, %d)m4_dnl\n", k, geometry(e, n), overwrite);
        emit_printf(f, "%s%s(%s, %s, %s);\n", ind(b), k, Pt(e, n->argmax), Pt(e, b->in[0]), Pt(e, b->out[0]));
    } else {
        emit_printf(e->sec[SEC_DEFS], "SNN_AVGPOOL_BACKWARD(%s, %s, %d, %d)m4_dnl\n", k, geometry(e, n),
                    n->at.count_include_pad != 0, overwrite);
        emit_printf(f, "%s%s(%s, %s);\n", ind(b), k, Pt(e, b->in[0]), Pt(e, b->out[0]));
    }
    return true;
}

/* ---------------------------------------------------------------- dispatch */

bool emit_conv_forward(struct emitter *e, struct ir_node *n, struct diag *d)
{
    switch (n->op) {
    case IR_OP_CONV:
        return fwd_conv(e, n);
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
        return fwd_pool(e, n);
    default:
        break;
    }
    return diag_error(d, "%s: node '%s': no convolution emitter for %s", e->g->file, n->name,
                      ir_op_name(n->op));
}

/* Does b's backward write every element of its dx exactly once? A Conv's
 * does (it crops its padded scratch into dx); a pool's when its windows
 * tile the input: no padding, stride equal to the window, sizes divisible. */
bool emit_conv_writes_dx_whole(const struct ir_node *b)
{
    return b->op == IR_OP_CONV || ir_pool_tiles(b->fwd);
}

bool emit_conv_backward(struct emitter *e, struct ir_node *b, bool overwrite, struct diag *d)
{
    switch (b->op) {
    case IR_OP_CONV:
        return bwd_conv(e, b, overwrite);
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
        if (!b->out[0])
            return true; /* nothing upstream wants a gradient */
        return bwd_pool(e, b, overwrite);
    default:
        break;
    }
    return diag_error(d, "%s: node '%s': no convolution backward for %s", e->g->file, b->name,
                      ir_op_name(b->op));
}
