/* verify.c - `snnc verify`: compiles reference cases and compares results.
 *
 * Takes: case folders in the layout of SPEC section 8. Gives: for each, the
 * emitted C built with the system compiler ($CC, default cc), run once
 * forward and once backward on the case's inputs, and one row per output
 * and gradient: name, max abs error, max rel error, pass or fail under
 * |a - b| <= atol + rtol |b| (atol 1e-5, rtol 1e-4).
 * Holds: the case's T and batch come from its input tensors; a case passes
 * only if every expected tensor is produced and within tolerance.
 */
#define _POSIX_C_SOURCE 200809L
#include "verify.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit.h"
#include "onnx_read.h"
#include "pipeline.h"

#define ATOL 1e-5
#define RTOL 1e-4

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Values of a TensorProto as doubles (float_data, int64_data or raw_data). */
static double *tensor_values(const Onnx__TensorProto *t, size_t *n)
{
    size_t count = 1;
    for (size_t i = 0; i < t->n_dims; i++)
        count *= (size_t)(t->dims[i] > 0 ? t->dims[i] : 0);
    double *v = calloc(count ? count : 1, sizeof *v);
    if (!v)
        return NULL;
    *n = count;
    for (size_t i = 0; i < count; i++) {
        if (t->data_type == 1 && t->n_float_data == count) {
            v[i] = t->float_data[i];
        } else if (t->data_type == 7 && t->n_int64_data == count) {
            v[i] = (double)t->int64_data[i];
        } else if (t->data_type == 1 && t->raw_data.len == 4 * count) {
            float f;
            memcpy(&f, t->raw_data.data + 4 * i, 4);
            v[i] = f;
        } else if (t->data_type == 7 && t->raw_data.len == 8 * count) {
            int64_t x;
            memcpy(&x, t->raw_data.data + 8 * i, 8);
            v[i] = (double)x;
        } else {
            free(v);
            return NULL;
        }
    }
    return v;
}

static bool compare(FILE *out, const char *name, const char *exp_path, const char *got_path)
{
    struct diag d = {0};
    Onnx__TensorProto *e = onnx_read_tensor(exp_path, &d);
    Onnx__TensorProto *g = e ? onnx_read_tensor(got_path, &d) : NULL;
    size_t ne = 0, ng = 0;
    double *ev = e ? tensor_values(e, &ne) : NULL;
    double *gv = g ? tensor_values(g, &ng) : NULL;
    bool ok = ev && gv && ne == ng;
    double max_abs = 0, max_rel = 0;
    for (size_t i = 0; ok && i < ne; i++) {
        double diff = fabs(gv[i] - ev[i]);
        if (!(diff <= ATOL + RTOL * fabs(ev[i])))
            ok = false;
        if (diff > max_abs || isnan(diff))
            max_abs = diff;
        if (ev[i] != 0 && diff / fabs(ev[i]) > max_rel)
            max_rel = diff / fabs(ev[i]);
    }
    if (ev && gv && ne == ng)
        fprintf(out, "  %-28s %12.3g %12.3g  %s\n", name, max_abs, max_rel, ok ? "pass" : "FAIL");
    else
        fprintf(out, "  %-28s %12s %12s  FAIL (%s)\n", name, "-", "-",
                d.failed ? d.msg : ne != ng ? "sizes differ" : "unreadable");
    free(ev);
    free(gv);
    if (e)
        protobuf_c_message_free_unpacked(&e->base, NULL);
    if (g)
        protobuf_c_message_free_unpacked(&g->base, NULL);
    return ok;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

/* T and batch from the case's inputs: a temporal input is [T, N, ...], a
 * batched static one [N, ...]. */
static bool case_sizes(const char *model_path, const char *data, struct snnc_options *o, struct diag *d)
{
    Onnx__ModelProto *m = onnx_read_model(model_path, d);
    if (!m)
        return false;
    const Onnx__GraphProto *gp = m->graph;
    for (size_t i = 0; gp && i < gp->n_input; i++) {
        const Onnx__TypeProto *tp = gp->input[i]->type;
        if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type->shape ||
            !tp->tensor_type->shape->n_dim)
            continue;
        const Onnx__TensorShapeProto__Dimension *d0 = tp->tensor_type->shape->dim[0];
        bool temporal = d0->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                        d0->dim_param && !strcmp(d0->dim_param, "T");
        char path[4096];
        snprintf(path, sizeof path, "%s/input_%zu.pb", data, i);
        Onnx__TensorProto *t = onnx_read_tensor(path, d);
        if (!t)
            break;
        if (temporal && t->n_dims >= 2) {
            o->steps = (int)t->dims[0];
            o->batch = (int)t->dims[1];
        } else if (!o->batch && t->n_dims >= 1) {
            o->batch = (int)t->dims[0];
        }
        protobuf_c_message_free_unpacked(&t->base, NULL);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
    return !d->failed;
}

static bool verify_case(const char *dir, const char *work, FILE *out)
{
    char model[4096], data[4096], build[4096], results[4096], cmd[16384];
    struct diag d = {0};
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    if (!exists(model))
        snprintf(model, sizeof model, "%s/model.textproto", dir);
    snprintf(data, sizeof data, "%s/test_data_set_0", dir);
    fprintf(out, "%s\n", dir);
    struct snnc_options o;
    snnc_options_init(&o);
    if (!case_sizes(model, data, &o, &d)) {
        fprintf(out, "  error: %s\n", d.msg);
        return false;
    }
    void *proto = NULL;
    struct ir_graph *g = pipeline_run(model, &o, &proto, &d);
    bool ok = false;
    if (g) {
        static int serial;
        snprintf(build, sizeof build, "%s/case%d", work, serial++);
        struct emit_options eo = {.prefix = "model", .outdir = build, .program = "verify",
                                  .cmdline = "snnc verify"};
        ok = emit_model(g, &eo, &d);
    }
    if (!ok) {
        fprintf(out, "  error: %s\n", d.msg);
        ir_graph_free(g);
        pipeline_free_model(proto);
        return false;
    }
    const char *cc = getenv("CC");
    snprintf(results, sizeof results, "%s/out", build);
    mkdir(results, 0755);
    snprintf(cmd, sizeof cmd, "make -s -C '%s' CC='%s' CFLAGS='-O2' verify >&2 && '%s/verify' '%s' '%s'",
             build, cc && *cc ? cc : "cc", build, data, results);
    if (run(cmd) != 0) {
        fprintf(out, "  error: building or running the emitted code failed (see above)\n");
        ir_graph_free(g);
        pipeline_free_model(proto);
        return false;
    }
    fprintf(out, "  %-28s %12s %12s  %s\n", "tensor", "max abs err", "max rel err", "result");
    ok = true;
    int checked = 0;
    for (int i = 0; i < g->noutputs; i++) {
        char exp[4096], got[4096];
        snprintf(exp, sizeof exp, "%s/output_%d.pb", data, i);
        snprintf(got, sizeof got, "%s/output_%d.pb", results, i);
        if (!exists(exp)) {
            fprintf(out, "  %-28s FAIL (no expected %s)\n", g->outputs[i]->name, exp);
            ok = false;
            continue;
        }
        ok = compare(out, g->outputs[i]->name, exp, got) && ok;
        checked++;
    }
    /* expected gradients, matched to ours by parameter name */
    for (int k = 0;; k++) {
        char exp[4096];
        snprintf(exp, sizeof exp, "%s/grad_%d.pb", data, k);
        if (!exists(exp))
            break;
        Onnx__TensorProto *t = onnx_read_tensor(exp, &d);
        const char *name = t && t->name ? t->name : "";
        int slot = -1, idx = 0;
        for (int i = 0; i < g->nparams; i++) {
            if (!g->params[i]->trainable)
                continue;
            if (!strcmp(g->params[i]->name, name))
                slot = idx;
            idx++;
        }
        char label[512];
        snprintf(label, sizeof label, "d/%s", name);
        if (slot < 0) {
            fprintf(out, "  %-28s FAIL (no trainable parameter of that name)\n", label);
            ok = false;
        } else {
            char got[4096];
            snprintf(got, sizeof got, "%s/grad_%d.pb", results, slot);
            ok = compare(out, label, exp, got) && ok;
        }
        checked++;
        if (t)
            protobuf_c_message_free_unpacked(&t->base, NULL);
    }
    if (!checked)
        ok = false;
    fprintf(out, "  %s: %d tensors compared\n", ok ? "PASS" : "FAIL", checked);
    ir_graph_free(g);
    pipeline_free_model(proto);
    return ok;
}

int verify_cases(char **cases, int n, FILE *out)
{
    const char *tmp = getenv("TMPDIR");
    char work[4096];
    snprintf(work, sizeof work, "%s/snnc-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(work)) {
        fprintf(stderr, "snnc: cannot create a temporary folder: %s\n", strerror(errno));
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += !verify_case(cases[i], work, out);
    fprintf(out, "%d passed, %d failed\n", n - failed, failed);
    if (!getenv("SNNC_KEEP")) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", work);
        run(cmd);
    }
    return failed ? 1 : 0;
}
