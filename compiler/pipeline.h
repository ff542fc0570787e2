/* pipeline.h - the passes, in order, and the driver that runs them.
 *
 * Takes: a model file and options. Gives: a planned IR ready for emission,
 * or NULL with the first user error in d.
 * Holds: every pass takes the IR and leaves it valid; `dump_after` prints
 * the IR after the named pass.
 */
#ifndef SNNC_COMPILER_PIPELINE_H
#define SNNC_COMPILER_PIPELINE_H

#include "ir.h"

struct snnc_options {
    int steps, batch;      /* 0: from the model */
    bool training;         /* derive the backward pass */
    const char *dump_after;
    const char *outputs;   /* comma-separated graph outputs to keep; NULL: all */
    size_t max_arena_bytes;
    /* overrides of the model's training settings; NaN / -1 = keep */
    double lr;
    int epochs;
    long long seed;
};

void snnc_options_init(struct snnc_options *o);

/* The passes (one file each). Each returns false with d set on a user error. */
bool import_model(struct ir_graph *g, const void *model, const struct snnc_options *o,
                  struct diag *d);
bool infer_shapes(struct ir_graph *g, struct diag *d);
bool unroll_time(struct ir_graph *g, struct diag *d);
bool autodiff_build(struct ir_graph *g, struct diag *d);
bool prune_dead(struct ir_graph *g, struct diag *d);
bool plan_memory(struct ir_graph *g, struct diag *d);

/* Loads, imports and runs every pass. The caller frees the graph with
 * ir_graph_free() and the model with pipeline_free_model(). */
struct ir_graph *pipeline_run(const char *path, const struct snnc_options *o, void **model_out,
                              struct diag *d);
void pipeline_free_model(void *model);
/* The same on a model already unpacked (an Onnx__ModelProto, still the
 * caller's); name stands for its file in messages. */
struct ir_graph *pipeline_run_model(const char *name, const void *model,
                                    const struct snnc_options *o, struct diag *d);

#endif
