/* ir.h - the intermediate representation every pass reads and rewrites.
 *
 * Takes: nothing; it defines the data. A graph holds values (tensors) and
 * nodes (ops). Forward nodes come from the model; backward nodes are added
 * by autodiff with the same structures, so planning and emission treat
 * them alike.
 * Holds: shapes are per time step with the batch substituted (dims[0] is
 * the batch of a batched value); a temporal value has one such tensor per
 * step. Everything is allocated from the graph's arena.
 */
#ifndef SNNC_COMPILER_IR_H
#define SNNC_COMPILER_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"

#define IR_MAX_RANK 8
#define IR_MAX_IN 4
#define IR_MAX_OUT 4

enum ir_op {
#define OP(e, name, dom, mi, ma, mo, xo, fl) IR_OP_##e,
#include "ops.def"
#undef OP
    IR_OP_COUNT
};

enum { OPF_NEURON = 1, OPF_ENCODER = 2, OPF_REDUCE = 4, OPF_LOSS = 8, OPF_ALIAS = 16 };

struct ir_op_info {
    const char *name, *domain;
    int min_in, max_in, min_out, max_out, flags;
};
extern const struct ir_op_info ir_op_table[IR_OP_COUNT];

enum ir_dtype { IR_F32, IR_I64 };
enum ir_time { IR_STATIC, IR_TEMPORAL };
enum ir_role { IR_ROLE_ACT, IR_ROLE_INPUT, IR_ROLE_PARAM, IR_ROLE_CONST };

/* Where a value lives at run time (decided by plan.c). */
enum ir_storage {
    IR_ST_NONE,   /* not materialized (dead, or an alias) */
    IR_ST_ONCE,   /* one tensor: static values, states, static gradients */
    IR_ST_STEP,   /* one tensor reused every step */
    IR_ST_RECORD, /* T tensors: a temporal value kept for backward or output */
    IR_ST_EXTERN  /* graph inputs and parameters: own arrays, not the arena */
};

struct ir_node;

struct ir_value {
    int id;
    const char *name;  /* ONNX name, or a made-up one for internal values */
    const char *cname; /* C identifier */
    enum ir_dtype dtype;
    enum ir_time time;
    enum ir_role role;
    int rank;
    int64_t dims[IR_MAX_RANK];
    bool batched; /* dims[0] is the batch N */
    size_t numel; /* per step */
    struct ir_node *producer;
    int producer_slot;

    /* initializer data (params and constants); NULL for "init yourself" */
    const float *f32;
    const int64_t *i64;
    bool trainable;
    int input_index, output_index, param_index; /* -1 when not one */

    /* autodiff */
    struct ir_value *grad;    /* dLoss/dvalue, or NULL */
    struct ir_value *grad_of; /* for a gradient value: what it is the gradient of */
    bool saved;               /* read by a backward node */

    /* planning */
    struct ir_value *alias;   /* shares the storage of this value */
    enum ir_storage storage;
    size_t offset;            /* in floats, into the arena */
    size_t size;              /* in floats, whole storage */
    int first, last;          /* live interval in schedule positions */
    int nuses;

    /* spikes (plan.c) */
    bool spike;             /* values are spikes: 0/1 or integer strengths, mostly 0 */
    bool binary;            /* spikes of 0 or 1 only */
    struct ir_value *bits;  /* a 1-bit copy, [N][words of 64 bits] per step, or NULL */
    bool no_float;          /* every reader takes the bits, or nobody reads it: not kept */
    bool write_only;        /* a record only the caller reads: stored past the cache */
};

enum ir_reset { IR_RESET_SUBTRACT, IR_RESET_ZERO, IR_RESET_NONE };
enum ir_surrogate { IR_SURR_ATAN, IR_SURR_FAST_SIGMOID, IR_SURR_SIGMOID, IR_SURR_STRAIGHT };
enum ir_predict { IR_PRED_COUNT, IR_PRED_MEMBRANE_SUM, IR_PRED_MEMBRANE_MAX, IR_PRED_FIRST_SPIKE };

/* Attributes of every op, parsed and checked by import.c. */
struct ir_attrs {
    /* Gemm */
    float alpha, beta;
    int trans_a, trans_b;
    /* Flatten */
    int axis;
    /* Reshape (constant shape, batch dimension included) */
    int shape_rank;
    int64_t shape[IR_MAX_RANK];
    /* Conv, pools */
    int kernel[2], strides[2], pads[4], dilations[2], group, ceil_mode, count_include_pad;
    /* neurons */
    float decay, syn_decay, threshold, slope, surr_alpha;
    enum ir_reset reset;
    enum ir_surrogate surrogate;
    int max_strength;
    /* encoders */
    float gain, tau, lat_threshold, first_spike_time, epsilon;
    int linear, normalize, clip;
    /* readouts and losses */
    enum ir_predict rule;
    float on_target, off_target, correct_rate, incorrect_rate;
    int reciprocal;
};

enum ir_phase {
    IR_PH_ONCE,  /* before the time loop, static */
    IR_PH_STEP,  /* inside the time loop */
    IR_PH_AFTER  /* after the loop: depends on a reduction */
};

struct ir_node {
    int id;
    enum ir_op op;
    const char *name;
    int nin, nout;
    struct ir_value *in[IR_MAX_IN];   /* NULL for a missing optional input */
    struct ir_value *out[IR_MAX_OUT]; /* NULL for an output nobody named */
    struct ir_attrs at;
    enum ir_time time;
    enum ir_phase phase;
    bool dead;
    int pos; /* schedule position (plan.c) */

    /* Backward nodes: the forward node they differentiate. Their inputs
     * are gradients of the forward outputs; outputs are gradients of the
     * forward inputs (NULL where none is needed). */
    struct ir_node *fwd;
    /* Per-node scratch kept from forward to backward (states, tapes, the
     * loss's saved derivative), planned like any value. */
    struct ir_value *aux[4];
    int naux;

    /* Dense products (plan.c): a spike input makes the kernels event-driven;
     * wcopy holds the weights re-laid out ([K][ldw] rows for forward, [O][ldw]
     * for a [K][O] weight's input gradient), dwcopy a [K][ldw] weight gradient
     * accumulated by events and added, transposed, after the reverse loop. */
    bool event;
    struct ir_value *wcopy, *dwcopy;
    int ldw;
    bool wcopy_once; /* constant weights (inference): copied at the first call only */
    bool deferred;   /* backward of a step product: dW, dbias after the reverse loop */
    /* A neuron of static input whose membrane only its backward reads
     * (plan.c): forward keeps U every seg steps in ckpt, backward recomputes
     * each segment of seg steps into segbuf from there. 0: U is a record. */
    int seg;
    struct ir_value *ckpt, *segbuf;
    /* A MaxPool whose backward passes a gradient on (autodiff.c): forward
     * writes the position of each window's maximum, which backward reads
     * instead of the pool's input (a quarter of its size for 2x2 pools,
     * and the input needs no record). */
    struct ir_value *argmax;
    /* A Conv whose output only a MaxPool of tiling windows reads (plan.c):
     * the Conv's kernel computes the pool from its own scratch, so the
     * conv output (4x the pool's for 2x2 windows) is never stored, and its
     * backward places pool_dy, the gradient of the pool's output, at the
     * maxima itself. The MaxPool is then `fused` and emits no code. */
    struct ir_node *pool;
    struct ir_value *pool_dy;
    bool fused;
};

struct ir_settings {
    int num_steps, batch_size, epochs;
    uint64_t seed;
    int sgd; /* 0 = adam */
    double lr, beta1, beta2, eps, momentum, weight_decay; /* doubles, as PyTorch's */
};

struct ir_graph {
    struct arena *arena;
    const char *file, *name;
    struct ir_settings set;

    struct ir_value **values;
    int nvalues, cap_values;
    struct ir_node **nodes; /* forward nodes in topological order */
    int nnodes, cap_nodes;
    struct ir_node **bwd;   /* backward nodes in execution order */
    int nbwd, cap_bwd;

    struct ir_value *inputs[16], *outputs[32];
    int ninputs, noutputs;
    struct ir_value **params;
    int nparams;
    struct ir_node *loss;
    const void *proto; /* the Onnx__ModelProto it came from (owned by the caller) */
    bool training;  /* autodiff ran */
    bool formed;    /* plan.c chose the kernel forms */
    /* Row chunks (plan.c): the time loops run chunk by chunk of chunk_rows
     * batch rows, each chunk through every step, when every step kernel of
     * the pass works row by row (0: whole batches, step by step). */
    int chunk_rows;
    bool chunk_fwd, chunk_bwd;
    size_t arena_floats;
};

struct ir_graph *ir_graph_new(const char *file);
void ir_graph_free(struct ir_graph *g);
struct ir_value *ir_value_new(struct ir_graph *g, const char *name);
struct ir_value *ir_value_find(struct ir_graph *g, const char *name);
/* Does backward node b read slot k of its forward node (its inputs, then
 * its outputs)? autodiff.c saves those values, plan.c keeps them. */
bool ir_bwd_reads(const struct ir_node *b, int k);
/* Do pool n's windows tile its input: no padding, strides equal to the
 * window, sizes divisible? Each input is then in exactly one window. */
bool ir_pool_tiles(const struct ir_node *n);
/* Drops the graph outputs i with !keep[i], renumbering the rest; returns
 * how many remain. */
int ir_keep_outputs(struct ir_graph *g, const bool *keep);
struct ir_node *ir_node_new(struct ir_graph *g, enum ir_op op, const char *name);
struct ir_node *ir_bwd_new(struct ir_graph *g, struct ir_node *fwd);
void ir_value_set_shape(struct ir_value *v, int rank, const int64_t *dims);
const char *ir_shape_str(struct ir_graph *g, const struct ir_value *v);
size_t ir_storage_floats(const struct ir_graph *g, const struct ir_value *v);
struct ir_value *ir_root(struct ir_value *v);
/* A value node n owns, named NODE:what (d/NODE:what for a backward node),
 * shaped like `like` with its time kind and batching (like NULL: static,
 * the shape set by the caller), written by n. */
struct ir_value *ir_node_value(struct ir_graph *g, struct ir_node *n, const char *what,
                               const struct ir_value *like);
struct ir_value *ir_aux_new(struct ir_graph *g, struct ir_node *n, const char *what,
                            const struct ir_value *like);
const char *ir_cname(struct ir_graph *g, const char *prefix, const char *name);
void ir_dump(struct ir_graph *g, FILE *f);

static inline const char *ir_op_name(enum ir_op op)
{
    return (unsigned)op < IR_OP_COUNT ? ir_op_table[op].name : "?";
}
static inline bool ir_op_has(enum ir_op op, int flag) { return (ir_op_table[op].flags & flag) != 0; }

#endif
