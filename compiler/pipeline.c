/* pipeline.c - the table of passes and the driver that runs them in order.
 *
 * Takes: a model path and options. Gives: the planned IR.
 * Holds: passes run in the order of the table; after each, the IR is
 * valid, and `--dump-after=NAME` prints it to stdout.
 */
#include "pipeline.h"

#include <math.h>
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

struct ir_graph *pipeline_run(const char *path, const struct snnc_options *o, void **model_out,
                              struct diag *d)
{
    *model_out = NULL;
    Onnx__ModelProto *m = onnx_read_model(path, d);
    if (!m)
        return NULL;
    *model_out = m;
    struct ir_graph *g = ir_graph_new(path);
    g->training = o->training;
    if (!import_model(g, m, o, d))
        goto fail;
    if (o->dump_after && !strcmp(o->dump_after, "import"))
        ir_dump(g, stdout);
    for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
        if (passes[i].training_only && !o->training)
            continue;
        if (!passes[i].run(g, d))
            goto fail;
        if (o->dump_after && !strcmp(o->dump_after, passes[i].name))
            ir_dump(g, stdout);
    }
    if (g->arena_floats * sizeof(float) > o->max_arena_bytes) {
        diag_error(d, "%s: the planned memory is %zu bytes, over the limit of %zu (raise it with "
                   "--max-memory)", path, g->arena_floats * sizeof(float), o->max_arena_bytes);
        goto fail;
    }
    return g;
fail:
    ir_graph_free(g);
    return NULL;
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
