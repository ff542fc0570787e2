/* unroll.c - lays the graph out in time (SPEC section 2).
 *
 * Takes: the inferred graph. Gives: each forward node's phase: ONCE (static
 * work, computed once per sample before the time loop: the hoisting of
 * static subgraphs), STEP (the body of the loop over t = 0..T-1, which the
 * emitted code runs T times: the unrolled network, without T copies of
 * code), or AFTER (static work on the results of time reductions).
 * Reductions and losses run in the loop, accumulating, and publish their
 * result after it. Shape-only ops (Flatten, Reshape, Identity) become
 * aliases of their input's storage.
 * Holds: no STEP node reads an AFTER value; a value and its alias have the
 * same time kind.
 */
#include "pipeline.h"

/* What a step node keeps from one step to the next, or from the loop to
 * after it: neuron states, encoder schedules, reduction accumulators, and
 * the loss's derivative for backward. */
static void add_state(struct ir_graph *g, struct ir_node *n)
{
    struct ir_value *x = n->in[0];
    switch (n->op) {
    case IR_OP_LEAKY:
    case IR_OP_MS_LEAKY:
        ir_aux_new(g, n, "u", x);
        break;
    case IR_OP_SYNAPTIC:
        ir_aux_new(g, n, "u", x);
        ir_aux_new(g, n, "syn", x);
        break;
    case IR_OP_LATENCY_ENCODE:
        ir_aux_new(g, n, "k", x);
        break;
    case IR_OP_PREDICT:
        ir_aux_new(g, n, "acc", x);
        break;
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
        ir_aux_new(g, n, "count", x);
        ir_aux_new(g, n, "dcount", x);
        break;
    case IR_OP_CE_MAX_MEM_LOSS:
        ir_aux_new(g, n, "max", x);
        ir_aux_new(g, n, "argmax", x);
        ir_aux_new(g, n, "dmax", x);
        break;
    case IR_OP_CE_TEMPORAL_LOSS:
        ir_aux_new(g, n, "first", x);
        ir_aux_new(g, n, "dfirst", x);
        break;
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_RELU:
    case IR_OP_FLATTEN:
    case IR_OP_RESHAPE:
    case IR_OP_IDENTITY:
    case IR_OP_CONV:
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
    case IR_OP_RATE_ENCODE:
    case IR_OP_SPIKE_COUNT:
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
    case IR_OP_COUNT:
        break;
    }
}

bool unroll_time(struct ir_graph *g, struct diag *d)
{
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        bool after = false;
        for (int k = 0; k < n->nin; k++) {
            struct ir_value *v = n->in[k];
            if (v && v->producer && (v->producer->phase == IR_PH_AFTER ||
                                     (ir_op_has(v->producer->op, OPF_REDUCE) && v->time == IR_STATIC)))
                after = true;
        }
        if (n->time == IR_TEMPORAL) {
            if (after)
                return diag_error(d, "%s: node '%s' (%s) runs at every time step but reads the result "
                                  "of a reduction over time, which exists only after the last step",
                                  g->file, n->name, ir_op_name(n->op));
            n->phase = IR_PH_STEP;
        } else {
            n->phase = after ? IR_PH_AFTER : IR_PH_ONCE;
        }
        add_state(g, n);
        if (ir_op_has(n->op, OPF_ALIAS) && n->out[0])
            n->out[0]->alias = n->in[0];
    }
    return true;
}
