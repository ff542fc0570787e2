/* pipeline.c - the table of passes and the driver that runs them in order.
 *
 * Takes: a model path (or a model already unpacked) and options. Gives:
 * the planned IR.
 * Holds: passes run in the order of the table; after each, the IR is
 * valid, and `--dump-after=NAME` prints it to stdout. No tensor alone and
 * no planned arena exceeds o->max_arena_bytes, and no size computation
 * on the way wraps around.
 */
#include "pipeline.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "onnx_read.h"

void snnc_options_init(struct snnc_options *o)
{
    memset(o, 0, sizeof *o);
    o->training = true;
    o->lr = NAN;
    o->epochs = -1;
    o->seed = -1;
    o->max_arena_bytes = (size_t)2 << 30;
}

struct pass {
    const char *name;
    bool (*run)(struct ir_graph *g, struct diag *d);
    bool training_only;
};

static const struct pass passes[] = {
    {"infer", infer_shapes, false},
    {"unroll", unroll_time, false},
    {"prune", prune_dead, false},
    {"autodiff", autodiff_build, true},
    {"plan", plan_memory, false},
};

void pipeline_free_model(void *model)
{
    if (model)
        protobuf_c_message_free_unpacked(model, NULL);
}

/* Before planning: every size the plan adds up fits in size_t with room to
 * spare, and no single tensor needs more than the memory limit on its own
 * (a parameter or input lives outside the arena, but is as real). */
static bool check_sizes(struct ir_graph *g, const struct snnc_options *o, struct diag *d)
{
    const size_t cap = SIZE_MAX / 64; /* sums, alignment and sizeof(float) stay exact */
    size_t total = 0;
    for (int i = 0; i < g->nvalues; i++) {
        const struct ir_value *v = g->values[i];
        if (v->alias || (v->producer && v->producer->dead))
            continue;
        size_t per = v->numel * (v->dtype == IR_I64 ? 2 : 1); /* numel < 2^40: infer.c */
        size_t steps = v->time == IR_TEMPORAL ? (size_t)g->set.num_steps : 1;
        if (per > cap / steps || per * steps + 64 > cap - total)
            return diag_error(d, "%s: the model is too large: with tensor '%s' %s and T = %d, "
                              "its sizes overflow", g->file, v->name, ir_shape_str(g, v),
                              g->set.num_steps);
        total += per * steps + 64;
        if (per * sizeof(float) > o->max_arena_bytes)
            return diag_error(d, "%s: tensor '%s' %s alone needs %zu bytes, over the memory limit "
                              "of %zu (raise it with --max-memory)", g->file, v->name,
                              ir_shape_str(g, v), per * sizeof(float), o->max_arena_bytes);
    }
    return true;
}

struct ir_graph *pipeline_run_model(const char *name, const void *model,
                                    const struct snnc_options *o, struct diag *d)
{
    struct ir_graph *g = ir_graph_new(name);
    g->training = o->training;
    if (!import_model(g, model, o, d))
        goto fail;
    if (o->dump_after && !strcmp(o->dump_after, "import"))
        ir_dump(g, stdout);
    for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
        if (passes[i].training_only && !o->training)
            continue;
        if (passes[i].run == plan_memory && !check_sizes(g, o, d))
            goto fail;
        if (!passes[i].run(g, d))
            goto fail;
        if (o->dump_after && !strcmp(o->dump_after, passes[i].name))
            ir_dump(g, stdout);
    }
    if (g->arena_floats > o->max_arena_bytes / sizeof(float)) {
        diag_error(d, "%s: the planned memory is %zu bytes, over the memory limit of %zu (raise "
                   "it with --max-memory)", name, g->arena_floats * sizeof(float), o->max_arena_bytes);
        goto fail;
    }
    return g;
fail:
    ir_graph_free(g);
    return NULL;
}

struct ir_graph *pipeline_run(const char *path, const struct snnc_options *o, void **model_out,
                              struct diag *d)
{
    *model_out = NULL;
    Onnx__ModelProto *m = onnx_read_model(path, d);
    if (!m)
        return NULL;
    *model_out = m;
    return pipeline_run_model(path, m, o, d);
}

bool pipeline_pass_exists(const char *name);
bool pipeline_pass_exists(const char *name)
{
    if (!strcmp(name, "import"))
        return true;
    for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++)
        if (!strcmp(passes[i].name, name))
            return true;
    return false;
}
