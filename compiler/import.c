/* import.c - ONNX ModelProto to IR (SPEC sections 1-7).
 *
 * Takes: an unpacked Onnx__ModelProto. Gives: the forward graph with
 * values for inputs, initializers and node outputs, attributes parsed and
 * checked, nodes in topological order, settings from metadata_props.
 * Holds: every name is defined once, every node input is defined, the
 * graph is acyclic, each op is known and has a legal arity and attributes.
 * Shapes of node outputs are left to infer.c.
 */
#include "pipeline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

#define NODE_FMT "%s: node '%s' (%s%s%s): "
#define NODE_ARGS(g, np)                                                                       \
    (g)->file, node_label(np), ((np)->domain && *(np)->domain) ? (np)->domain : "",            \
        ((np)->domain && *(np)->domain) ? "." : "", (np)->op_type ? (np)->op_type : "?"

static const char *node_label(const Onnx__NodeProto *np)
{
    if (np->name && *np->name)
        return np->name;
    if (np->n_output && np->output[0] && *np->output[0])
        return np->output[0];
    return "?";
}

/* ---------------------------------------------------------------- settings */

static bool parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_float(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool read_metadata(struct ir_graph *g, const Onnx__ModelProto *m, struct diag *d)
{
    struct ir_settings *s = &g->set;
    s->batch_size = 128;
    s->epochs = 1;
    s->seed = 1;
    s->lr = 5e-4;
    s->beta1 = 0.9;
    s->beta2 = 0.999;
    s->eps = 1e-8;
    for (size_t i = 0; i < m->n_metadata_props; i++) {
        const char *k = m->metadata_props[i]->key ? m->metadata_props[i]->key : "";
        const char *v = m->metadata_props[i]->value ? m->metadata_props[i]->value : "";
        long n = 0;
        bool ok = true;
        if (strncmp(k, "snn.", 4) != 0)
            continue;
        if (!strcmp(k, "snn.num_steps")) {
            ok = parse_int(v, 1, 1000000, &n);
            s->num_steps = (int)n;
        } else if (!strcmp(k, "snn.batch_size")) {
            ok = parse_int(v, 1, 1000000, &n);
            s->batch_size = (int)n;
        } else if (!strcmp(k, "snn.epochs")) {
            ok = parse_int(v, 0, 1000000, &n);
            s->epochs = (int)n;
        } else if (!strcmp(k, "snn.seed")) {
            ok = parse_int(v, 0, 2147483647L, &n);
            s->seed = (uint64_t)n;
        } else if (!strcmp(k, "snn.optimizer")) {
            if (!strcmp(v, "adam"))
                s->sgd = 0;
            else if (!strcmp(v, "sgd"))
                s->sgd = 1;
            else
                return diag_error(d, "%s: metadata snn.optimizer is \"%s\"; expected adam or sgd",
                                  g->file, v);
        } else if (!strcmp(k, "snn.learning_rate")) {
            ok = parse_float(v, &s->lr) && s->lr > 0;
        } else if (!strcmp(k, "snn.adam_betas")) {
            char a[64], b[64];
            const char *comma = strchr(v, ',');
            ok = comma && (size_t)(comma - v) < sizeof a && strlen(comma + 1) < sizeof b;
            if (ok) {
                memcpy(a, v, (size_t)(comma - v));
                a[comma - v] = 0;
                memcpy(b, comma + 1, strlen(comma + 1) + 1);
                ok = parse_float(a, &s->beta1) && parse_float(b, &s->beta2) && s->beta1 >= 0 &&
                     s->beta1 < 1 && s->beta2 >= 0 && s->beta2 < 1;
            }
        } else if (!strcmp(k, "snn.momentum")) {
            ok = parse_float(v, &s->momentum) && s->momentum >= 0;
        } else if (!strcmp(k, "snn.weight_decay")) {
            ok = parse_float(v, &s->weight_decay) && s->weight_decay >= 0;
        } else if (!strcmp(k, "snn.frozen")) {
            /* read when parameters are known */
        } else {
            return diag_error(d, "%s: unknown metadata key \"%s\" (SPEC section 1 lists the snn.* keys)",
                              g->file, k);
        }
        if (!ok)
            return diag_error(d, "%s: metadata %s has the bad value \"%s\"", g->file, k, v);
    }
    return true;
}

static bool is_frozen(const Onnx__ModelProto *m, const char *name)
{
    for (size_t i = 0; i < m->n_metadata_props; i++) {
        const char *k = m->metadata_props[i]->key;
        const char *v = m->metadata_props[i]->value;
        if (!k || !v || strcmp(k, "snn.frozen") != 0)
            continue;
        size_t len = strlen(name);
        for (const char *p = v; *p;) {
            while (*p == ' ' || *p == ',')
                p++;
            const char *e = p;
            while (*e && *e != ',')
                e++;
            const char *t = e;
            while (t > p && t[-1] == ' ')
                t--;
            if ((size_t)(t - p) == len && !strncmp(p, name, len))
                return true;
            p = e;
        }
    }
    return false;
}

/* ---------------------------------------------------------------- tensors */

static bool check_dims(struct ir_graph *g, const char *what, const char *name, size_t rank,
                       const int64_t *dims, size_t *numel, struct diag *d)
{
    if (rank > IR_MAX_RANK)
        return diag_error(d, "%s: %s '%s' has rank %zu; at most %d is supported", g->file, what,
                          name, rank, IR_MAX_RANK);
    size_t n = 1;
    for (size_t i = 0; i < rank; i++) {
        if (dims[i] <= 0)
            return diag_error(d, "%s: %s '%s' has dimension %zu of size %lld; sizes must be positive",
                              g->file, what, name, i, (long long)dims[i]);
        if ((uint64_t)dims[i] > ((uint64_t)1 << 40) / n)
            return diag_error(d, "%s: %s '%s' is too large: its size overflows", g->file, what, name);
        n *= (size_t)dims[i];
    }
    *numel = n;
    return true;
}

static bool import_initializer(struct ir_graph *g, const Onnx__ModelProto *m,
                               const Onnx__TensorProto *t, struct diag *d)
{
    const char *name = t->name ? t->name : "";
    if (!*name)
        return diag_error(d, "%s: an initializer has no name", g->file);
    if (ir_value_find(g, name))
        return diag_error(d, "%s: the name '%s' is defined twice", g->file, name);
    size_t numel = 0;
    if (!check_dims(g, "initializer", name, t->n_dims, t->dims, &numel, d))
        return false;
    struct ir_value *v = ir_value_new(g, name);
    v->role = IR_ROLE_CONST;
    v->rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++)
        v->dims[i] = t->dims[i];
    v->numel = numel;
    if (t->n_external_data || (t->has_data_location && t->data_location != 0))
        return diag_error(d, "%s: initializer '%s' keeps its data in an external file; snnc needs it inline",
                          g->file, name);
    if (t->data_type == 1) {
        v->dtype = IR_F32;
        if (t->n_float_data) {
            if (t->n_float_data != numel)
                return diag_error(d, "%s: initializer '%s' has %zu values in float_data; its dims need %zu",
                                  g->file, name, t->n_float_data, numel);
            float *p = arena_array(g->arena, numel, sizeof *p);
            memcpy(p, t->float_data, numel * sizeof *p);
            v->f32 = p;
        } else if (t->has_raw_data && t->raw_data.len) {
            if (t->raw_data.len != numel * 4)
                return diag_error(d, "%s: initializer '%s' has %zu bytes of raw_data; its dims need %zu",
                                  g->file, name, t->raw_data.len, numel * 4);
            float *p = arena_array(g->arena, numel, sizeof *p);
            for (size_t i = 0; i < numel; i++) { /* raw_data is little-endian */
                const uint8_t *b = t->raw_data.data + 4 * i;
                uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                             (uint32_t)b[3] << 24;
                memcpy(&p[i], &u, 4);
            }
            v->f32 = p;
        }
        for (size_t i = 0; v->f32 && i < numel; i++)
            if (!isfinite(v->f32[i]))
                return diag_error(d, "%s: initializer '%s' holds a NaN or Inf at index %zu", g->file,
                                  name, i);
        v->trainable = !is_frozen(m, name);
    } else if (t->data_type == 7) {
        v->dtype = IR_I64;
        int64_t *p = arena_array(g->arena, numel, sizeof *p);
        if (t->n_int64_data == numel) {
            memcpy(p, t->int64_data, numel * sizeof *p);
        } else if (t->has_raw_data && t->raw_data.len == numel * 8) {
            for (size_t i = 0; i < numel; i++) {
                uint64_t u = 0;
                for (int k = 7; k >= 0; k--)
                    u = u << 8 | t->raw_data.data[8 * i + (size_t)k];
                memcpy(&p[i], &u, 8);
            }
        } else {
            return diag_error(d, "%s: int64 initializer '%s' has no data matching its %zu elements",
                              g->file, name, numel);
        }
        v->i64 = p;
    } else {
        return diag_error(d, "%s: initializer '%s' has data_type %d; snnc reads float32 (1) and int64 (7)",
                          g->file, name, t->data_type);
    }
    return true;
}

/* ---------------------------------------------------------------- graph inputs */

static bool import_input(struct ir_graph *g, const Onnx__ValueInfoProto *vi, struct diag *d)
{
    const char *name = vi->name ? vi->name : "";
    if (!*name)
        return diag_error(d, "%s: a graph input has no name", g->file);
    struct ir_value *init = ir_value_find(g, name);
    if (init) /* ONNX allows initializers to be listed as inputs too */
        return true;
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return diag_error(d, "%s: graph input '%s' is not a tensor", g->file, name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (!tt->shape)
        return diag_error(d, "%s: graph input '%s' has no shape", g->file, name);
    if (g->ninputs >= (int)(sizeof g->inputs / sizeof g->inputs[0]))
        return diag_error(d, "%s: too many graph inputs", g->file);
    struct ir_value *v = ir_value_new(g, name);
    v->role = IR_ROLE_INPUT;
    v->input_index = g->ninputs;
    g->inputs[g->ninputs++] = v;
    if (tt->elem_type == 1)
        v->dtype = IR_F32;
    else if (tt->elem_type == 7)
        v->dtype = IR_I64;
    else
        return diag_error(d, "%s: graph input '%s' has elem_type %d; expected 1 (float) or 7 (int64)",
                          g->file, name, tt->elem_type);
    size_t nd = tt->shape->n_dim;
    int rank = 0;
    for (size_t i = 0; i < nd; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[i];
        if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
            const char *p = dm->dim_param ? dm->dim_param : "";
            if (!strcmp(p, "T") && i == 0) {
                v->time = IR_TEMPORAL;
                continue;
            }
            if (!strcmp(p, "N") && rank == 0) {
                v->batched = true;
                v->dims[rank++] = 0; /* set once the batch is known */
                continue;
            }
            return diag_error(d, "%s: graph input '%s': dimension %zu is \"%s\"; only a leading \"T\" "
                              "and then \"N\" may be symbolic (SPEC section 2)", g->file, name, i, p);
        }
        if (dm->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || dm->dim_value <= 0)
            return diag_error(d, "%s: graph input '%s': dimension %zu has no positive size", g->file,
                              name, i);
        if (rank >= IR_MAX_RANK)
            return diag_error(d, "%s: graph input '%s' has too many dimensions", g->file, name);
        v->dims[rank++] = dm->dim_value;
    }
    v->rank = rank;
    return true;
}

/* ---------------------------------------------------------------- attributes */

struct attr_ctx {
    struct ir_graph *g;
    const Onnx__NodeProto *np;
    struct diag *d;
    unsigned used; /* bit per attribute index that an op consumed */
};

static const Onnx__AttributeProto *attr_find(struct attr_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->np->n_attribute; i++) {
        const Onnx__AttributeProto *a = c->np->attribute[i];
        if (a->name && !strcmp(a->name, name)) {
            if (i < 32)
                c->used |= 1u << i;
            return a;
        }
    }
    return NULL;
}

static bool attr_type_error(struct attr_ctx *c, const char *name, const char *want)
{
    return diag_error(c->d, NODE_FMT "attribute %s must be %s", NODE_ARGS(c->g, c->np), name, want);
}

static bool attr_float(struct attr_ctx *c, const char *name, float def, float *out)
{
    const Onnx__AttributeProto *a = attr_find(c, name);
    *out = def;
    if (!a)
        return true;
    if (a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)
        *out = a->f;
    else if (a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
        *out = (float)a->i;
    else
        return attr_type_error(c, name, "a float");
    if (!isfinite(*out))
        return diag_error(c->d, NODE_FMT "attribute %s is not finite", NODE_ARGS(c->g, c->np), name);
    return true;
}

static bool attr_int(struct attr_ctx *c, const char *name, int def, int lo, int hi, int *out)
{
    const Onnx__AttributeProto *a = attr_find(c, name);
    *out = def;
    if (!a)
        return true;
    if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
        return attr_type_error(c, name, "an int");
    if (a->i < lo || a->i > hi)
        return diag_error(c->d, NODE_FMT "attribute %s is %lld; expected %d to %d",
                          NODE_ARGS(c->g, c->np), name, (long long)a->i, lo, hi);
    *out = (int)a->i;
    return true;
}

static bool attr_ints(struct attr_ctx *c, const char *name, int n, int def, int lo, int *out)
{
    const Onnx__AttributeProto *a = attr_find(c, name);
    for (int i = 0; i < n; i++)
        out[i] = def;
    if (!a)
        return true;
    if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
        return attr_type_error(c, name, "a list of ints");
    if ((int)a->n_ints != n)
        return diag_error(c->d, NODE_FMT "attribute %s has %zu values; expected %d",
                          NODE_ARGS(c->g, c->np), name, a->n_ints, n);
    for (int i = 0; i < n; i++) {
        if (a->ints[i] < lo || a->ints[i] > 4096)
            return diag_error(c->d, NODE_FMT "attribute %s has the value %lld; expected %d to 4096",
                              NODE_ARGS(c->g, c->np), name, (long long)a->ints[i], lo);
        out[i] = (int)a->ints[i];
    }
    return true;
}

/* A string attribute that must be one of `choices` (NULL-terminated). */
static bool attr_enum(struct attr_ctx *c, const char *name, const char *const *choices, int def,
                      int *out)
{
    const Onnx__AttributeProto *a = attr_find(c, name);
    *out = def;
    if (!a)
        return true;
    if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
        return attr_type_error(c, name, "a string");
    char s[64];
    size_t len = a->s.len;
    if (len > sizeof s - 1)
        len = sizeof s - 1;
    for (size_t i = 0; i < len; i++) { /* shown in a message: one printable line */
        unsigned char ch = a->s.data[i];
        s[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    s[len] = 0;
    for (int i = 0; choices[i]; i++)
        if (a->s.len == strlen(choices[i]) && !strcmp(s, choices[i])) {
            *out = i;
            return true;
        }
    char list[256] = "";
    for (int i = 0; choices[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i == 0 ? "" : choices[i + 1] ? ", " : " or ", choices[i]);
    return diag_error(c->d, NODE_FMT "%s is \"%s\"; expected %s", NODE_ARGS(c->g, c->np), name, s, list);
}

static const char *const resets[] = {"subtract", "zero", "none", NULL};
static const char *const surrogates[] = {"atan", "fast_sigmoid", "sigmoid", "straight_through", NULL};
static const char *const rules[] = {"count", "membrane_sum", "membrane_max", "first_spike", NULL};
static const char *const inverses[] = {"negate", "reciprocal", NULL};

static bool neuron_attrs(struct attr_ctx *c, struct ir_attrs *at, bool synaptic)
{
    int r, s;
    if (!attr_float(c, "threshold", 1.0f, &at->threshold) ||
        !attr_enum(c, "reset_mechanism", resets, 0, &r) ||
        !attr_enum(c, "surrogate", surrogates, 0, &s) ||
        !attr_float(c, synaptic ? "surrogate_alpha" : "alpha", 2.0f, &at->surr_alpha) ||
        !attr_float(c, "slope", 25.0f, &at->slope))
        return false;
    at->reset = (enum ir_reset)r;
    at->surrogate = (enum ir_surrogate)s;
    return true;
}

static bool parse_attrs(struct ir_graph *g, struct ir_node *n, const Onnx__NodeProto *np, struct diag *d)
{
    struct attr_ctx c = {g, np, d, 0};
    struct ir_attrs *at = &n->at;
    bool ok = true;
    switch (n->op) {
    case IR_OP_GEMM:
        ok = attr_float(&c, "alpha", 1.0f, &at->alpha) && attr_float(&c, "beta", 1.0f, &at->beta) &&
             attr_int(&c, "transA", 0, 0, 1, &at->trans_a) &&
             attr_int(&c, "transB", 0, 0, 1, &at->trans_b);
        if (ok && at->trans_a)
            return diag_error(d, NODE_FMT "transA=1 is not supported (the batch must be the first "
                              "dimension of A)", NODE_ARGS(g, np));
        break;
    case IR_OP_FLATTEN:
        ok = attr_int(&c, "axis", 1, -8, 8, &at->axis);
        break;
    case IR_OP_CONV: {
        int dil[2];
        ok = attr_ints(&c, "kernel_shape", 2, 0, 1, at->kernel) &&
             attr_ints(&c, "strides", 2, 1, 1, at->strides) &&
             attr_ints(&c, "pads", 4, 0, 0, at->pads) && attr_ints(&c, "dilations", 2, 1, 1, dil) &&
             attr_int(&c, "group", 1, 1, 1 << 20, &at->group);
        if (!ok)
            return false;
        if (dil[0] != 1 || dil[1] != 1)
            return diag_error(d, NODE_FMT "dilations other than 1 are not supported", NODE_ARGS(g, np));
        if (at->group != 1)
            return diag_error(d, NODE_FMT "group=%d is not supported; only 1", NODE_ARGS(g, np),
                              at->group);
        if (attr_find(&c, "auto_pad"))
            return diag_error(d, NODE_FMT "auto_pad is not supported; give pads", NODE_ARGS(g, np));
        break;
    }
    case IR_OP_MAXPOOL:
    case IR_OP_AVGPOOL: {
        int dil[2];
        ok = attr_ints(&c, "kernel_shape", 2, 0, 1, at->kernel) &&
             attr_ints(&c, "pads", 4, 0, 0, at->pads) && attr_ints(&c, "dilations", 2, 1, 1, dil) &&
             attr_int(&c, "ceil_mode", 0, 0, 0, &at->ceil_mode) &&
             attr_int(&c, "count_include_pad", 0, 0, 1, &at->count_include_pad) &&
             attr_int(&c, "storage_order", 0, 0, 0, &at->group);
        if (!ok)
            return false;
        if (!attr_find(&c, "kernel_shape"))
            return diag_error(d, NODE_FMT "attribute kernel_shape is required", NODE_ARGS(g, np));
        if (!attr_ints(&c, "strides", 2, 1, 1, at->strides))
            return false;
        if (!attr_find(&c, "strides")) { /* ONNX default stride is 1 */
            at->strides[0] = at->strides[1] = 1;
        }
        if (dil[0] != 1 || dil[1] != 1)
            return diag_error(d, NODE_FMT "dilations other than 1 are not supported", NODE_ARGS(g, np));
        break;
    }
    case IR_OP_LEAKY:
        ok = neuron_attrs(&c, at, false) && attr_float(&c, "beta", NAN, &at->decay);
        if (ok && isnan(at->decay) && (np->n_input < 2 || !*np->input[1]))
            return diag_error(d, NODE_FMT "attribute beta is required unless beta is given as input 2",
                              NODE_ARGS(g, np));
        break;
    case IR_OP_SYNAPTIC:
        ok = neuron_attrs(&c, at, true) && attr_float(&c, "alpha", NAN, &at->syn_decay) &&
             attr_float(&c, "beta", NAN, &at->decay);
        if (ok && (isnan(at->decay) || isnan(at->syn_decay)))
            return diag_error(d, NODE_FMT "attributes alpha and beta are required", NODE_ARGS(g, np));
        break;
    case IR_OP_MS_LEAKY:
        ok = attr_float(&c, "threshold", 1.0f, &at->threshold) &&
             attr_float(&c, "beta", 1.0f, &at->decay) &&
             attr_int(&c, "max_strength", 0, 0, 1 << 20, &at->max_strength);
        break;
    case IR_OP_RATE_ENCODE:
        ok = attr_float(&c, "gain", 1.0f, &at->gain);
        break;
    case IR_OP_LATENCY_ENCODE:
        ok = attr_float(&c, "tau", 1.0f, &at->tau) &&
             attr_float(&c, "threshold", 0.01f, &at->lat_threshold) &&
             attr_int(&c, "linear", 0, 0, 1, &at->linear) &&
             attr_int(&c, "normalize", 0, 0, 1, &at->normalize) &&
             attr_int(&c, "clip", 0, 0, 1, &at->clip) &&
             attr_float(&c, "first_spike_time", 0.0f, &at->first_spike_time) &&
             attr_float(&c, "epsilon", 1e-7f, &at->epsilon);
        if (ok && !(at->tau > 0))
            return diag_error(d, NODE_FMT "tau must be positive", NODE_ARGS(g, np));
        if (ok && !(at->lat_threshold > 0 && at->lat_threshold < 1))
            return diag_error(d, NODE_FMT "threshold must lie in (0, 1)", NODE_ARGS(g, np));
        break;
    case IR_OP_PREDICT: {
        int r;
        ok = attr_enum(&c, "rule", rules, 0, &r);
        at->rule = (enum ir_predict)r;
        break;
    }
    case IR_OP_MSE_COUNT_LOSS:
        ok = attr_float(&c, "correct_rate", 1.0f, &at->correct_rate) &&
             attr_float(&c, "incorrect_rate", 0.0f, &at->incorrect_rate);
        break;
    case IR_OP_MSE_MEMBRANE_LOSS:
        ok = attr_float(&c, "on_target", 1.0f, &at->on_target) &&
             attr_float(&c, "off_target", 0.0f, &at->off_target);
        break;
    case IR_OP_CE_TEMPORAL_LOSS: {
        int r;
        ok = attr_enum(&c, "inverse", inverses, 0, &r);
        at->reciprocal = r;
        break;
    }
    case IR_OP_MATMUL:
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_MUL:
    case IR_OP_RELU:
    case IR_OP_RESHAPE:
    case IR_OP_IDENTITY:
    case IR_OP_SPIKE_COUNT:
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_COUNT:
        break;
    }
    if (!ok)
        return false;
    /* An attribute the op does not know is a typo more often than not. */
    for (size_t i = 0; i < np->n_attribute && i < 32; i++) {
        if (c.used & (1u << i))
            continue;
        const char *an = np->attribute[i]->name ? np->attribute[i]->name : "";
        if (n->op == IR_OP_RESHAPE && !strcmp(an, "allowzero"))
            continue;
        return diag_error(d, NODE_FMT "unknown attribute '%s'", NODE_ARGS(g, np), an);
    }
    return true;
}

/* ---------------------------------------------------------------- nodes */

static bool find_op(const char *domain, const char *op_type, enum ir_op *out)
{
    if (!strcmp(domain, "ai.onnx"))
        domain = "";
    for (int i = 0; i < IR_OP_COUNT; i++)
        if (!strcmp(ir_op_table[i].name, op_type) && !strcmp(ir_op_table[i].domain, domain)) {
            *out = (enum ir_op)i;
            return true;
        }
    return false;
}

static bool import_node(struct ir_graph *g, const Onnx__NodeProto *np, struct diag *d)
{
    const char *dom = np->domain ? np->domain : "";
    const char *type = np->op_type ? np->op_type : "";
    enum ir_op op;
    if (!find_op(dom, type, &op)) {
        enum ir_op other;
        if (find_op(*dom ? "" : "snn", type, &other))
            return diag_error(d, NODE_FMT "op %s belongs to domain \"%s\", not \"%s\"",
                              NODE_ARGS(g, np), type, ir_op_table[other].domain, dom);
        return diag_error(d, NODE_FMT "unsupported op; snnc knows the ops of SPEC sections 3-6",
                          NODE_ARGS(g, np));
    }
    const struct ir_op_info *info = &ir_op_table[op];
    /* trailing empty names are absent optional inputs */
    size_t nin = np->n_input;
    while (nin > 0 && (!np->input[nin - 1] || !*np->input[nin - 1]))
        nin--;
    if ((int)nin < info->min_in || (int)nin > info->max_in)
        return diag_error(d, NODE_FMT "has %zu inputs; expected %d%s%d", NODE_ARGS(g, np), nin,
                          info->min_in, info->min_in == info->max_in ? "" : " to ",
                          info->min_in == info->max_in ? 0 : info->max_in);
    if ((int)np->n_output < info->min_out || (int)np->n_output > info->max_out)
        return diag_error(d, NODE_FMT "has %zu outputs; expected %d to %d", NODE_ARGS(g, np),
                          np->n_output, info->min_out, info->max_out);
    struct ir_node *n = ir_node_new(g, op, node_label(np));
    n->nin = (int)nin;
    n->nout = (int)np->n_output;
    for (size_t i = 0; i < nin; i++) {
        const char *in = np->input[i] ? np->input[i] : "";
        if (!*in) {
            if ((int)i < info->min_in)
                return diag_error(d, NODE_FMT "input %zu is required", NODE_ARGS(g, np), i);
            continue;
        }
        struct ir_value *v = ir_value_find(g, in);
        if (!v) /* resolved after all nodes are read, to allow any node order */
            v = ir_value_new(g, in), v->input_index = -2;
        n->in[i] = v;
    }
    for (size_t i = 0; i < np->n_output; i++) {
        const char *out = np->output[i] ? np->output[i] : "";
        if (!*out)
            continue;
        struct ir_value *v = ir_value_find(g, out);
        if (v && (v->producer || v->role != IR_ROLE_ACT || v->input_index != -2))
            return diag_error(d, NODE_FMT "output '%s' is already defined", NODE_ARGS(g, np), out);
        if (!v)
            v = ir_value_new(g, out);
        v->input_index = -1;
        v->producer = n;
        v->producer_slot = (int)i;
        n->out[i] = v;
    }
    return parse_attrs(g, n, np, d);
}

/* Kahn's algorithm: nodes in an order where producers come first. */
static bool sort_nodes(struct ir_graph *g, struct diag *d)
{
    int n = g->nnodes;
    int *indeg = arena_array(g->arena, (size_t)n, sizeof *indeg);
    struct ir_node **order = arena_array(g->arena, (size_t)n, sizeof *order);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < g->nodes[i]->nin; k++)
            if (g->nodes[i]->in[k] && g->nodes[i]->in[k]->producer)
                indeg[i]++;
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (!indeg[i])
            order[tail++] = g->nodes[i];
    while (head < tail) {
        struct ir_node *p = order[head++];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < g->nodes[i]->nin; k++)
                if (g->nodes[i]->in[k] && g->nodes[i]->in[k]->producer == p && --indeg[i] == 0)
                    order[tail++] = g->nodes[i];
    }
    if (tail < n) {
        for (int i = 0; i < n; i++)
            if (indeg[i])
                return diag_error(d, "%s: node '%s' (%s) is part of a cycle", g->file,
                                  g->nodes[i]->name, ir_op_name(g->nodes[i]->op));
    }
    for (int i = 0; i < n; i++) {
        order[i]->id = i;
        g->nodes[i] = order[i];
    }
    return true;
}

/* Weight, bias, beta and threshold slots make an initializer a parameter. */
static bool is_param_slot(enum ir_op op, int slot)
{
    switch (op) {
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
    case IR_OP_CONV:
    case IR_OP_LEAKY:
        return slot >= 1;
    default:
        return false;
    }
}

/* --outputs: keeps the graph outputs named in a comma-separated list (and
 * the loss's, which training needs); prune.c then drops what only the
 * others needed. A name that is not a graph output is an error. */
static bool keep_outputs(struct ir_graph *g, const char *list, struct diag *d)
{
    bool *keep = arena_array(g->arena, (size_t)g->noutputs + 1, sizeof *keep);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int found = -1;
        for (int i = 0; i < g->noutputs; i++)
            if (strlen(g->outputs[i]->name) == len && !strncmp(g->outputs[i]->name, p, len))
                found = i;
        if (found < 0)
            return diag_error(d, "%s: --outputs names '%.*s', which is not an output of graph '%s'", g->file,
                              (int)len, p, g->name);
        keep[found] = true;
        p += len + (comma != NULL);
    }
    for (int i = 0; i < g->noutputs; i++) {
        const struct ir_node *prod = g->outputs[i]->producer;
        keep[i] = keep[i] || (prod && ir_op_has(prod->op, OPF_LOSS));
    }
    ir_keep_outputs(g, keep);
    return true;
}

bool import_model(struct ir_graph *g, const void *model, const struct snnc_options *o, struct diag *d)
{
    const Onnx__ModelProto *m = model;
    g->proto = m;
    const Onnx__GraphProto *gp = m->graph;
    if (!gp)
        return diag_error(d, "%s: the model has no graph", g->file);
    if (gp->name && *gp->name)
        g->name = arena_strdup(g->arena, gp->name);
    bool has_snn = false;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *dom = m->opset_import[i]->domain ? m->opset_import[i]->domain : "";
        if (!strcmp(dom, "snn")) {
            has_snn = true;
            if (m->opset_import[i]->version != 1)
                return diag_error(d, "%s: opset_import of domain snn has version %lld; snnc reads version 1",
                                  g->file, (long long)m->opset_import[i]->version);
        }
    }
    if (!read_metadata(g, m, d))
        return false;
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (!import_initializer(g, m, gp->initializer[i], d))
            return false;
    for (size_t i = 0; i < gp->n_input; i++)
        if (!import_input(g, gp->input[i], d))
            return false;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        if (np->domain && !strcmp(np->domain, "snn") && !has_snn)
            return diag_error(d, NODE_FMT "domain snn is used but not listed in opset_import",
                              NODE_ARGS(g, np));
        if (!import_node(g, np, d))
            return false;
    }
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        if (v->input_index == -2) {
            for (int k = 0; k < g->nnodes; k++)
                for (int s = 0; s < g->nodes[k]->nin; s++)
                    if (g->nodes[k]->in[s] == v)
                        return diag_error(d, "%s: node '%s' (%s): input '%s' is not defined by any "
                                          "node, initializer or graph input", g->file,
                                          g->nodes[k]->name, ir_op_name(g->nodes[k]->op), v->name);
        }
    }
    if (!sort_nodes(g, d))
        return false;
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = gp->output[i]->name ? gp->output[i]->name : "";
        struct ir_value *v = ir_value_find(g, name);
        if (!v)
            return diag_error(d, "%s: graph output '%s' is not produced by any node", g->file, name);
        if (v->output_index >= 0)
            return diag_error(d, "%s: graph output '%s' is listed twice", g->file, name);
        if (g->noutputs >= (int)(sizeof g->outputs / sizeof g->outputs[0]))
            return diag_error(d, "%s: too many graph outputs", g->file);
        v->output_index = g->noutputs;
        g->outputs[g->noutputs++] = v;
    }
    /* loss */
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        if (!ir_op_has(n->op, OPF_LOSS))
            continue;
        if (g->loss)
            return diag_error(d, "%s: nodes '%s' and '%s' are both losses; a model has at most one",
                              g->file, g->loss->name, n->name);
        g->loss = n;
    }
    if (o->outputs && !keep_outputs(g, o->outputs, d))
        return false;
    /* parameters: initializers in weight-like slots, in initializer order */
    g->params = arena_array(g->arena, (size_t)g->nvalues + 1, sizeof *g->params);
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        if (v->role != IR_ROLE_CONST || v->dtype != IR_F32)
            continue;
        bool param = false;
        for (int k = 0; k < g->nnodes; k++)
            for (int s = 0; s < g->nodes[k]->nin; s++)
                if (g->nodes[k]->in[s] == v && is_param_slot(g->nodes[k]->op, s))
                    param = true;
        if (!param) {
            if (!v->f32)
                return diag_error(d, "%s: initializer '%s' has no data and is not a parameter "
                                  "(only weights, biases, beta and threshold may be left to the trainer)",
                                  g->file, v->name);
            continue;
        }
        v->role = IR_ROLE_PARAM;
        v->param_index = g->nparams;
        g->params[g->nparams++] = v;
    }
    if (o->steps > 0)
        g->set.num_steps = o->steps;
    if (o->batch > 0)
        g->set.batch_size = o->batch;
    if (o->epochs >= 0)
        g->set.epochs = o->epochs;
    if (o->lr > 0)
        g->set.lr = o->lr;
    if (o->seed >= 0)
        g->set.seed = (uint64_t)o->seed;
    if (g->set.num_steps <= 0)
        return diag_error(d, "%s: the number of time steps is not given: add metadata snn.num_steps "
                          "or pass --steps", g->file);
    for (int i = 0; i < g->ninputs; i++) {
        struct ir_value *v = g->inputs[i];
        size_t numel;
        if (v->batched)
            v->dims[0] = g->set.batch_size;
        if (!check_dims(g, "graph input", v->name, (size_t)v->rank, v->dims, &numel, d))
            return false;
        ir_value_set_shape(v, v->rank, v->dims);
    }
    return true;
}
