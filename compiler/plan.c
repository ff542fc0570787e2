/* plan.c - static memory planning: kernel forms, schedule, storage,
 * liveness, offsets.
 *
 * Takes: the graph after autodiff (or prune, for inference). Gives: each
 * dense product its form (event-driven when its input is spikes) and the
 * re-laid-out weights it needs; spike values that only such kernels read a
 * 1-bit copy (the BPTT tape keeps 1 bit per spike, not a float); whether
 * each time loop runs in chunks of batch rows (chunk_fwd, chunk_bwd); the
 * neurons whose membrane backward recomputes from checkpoints; the Convs
 * that compute the MaxPool after them in the same kernel; each live
 * node a schedule position; each value a storage class (once, per step,
 * record of T steps, or extern) and, for arena values, an offset in one
 * float arena whose size is g->arena_floats.
 * Holds: two arena values whose live intervals overlap never overlap in
 * memory; a value read or written inside a time loop and not per-step
 * stays live for the whole loop, and so does every value of a chunked
 * loop; temporal values that backward reads or that are graph outputs are
 * records (as bits when every reader takes bits); graph outputs stay live
 * to the end.
 */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN_FLOATS 16 /* 64 bytes: a cache line, and room for any vector width */

struct sched {
    int l1b, l1e, l2b, l2e, end;
};

/* ---------------------------------------------------------------- forms */

static bool is_dense(const struct ir_node *n)
{
    return n->op == IR_OP_GEMM || n->op == IR_OP_MATMUL;
}

static bool trans_b(const struct ir_node *n)
{
    return n->op == IR_OP_GEMM && n->at.trans_b;
}

/* A row length for re-laid-out weights: whole 64-byte lines, and not a
 * multiple of 512 floats, whose rows would all fall in the same cache sets. */
static int pad_row(int64_t n)
{
    int64_t p = (n + 15) / 16 * 16;
    if (p % 512 == 0)
        p += 16;
    return (int)p;
}

static struct ir_value *scratch(struct ir_graph *g, struct ir_node *n, const char *what, int64_t rows,
                                int64_t cols)
{
    struct ir_value *v = ir_node_value(g, n, what, NULL);
    int64_t dims[2] = {rows, cols};
    ir_value_set_shape(v, 2, dims);
    return v;
}

/* Spikes (SPEC sections 4, 5): neuron and encoder outputs, and what
 * MaxPool and the aliasing ops pass on unchanged. */
static void mark_spikes(struct ir_graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        struct ir_value *o = n->out[0], *a = n->nin ? ir_root(n->in[0]) : NULL;
        if (n->dead || !o)
            continue;
        if (n->op == IR_OP_MS_LEAKY) { /* integer strengths */
            o->spike = true;
        } else if (ir_op_has(n->op, OPF_NEURON) || ir_op_has(n->op, OPF_ENCODER)) {
            o->spike = o->binary = true;
        } else if (ir_op_has(n->op, OPF_ALIAS) || n->op == IR_OP_MAXPOOL) {
            o->spike = a && a->spike;
            o->binary = a && a->binary;
        }
    }
}

/* Does node n read input slot k as bits when its root has them? Only the
 * event-driven dense kernels do; everything else reads floats. */
static bool reads_bits(const struct ir_node *n, int k)
{
    return is_dense(n) && k == 0 && n->event;
}

/* Kernel forms of the dense products and the weight copies they need. */
static void choose_dense(struct ir_graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        if (n->dead || !is_dense(n))
            continue;
        struct ir_value *a = n->in[0], *w = n->in[1];
        /* a spike input: only the weight rows of inputs that fired are added */
        n->event = ir_root(a)->spike && a->time == IR_TEMPORAL && a->batched;
        if (trans_b(n)) { /* rows [K][O] for y = x W^T: a transposed copy */
            n->ldw = pad_row(w->dims[0]);
            n->wcopy = scratch(g, n, "wrows", w->dims[1], n->ldw);
            n->wcopy_once = !g->training && (w->role == IR_ROLE_PARAM || w->role == IR_ROLE_CONST);
        }
    }
    for (int i = 0; g->training && i < g->nbwd; i++) {
        struct ir_node *b = g->bwd[i], *f = b->fwd;
        if (!is_dense(f))
            continue;
        struct ir_value *w = f->in[1];
        if (b->out[0] && !trans_b(f)) { /* dx = dy W^T with W [K][O]: rows [O][K] */
            b->ldw = pad_row(w->dims[0]);
            b->wcopy = scratch(g, b, "wcols", w->dims[1], b->ldw);
        }
        if (b->out[1] && f->event && trans_b(f)) { /* events add rows of dW^T */
            b->ldw = pad_row(w->dims[0]);
            b->dwcopy = scratch(g, b, "dwrows", w->dims[1], b->ldw);
        }
    }
}

/* Who reads value r (a root): graph outputs, forward kernels and backward
 * kernels, as floats or as bits. */
struct readers {
    bool output, bit_fwd, float_fwd, bit_bwd, float_bwd;
};

static struct readers find_readers(struct ir_graph *g, struct ir_value *r)
{
    struct readers rd = {0};
    for (int k = 0; k < g->nvalues; k++)
        if (ir_root(g->values[k]) == r && g->values[k]->output_index >= 0)
            rd.output = true;
    for (int j = 0; j < g->nnodes; j++) {
        struct ir_node *n = g->nodes[j];
        for (int k = 0; !n->dead && k < n->nin; k++)
            if (n->in[k] && ir_root(n->in[k]) == r) {
                if (reads_bits(n, k))
                    rd.bit_fwd = true;
                else
                    rd.float_fwd = true;
            }
    }
    for (int j = 0; g->training && j < g->nbwd; j++) {
        struct ir_node *b = g->bwd[j], *f = b->fwd;
        for (int k = 0; k < f->nin + f->nout; k++) {
            struct ir_value *v = k < f->nin ? f->in[k] : f->out[k - f->nin];
            if (!v || ir_root(v) != r || !ir_bwd_reads(b, k))
                continue;
            if (k < f->nin && reads_bits(f, k))
                rd.bit_bwd = true;
            else
                rd.float_bwd = true;
        }
    }
    return rd;
}

/* Binary spikes whose readers all take bits keep a 1-bit copy instead of
 * floats: per step for forward readers, a record of T steps (the tape)
 * when backward reads it. A value some other kernel reads from backward
 * stays a float record. Neuron outputs nobody reads are not written at
 * all, and records only the caller reads are written past the cache. */
static void choose_bits(struct ir_graph *g)
{
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *r = g->values[i];
        if (r->alias || r->time != IR_TEMPORAL || !r->batched || r->role != IR_ROLE_ACT || !r->producer ||
            r->producer_slot < 0 || r->dims[0] <= 0) /* node outputs, not scratch */
            continue;
        struct readers rd = find_readers(g, r);
        bool neuron = r->producer->op == IR_OP_LEAKY || r->producer->op == IR_OP_SYNAPTIC ||
                      r->producer->op == IR_OP_MS_LEAKY;
        r->write_only = neuron && rd.output && !rd.float_fwd && !rd.float_bwd;
        if (neuron && !rd.output && !rd.float_fwd && !rd.float_bwd && !rd.bit_fwd && !rd.bit_bwd)
            r->no_float = true; /* nobody reads it */
        if (!r->binary || rd.float_bwd || !(rd.bit_fwd || rd.bit_bwd))
            continue;
        int64_t m = (int64_t)(r->numel / (size_t)r->dims[0]), words = (m + 63) / 64;
        struct ir_value *b = ir_value_new(g, arena_printf(g->arena, "%s:bits", r->name));
        b->cname = ir_cname(g, "b_", r->name);
        b->dtype = IR_F32; /* uint64 words, two floats' room each */
        b->time = IR_TEMPORAL;
        b->batched = true;
        int64_t dims[2] = {r->dims[0], words * 2};
        ir_value_set_shape(b, 2, dims);
        b->producer = r->producer;
        b->producer_slot = -1;
        b->saved = rd.bit_bwd;
        r->bits = b;
        /* backward reads the bits, not the floats */
        for (int k = 0; k < g->nvalues; k++)
            if (ir_root(g->values[k]) == r)
                g->values[k]->saved = false;
        /* neurons write the bits themselves; other producers write floats
         * that a packing kernel turns into bits */
        r->no_float = !rd.output && !rd.float_fwd && (r->producer->op == IR_OP_LEAKY ||
                                                       r->producer->op == IR_OP_SYNAPTIC);
    }
}

/* ---------------------------------------------------------------- chunks */

static bool rowwise(const struct ir_graph *g, const struct ir_value *v)
{
    return v && v->batched && v->dims[0] == g->set.batch_size;
}

/* Does forward node n's step kernel work row by row of the batch (row n of
 * its outputs from row n of its inputs, and static values)? */
static bool rows_fwd(const struct ir_graph *g, const struct ir_node *n)
{
    switch (n->op) {
    case IR_OP_LEAKY:
    case IR_OP_SYNAPTIC:
    case IR_OP_MS_LEAKY:
    case IR_OP_LATENCY_ENCODE:
    case IR_OP_SPIKE_COUNT:
    case IR_OP_PREDICT:
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS:
        return rowwise(g, n->in[0]);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_RELU:
        return rowwise(g, n->out[0]);
    case IR_OP_FLATTEN:
    case IR_OP_RESHAPE:
    case IR_OP_IDENTITY:
        return rowwise(g, n->in[0]) && rowwise(g, n->out[0]);
    case IR_OP_RATE_ENCODE: /* one generator, drawn in order */
    case IR_OP_CONV:
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
    case IR_OP_COUNT:
        break;
    }
    return false;
}

/* The same for a backward node; a step product's weight and bias
 * gradients, sums over rows, are deferred to after the reverse loop. */
static bool rows_bwd(const struct ir_graph *g, const struct ir_node *b)
{
    const struct ir_node *f = b->fwd;
    switch (f->op) {
    case IR_OP_LEAKY: /* a learnable beta or threshold sums over rows */
        return rowwise(g, f->in[0]) && !b->out[1] && !b->out[2];
    case IR_OP_SYNAPTIC:
    case IR_OP_MS_LEAKY:
    case IR_OP_SPIKE_COUNT:
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS:
        return rowwise(g, f->in[0]);
    case IR_OP_RELU:
        return rowwise(g, f->out[0]);
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
        for (int k = 0; k < 2; k++) /* a broadcast input's gradient sums over rows */
            if (b->out[k] && b->out[k]->numel != f->out[0]->numel)
                return false;
        return rowwise(g, f->out[0]);
    case IR_OP_FLATTEN:
    case IR_OP_RESHAPE:
    case IR_OP_IDENTITY:
    case IR_OP_RATE_ENCODE:
    case IR_OP_LATENCY_ENCODE:
    case IR_OP_PREDICT:
    case IR_OP_CONV:
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL:
    case IR_OP_COUNT:
        break;
    }
    return false;
}

#define BIG_WEIGHTS (1u << 20) /* bytes: about the L2 cache of one core */

static void choose_chunks(struct ir_graph *g)
{
    int n = g->set.batch_size, r = 1;
    for (int d = 1; d <= n / 16; d++) /* some 16 chunks: work for every thread */
        if (n % d == 0)
            r = d;
    g->chunk_rows = r;
    bool fwd = n > 1, bwd = n > 1 && g->training, steps = false;
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *f = g->nodes[i];
        if (f->dead || f->phase != IR_PH_STEP)
            continue;
        steps = true;
        fwd = fwd && rows_fwd(g, f);
        /* a product whose weights do not stay in cache reads them once per
         * step for the whole batch, not once per chunk */
        if (is_dense(f) && f->in[1]->numel * sizeof(float) > BIG_WEIGHTS)
            fwd = false;
    }
    for (int i = 0; bwd && i < g->nbwd; i++) {
        struct ir_node *b = g->bwd[i];
        if (b->phase != IR_PH_STEP)
            continue;
        bwd = rows_bwd(g, b);
        if (is_dense(b->fwd) && b->out[0] && b->fwd->in[1]->numel * sizeof(float) > BIG_WEIGHTS)
            bwd = false;
    }
    g->chunk_fwd = fwd && steps;
    g->chunk_bwd = bwd && steps;
    /* a loss summed over the batch at every step: each row's share is kept
     * and summed after the loop, in the order of the whole-batch code */
    for (int i = 0; g->chunk_fwd && i < g->nnodes; i++) {
        struct ir_node *f = g->nodes[i];
        if (f->dead || (f->op != IR_OP_CE_MEMBRANE_LOSS && f->op != IR_OP_CE_RATE_LOSS &&
                        f->op != IR_OP_MSE_MEMBRANE_LOSS))
            continue;
        struct ir_value *v = ir_aux_new(g, f, "terms", f->in[0]);
        if (f->op != IR_OP_MSE_MEMBRANE_LOSS) { /* one per row */
            int64_t dims[1] = {f->in[0]->dims[0]};
            ir_value_set_shape(v, 1, dims);
        }
        v->time = IR_TEMPORAL;
        v->saved = true; /* a record of T steps */
    }
    /* a step product's weight gradient: from the records of dy and x */
    for (int i = 0; g->chunk_bwd && i < g->nbwd; i++) {
        struct ir_node *b = g->bwd[i];
        if (b->phase != IR_PH_STEP || !is_dense(b->fwd) || (!b->out[1] && !b->out[2]))
            continue;
        b->deferred = true; /* x is saved already: dW needs it in any case */
        ir_root(b->in[0])->saved = true;
    }
}

/* A Leaky neuron of static input (a hoisted projection: the first layer of
 * direct input) need not record its membrane for backward: it is
 * recomputed, bit for bit, segment by segment from checkpoints kept every
 * seg steps, in the cache of the chunk that needs it. Only the plain case:
 * subtract or no reset, constant beta and threshold, chunked backward, a
 * membrane nobody else reads. */
static void choose_recompute(struct ir_graph *g)
{
    int T = g->set.num_steps, seg = 1;
    while (seg * seg < T)
        seg++;
    if (!g->training || !g->chunk_bwd || T < 4)
        return;
    for (int i = 0; i < g->nbwd; i++) {
        struct ir_node *b = g->bwd[i], *n = b->fwd;
        struct ir_value *mem = n->out[1];
        if (n->op != IR_OP_LEAKY || n->in[0]->time != IR_STATIC || !rowwise(g, n->in[0]) || !mem ||
            n->at.reset == IR_RESET_ZERO || b->out[1] || b->out[2] || b->phase != IR_PH_STEP)
            continue;
        struct readers rd = find_readers(g, mem);
        if (rd.output || rd.float_fwd || rd.bit_fwd || rd.bit_bwd)
            continue;
        bool other = false; /* a backward reading it other than the neuron's own */
        for (int j = 0; j < g->nbwd; j++)
            for (int k = 0; k < g->bwd[j]->fwd->nin + g->bwd[j]->fwd->nout; k++) {
                struct ir_node *f = g->bwd[j]->fwd;
                struct ir_value *v = k < f->nin ? f->in[k] : f->out[k - f->nin];
                if (v && ir_root(v) == mem && ir_bwd_reads(g->bwd[j], k) && f != n)
                    other = true;
            }
        if (other)
            continue;
        int64_t nm = (int64_t)mem->numel, nseg = (T + seg - 1) / seg;
        n->seg = seg;
        n->ckpt = scratch(g, n, "ckpt", nseg - 1, nm);
        n->segbuf = scratch(g, b, "segment", seg, nm);
        mem->no_float = true;
    }
}

/* A Conv whose output nothing but one MaxPool of tiling windows reads
 * computes that pool in its own kernel (ir.h): its output, and in
 * training the gradient of it that the pool's backward would write, are
 * not kept. */
static void choose_conv_pool(struct ir_graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i], *m = NULL, *bm = NULL, *bn = NULL;
        struct ir_value *c = n->out[0];
        if (n->dead || n->op != IR_OP_CONV || ir_root(c) != c)
            continue;
        int readers = 0;
        for (int j = 0; j < g->nnodes; j++)
            for (int k = 0; !g->nodes[j]->dead && k < g->nodes[j]->nin; k++)
                if (g->nodes[j]->in[k] && ir_root(g->nodes[j]->in[k]) == c)
                    m = g->nodes[j], readers++;
        struct readers rd = find_readers(g, c);
        if (readers != 1 || rd.output || rd.float_bwd || rd.bit_bwd || m->op != IR_OP_MAXPOOL ||
            m->phase != n->phase || !ir_pool_tiles(m))
            continue;
        for (int j = 0; g->training && j < g->nbwd; j++) {
            if (g->bwd[j]->fwd == m)
                bm = g->bwd[j];
            if (g->bwd[j]->fwd == n)
                bn = g->bwd[j];
        }
        /* backward: the pool's gradient must flow to the conv's alone */
        struct ir_value *dc = bm ? bm->out[0] : NULL;
        if ((bm || bn) && (!bm || !bn || !dc || !m->argmax || !bm->in[0] || ir_root(dc) != ir_root(bn->in[0])))
            continue;
        n->pool = m;
        n->pool_dy = bm ? bm->in[0] : NULL;
        m->fused = true;
        c->no_float = true;
        if (dc)
            ir_root(dc)->no_float = true;
    }
}

static void choose_forms(struct ir_graph *g)
{
    if (g->formed)
        return;
    g->formed = true;
    mark_spikes(g);
    choose_dense(g);
    choose_bits(g);
    choose_chunks(g);
    choose_recompute(g);
    choose_conv_pool(g);
}

/* ---------------------------------------------------------------- liveness */

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
    for (int i = 0; i < g->nvalues; i++)
        if (g->values[i]->no_float)
            g->values[i]->storage = IR_ST_NONE;
}

/* A scratch value of node n used through n's phase: the whole loop for a
 * step node (copies are made before the loop, and a weight gradient
 * accumulated by events is finished right after it). */
static void touch_phase(struct ir_value *v, const struct ir_node *n, const struct sched *s)
{
    if (n->phase == IR_PH_STEP) {
        touch(v, n->fwd ? s->l2b : s->l1b);
        touch(v, n->fwd ? s->l2e : s->l1e);
    }
    touch(v, n->pos);
}

static void touch_node(struct ir_node *n, const struct sched *s)
{
    int p = n->pos;
    bool step = n->phase == IR_PH_STEP;
    /* bit copies of spikes: written with their floats, read by event kernels */
    for (int k = 0; k < n->nin; k++) {
        touch(n->in[k], p);
        if (n->in[k] && !n->fwd)
            touch(ir_root(n->in[k])->bits, p);
    }
    for (int k = 0; k < n->nout; k++) {
        struct ir_value *o = n->out[k];
        /* a step node's static output is an accumulator: set up before the
         * loop, finished after it */
        if (o && step && o->time == IR_STATIC && !n->fwd) {
            touch(o, s->l1b);
            touch(o, s->l1e);
        }
        touch(o, p);
        if (o && !n->fwd)
            touch(ir_root(o)->bits, p);
    }
    for (int k = 0; k < n->naux; k++)
        touch_phase(n->aux[k], n, s);
    if (n->argmax) /* written with the pool's output */
        touch(n->argmax, p);
    if (n->pool) { /* a Conv writes its pool's outputs */
        touch(n->pool->out[0], p);
        touch(n->pool->argmax, p);
    }
    /* re-laid-out weights; inference copies its constant weights once and
     * keeps them */
    if (n->wcopy) {
        touch_phase(n->wcopy, n, s);
        if (n->wcopy_once) {
            touch(n->wcopy, 0);
            touch(n->wcopy, s->end);
        }
    }
    if (n->dwcopy)
        touch_phase(n->dwcopy, n, s);
    if (!n->fwd && n->ckpt) /* written in the forward loop, read in the reverse one */
        touch_phase(n->ckpt, n, s);
    if (n->fwd && n->fwd->ckpt) { /* the recomputation reads the input again */
        touch_phase(n->fwd->ckpt, n, s);
        touch_phase(n->fwd->segbuf, n, s);
        touch_phase(n->fwd->in[0], n, s);
    }
    if (n->fwd) { /* what backward reads of the forward pass */
        struct ir_node *f = n->fwd;
        for (int k = 0; k < f->nin; k++) {
            if (f->in[k] && f->in[k]->saved)
                touch(f->in[k], p);
            if (f->in[k] && ir_root(f->in[k])->bits && ir_root(f->in[k])->bits->saved)
                touch(ir_root(f->in[k])->bits, p);
        }
        for (int k = 0; k < f->nout; k++)
            if (f->out[k] && f->out[k]->saved)
                touch(f->out[k], p);
        for (int k = 0; k < f->naux; k++)
            touch(f->aux[k], p);
        if (f->argmax)
            touch(f->argmax, p);
        if (f->pool) { /* and its backward reads the pool's gradient and maxima */
            touch(f->pool_dy, p);
            touch(f->pool->argmax, p);
        }
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
        if (v->alias || v->first < 0)
            continue;
        /* not per-step: whatever a loop touches lives through the whole loop;
         * per-step values too when chunks of rows run the loop each at its
         * own pace */
        bool step = v->storage == IR_ST_STEP;
        if ((!step || g->chunk_fwd) &&
            (in_loop(v->first, s->l1b, s->l1e) || in_loop(v->last, s->l1b, s->l1e) ||
             (v->first < s->l1b && v->last > s->l1e))) {
            if (v->first > s->l1b)
                v->first = s->l1b;
            if (v->last < s->l1e)
                v->last = s->l1e;
        }
        if ((!step || g->chunk_bwd) && s->l2b >= 0 &&
            (in_loop(v->first, s->l2b, s->l2e) || in_loop(v->last, s->l2b, s->l2e))) {
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
    choose_forms(g);
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
