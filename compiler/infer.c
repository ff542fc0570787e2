/* infer.c - shapes, element types and static/temporal kinds (SPEC section 2).
 *
 * Takes: the imported graph, nodes in topological order, inputs and
 * initializers shaped. Gives: the per-step shape, dtype and time kind of
 * every node output.
 * Holds: every shape is fully known, every size fits in 2^40 elements,
 * and every op's inputs have the types and shapes its semantics need.
 */
#include "pipeline.h"

#include <string.h>

#define ERR(g, n, d, ...) node_error(g, n, d, __VA_ARGS__)

static bool node_error(struct ir_graph *g, struct ir_node *n, struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
#include <stdio.h>

static bool node_error(struct ir_graph *g, struct ir_node *n, struct diag *d, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *dom = ir_op_table[n->op].domain;
    return diag_error(d, "%s: node '%s' (%s%s%s): %s", g->file, n->name, dom, *dom ? "." : "",
                      ir_op_name(n->op), msg);
}

static bool set_out(struct ir_graph *g, struct ir_node *n, int slot, enum ir_dtype dt,
                    enum ir_time tm, int rank, const int64_t *dims, bool batched, struct diag *d)
{
    struct ir_value *v = n->out[slot];
    if (!v) { /* an unnamed output still needs a value to hold it */
        v = ir_value_new(g, arena_printf(g->arena, "%s:out%d", n->name, slot));
        v->producer = n;
        v->producer_slot = slot;
        n->out[slot] = v;
    }
    size_t numel = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] <= 0)
            return ERR(g, n, d, "output %d would have a dimension of size %lld", slot,
                       (long long)dims[i]);
        if ((uint64_t)dims[i] > ((uint64_t)1 << 40) / numel)
            return ERR(g, n, d, "output %d is too large: its size overflows", slot);
        numel *= (size_t)dims[i];
    }
    v->dtype = dt;
    v->time = tm;
    v->batched = batched;
    ir_value_set_shape(v, rank, dims);
    return true;
}

static enum ir_time time_of(struct ir_node *n)
{
    for (int i = 0; i < n->nin; i++)
        if (n->in[i] && n->in[i]->time == IR_TEMPORAL)
            return IR_TEMPORAL;
    return IR_STATIC;
}

static bool want_f32(struct ir_graph *g, struct ir_node *n, int slot, struct diag *d)
{
    if (n->in[slot] && n->in[slot]->dtype != IR_F32)
        return ERR(g, n, d, "input %d '%s' must be float32", slot, n->in[slot]->name);
    return true;
}

static bool want_rank(struct ir_graph *g, struct ir_node *n, int slot, int rank, struct diag *d)
{
    if (n->in[slot]->rank != rank)
        return ERR(g, n, d, "input %d '%s' has shape %s; expected rank %d", slot, n->in[slot]->name,
                   ir_shape_str(g, n->in[slot]), rank);
    return true;
}

static bool infer_gemm(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *a = n->in[0], *b = n->in[1], *c = n->nin > 2 ? n->in[2] : NULL;
    if (!want_f32(g, n, 0, d) || !want_f32(g, n, 1, d) || (c && !want_f32(g, n, 2, d)) ||
        !want_rank(g, n, 0, 2, d) || !want_rank(g, n, 1, 2, d))
        return false;
    if (b->time == IR_TEMPORAL)
        return ERR(g, n, d, "the weight '%s' must be static", b->name);
    int64_t k = a->dims[1];
    int64_t bk = n->op == IR_OP_GEMM && n->at.trans_b ? b->dims[1] : b->dims[0];
    int64_t o = n->op == IR_OP_GEMM && n->at.trans_b ? b->dims[0] : b->dims[1];
    if (bk != k)
        return ERR(g, n, d, "inner dimensions differ: A is %s, B is %s%s", ir_shape_str(g, a),
                   ir_shape_str(g, b), n->at.trans_b ? " (transB=1)" : "");
    if (c) {
        if (c->time == IR_TEMPORAL)
            return ERR(g, n, d, "the bias '%s' must be static", c->name);
        bool ok = (c->rank == 1 && c->dims[0] == o) || (c->rank == 2 && c->dims[0] == 1 && c->dims[1] == o) ||
                  c->numel == 1;
        if (!ok)
            return ERR(g, n, d, "bias '%s' has shape %s; expected [%lld]", c->name, ir_shape_str(g, c),
                       (long long)o);
    }
    int64_t dims[2] = {a->dims[0], o};
    return set_out(g, n, 0, IR_F32, time_of(n), 2, dims, a->batched, d);
}

/* Numpy broadcasting, as ONNX's Add/Sub/Mul. */
static bool infer_binary(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    if (!want_f32(g, n, 0, d) || !want_f32(g, n, 1, d))
        return false;
    struct ir_value *a = n->in[0], *b = n->in[1];
    int rank = a->rank > b->rank ? a->rank : b->rank;
    int64_t dims[IR_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ERR(g, n, d, "shapes %s and %s do not broadcast", ir_shape_str(g, a),
                       ir_shape_str(g, b));
        dims[i] = da > db ? da : db;
    }
    bool batched = (a->batched && a->rank == rank) || (b->batched && b->rank == rank);
    return set_out(g, n, 0, IR_F32, time_of(n), rank, dims, batched, d);
}

static bool infer_same(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    if (!want_f32(g, n, 0, d))
        return false;
    struct ir_value *x = n->in[0];
    return set_out(g, n, 0, IR_F32, time_of(n), x->rank, x->dims, x->batched, d);
}

static bool infer_flatten(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0];
    int axis = n->at.axis < 0 ? n->at.axis + x->rank : n->at.axis;
    if (axis < 0 || axis > x->rank)
        return ERR(g, n, d, "axis %d is out of range for shape %s", n->at.axis, ir_shape_str(g, x));
    int64_t dims[2] = {1, 1};
    for (int i = 0; i < x->rank; i++)
        dims[i < axis ? 0 : 1] *= x->dims[i];
    return set_out(g, n, 0, x->dtype, time_of(n), 2, dims, x->batched && axis >= 1, d);
}

static bool infer_reshape(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0], *s = n->in[1];
    if (!s->i64 || s->rank != 1)
        return ERR(g, n, d, "the shape '%s' must be a constant int64 vector (an initializer)", s->name);
    if (s->numel > IR_MAX_RANK)
        return ERR(g, n, d, "the shape has %zu dimensions; at most %d", s->numel, IR_MAX_RANK);
    int64_t dims[IR_MAX_RANK] = {0};
    int infer_at = -1;
    size_t known = 1;
    for (size_t i = 0; i < s->numel; i++) {
        int64_t v = s->i64[i];
        if (v == 0 && (int)i < x->rank)
            v = x->dims[i];
        if (v == -1 && infer_at < 0) {
            infer_at = (int)i;
            dims[i] = 1;
            continue;
        }
        if (v <= 0)
            return ERR(g, n, d, "the shape holds %lld at position %zu", (long long)s->i64[i], i);
        dims[i] = v;
        if ((uint64_t)v > ((uint64_t)1 << 40) / known)
            return ERR(g, n, d, "the shape's size overflows");
        known *= (size_t)v;
    }
    if (infer_at >= 0) {
        if (x->numel % known)
            return ERR(g, n, d, "cannot reshape %s (%zu elements) to the given shape", ir_shape_str(g, x),
                       x->numel);
        dims[infer_at] = (int64_t)(x->numel / known);
        known = x->numel;
    }
    if (known != x->numel)
        return ERR(g, n, d, "cannot reshape %s (%zu elements) into %zu elements", ir_shape_str(g, x),
                   x->numel, known);
    bool batched = x->batched && dims[0] == x->dims[0];
    return set_out(g, n, 0, x->dtype, time_of(n), (int)s->numel, dims, batched, d);
}

static bool infer_conv(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0], *w = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL;
    if (!want_f32(g, n, 0, d) || !want_f32(g, n, 1, d) || !want_rank(g, n, 0, 4, d) ||
        !want_rank(g, n, 1, 4, d))
        return false;
    if (w->time == IR_TEMPORAL || (b && b->time == IR_TEMPORAL))
        return ERR(g, n, d, "weights and bias must be static");
    if (w->dims[1] != x->dims[1])
        return ERR(g, n, d, "input has %lld channels; the weight %s expects %lld",
                   (long long)x->dims[1], ir_shape_str(g, w), (long long)w->dims[1]);
    if (b && (b->rank != 1 || b->dims[0] != w->dims[0]))
        return ERR(g, n, d, "bias '%s' has shape %s; expected [%lld]", b->name, ir_shape_str(g, b),
                   (long long)w->dims[0]);
    struct ir_attrs *at = &n->at;
    for (int i = 0; i < 2; i++) {
        if (at->kernel[i] == 0)
            at->kernel[i] = (int)w->dims[2 + i];
        if (at->kernel[i] != w->dims[2 + i])
            return ERR(g, n, d, "kernel_shape does not match the weight %s", ir_shape_str(g, w));
    }
    int64_t dims[4] = {x->dims[0], w->dims[0], 0, 0};
    for (int i = 0; i < 2; i++) {
        int64_t span = x->dims[2 + i] + at->pads[i] + at->pads[2 + i] - at->kernel[i];
        if (span < 0)
            return ERR(g, n, d, "the kernel is larger than the padded input %s", ir_shape_str(g, x));
        dims[2 + i] = span / at->strides[i] + 1;
    }
    return set_out(g, n, 0, IR_F32, time_of(n), 4, dims, x->batched, d);
}

static bool infer_pool(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0];
    if (!want_f32(g, n, 0, d) || !want_rank(g, n, 0, 4, d))
        return false;
    struct ir_attrs *at = &n->at;
    int64_t dims[4] = {x->dims[0], x->dims[1], 0, 0};
    for (int i = 0; i < 2; i++) {
        if (at->pads[i] >= at->kernel[i] || at->pads[2 + i] >= at->kernel[i])
            return ERR(g, n, d, "pads must be smaller than the kernel");
        int64_t span = x->dims[2 + i] + at->pads[i] + at->pads[2 + i] - at->kernel[i];
        if (span < 0)
            return ERR(g, n, d, "the kernel is larger than the input %s", ir_shape_str(g, x));
        dims[2 + i] = span / at->strides[i] + 1;
    }
    return set_out(g, n, 0, IR_F32, time_of(n), 4, dims, x->batched, d);
}

/* beta / threshold inputs: a scalar, or one value per neuron (SPEC section 4). */
static bool check_neuron_param(struct ir_graph *g, struct ir_node *n, int slot, struct diag *d)
{
    struct ir_value *p = n->in[slot], *x = n->in[0];
    if (!p)
        return true;
    if (p->role != IR_ROLE_PARAM || p->dtype != IR_F32)
        return ERR(g, n, d, "input %d '%s' must be a float initializer", slot, p->name);
    size_t per_sample = x->batched ? x->numel / (size_t)x->dims[0] : x->numel;
    if (p->numel != 1 && p->numel != per_sample)
        return ERR(g, n, d, "input %d '%s' has %zu values; expected 1 or one per neuron (%zu)", slot,
                   p->name, p->numel, per_sample);
    return true;
}

static bool infer_neuron(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0];
    if (!want_f32(g, n, 0, d))
        return false;
    if (!x->batched)
        return ERR(g, n, d, "input '%s' has no batch dimension", x->name);
    if (n->op == IR_OP_LEAKY && (!check_neuron_param(g, n, 1, d) || !check_neuron_param(g, n, 2, d)))
        return false;
    if (!(n->at.threshold > 0) && !(n->op == IR_OP_LEAKY && n->nin > 2 && n->in[2]))
        return ERR(g, n, d, "threshold must be positive");
    n->nout = ir_op_table[n->op].max_out; /* backward needs the membrane even if unnamed */
    for (int i = 0; i < n->nout; i++)
        if (!set_out(g, n, i, IR_F32, IR_TEMPORAL, x->rank, x->dims, true, d))
            return false;
    return true;
}

static bool infer_encoder(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0];
    if (!want_f32(g, n, 0, d))
        return false;
    if (x->time == IR_TEMPORAL)
        return ERR(g, n, d, "input '%s' is temporal; an encoder takes a static value", x->name);
    return set_out(g, n, 0, IR_F32, IR_TEMPORAL, x->rank, x->dims, x->batched, d);
}

static bool want_temporal(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    if (n->in[0]->time != IR_TEMPORAL)
        return ERR(g, n, d, "input '%s' is static; this op reduces over time and takes a temporal value",
                   n->in[0]->name);
    return want_f32(g, n, 0, d);
}

static bool infer_loss(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    struct ir_value *x = n->in[0], *y = n->in[1];
    if (!want_temporal(g, n, d))
        return false;
    if (x->rank != 2 || !x->batched)
        return ERR(g, n, d, "input '%s' has shape %s; expected [N, classes]", x->name, ir_shape_str(g, x));
    if (y->dtype != IR_I64 || y->rank != 1 || y->dims[0] != x->dims[0] || y->time != IR_STATIC)
        return ERR(g, n, d, "labels '%s' must be static int64 of shape [N]", y->name);
    return set_out(g, n, 0, IR_F32, IR_STATIC, 0, NULL, false, d);
}

static bool infer_node(struct ir_graph *g, struct ir_node *n, struct diag *d)
{
    switch (n->op) {
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
        return infer_gemm(g, n, d);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
        return infer_binary(g, n, d);
    case IR_OP_RELU:
    case IR_OP_IDENTITY:
        return infer_same(g, n, d);
    case IR_OP_FLATTEN:
        return infer_flatten(g, n, d);
    case IR_OP_RESHAPE:
        return infer_reshape(g, n, d);
    case IR_OP_CONV:
        return infer_conv(g, n, d);
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
        return infer_pool(g, n, d);
    case IR_OP_LEAKY:
    case IR_OP_SYNAPTIC:
    case IR_OP_MS_LEAKY:
        return infer_neuron(g, n, d);
    case IR_OP_RATE_ENCODE:
    case IR_OP_LATENCY_ENCODE:
        return infer_encoder(g, n, d);
    case IR_OP_SPIKE_COUNT:
        return want_temporal(g, n, d) &&
               set_out(g, n, 0, IR_F32, IR_STATIC, n->in[0]->rank, n->in[0]->dims, n->in[0]->batched, d);
    case IR_OP_PREDICT:
        if (!want_temporal(g, n, d))
            return false;
        if (n->in[0]->rank != 2 || !n->in[0]->batched)
            return ERR(g, n, d, "input '%s' has shape %s; expected [N, classes]", n->in[0]->name,
                       ir_shape_str(g, n->in[0]));
        return set_out(g, n, 0, IR_I64, IR_STATIC, 1, n->in[0]->dims, true, d);
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS:
        return infer_loss(g, n, d);
    case IR_OP_COUNT:
        break;
    }
    return ERR(g, n, d, "no shape rule");
}

bool infer_shapes(struct ir_graph *g, struct diag *d)
{
    for (int i = 0; i < g->nnodes; i++)
        if (!infer_node(g, g->nodes[i], d))
            return false;
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        n->time = IR_STATIC;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] && n->out[k]->time == IR_TEMPORAL)
                n->time = IR_TEMPORAL;
        if (ir_op_has(n->op, OPF_REDUCE))
            n->time = IR_TEMPORAL; /* runs inside the loop */
    }
    return true;
}
