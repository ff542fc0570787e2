/* autodiff.c - reverse-mode BPTT: builds the gradient graph (SPEC section 4).
 *
 * Takes: the unrolled forward graph with its loss. Gives: backward nodes in
 * execution order (after-loop nodes, then the step body run for t = T-1
 * down to 0, then the once-per-sample nodes), gradient values, and the
 * forward values backward reads marked `saved`.
 * Holds: a backward node's inputs are the gradients of its forward node's
 * outputs, its outputs the gradients of the forward inputs that need one;
 * gradients flow only along paths from trainable parameters to the loss.
 * Gradients of static values are summed over all steps; a neuron's
 * gradient through its own state is carried between steps in an aux value
 * of its backward node; the reset term and r[t] are detached.
 */
#include "pipeline.h"

#include <string.h>

/* Does a gradient pass from input `slot` of op to its outputs? */
static bool differentiable(const struct ir_node *n, int slot)
{
    switch (n->op) {
    case IR_OP_RATE_ENCODE:
    case IR_OP_LATENCY_ENCODE:
    case IR_OP_PREDICT:
        return false;
    case IR_OP_RESHAPE:
        return slot == 0;
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS:
        return slot == 0;
    case IR_OP_SYNAPTIC:
    case IR_OP_MS_LEAKY:
        return slot == 0;
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_RELU:
    case IR_OP_FLATTEN:
    case IR_OP_IDENTITY:
    case IR_OP_CONV:
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
    case IR_OP_LEAKY:
    case IR_OP_SPIKE_COUNT:
    case IR_OP_COUNT:
        return true;
    }
    return true;
}

/* need[v]: v depends on a trainable parameter and the loss depends on v. */
static void mark_needed(struct ir_graph *g, bool *need)
{
    bool *from_param = arena_array(g->arena, (size_t)g->nvalues, sizeof *from_param);
    for (int i = 0; i < g->nparams; i++)
        from_param[g->params[i]->id] = g->params[i]->trainable;
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        bool any = false;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] && from_param[n->in[k]->id] && differentiable(n, k))
                any = true;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k])
                from_param[n->out[k]->id] = any;
    }
    bool *to_loss = arena_array(g->arena, (size_t)g->nvalues, sizeof *to_loss);
    to_loss[g->loss->out[0]->id] = true;
    for (int i = g->nnodes - 1; i >= 0; i--) {
        struct ir_node *n = g->nodes[i];
        bool any = false;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] && to_loss[n->out[k]->id])
                any = true;
        if (!any)
            continue;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] && differentiable(n, k))
                to_loss[n->in[k]->id] = true;
    }
    for (int i = 0; i < g->nvalues; i++)
        need[i] = from_param[i] && to_loss[i];
}

static struct ir_value *grad_of(struct ir_graph *g, struct ir_value *v)
{
    if (v->grad)
        return v->grad;
    struct ir_value *gv = ir_value_new(g, arena_printf(g->arena, "d/%s", v->name));
    gv->cname = ir_cname(g, "d_", v->name);
    gv->dtype = IR_F32;
    gv->time = v->time;
    gv->batched = v->batched;
    gv->grad_of = v;
    ir_value_set_shape(gv, v->rank, v->dims);
    v->grad = gv;
    if (v->alias) /* the gradient of a reshaped value is the reshaped gradient */
        gv->alias = grad_of(g, v->alias);
    return gv;
}

static void save(struct ir_value *v)
{
    if (v)
        ir_root(v)->saved = true, v->saved = true;
}

/* Forward values the backward b of n reads (ir_bwd_reads says which). */
static void mark_saved(struct ir_node *n, struct ir_node *b)
{
    for (int k = 0; k < n->nin + n->nout; k++)
        if (ir_bwd_reads(b, k))
            save(k < n->nin ? n->in[k] : n->out[k - n->nin]);
}

static void build_grad(struct ir_graph *g, struct ir_node *n, const bool *need)
{
    bool any_in = false, any_out = false;
    for (int k = 0; k < n->nin; k++)
        if (n->in[k] && need[n->in[k]->id] && differentiable(n, k))
            any_in = true;
    for (int k = 0; k < n->nout; k++)
        if (n->out[k] && (n->out[k]->grad || n == g->loss))
            any_out = true;
    if (!any_in || !any_out)
        return;
    if (ir_op_has(n->op, OPF_ALIAS)) { /* gradient shares storage: nothing to run */
        grad_of(g, n->in[0]);
        return;
    }
    struct ir_node *b = ir_bwd_new(g, n);
    b->nin = n->nout;
    b->nout = n->nin;
    for (int k = 0; k < n->nout; k++)
        b->in[k] = n->out[k] ? n->out[k]->grad : NULL;
    for (int k = 0; k < n->nin; k++)
        if (n->in[k] && need[n->in[k]->id] && differentiable(n, k))
            b->out[k] = grad_of(g, n->in[k]);
    if (n->op == IR_OP_MAXPOOL && b->out[0]) { /* each maximum's input offset, exact as a float */
        n->argmax = ir_node_value(g, n, "argmax", n->out[0]);
        n->argmax->saved = true;
    }
    mark_saved(n, b);
    switch (n->op) { /* state carried backwards through time */
    case IR_OP_LEAKY:
    case IR_OP_MS_LEAKY:
        ir_aux_new(g, b, "carry", n->in[0]);
        break;
    case IR_OP_SYNAPTIC:
        ir_aux_new(g, b, "carry", n->in[0]);
        ir_aux_new(g, b, "carry_syn", n->in[0]);
        break;
    default:
        break;
    }
}

bool autodiff_build(struct ir_graph *g, struct diag *d)
{
    if (!g->loss)
        return diag_error(d, "%s: the model has no loss node; a training model needs exactly one "
                          "(SPEC section 6)", g->file);
    if (g->loss->out[0]->output_index < 0)
        return diag_error(d, "%s: node '%s' (snn.%s): the loss '%s' must be a graph output", g->file,
                          g->loss->name, ir_op_name(g->loss->op), g->loss->out[0]->name);
    bool *need = arena_array(g->arena, (size_t)g->nvalues, sizeof *need);
    mark_needed(g, need);
    static const enum ir_phase order[] = {IR_PH_AFTER, IR_PH_STEP, IR_PH_ONCE};
    for (int p = 0; p < 3; p++)
        for (int i = g->nnodes - 1; i >= 0; i--)
            if (g->nodes[i]->phase == order[p] && !g->nodes[i]->dead)
                build_grad(g, g->nodes[i], need);
    for (int i = 0; i < g->nparams; i++)
        if (g->params[i]->trainable && !g->params[i]->grad)
            grad_of(g, g->params[i]); /* unused parameter: its gradient is zero */
    return true;
}
