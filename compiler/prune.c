/* prune.c - dead-code elimination.
 *
 * Takes: the unrolled graph and whether backward code is wanted. Gives:
 * nodes marked dead when no graph output depends on them; for inference,
 * the loss output is dropped first, so the loss and whatever only the loss
 * needs (labels, loss accumulators) disappear, and unused graph inputs
 * leave the API.
 * Holds: every live node's inputs are produced by live nodes, inputs,
 * parameters or constants; at least one graph output remains.
 */
#include "pipeline.h"

bool prune_dead(struct ir_graph *g, struct diag *d)
{
    if (!g->training) {
        bool keep[sizeof g->outputs / sizeof g->outputs[0]];
        for (int i = 0; i < g->noutputs; i++) {
            const struct ir_node *p = g->outputs[i]->producer;
            keep[i] = !(p && ir_op_has(p->op, OPF_LOSS));
        }
        g->loss = NULL;
        if (!ir_keep_outputs(g, keep))
            return diag_error(d, "%s: nothing is left for inference: the only graph output is the loss "
                              "(add a Predict or another output)", g->file);
    }
    bool *live = arena_array(g->arena, (size_t)g->nvalues, sizeof *live);
    for (int i = 0; i < g->noutputs; i++)
        live[g->outputs[i]->id] = true;
    for (int i = g->nnodes - 1; i >= 0; i--) {
        struct ir_node *n = g->nodes[i];
        bool any = false;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] && live[n->out[k]->id])
                any = true;
        n->dead = !any;
        if (!any)
            continue;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k])
                live[n->in[k]->id] = true;
    }
    int k = 0;
    for (int i = 0; i < g->ninputs; i++) {
        struct ir_value *v = g->inputs[i];
        if (!live[v->id] && !g->training) {
            v->input_index = -1;
            continue;
        }
        v->input_index = k;
        g->inputs[k++] = v;
    }
    g->ninputs = k;
    return true;
}
