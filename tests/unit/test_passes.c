/* test_passes.c - unit tests of the compiler passes, one group per pass:
 * import and infer (shapes, kinds, parameters), unroll (phases, hoisting),
 * prune (inference drops the loss), autodiff (gradient graph), plan (no two
 * live buffers overlap), and the emitter (no allocation, size independent
 * of T).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "pipeline.h"
#include "tests.h"

bool plan_check(const struct ir_graph *g);

static struct ir_graph *compile(const char *rel, bool training, int steps, void **proto)
{
    struct snnc_options o;
    snnc_options_init(&o);
    o.training = training;
    o.steps = steps;
    struct diag d = {0};
    struct ir_graph *g = pipeline_run(test_srcpath(rel), &o, proto, &d);
    ck_assert_msg(g != NULL, "%s: %s", rel, d.msg);
    return g;
}

static struct ir_node *node(struct ir_graph *g, const char *name)
{
    for (int i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i]->name, name))
            return g->nodes[i];
    ck_abort_msg("no node %s", name);
    return NULL;
}

START_TEST(infer_shapes_and_kinds)
{
    void *proto;
    struct ir_graph *g = compile("tests/unit/good_small.textproto", true, 0, &proto);
    ck_assert_int_eq(g->set.num_steps, 4);
    ck_assert_int_eq(g->set.batch_size, 2);
    struct ir_value *h = ir_value_find(g, "h"), *s2 = ir_value_find(g, "s2");
    ck_assert_int_eq(h->rank, 2);
    ck_assert_int_eq((int)h->dims[0], 2);
    ck_assert_int_eq((int)h->dims[1], 8);
    ck_assert_int_eq(h->time, IR_STATIC); /* static input, static weights */
    ck_assert_int_eq(s2->time, IR_TEMPORAL);
    ck_assert_int_eq((int)s2->dims[1], 3);
    ck_assert_int_eq(g->nparams, 3);
    ck_assert_str_eq(g->params[0]->name, "w1");
    ck_assert_int_eq(ir_value_find(g, "loss")->rank, 0);
    ir_graph_free(g);
    pipeline_free_model(proto);
}
END_TEST

START_TEST(unroll_hoists_static_work)
{
    void *proto;
    struct ir_graph *g = compile("tests/unit/good_small.textproto", true, 0, &proto);
    ck_assert_int_eq(node(g, "fc1")->phase, IR_PH_ONCE); /* computed once, not T times */
    ck_assert_int_eq(node(g, "lif1")->phase, IR_PH_STEP);
    ck_assert_int_eq(node(g, "fc2")->phase, IR_PH_STEP);
    ck_assert_int_eq(node(g, "loss")->phase, IR_PH_STEP);
    ck_assert_int_eq(node(g, "lif1")->naux, 1); /* the membrane state */
    ir_graph_free(g);
    pipeline_free_model(proto);
}
END_TEST

START_TEST(prune_drops_the_loss_for_inference)
{
    void *proto;
    struct ir_graph *g = compile("tests/unit/good_small.textproto", false, 0, &proto);
    ck_assert(node(g, "loss")->dead);
    ck_assert(!node(g, "fc1")->dead);
    ck_assert_int_eq(g->noutputs, 1);
    ck_assert_str_eq(g->outputs[0]->name, "s2");
    ck_assert_int_eq(g->ninputs, 1); /* the labels are gone from the API */
    ck_assert_int_eq(g->nbwd, 0);
    ir_graph_free(g);
    pipeline_free_model(proto);
}
END_TEST

START_TEST(autodiff_builds_reverse_graph)
{
    void *proto;
    struct ir_graph *g = compile("tests/unit/good_small.textproto", true, 0, &proto);
    ck_assert_int_eq(g->nbwd, 5);
    /* reverse order: the loss first, the hoisted layer last */
    ck_assert_str_eq(g->bwd[0]->name, "loss");
    ck_assert_str_eq(g->bwd[g->nbwd - 1]->name, "fc1");
    ck_assert_int_eq(g->bwd[g->nbwd - 1]->phase, IR_PH_ONCE);
    for (int i = 0; i < g->nparams; i++)
        ck_assert_msg(g->params[i]->grad != NULL, "no gradient for %s", g->params[i]->name);
    /* fc1's input x needs no gradient; fc2's weight gradient needs its input,
     * which the tape keeps as bits: s1's floats are not even written */
    ck_assert(ir_value_find(g, "x")->grad == NULL);
    struct ir_value *s1 = ir_value_find(g, "s1");
    ck_assert(!s1->saved && s1->bits && s1->bits->saved && s1->no_float);
    ck_assert_int_eq(s1->storage, IR_ST_NONE);
    ck_assert_int_eq(s1->bits->storage, IR_ST_RECORD);
    ck_assert_int_eq(s1->bits->numel, 2 * 2); /* N = 2 rows of one 64-bit word */
    ck_assert(g->nodes[2]->event); /* fc2: event-driven */
    /* the gradient of a static value is summed over steps: one buffer */
    ck_assert_int_eq(ir_value_find(g, "h")->grad->storage, IR_ST_ONCE);
    /* the reverse loop runs chunk by chunk of rows: the weight gradient of
     * the step product fc2 is made after it, from the record of its dy */
    ck_assert(g->chunk_fwd && g->chunk_bwd && g->chunk_rows == 1);
    ck_assert_int_eq(ir_value_find(g, "o")->grad->storage, IR_ST_RECORD);
    /* lif1's input is static: its membrane is recomputed in backward from a
     * checkpoint every 2 steps, not recorded */
    struct ir_node *lif1 = ir_value_find(g, "m1")->producer;
    ck_assert_int_eq(lif1->seg, 2);
    ck_assert_int_eq(ir_value_find(g, "m1")->storage, IR_ST_NONE);
    ck_assert_int_eq(lif1->ckpt->numel, 1 * 2 * 8); /* one checkpoint of [2][8] */
    ck_assert(ir_value_find(g, "m2")->producer->seg == 0); /* lif2's input is per step */
    ir_graph_free(g);
    pipeline_free_model(proto);
}
END_TEST

static const char *const all_models[] = {
    "tests/unit/good_small.textproto",        "tests/cases/fc_membrane_ce/model.onnx",
    "tests/cases/synaptic/model.onnx",        "tests/cases/ttfs_latency/model.onnx",
    "tests/cases/learn_beta_threshold/model.onnx", "tests/cases/fc_sigmoid_maxmem/model.onnx",
    "examples/fmnist_fc/model.textproto",     "examples/fmnist_ttfs/model.textproto",
};

START_TEST(plan_never_overlaps_live_buffers)
{
    for (int training = 0; training < 2; training++) {
        void *proto;
        int steps = strstr(all_models[_i], "temporal") ? 10 : 0;
        struct ir_graph *g = compile(all_models[_i], training, steps, &proto);
        ck_assert_msg(plan_check(g), "%s: overlapping live buffers", all_models[_i]);
        ck_assert(g->arena_floats > 0);
        /* sharing happens: the arena is smaller than the sum of its buffers */
        size_t sum = 0;
        for (int i = 0; i < g->nvalues; i++)
            if (!g->values[i]->alias && (g->values[i]->storage == IR_ST_ONCE ||
                                          g->values[i]->storage == IR_ST_STEP ||
                                          g->values[i]->storage == IR_ST_RECORD))
                sum += g->values[i]->size;
        ck_assert_msg(g->arena_floats <= sum, "%s", all_models[_i]);
        ir_graph_free(g);
        pipeline_free_model(proto);
    }
}
END_TEST

static size_t emitted_size(const char *rel, int steps, bool training, const char **text)
{
    void *proto;
    struct ir_graph *g = compile(rel, training, steps, &proto);
    struct emit_options eo = {.prefix = "model"};
    const char *c, *h;
    struct diag d = {0};
    ck_assert_msg(emit_sources(g, &eo, &c, &h, &d), "%s", d.msg);
    size_t n = strlen(c);
    if (text) {
        static char *copy;
        free(copy);
        copy = strdup(c);
        *text = copy;
    }
    ir_graph_free(g);
    pipeline_free_model(proto);
    return n;
}

START_TEST(emitted_size_does_not_grow_with_T)
{
    for (int training = 0; training < 2; training++) {
        /* inference bakes weights in, so it needs a model that has them */
        const char *m = training ? "examples/fmnist_fc/model.textproto" : "tests/cases/synaptic/model.onnx";
        size_t a = emitted_size(m, 25, training, NULL);
        size_t b = emitted_size(m, 100, training, NULL);
        size_t c = emitted_size(m, 1000, training, NULL);
        ck_assert_msg(b < a + a / 100 && c < a + a / 100, "T=25: %zu, T=100: %zu, T=1000: %zu", a, b, c);
    }
}
END_TEST

START_TEST(emitted_code_never_allocates)
{
    const char *text;
    emitted_size(all_models[_i], strstr(all_models[_i], "temporal") ? 10 : 0, true, &text);
    static const char *const banned[] = {"malloc(", "calloc(", "realloc(", "free(", "alloca("};
    for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
        ck_assert_msg(!strstr(text, banned[k]), "%s: emitted code calls %s", all_models[_i], banned[k]);
    ck_assert(strstr(text, "for (int t = 0; t <"));
}
END_TEST

Suite *passes_suite(void)
{
    Suite *s = suite_create("passes");
    TCase *tc = tcase_create("passes");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, infer_shapes_and_kinds);
    tcase_add_test(tc, unroll_hoists_static_work);
    tcase_add_test(tc, prune_drops_the_loss_for_inference);
    tcase_add_test(tc, autodiff_builds_reverse_graph);
    tcase_add_loop_test(tc, plan_never_overlaps_live_buffers, 0,
                        (int)(sizeof all_models / sizeof all_models[0]));
    tcase_add_test(tc, emitted_size_does_not_grow_with_T);
    tcase_add_loop_test(tc, emitted_code_never_allocates, 0, (int)(sizeof all_models / sizeof all_models[0]));
    suite_add_tcase(s, tc);
    return s;
}
