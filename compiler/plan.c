/* plan.c - static memory planning: schedule, storage, liveness, offsets.
 *
 * Takes: the graph after autodiff (or prune, for inference). Gives: each
 * live node a schedule position; each value a storage class (once, per
 * step, record of T steps, or extern) and, for arena values, an offset in
 * one float arena whose size is g->arena_floats.
 * Holds: two arena values whose live intervals overlap never overlap in
 * memory; a value read or written inside a time loop and not per-step
 * stays live for the whole loop; temporal values that backward reads or
 * that are graph outputs are records; graph outputs stay live to the end.
 */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN_FLOATS 16 /* 64 bytes: a cache line, and room for any vector width */

struct sched {
    int l1b, l1e, l2b, l2e, end;
};

static void touch(struct ir_value *v, int pos)
{
    if (!v)
        return;
    v = ir_root(v);
    if (v->first < 0 || pos < v->first)
        v->first = pos;
    if (pos > v->last)
        v->last = pos;
    v->nuses++;
}

static bool in_loop(int pos, int b, int e)
{
    return b >= 0 && pos >= b && pos <= e;
}

static void place_schedule(struct ir_graph *g, struct sched *s)
{
    int pos = 0;
    static const enum ir_phase fwd_order[] = {IR_PH_ONCE, IR_PH_STEP, IR_PH_AFTER};
    s->l2b = s->l2e = -1;
    for (int p = 0; p < 3; p++) {
        if (fwd_order[p] == IR_PH_STEP)
            s->l1b = pos++;
        for (int i = 0; i < g->nnodes; i++)
            if (!g->nodes[i]->dead && g->nodes[i]->phase == fwd_order[p])
                g->nodes[i]->pos = pos++;
        if (fwd_order[p] == IR_PH_STEP)
            s->l1e = pos++;
    }
    static const enum ir_phase bwd_order[] = {IR_PH_AFTER, IR_PH_STEP, IR_PH_ONCE};
    for (int p = 0; g->training && p < 3; p++) {
        if (bwd_order[p] == IR_PH_STEP)
            s->l2b = pos++;
        for (int i = 0; i < g->nbwd; i++)
            if (g->bwd[i]->phase == bwd_order[p])
                g->bwd[i]->pos = pos++;
        if (bwd_order[p] == IR_PH_STEP)
            s->l2e = pos++;
    }
    s->end = pos;
}

static void choose_storage(struct ir_graph *g)
{
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        v->first = v->last = -1;
        v->nuses = 0;
        if (v->alias)
            v->storage = IR_ST_NONE;
        else if (v->role != IR_ROLE_ACT || v->dtype == IR_I64 ||
                 (v->grad_of && v->grad_of->role == IR_ROLE_PARAM))
            v->storage = IR_ST_EXTERN;
        else if (v->time == IR_STATIC)
            v->storage = IR_ST_ONCE;
        else
            v->storage = IR_ST_STEP;
    }
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i], *r = ir_root(v);
        if (r->storage == IR_ST_STEP && (v->saved || v->output_index >= 0))
            r->storage = IR_ST_RECORD;
    }
}

static void touch_node(struct ir_node *n, const struct sched *s)
{
    int p = n->pos;
    bool step = n->phase == IR_PH_STEP;
    for (int k = 0; k < n->nin; k++)
        touch(n->in[k], p);
    for (int k = 0; k < n->nout; k++) {
        struct ir_value *o = n->out[k];
        /* a step node's static output is an accumulator: set up before the
         * loop, finished after it */
        if (o && step && o->time == IR_STATIC && !n->fwd) {
            touch(o, s->l1b);
            touch(o, s->l1e);
        }
        touch(o, p);
    }
    for (int k = 0; k < n->naux; k++) {
        if (step) {
            touch(n->aux[k], n->fwd ? s->l2b : s->l1b);
            touch(n->aux[k], n->fwd ? s->l2e : s->l1e);
        }
        touch(n->aux[k], p);
    }
    if (n->fwd) { /* what backward reads of the forward pass */
        struct ir_node *f = n->fwd;
        for (int k = 0; k < f->nin; k++)
            if (f->in[k] && f->in[k]->saved)
                touch(f->in[k], p);
        for (int k = 0; k < f->nout; k++)
            if (f->out[k] && f->out[k]->saved)
                touch(f->out[k], p);
        for (int k = 0; k < f->naux; k++)
            touch(f->aux[k], p);
    }
}

static void compute_liveness(struct ir_graph *g, const struct sched *s)
{
    for (int i = 0; i < g->nnodes; i++)
        if (!g->nodes[i]->dead)
            touch_node(g->nodes[i], s);
    for (int i = 0; g->training && i < g->nbwd; i++)
        touch_node(g->bwd[i], s);
    for (int i = 0; i < g->noutputs; i++)
        touch(g->outputs[i], s->end);
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        if (v->alias || v->first < 0 || v->storage == IR_ST_STEP)
            continue;
        /* not per-step: whatever a loop touches lives through the whole loop */
        if (in_loop(v->first, s->l1b, s->l1e) || in_loop(v->last, s->l1b, s->l1e) ||
            (v->first < s->l1b && v->last > s->l1e)) {
            if (v->first > s->l1b)
                v->first = s->l1b;
            if (v->last < s->l1e)
                v->last = s->l1e;
        }
        if (s->l2b >= 0 && (in_loop(v->first, s->l2b, s->l2e) || in_loop(v->last, s->l2b, s->l2e))) {
            if (v->first > s->l2b)
                v->first = s->l2b;
            if (v->last < s->l2e)
                v->last = s->l2e;
        }
    }
}

static int by_size_desc(const void *a, const void *b)
{
    const struct ir_value *x = *(struct ir_value *const *)a, *y = *(struct ir_value *const *)b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->id - y->id; /* deterministic output */
}

static bool overlaps(const struct ir_value *a, const struct ir_value *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* First fit, largest first: each value goes to the lowest offset where it
 * collides with no placed value live at the same time. */
static void assign_offsets(struct ir_graph *g)
{
    struct ir_value **list = arena_array(g->arena, (size_t)g->nvalues + 1, sizeof *list);
    int n = 0;
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        if (v->alias || v->first < 0 || v->storage == IR_ST_EXTERN || v->storage == IR_ST_NONE) {
            if (!v->alias && v->storage != IR_ST_EXTERN)
                v->storage = IR_ST_NONE;
            continue;
        }
        size_t sz = ir_storage_floats(g, v);
        if (v->dtype == IR_I64)
            sz *= 2; /* an int64 takes the room of two floats */
        v->size = (sz + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        list[n++] = v;
    }
    qsort(list, (size_t)n, sizeof *list, by_size_desc);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        struct ir_value *v = list[i];
        size_t off = 0;
        for (bool moved = true; moved;) {
            moved = false;
            for (int k = 0; k < i; k++) {
                struct ir_value *p = list[k];
                if (overlaps(v, p) && off < p->offset + p->size && p->offset < off + v->size) {
                    off = p->offset + p->size;
                    moved = true;
                }
            }
        }
        v->offset = off;
        if (off + v->size > total)
            total = off + v->size;
    }
    g->arena_floats = total;
}

bool plan_memory(struct ir_graph *g, struct diag *d)
{
    struct sched s;
    place_schedule(g, &s);
    choose_storage(g);
    compute_liveness(g, &s);
    assign_offsets(g);
    (void)d;
    return true;
}

/* For tests: true when no two arena values live at once share a float. */
bool plan_check(const struct ir_graph *g);
bool plan_check(const struct ir_graph *g)
{
    for (int i = 0; i < g->nvalues; i++) {
        const struct ir_value *a = g->values[i];
        if (a->alias || a->storage == IR_ST_EXTERN || a->storage == IR_ST_NONE)
            continue;
        if (a->offset + a->size > g->arena_floats)
            return false;
        for (int k = i + 1; k < g->nvalues; k++) {
            const struct ir_value *b = g->values[k];
            if (b->alias || b->storage == IR_ST_EXTERN || b->storage == IR_ST_NONE)
                continue;
            if (overlaps(a, b) && a->offset < b->offset + b->size && b->offset < a->offset + a->size)
                return false;
        }
    }
    return true;
}
