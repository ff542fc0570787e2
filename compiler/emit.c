/* emit.c - back end driver: planned IR -> m4 driver -> C.
 *
 * Takes: a planned graph. Gives: PREFIX.c, written by m4 from a driver
 * that instantiates one kernel macro per node and phase (the templates
 * hold the math; this file only chooses sizes, pointers and order), and
 * PREFIX.h, the API. See emit_ops.c for the per-op part.
 * Holds: every size in the emitted code is a constant; the code holds one
 * loop over t forwards and one backwards, so its size does not depend on
 * T; nothing is allocated at run time.
 */
#define _POSIX_C_SOURCE 200809L
#include "emit.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "emit_int.h"
#include "onnx.pb-c.h"

const char *emit_datadir(void)
{
    const char *d = getenv("SNNC_DATADIR");
    return d && *d ? d : SNNC_DATADIR;
}

/* ---------------------------------------------------------------- text */

void emit_printf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
}

/* A float as a C literal that reads back to the same float. */
/* A float as a C literal that reads back to the same bits. */
static int format_float(char *buf, size_t len, float x)
{
    if (fabsf(x) < 1e7f && x == (float)(long)x)
        return snprintf(buf, len, "%ld.0f", (long)x);
    return snprintf(buf, len, "%.9gf", (double)x);
}

const char *emit_float(struct emitter *e, float x)
{
    char buf[48];
    format_float(buf, sizeof buf, x);
    return arena_strdup(e->g->arena, buf);
}

/* The C expression for value v's storage; `t` adds the slice of step t
 * for records and temporal inputs. */
const char *emit_ptr(struct emitter *e, struct ir_value *v, bool at_t)
{
    if (!v)
        return "NULL";
    struct ir_graph *g = e->g;
    struct ir_value *r = ir_root(v);
    const char *base;
    bool per_t = false;
    if (r->storage == IR_ST_EXTERN) {
        if (r->role == IR_ROLE_INPUT) {
            base = arena_printf(g->arena, "%s_in_%s", e->prefix, r->cname + 2);
            per_t = r->time == IR_TEMPORAL;
        } else if (r->role == IR_ROLE_PARAM) {
            base = arena_printf(g->arena, "%s_p_%s", e->prefix, r->cname + 2);
        } else if (r->role == IR_ROLE_CONST) {
            base = arena_printf(g->arena, "%s_c_%s", e->prefix, r->cname + 2);
        } else if (r->grad_of) {
            base = arena_printf(g->arena, "%s_g_%s", e->prefix, r->grad_of->cname + 2);
        } else { /* int64 results */
            base = arena_printf(g->arena, "%s_i_%s", e->prefix, r->cname + 2);
        }
    } else if (r->storage == IR_ST_NONE) {
        return "NULL";
    } else {
        base = e->global_ptrs ? arena_printf(g->arena, "(%s_arena + %zu)", e->prefix, r->offset)
                              : arena_printf(g->arena, "(A + %zu)", r->offset);
        per_t = r->storage == IR_ST_RECORD;
    }
    if (per_t && at_t)
        return arena_printf(g->arena, "%s + (size_t)t * %zu", base, r->numel);
    return base;
}

/* Kernel function names: k<node id>_<node name>_<part>. */
const char *emit_kname(struct emitter *e, struct ir_node *n, const char *part)
{
    struct ir_node *f = n->fwd ? n->fwd : n;
    return arena_printf(e->g->arena, "k%d_%s_%s", f->id, ir_cname(e->g, "", f->name), part);
}

/* One-line comment naming the op and the ONNX node, before each call. */
void emit_call_comment(FILE *f, const char *indent, struct ir_node *n, const char *what)
{
    const char *dom = ir_op_table[n->op].domain;
    fprintf(f, "%s/* %s%s%s '%s'%s%s */\n", indent, dom, *dom ? "." : "", ir_op_name(n->op), n->name,
            what ? ": " : "", what ? what : "");
}

static void memset_value(struct emitter *e, FILE *f, const char *indent, struct ir_value *v)
{
    struct ir_value *r = ir_root(v);
    if (r->storage == IR_ST_NONE)
        return;
    size_t n = r->storage == IR_ST_RECORD ? r->numel * (size_t)e->g->set.num_steps : r->numel;
    fprintf(f, "%smemset(%s, 0, %zu * sizeof(float));\n", indent, emit_ptr(e, r, false), n);
}

/* ---------------------------------------------------------------- m4 */

bool emit_run_m4(struct ir_graph *g, const char *driver, size_t len, char **out, struct diag *d)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/snnc-m4-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return diag_error(d, "cannot create a temporary file in %s: %s", tmpdir ? tmpdir : "/tmp",
                          strerror(errno));
    bool ok = write(fd, driver, len) == (ssize_t)len;
    close(fd);
    if (!ok) {
        unlink(path);
        return diag_error(d, "cannot write %s: %s", path, strerror(errno));
    }
    const char *tdir = arena_printf(g->arena, "%s/templates", emit_datadir());
    int pfd[2];
    if (pipe(pfd) < 0) {
        unlink(path);
        return diag_error(d, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execl(SNNC_M4, "m4", "-P", "-I", tdir, path, (char *)NULL);
        execlp("m4", "m4", "-P", "-I", tdir, path, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while (buf && pid > 0) {
        if (n + 65536 > cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        r = read(pfd[0], buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(pfd[0]);
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    unlink(path);
    if (pid < 0 || !buf || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(buf);
        return diag_error(d, "m4 failed on the templates in %s (is m4 installed, and SNNC_DATADIR right?)",
                          tdir);
    }
    buf[n] = 0;
    *out = arena_strdup(g->arena, buf);
    free(buf);
    return true;
}

/* ---------------------------------------------------------------- sections */

static FILE *section(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f) {
        fprintf(stderr, "snnc: out of memory\n");
        abort();
    }
    return f;
}

static const char *close_section(struct emitter *e, FILE *f, char **buf)
{
    fclose(f);
    const char *s = arena_strdup(e->g->arena, *buf ? *buf : "");
    free(*buf);
    *buf = NULL;
    return s;
}

void emit_floats(FILE *f, const float *x, size_t n)
{
    char buf[48];
    for (size_t i = 0; i < n; i++) {
        format_float(buf, sizeof buf, x[i]);
        fprintf(f, "%s%s,", i % 8 ? " " : "\n    ", buf);
    }
    fprintf(f, "\n");
}

const char *emit_upper(struct emitter *e, const char *s)
{
    char *u = arena_strdup(e->g->arena, s);
    for (char *p = u; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}

/* Storage outside the arena: inputs, parameters, gradients, optimizer
 * state, constants and int64 results. */
static void emit_storage(struct emitter *e, FILE *f)
{
    struct ir_graph *g = e->g;
    const char *P = e->prefix;
    fprintf(f, "\n/* The arena: every activation, record and gradient, at planned offsets. */\n");
    fprintf(f, "static float %s_arena[%zu] __attribute__((aligned(64)));\n", P,
            g->arena_floats ? g->arena_floats : 1);
    fprintf(f, "\n/* Graph inputs, filled by the caller. */\n");
    for (int i = 0; i < g->ninputs; i++) {
        struct ir_value *v = g->inputs[i];
        size_t n = v->numel * (v->time == IR_TEMPORAL ? (size_t)g->set.num_steps : 1);
        fprintf(f, "%s %s_in_%s[%zu];\n", v->dtype == IR_I64 ? "int64_t" : "float", P, v->cname + 2, n);
    }
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        /* (a dropped output's producer is dead: nothing writes it) */
        if (v->role == IR_ROLE_ACT && v->dtype == IR_I64 && v->storage == IR_ST_EXTERN &&
            !(v->producer && v->producer->dead))
            fprintf(f, "static int64_t %s_i_%s[%zu];\n", P, v->cname + 2, v->numel);
    }
    bool any_const = false;
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        if (v->role != IR_ROLE_CONST || v->dtype != IR_F32 || !v->nuses)
            continue;
        if (!any_const)
            fprintf(f, "\n/* Constant initializers. */\n");
        any_const = true;
        fprintf(f, "static const float %s_c_%s[%zu] = {", P, v->cname + 2, v->numel);
        emit_floats(f, v->f32, v->numel);
        fprintf(f, "};\n");
    }
    if (!g->nparams)
        return;
    fprintf(f, "\n/* Parameters%s. */\n", g->training ? ", their gradients and optimizer state" : "");
    for (int i = 0; i < g->nparams; i++) {
        struct ir_value *v = g->params[i];
        if (!g->training) {
            fprintf(f, "static const float %s_p_%s[%zu] = {", P, v->cname + 2, v->numel);
            emit_floats(f, v->f32, v->numel);
            fprintf(f, "};\n");
            continue;
        }
        fprintf(f, "float %s_p_%s[%zu] __attribute__((aligned(64)));\n", P, v->cname + 2, v->numel);
        if (v->trainable) {
            fprintf(f, "float %s_g_%s[%zu] __attribute__((aligned(64)));\n", P, v->cname + 2, v->numel);
            fprintf(f, "static float %s_m_%s[%zu], %s_v_%s[%zu];\n", P, v->cname + 2, v->numel, P,
                    v->cname + 2, v->numel);
        }
        if (v->f32) {
            fprintf(f, "static const float %s_init_%s[%zu] = {", P, v->cname + 2, v->numel);
            emit_floats(f, v->f32, v->numel);
            fprintf(f, "};\n");
        }
    }
}

/* PyTorch's default init bound for a parameter without data: 1/sqrt(fan_in)
 * of the layer it belongs to (SPEC section 7). 0 if not a weight or bias. */
static double init_bound(struct ir_graph *g, struct ir_value *p, float *fill)
{
    *fill = NAN;
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        for (int s = 1; s < n->nin; s++) {
            if (n->in[s] != p)
                continue;
            struct ir_value *w = n->in[1];
            switch (n->op) {
            case IR_OP_GEMM:
                return 1.0 / sqrt((double)(n->at.trans_b ? w->dims[1] : w->dims[0]));
            case IR_OP_MATMUL:
                return 1.0 / sqrt((double)w->dims[0]);
            case IR_OP_CONV:
                return 1.0 / sqrt((double)(w->dims[1] * w->dims[2] * w->dims[3]));
            case IR_OP_LEAKY:
                *fill = s == 1 ? n->at.decay : n->at.threshold;
                return 0;
            default:
                return 0;
            }
        }
    }
    return 0;
}

static void emit_bytes(FILE *f, const char *name, const uint8_t *b, size_t n)
{
    fprintf(f, "static const unsigned char %s[%zu] = {", name, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%u,", i % 20 ? " " : "\n    ", b[i]);
    fprintf(f, "%s};\n", n ? "\n" : "0");
}

/* Checkpoints are the model itself with the trained parameters: the
 * ModelProto without its graph, and the graph without the parameters'
 * initializers, are kept as bytes; the runtime appends the parameters. */
static bool emit_checkpoint(struct emitter *e, FILE *f, struct diag *d)
{
    struct ir_graph *g = e->g;
    const char *P = e->prefix;
    const Onnx__ModelProto *m = g->proto;
    if (!m || !m->graph)
        return diag_error(d, "%s: no model to write checkpoints from", g->file);
    Onnx__ModelProto head = *m;
    head.graph = NULL;
    /* the checkpoint says what it was trained with: T and the batch were
     * compile-time choices, perhaps overridden on the command line */
    const char *keys[] = {"snn.num_steps", "snn.batch_size"};
    const char *vals[] = {arena_printf(g->arena, "%d", g->set.num_steps),
                          arena_printf(g->arena, "%d", g->set.batch_size)};
    Onnx__StringStringEntryProto **props =
        arena_array(g->arena, m->n_metadata_props + 2, sizeof *props);
    size_t np = 0;
    for (size_t i = 0; i < m->n_metadata_props; i++) {
        const char *k = m->metadata_props[i]->key ? m->metadata_props[i]->key : "";
        if (strcmp(k, keys[0]) && strcmp(k, keys[1]))
            props[np++] = m->metadata_props[i];
    }
    for (int i = 0; i < 2; i++) {
        Onnx__StringStringEntryProto *p = arena_alloc(g->arena, sizeof *p);
        onnx__string_string_entry_proto__init(p);
        p->key = (char *)keys[i];
        p->value = (char *)vals[i];
        props[np++] = p;
    }
    head.metadata_props = props;
    head.n_metadata_props = np;
    Onnx__GraphProto body = *m->graph;
    Onnx__TensorProto **kept = arena_array(g->arena, body.n_initializer + 1, sizeof *kept);
    size_t nk = 0;
    for (size_t i = 0; i < body.n_initializer; i++) {
        struct ir_value *v = ir_value_find(g, body.initializer[i]->name ? body.initializer[i]->name : "");
        if (!v || v->role != IR_ROLE_PARAM)
            kept[nk++] = body.initializer[i];
    }
    body.initializer = kept;
    body.n_initializer = nk;
    size_t hn = protobuf_c_message_get_packed_size(&head.base);
    size_t bn = protobuf_c_message_get_packed_size(&body.base);
    uint8_t *hb = arena_alloc(g->arena, hn + 1), *bb = arena_alloc(g->arena, bn + 1);
    protobuf_c_message_pack(&head.base, hb);
    protobuf_c_message_pack(&body.base, bb);
    fprintf(f, "\n/* The model's bytes, less the graph (head) and less the parameters (body). */\n");
    emit_bytes(f, arena_printf(g->arena, "%s_onnx_head", P), hb, hn);
    emit_bytes(f, arena_printf(g->arena, "%s_onnx_body", P), bb, bn);
    fprintf(f, "\nstatic const struct snnrt_param %s_ckpt_params[%d] = {\n", P, g->nparams ? g->nparams : 1);
    for (int i = 0; i < g->nparams; i++) {
        struct ir_value *v = g->params[i];
        fprintf(f, "    {\"%s\", %s_p_%s, %d, {", v->name, P, v->cname + 2, v->rank);
        for (int r = 0; r < v->rank; r++)
            fprintf(f, "%s%lld", r ? ", " : "", (long long)v->dims[r]);
        fprintf(f, "%s}, %zu},\n", v->rank ? "" : "0", v->numel);
    }
    if (!g->nparams)
        fprintf(f, "    {NULL, NULL, 0, {0}, 0},\n");
    fprintf(f, "};\n");
    fprintf(f, "\n/* Writes the model with the current parameters as an ONNX file, atomically. */\n");
    fprintf(f, "int %s_save(const char *path, char *err, size_t errlen)\n{\n"
               "    return snnrt_model_write(path, %s_onnx_head, sizeof %s_onnx_head, %s_onnx_body,\n"
               "                             sizeof %s_onnx_body, %s_ckpt_params, %d, err, errlen);\n}\n",
            P, P, P, P, P, P, g->nparams);
    fprintf(f, "\n/* Reads the parameters back from an ONNX file (a checkpoint or any model\n"
               " * with initializers of the same names and shapes). */\n");
    fprintf(f, "int %s_load(const char *path, char *err, size_t errlen)\n{\n"
               "    return snnrt_model_load_params(path, %s_ckpt_params, %d, err, errlen);\n}\n",
            P, P, g->nparams);
    return true;
}

static bool emit_api(struct emitter *e, FILE *f, struct diag *d)
{
    struct ir_graph *g = e->g;
    const char *P = e->prefix;
    /* tables */
    fprintf(f, "\n/* What the graph reads and gives, for generic harnesses. */\n");
    e->global_ptrs = true;
    const char *kinds[] = {"inputs", "outputs", "params", "grads"};
    for (int k = 0; k < 4; k++) {
        int count = k == 0 ? g->ninputs : k == 1 ? g->noutputs : g->nparams;
        if (k == 3 && !g->training)
            count = 0;
        fprintf(f, "const struct %s_tensor %s_%s[%d] = {\n", P, P, kinds[k], count ? count : 1);
        for (int i = 0; i < count; i++) {
            struct ir_value *v = k == 0 ? g->inputs[i] : k == 1 ? g->outputs[i] : g->params[i];
            const char *ptr = emit_ptr(e, v, false);
            if (k == 3)
                ptr = v->trainable ? arena_printf(g->arena, "%s_g_%s", P, v->cname + 2) : "NULL";
            bool tmp = v->time == IR_TEMPORAL;
            int rank = v->rank + (tmp ? 1 : 0);
            fprintf(f, "    {\"%s\", %s%s%s, %s%s%s, %d, %d, {", v->name,
                    v->dtype == IR_F32 ? "(float *)" : "", v->dtype == IR_F32 ? ptr : "NULL", "",
                    v->dtype == IR_I64 ? "(int64_t *)" : "", v->dtype == IR_I64 ? ptr : "NULL", "",
                    tmp, rank);
            if (tmp)
                fprintf(f, "%d%s", g->set.num_steps, v->rank ? ", " : "");
            for (int r = 0; r < v->rank; r++)
                fprintf(f, "%lld%s", (long long)v->dims[r], r + 1 < v->rank ? ", " : "");
            if (!rank)
                fprintf(f, "0");
            fprintf(f, "}, %zu},\n", v->numel * (tmp ? (size_t)g->set.num_steps : 1));
        }
        if (!count)
            fprintf(f, "    {NULL, NULL, NULL, 0, 0, {0}, 0},\n");
        fprintf(f, "};\n");
    }
    e->global_ptrs = false;
    fprintf(f, "\nconst char *%s_error(void)\n{\n    return %s_err;\n}\n", P, P);
    fprintf(f, "\n/* The generator of the random encoders, for seeding and checkpoints. */\n"
               "void %s_seed(uint64_t seed)\n{\n    snnrt_rng_seed(&%s_rng, seed);\n    %s_rng_seeded = 1;\n}\n"
               "\nvoid %s_rng_get(uint32_t state[4])\n{\n    memcpy(state, %s_rng.s, sizeof %s_rng.s);\n}\n"
               "\nvoid %s_rng_set(const uint32_t state[4])\n{\n    memcpy(%s_rng.s, state, sizeof %s_rng.s);\n"
               "    %s_rng_seeded = 1;\n}\n", P, P, P, P, P, P, P, P, P, P);
    if (!g->training)
        return true;
    /* parameter init */
    fprintf(f, "\n/* Parameters from the model, or PyTorch's default init (SPEC section 7). */\n");
    fprintf(f, "void %s_init_params(uint64_t seed)\n{\n    struct snnrt_rng rng;\n", P);
    fprintf(f, "    snnrt_rng_seed(&rng, seed);\n");
    for (int i = 0; i < g->nparams; i++) {
        struct ir_value *v = g->params[i];
        const char *c = v->cname + 2;
        if (v->f32) {
            fprintf(f, "    memcpy(%s_p_%s, %s_init_%s, sizeof %s_p_%s);\n", P, c, P, c, P, c);
            continue;
        }
        float fill;
        double b = init_bound(g, v, &fill);
        if (!isnan(fill)) {
            fprintf(f, "    for (int i = 0; i < %zu; i++)\n        %s_p_%s[i] = %s;\n", v->numel, P, c,
                    emit_float(e, fill));
        } else if (b > 0) {
            fprintf(f, "    for (int i = 0; i < %zu; i++) /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */\n"
                       "        %s_p_%s[i] = snnrt_rng_uniform_range(&rng, %s, %s);\n",
                    v->numel, P, c, emit_float(e, (float)-b), emit_float(e, (float)b));
        } else {
            return diag_error(d, "%s: parameter '%s' has no data and no default init", g->file, v->name);
        }
    }
    fprintf(f, "    %s_steps_taken = 0;\n", P);
    for (int i = 0; i < g->nparams; i++) {
        struct ir_value *v = g->params[i];
        if (v->trainable)
            fprintf(f, "    memset(%s_m_%s, 0, sizeof %s_m_%s);\n    memset(%s_v_%s, 0, sizeof %s_v_%s);\n",
                    P, v->cname + 2, P, v->cname + 2, P, v->cname + 2, P, v->cname + 2);
    }
    fprintf(f, "}\n");
    /* optimizer */
    struct ir_settings *s = &g->set;
    fprintf(f, "\n/* One optimizer step over every trainable parameter (%s). */\n",
            s->sgd ? "SGD, PyTorch semantics" : "Adam, PyTorch semantics");
    fprintf(f, "void %s_optimizer_step(double lr)\n{\n    %s_steps_taken++;\n", P, P);
    if (!s->sgd)
        fprintf(f, "    const struct snnrt_adam opt = {lr, %.17g, %.17g, %.17g, %.17g};\n", s->beta1,
                s->beta2, s->eps, s->weight_decay);
    for (int i = 0; i < g->nparams; i++) {
        struct ir_value *v = g->params[i];
        const char *c = v->cname + 2;
        if (!v->trainable)
            continue;
        /* element by element: large tensors are split among the threads */
        const char *ind = "    ", *lo = "0", *len = arena_printf(g->arena, "%zu", v->numel);
        if (v->numel >= 65536) {
            fprintf(f, "    SNN_PAR_FOR\n    for (int c = 0; c < 16; c++) {\n"
                       "        const size_t lo = (size_t)%zu * c / 16, len = (size_t)%zu * (c + 1) / 16 - lo;\n",
                    v->numel, v->numel);
            ind = "        ", lo = "lo", len = "len";
        }
        if (s->sgd)
            fprintf(f, "%ssnnrt_sgd_step(lr, %.17g, %.17g, %s_p_%s + %s, %s_g_%s + %s, %s_m_%s + %s, %s, "
                       "%s_steps_taken == 1);\n",
                    ind, s->momentum, s->weight_decay, P, c, lo, P, c, lo, P, c, lo, len, P);
        else
            fprintf(f, "%ssnnrt_adam_step(&opt, %s_steps_taken, %s_p_%s + %s, %s_g_%s + %s, %s_m_%s + %s, "
                       "%s_v_%s + %s, %s);\n",
                    ind, P, P, c, lo, P, c, lo, P, c, lo, P, c, lo, len);
        if (v->numel >= 65536)
            fprintf(f, "    }\n");
    }
    fprintf(f, "}\n");
    /* optimizer state for checkpoints */
    fprintf(f, "\nlong %s_optimizer_steps(void)\n{\n    return %s_steps_taken;\n}\n", P, P);
    fprintf(f, "\nvoid %s_set_optimizer_steps(long steps)\n{\n    %s_steps_taken = steps;\n}\n", P, P);
    int nstate = 0;
    fprintf(f, "\n/* Optimizer moments (Adam m, v; SGD momentum in m), for resuming. */\n");
    fprintf(f, "const struct %s_tensor %s_opt_state[] = {\n", P, P);
    for (int i = 0; i < g->nparams; i++) {
        struct ir_value *v = g->params[i];
        if (!v->trainable)
            continue;
        for (int k = 0; k < 2; k++, nstate++)
            fprintf(f, "    {\"%s/%s\", %s_%c_%s, NULL, 0, 1, {%zu}, %zu},\n", k ? "v" : "m", v->name, P,
                    k ? 'v' : 'm', v->cname + 2, v->numel, v->numel);
    }
    if (!nstate)
        fprintf(f, "    {NULL, NULL, NULL, 0, 0, {0}, 0},\n");
    fprintf(f, "};\nconst int %s_num_opt_state = %d;\n", P, nstate);
    return emit_checkpoint(e, f, d);
}

static void emit_header(struct emitter *e, FILE *f)
{
    struct ir_graph *g = e->g;
    const char *P = e->prefix, *U = emit_upper(e, e->prefix);
    fprintf(f, "/* %s.h - generated by snnc %s from %s (model '%s'). Do not edit.\n", P, PACKAGE_VERSION,
            g->file, g->name);
    fprintf(f, " * Command: %s\n *\n", e->cmdline ? e->cmdline : "snnc");
    fprintf(f, " * Fill the inputs, call %s_forward(); outputs stay valid until the next call.\n", P);
    if (g->training)
        fprintf(f, " * %s_backward() then leaves dLoss/dparam in the gradient buffers.\n", P);
    fprintf(f, " */\n#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n", U, U);
    fprintf(f, "#define %s_T %d /* time steps */\n", U, g->set.num_steps);
    fprintf(f, "#define %s_BATCH %d\n", U, g->set.batch_size);
    fprintf(f, "#define %s_ARENA_BYTES %zu /* planned activations, records and gradients */\n", U,
            g->arena_floats * sizeof(float));
    fprintf(f, "#define %s_NUM_INPUTS %d\n#define %s_NUM_OUTPUTS %d\n#define %s_NUM_PARAMS %d\n", U,
            g->ninputs, U, g->noutputs, U, g->nparams);
    fprintf(f, "#define %s_TRAINING %d\n", U, g->training ? 1 : 0);
    if (g->training) {
        struct ir_settings *s = &g->set;
        fprintf(f, "#define %s_EPOCHS %d\n#define %s_SEED %lluULL\n#define %s_LR %.17g\n", U, s->epochs, U,
                (unsigned long long)s->seed, U, s->lr);
        fprintf(f, "#define %s_LOSS_OUTPUT %d\n", U, g->loss ? g->loss->out[0]->output_index : -1);
    }
    int pred = -1;
    for (int i = 0; i < g->noutputs; i++)
        if (g->outputs[i]->producer && g->outputs[i]->producer->op == IR_OP_PREDICT && pred < 0)
            pred = i;
    fprintf(f, "#define %s_PREDICT_OUTPUT %d /* -1: no Predict output */\n", U, pred);
    fprintf(f, "\n/* A tensor of the API; dims include T first for a temporal one. */\n");
    fprintf(f, "struct %s_tensor {\n    const char *name;\n    float *f32;\n    int64_t *i64;\n"
               "    int temporal, rank;\n    int64_t dims[9];\n    size_t numel;\n};\n\n", P);
    fprintf(f, "extern const struct %s_tensor %s_inputs[], %s_outputs[], %s_params[], %s_grads[];\n\n",
            P, P, P, P, P);
    fprintf(f, "/* Runs all T steps; 0 on success, else %s_error() says why. */\n", P);
    fprintf(f, "int %s_forward(void);\nconst char *%s_error(void);\n", P, P);
    fprintf(f, "/* Streaming: %s_reset() reads the static inputs and clears the state;\n"
               " * each %s_step() runs one step (slice t of a temporal input); after the\n"
               " * last step the outputs are final. Both return 0 or -1. */\n", P, P);
    fprintf(f, "int %s_reset(void);\nint %s_step(void);\n", P, P);
    fprintf(f, "/* Random encoders (RateEncode) draw from one generator, seeded with\n"
               " * snn.seed unless %s_seed() is called first; its state is 4 words. */\n", P);
    fprintf(f, "void %s_seed(uint64_t seed);\nvoid %s_rng_get(uint32_t state[4]);\n"
               "void %s_rng_set(const uint32_t state[4]);\n", P, P, P);
    if (g->training) {
        fprintf(f, "void %s_backward(void);\n", P);
        fprintf(f, "void %s_init_params(uint64_t seed);\n", P);
        fprintf(f, "void %s_optimizer_step(double lr);\nlong %s_optimizer_steps(void);\n", P, P);
        fprintf(f, "void %s_set_optimizer_steps(long steps);\n", P);
        fprintf(f, "extern const struct %s_tensor %s_opt_state[];\nextern const int %s_num_opt_state;\n", P, P, P);
        fprintf(f, "/* Checkpoints: the model as ONNX with the current parameters. */\n");
        fprintf(f, "int %s_save(const char *path, char *err, size_t errlen);\n", P);
        fprintf(f, "int %s_load(const char *path, char *err, size_t errlen);\n", P);
    }
    fprintf(f, "\n#endif\n");
}

/* Threads in the emitted C: the parallel loops, and the choice of how many
 * threads run each pass. */
static const char *const team_tuner =
    "/* Threads split a kernel's outputs, never its sums (a sum over the batch\n"
    " * is cut into fixed groups, added in order): results do not depend on\n"
    " * their number, so it may change from one pass to the next. Passes run\n"
    " * on all threads (OMP_NUM_THREADS), or on one when other programs hold\n"
    " * a core and threads would wait for each other. Each pass times itself;\n"
    " * now and then one pass tries the other choice, and it wins if it beat\n"
    " * both passes beside it (the same load, on a noisy machine, where a\n"
    " * long average would not be). Three wins in a row, two trials apart,\n"
    " * move from all threads to one, two wins move back. A lost trial waits\n"
    " * twice as long (eight times when it lost by far) before the next, from\n"
    " * 32 passes up to 4096. The first pass, which touches the memory for the\n"
    " * first time, is not counted. */\n"
    "#if defined(_OPENMP)\n"
    "#include <omp.h>\n"
    "static int snn_team = 1;\n"
    "#define SNN_PAR_FOR _Pragma(\"omp parallel for schedule(static) num_threads(snn_team)\")\n"
    "#define SNN_PAR_FOR2 _Pragma(\"omp parallel for collapse(2) schedule(static) num_threads(snn_team)\")\n"
    "struct snn_tuner {\n"
    "    double before, tried; /* seconds: the pass before the last trial, the trial */\n"
    "    long passes, next, wait; /* the next trial; passes between lost trials */\n"
    "    int all, trial, wins; /* the choice; this pass is a trial; trials won in a row */\n"
    "};\n\n"
    "static double snn_pass_begin(struct snn_tuner *u)\n{\n"
    "    const int most = omp_get_max_threads();\n"
    "    if (!u->next)\n        u->next = 2, u->wait = 32, u->all = 1;\n"
    "    u->trial = most > 1 && u->passes == u->next;\n"
    "    snn_team = most > 1 && (u->all ^ u->trial) ? most : 1;\n"
    "    return omp_get_wtime();\n}\n\n"
    "static void snn_pass_end(struct snn_tuner *u, double t0)\n{\n"
    "    const double s = omp_get_wtime() - t0;\n"
    "    if (u->trial) {\n        u->tried = s;\n"
    "    } else if (u->passes == u->next + 1) { /* the pass after a trial */\n"
    "        const double near = u->before < s ? u->before : s;\n"
    "        if (u->tried < near) {\n"
    "            u->next = u->passes + 2;\n"
    "            if (++u->wins == (u->all ? 3 : 2))\n"
    "                u->all = !u->all, u->wins = 0, u->wait = 32, u->next = u->passes + 32;\n"
    "        } else {\n"
    "            const long grow = u->tried > 4.0 * near ? 8 : 2;\n"
    "            u->wins = 0;\n"
    "            u->wait = u->wait * grow < 4096 ? u->wait * grow : 4096;\n"
    "            u->next = u->passes + u->wait;\n"
    "        }\n"
    "    } else if (u->passes > 0) {\n        u->before = s;\n    }\n"
    "    u->passes++;\n}\n"
    "#define SNN_PASS_BEGIN(u) const double snn_t0 = snn_pass_begin(u)\n"
    "#define SNN_PASS_END(u) snn_pass_end(u, snn_t0)\n"
    "#else\n#define SNN_PAR_FOR\n#define SNN_PAR_FOR2\n"
    "#define SNN_PASS_BEGIN(u) do { } while (0)\n#define SNN_PASS_END(u) do { } while (0)\n#endif\n\n";

/* Writes text whose lines carry one level of indentation too many. */
static void dedent(FILE *f, const char *text)
{
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
        bool ind = len >= 4 && !strncmp(l, "    ", 4);
        fprintf(f, "%.*s", (int)(ind ? len - 4 : len), ind ? l + 4 : l);
        l += len;
    }
}

bool emit_sources(struct ir_graph *g, const struct emit_options *o, const char **c_text,
                  const char **h_text, struct diag *d)
{
    struct emitter e = {0};
    e.g = g;
    e.prefix = o->prefix ? o->prefix : "model";
    e.cmdline = o->cmdline;
    for (int i = 0; !g->training && i < g->nparams; i++)
        if (!g->params[i]->f32)
            return diag_error(d, "%s: parameter '%s' has no data; inference code bakes trained weights in, "
                              "so emit it from a trained checkpoint", g->file, g->params[i]->name);
    char *bufs[EMIT_NSECTIONS] = {0};
    size_t lens[EMIT_NSECTIONS];
    for (int i = 0; i < EMIT_NSECTIONS; i++)
        e.sec[i] = section(&bufs[i], &lens[i]);
    if (!emit_ops(&e, d)) {
        for (int i = 0; i < EMIT_NSECTIONS; i++)
            close_section(&e, e.sec[i], &bufs[i]);
        return false;
    }
    char *hbuf = NULL, *dbuf = NULL;
    size_t hlen, dlen;
    FILE *h = section(&hbuf, &hlen);
    emit_header(&e, h);
    *h_text = close_section(&e, h, &hbuf);

    const char *S[EMIT_NSECTIONS];
    /* the storage section is built after emit_ops so constants can be pruned */
    emit_storage(&e, e.sec[SEC_STORAGE]);
    bool ok = emit_api(&e, e.sec[SEC_API], d);
    for (int i = 0; i < EMIT_NSECTIONS; i++)
        S[i] = close_section(&e, e.sec[i], &bufs[i]);
    if (!ok)
        return false;

    const char *P = e.prefix;
    FILE *f = section(&dbuf, &dlen);
    fprintf(f, "m4_changequote(<<<,>>>)m4_dnl\nm4_include(<<<common.m4>>>)m4_dnl\n");
    static const char *const tmpl[] = {"dense", "conv", "eltwise", "neuron", "encode", "readout", "loss"};
    for (size_t i = 0; i < sizeof tmpl / sizeof tmpl[0]; i++)
        fprintf(f, "m4_include(<<<%s.m4>>>)m4_dnl\n", tmpl[i]);
    fprintf(f, "/* %s.c - generated by snnc %s from %s (model '%s'). Do not edit.\n", P, PACKAGE_VERSION,
            g->file, g->name);
    fprintf(f, " * Command: %s\n", e.cmdline ? e.cmdline : (o->cmdline ? o->cmdline : "snnc"));
    fprintf(f, " * T = %d steps, batch %d, arena %zu bytes. Static work runs once per sample,\n"
               " * the step body in one loop over t%s.\n */\n",
            g->set.num_steps, g->set.batch_size, g->arena_floats * sizeof(float),
            g->training ? ", backward in one loop from t = T-1 down to 0" : "");
    fprintf(f, "#include <math.h>\n#include <stdarg.h>\n#include <stdio.h>\n#include <string.h>\n\n"
               "#include \"%s.h\"\n#include \"snnrt.h\"\n\n", P);
    fprintf(f, "#if defined(_OPENMP) || defined(SNN_OPENMP_SIMD)\n"
               "#define SNN_SIMD_SUM _Pragma(\"omp simd reduction(+:acc)\")\n#else\n"
               "#define SNN_SIMD_SUM\n#endif\n");
    fprintf(f, "%s", team_tuner);
    fprintf(f, "static char %s_err[256];\nstatic int %s_next_step; /* of the streaming API */\n", P, P);
    fprintf(f, "static struct snnrt_rng %s_rng;\nstatic int %s_rng_seeded;\n", P, P);
    if (g->training)
        fprintf(f, "static long %s_steps_taken;\n", P);
    fprintf(f, "%s", S[SEC_STORAGE]);
    fprintf(f, "\nstatic int snn_fail(const char *fmt, ...)\n{\n    va_list ap;\n    va_start(ap, fmt);\n"
               "    vsnprintf(%s_err, sizeof %s_err, fmt, ap);\n    va_end(ap);\n    return -1;\n}\n", P, P);
    fprintf(f, "\nstatic inline __attribute__((unused)) float snn_clamp01(float x)\n{\n"
               "    return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x;\n}\n");
    fprintf(f, "%s", S[SEC_DEFS]);
    /* forward in three parts, so that streaming callers can step by hand */
    fprintf(f, "\n/* Checks the inputs, computes the static part once, clears the state. */\n");
    fprintf(f, "static int %s_begin(void)\n{\n    float *const A = %s_arena;\n    (void)A;\n", P, P);
    fprintf(f, "%s%s", S[SEC_CHECKS], S[SEC_ONCE]);
    fprintf(f, "    /* state at t = 0 */\n%s    return 0;\n}\n", S[SEC_PRE]);
    int T = g->set.num_steps, R = g->chunk_rows, CH = R ? g->set.batch_size / R : 1;
    if (g->chunk_fwd) {
        fprintf(f, "\n/* One time step of batch rows [n0, n1): the body of the unrolled network. */\n");
        fprintf(f, "static void %s_step_rows(int t, int n0, int n1)\n{\n    float *const A = %s_arena;\n"
                   "    (void)A;\n    (void)t;\n    (void)n0;\n    (void)n1;\n", P, P);
    } else {
        fprintf(f, "\n/* One time step: the body of the unrolled network. */\n");
        fprintf(f, "static void %s_step_at(int t)\n{\n    float *const A = %s_arena;\n    (void)A;\n    (void)t;\n",
                P, P);
    }
    dedent(f, S[SEC_STEP]); /* written for the loop's indentation */
    fprintf(f, "}\n");
    if (g->chunk_fwd) {
        fprintf(f, "\n/* One time step of the whole batch, chunk by chunk of %d rows. */\n", R);
        fprintf(f, "static void %s_step_at(int t)\n{\n    for (int c = 0; c < %d; c++)\n"
                   "        %s_step_rows(t, c * %d, c * %d + %d);\n}\n", P, CH, P, R, R, R);
    }
    fprintf(f, "\n/* Finishes the reductions over time: losses, counts, predictions. */\n");
    fprintf(f, "static void %s_end(void)\n{\n    float *const A = %s_arena;\n    (void)A;\n", P, P);
    fprintf(f, "%s%s}\n", S[SEC_POST], S[SEC_AFTER]);
    fprintf(f, "\n#if defined(_OPENMP)\nstatic struct snn_tuner %s_tune_fwd;\n%s#endif\n", P,
            g->training ? arena_printf(g->arena, "static struct snn_tuner %s_tune_bwd;\n", P) : "");
    fprintf(f, "\nint %s_forward(void)\n{\n    SNN_PASS_BEGIN(&%s_tune_fwd);\n    if (%s_begin() != 0)\n"
               "        return -1;\n", P, P, P);
    if (g->chunk_fwd) /* each chunk of rows through every step; threads take chunks */
        fprintf(f, "    SNN_PAR_FOR\n    for (int c = 0; c < %d; c++)\n        for (int t = 0; t < %d; t++)\n"
                   "            %s_step_rows(t, c * %d, c * %d + %d);\n    %s_end();\n", CH, T, P, R, R, R, P);
    else
        fprintf(f, "    for (int t = 0; t < %d; t++)\n        %s_step_at(t);\n    %s_end();\n", T, P, P);
    fprintf(f, "    %s_next_step = %d;\n    SNN_PASS_END(&%s_tune_fwd);\n    return 0;\n}\n", P, T, P);
    fprintf(f, "\nint %s_reset(void)\n{\n    %s_next_step = 0;\n    return %s_begin();\n}\n", P, P, P);
    fprintf(f, "\nint %s_step(void)\n{\n    if (%s_next_step >= %d)\n"
               "        return snn_fail(\"all %d steps have run; call %s_reset() first\");\n"
               "    %s_step_at(%s_next_step++);\n    if (%s_next_step == %d)\n        %s_end();\n"
               "    return 0;\n}\n", P, P, T, T, P, P, P, P, T, P);
    if (g->training) {
        if (g->chunk_bwd) {
            fprintf(f, "\n/* One step of backpropagation through time for batch rows [n0, n1). */\n");
            fprintf(f, "static void %s_bstep_rows(int t, int n0, int n1)\n{\n    float *const A = %s_arena;\n"
                       "    (void)A;\n    (void)t;\n    (void)n0;\n    (void)n1;\n", P, P);
            dedent(f, S[SEC_BSTEP]);
            fprintf(f, "}\n");
        }
        fprintf(f, "\nvoid %s_backward(void)\n{\n    float *const A = %s_arena;\n    (void)A;\n"
                   "    SNN_PASS_BEGIN(&%s_tune_bwd);\n", P, P, P);
        fprintf(f, "%s%s", S[SEC_BZERO], S[SEC_BAFTER]);
        fprintf(f, "    /* gradients summed over the steps, and carried state */\n%s", S[SEC_BPRE]);
        if (g->chunk_bwd)
            fprintf(f, "    /* chunks of %d rows, each from step %d down to 0; threads take chunks */\n"
                       "    SNN_PAR_FOR\n    for (int c = 0; c < %d; c++)\n        for (int t = %d; t >= 0; t--)\n"
                       "            %s_bstep_rows(t, c * %d, c * %d + %d);\n", R, T - 1, CH, T - 1, P, R, R, R);
        else
            fprintf(f, "    for (int t = %d; t >= 0; t--) {\n%s    }\n", T - 1, S[SEC_BSTEP]);
        fprintf(f, "%s    SNN_PASS_END(&%s_tune_bwd);\n}\n", S[SEC_BONCE], P);
    }
    fprintf(f, "%s", S[SEC_API]);
    fclose(f);
    char *out = NULL;
    ok = emit_run_m4(g, dbuf, dlen, &out, d);
    free(dbuf);
    if (!ok)
        return false;
    *c_text = out;
    (void)memset_value;
    return true;
}

/* ---------------------------------------------------------------- files */

bool emit_write_file(const char *dir, const char *name, const char *text, size_t len, struct diag *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return diag_error(d, "%s: cannot create: %s", path, strerror(errno));
    bool ok = fwrite(text, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        return diag_error(d, "%s: cannot write: %s", path, strerror(errno));
    return true;
}

static bool copy_file(const char *src, const char *dir, const char *name, struct diag *d)
{
    FILE *f = fopen(src, "rb");
    if (!f)
        return diag_error(d, "%s: cannot open: %s (is SNNC_DATADIR right?)", src, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 131072;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return diag_error(d, "out of memory");
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    bool ok = emit_write_file(dir, name, buf ? buf : "", len, d);
    free(buf);
    return ok;
}

static int remove_tree(const char *dir)
{
    char cmd[8192];
    if (strchr(dir, '\''))
        return -1;
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
    return system(cmd);
}

static const char *const runtime_files[] = {"snnrt.h", "rt_prng.c", "rt_optim.c", "rt_tensor_io.c",
                                            "rt_data.c", "rt_progress.c", "rt_cli.c"};

/* The folder is built in a sibling and renamed into place, so it appears
 * whole or not at all; an earlier output of snnc (it holds PROBE) is
 * replaced, anything else is refused. */
bool emit_folder_begin(const char *outdir, char tmp[4096], struct diag *d)
{
    snprintf(tmp, 4096, "%s.tmp-XXXXXX", outdir);
    if (!mkdtemp(tmp))
        return diag_error(d, "%s: cannot create a folder next to it: %s", outdir, strerror(errno));
    chmod(tmp, 0755);
    return true;
}

bool emit_folder_commit(const char *outdir, const char *tmp, const char *probe_name, bool ok,
                        struct diag *d)
{
    if (!ok) {
        remove_tree(tmp);
        return false;
    }
    struct stat st;
    if (stat(outdir, &st) == 0) {
        char probe[4096], old[4096];
        snprintf(probe, sizeof probe, "%s/%s", outdir, probe_name);
        snprintf(old, sizeof old, "%s.old-%ld", outdir, (long)getpid());
        if (!S_ISDIR(st.st_mode) || access(probe, F_OK) != 0 || rename(outdir, old) != 0) {
            remove_tree(tmp);
            return diag_error(d, "%s: exists and is not an earlier output of snnc; not overwriting it",
                              outdir);
        }
        if (rename(tmp, outdir) != 0) {
            rename(old, outdir);
            remove_tree(tmp);
            return diag_error(d, "%s: cannot rename into place: %s", outdir, strerror(errno));
        }
        remove_tree(old);
        return true;
    }
    if (rename(tmp, outdir) != 0) {
        remove_tree(tmp);
        return diag_error(d, "%s: cannot create: %s", outdir, strerror(errno));
    }
    return true;
}

bool emit_model(struct ir_graph *g, const struct emit_options *o, struct diag *d)
{
    if ((o->target && strcmp(o->target, "host")) || (o->quantize && strcmp(o->quantize, "none")))
        return emit_mcu_model(g, o, d);
    const char *c_text = NULL, *h_text = NULL;
    if (!emit_sources(g, o, &c_text, &h_text, d))
        return false;
    const char *P = o->prefix ? o->prefix : "model";
    const char *data = emit_datadir();
    char tmp[4096];
    if (!emit_folder_begin(o->outdir, tmp, d))
        return false;
    bool ok = emit_write_file(tmp, arena_printf(g->arena, "%s.c", P), c_text, strlen(c_text), d) &&
              emit_write_file(tmp, arena_printf(g->arena, "%s.h", P), h_text, strlen(h_text), d);
    for (size_t i = 0; ok && i < sizeof runtime_files / sizeof runtime_files[0]; i++)
        ok = copy_file(arena_printf(g->arena, "%s/runtime/%s", data, runtime_files[i]), tmp,
                       runtime_files[i], d);
    if (ok && o->program)
        ok = emit_program(g, o, tmp, d);
    return emit_folder_commit(o->outdir, tmp, arena_printf(g->arena, "%s.c", P), ok, d);
}
