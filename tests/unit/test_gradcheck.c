/* test_gradcheck.c - the autodiff against central finite differences.
 *
 * Each model here has a smooth forward (no reset, loss on membranes, only
 * differentiable ops), so its exact gradient is what finite differences
 * approximate; spiking ops are checked against snnTorch's reference cases
 * instead (tests/cases), never by differences through a step.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "pipeline.h"
#include "tests.h"

static const char *const models[] = {"grad_leaky", "grad_synaptic", "grad_eltwise"};

START_TEST(gradients_match_finite_differences)
{
    char dir[] = "/tmp/snnc-gradcheck-XXXXXX", out[256], cmd[2048];
    ck_assert(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/emit", dir);
    struct snnc_options o;
    snnc_options_init(&o);
    struct diag d = {0};
    void *proto;
    char rel[256];
    snprintf(rel, sizeof rel, "tests/unit/%s.textproto", models[_i]);
    struct ir_graph *g = pipeline_run(test_srcpath(rel), &o, &proto, &d);
    ck_assert_msg(g, "%s", d.msg);
    struct emit_options eo = {.prefix = "model", .outdir = out};
    ck_assert_msg(emit_model(g, &eo, &d), "%s", d.msg);
    ir_graph_free(g);
    pipeline_free_model(proto);
    const char *cc = getenv("CC");
    snprintf(cmd, sizeof cmd,
             "cd %s && %s -std=c99 -O1 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -o gradcheck "
             "-I. model.c rt_prng.c rt_optim.c rt_tensor_io.c %s -lm && ./gradcheck",
             out, cc && *cc ? cc : "cc", test_srcpath("tests/unit/gradcheck_main.c"));
    int rc = system(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(rc == 0, "%s: analytic gradients differ from finite differences", models[_i]);
}
END_TEST

Suite *gradcheck_suite(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tcase_create("finite differences");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, gradients_match_finite_differences, 0,
                        (int)(sizeof models / sizeof models[0]));
    suite_add_tcase(s, tc);
    return s;
}
