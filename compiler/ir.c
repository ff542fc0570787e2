/* ir.c - constructors, lookups and the human-readable dump of the IR.
 *
 * Takes: requests from the passes. Gives: values and nodes from the
 * graph's arena, unique C names, and `--dump-after` text.
 * Holds: value and node ids are dense and in creation order.
 */
#include "ir.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const struct ir_op_info ir_op_table[IR_OP_COUNT] = {
#define OP(e, name, dom, mi, ma, mo, xo, fl) {name, dom, mi, ma, mo, xo, fl},
#include "ops.def"
#undef OP
};

struct ir_graph *ir_graph_new(const char *file)
{
    struct arena *a = arena_new();
    struct ir_graph *g = arena_alloc(a, sizeof *g);
    g->arena = a;
    g->file = arena_strdup(a, file);
    g->name = "model";
    return g;
}

void ir_graph_free(struct ir_graph *g)
{
    if (g)
        arena_free(g->arena);
}

static void *grow(struct ir_graph *g, void *items, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return items;
    int ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *p = arena_array(g->arena, (size_t)ncap, size);
    if (items)
        memcpy(p, items, (size_t)*cap * size);
    *cap = ncap;
    return p;
}

struct ir_value *ir_value_new(struct ir_graph *g, const char *name)
{
    struct ir_value *v = arena_alloc(g->arena, sizeof *v);
    v->id = g->nvalues;
    v->name = arena_strdup(g->arena, name);
    v->cname = ir_cname(g, "v_", name);
    v->input_index = v->output_index = v->param_index = -1;
    v->first = v->last = -1;
    g->values = grow(g, g->values, &g->cap_values, g->nvalues + 1, sizeof *g->values);
    g->values[g->nvalues++] = v;
    return v;
}

struct ir_value *ir_value_find(struct ir_graph *g, const char *name)
{
    for (int i = 0; i < g->nvalues; i++)
        if (!g->values[i]->grad_of && strcmp(g->values[i]->name, name) == 0)
            return g->values[i];
    return NULL;
}

bool ir_pool_tiles(const struct ir_node *n)
{
    if (n->op != IR_OP_MAXPOOL && n->op != IR_OP_AVGPOOL)
        return false;
    const struct ir_value *x = n->in[0];
    const struct ir_attrs *at = &n->at;
    for (int i = 0; i < 2; i++)
        if (at->pads[i] || at->pads[i + 2] || at->strides[i] != at->kernel[i] || x->dims[2 + i] % at->kernel[i])
            return false;
    return true;
}

bool ir_bwd_reads(const struct ir_node *b, int k)
{
    const struct ir_node *f = b->fwd;
    int out = k - f->nin; /* output slot, or negative for an input */
    switch (f->op) {
    case IR_OP_GEMM:
    case IR_OP_MATMUL:
    case IR_OP_CONV:
        return k == 0 && (b->out[1] || (f->nin > 2 && b->out[2]));
    case IR_OP_MUL:
        return (k == 1 && b->out[0]) || (k == 0 && b->out[1]);
    case IR_OP_MAXPOOL: /* the input, unless forward keeps the argmax */
        return k == 0 && !f->argmax;
    case IR_OP_RELU:
    case IR_OP_CE_MEMBRANE_LOSS:
    case IR_OP_CE_RATE_LOSS:
    case IR_OP_MSE_MEMBRANE_LOSS:
        return k == 0;
    case IR_OP_LEAKY:
        return out == 1;
    case IR_OP_SYNAPTIC:
        return out == 2;
    case IR_OP_MS_LEAKY:
        return out == 0 || out == 1;
    case IR_OP_ADD:
    case IR_OP_SUB:
    case IR_OP_FLATTEN:
    case IR_OP_RESHAPE:
    case IR_OP_IDENTITY:
    case IR_OP_AVGPOOL:
    case IR_OP_RATE_ENCODE:
    case IR_OP_LATENCY_ENCODE:
    case IR_OP_SPIKE_COUNT:
    case IR_OP_PREDICT:
    case IR_OP_CE_COUNT_LOSS:
    case IR_OP_CE_MAX_MEM_LOSS:
    case IR_OP_MSE_COUNT_LOSS:
    case IR_OP_CE_TEMPORAL_LOSS:
    case IR_OP_COUNT:
        break;
    }
    return false;
}

int ir_keep_outputs(struct ir_graph *g, const bool *keep)
{
    int k = 0;
    for (int i = 0; i < g->noutputs; i++) {
        struct ir_value *v = g->outputs[i];
        if (!keep[i]) {
            v->output_index = -1;
            continue;
        }
        v->output_index = k;
        g->outputs[k++] = v;
    }
    return g->noutputs = k;
}

static struct ir_node *node_alloc(struct ir_graph *g, enum ir_op op, const char *name)
{
    struct ir_node *n = arena_alloc(g->arena, sizeof *n);
    n->op = op;
    n->name = arena_strdup(g->arena, name);
    return n;
}

struct ir_node *ir_node_new(struct ir_graph *g, enum ir_op op, const char *name)
{
    struct ir_node *n = node_alloc(g, op, name);
    n->id = g->nnodes;
    g->nodes = grow(g, g->nodes, &g->cap_nodes, g->nnodes + 1, sizeof *g->nodes);
    g->nodes[g->nnodes++] = n;
    return n;
}

struct ir_node *ir_bwd_new(struct ir_graph *g, struct ir_node *fwd)
{
    struct ir_node *n = node_alloc(g, fwd->op, fwd->name);
    n->id = g->nnodes + g->nbwd;
    n->fwd = fwd;
    n->time = fwd->time;
    n->phase = fwd->phase;
    n->at = fwd->at;
    g->bwd = grow(g, g->bwd, &g->cap_bwd, g->nbwd + 1, sizeof *g->bwd);
    g->bwd[g->nbwd++] = n;
    return n;
}

void ir_value_set_shape(struct ir_value *v, int rank, const int64_t *dims)
{
    v->rank = rank;
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        v->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    v->numel = n;
}

struct ir_value *ir_root(struct ir_value *v)
{
    while (v && v->alias)
        v = v->alias;
    return v;
}

size_t ir_storage_floats(const struct ir_graph *g, const struct ir_value *v)
{
    return v->storage == IR_ST_RECORD ? v->numel * (size_t)g->set.num_steps : v->numel;
}

/* C identifiers from ONNX names: keep [A-Za-z0-9_], map the rest to '_',
 * add a prefix so no name can clash with C keywords or our own. */
const char *ir_cname(struct ir_graph *g, const char *prefix, const char *name)
{
    size_t n = strlen(name), p = strlen(prefix);
    char *s = arena_alloc(g->arena, p + n + 1);
    memcpy(s, prefix, p);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        s[p + i] = (char)(isalnum(c) ? c : '_');
    }
    s[p + n] = 0;
    return s;
}

const char *ir_shape_str(struct ir_graph *g, const struct ir_value *v)
{
    char buf[256];
    size_t k = 0;
    k += (size_t)snprintf(buf + k, sizeof buf - k, "%s[", v->time == IR_TEMPORAL ? "T x " : "");
    for (int i = 0; i < v->rank && k < sizeof buf; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%" PRId64, i ? "," : "", v->dims[i]);
    if (k < sizeof buf)
        snprintf(buf + k, sizeof buf - k, "]");
    return arena_strdup(g->arena, buf);
}

static const char *phase_name[] = {"once", "step", "after"};
static const char *storage_name[] = {"-", "once", "step", "record", "extern"};

static void dump_node(struct ir_graph *g, struct ir_node *n, FILE *f)
{
    fprintf(f, "  %-5s %s%s '%s' (", phase_name[n->phase], n->fwd ? "grad " : "",
            ir_op_name(n->op), n->name);
    for (int i = 0; i < n->nin; i++)
        fprintf(f, "%s%s", i ? ", " : "", n->in[i] ? n->in[i]->name : "\"\"");
    fprintf(f, ") -> (");
    for (int i = 0; i < n->nout; i++)
        fprintf(f, "%s%s", i ? ", " : "", n->out[i] ? n->out[i]->name : "\"\"");
    fprintf(f, ")%s\n", n->dead ? "  [dead]" : "");
}

void ir_dump(struct ir_graph *g, FILE *f)
{
    fprintf(f, "graph %s: T=%d N=%d\n", g->name, g->set.num_steps, g->set.batch_size);
    fprintf(f, "values:\n");
    for (int i = 0; i < g->nvalues; i++) {
        struct ir_value *v = g->values[i];
        if (v->storage == IR_ST_NONE && v->nuses == 0 && !v->producer && v->role == IR_ROLE_ACT)
            continue;
        fprintf(f, "  %-24s %-4s %-16s %-8s %-6s", v->name, v->dtype == IR_I64 ? "i64" : "f32",
                ir_shape_str(g, v), v->time == IR_TEMPORAL ? "temporal" : "static",
                v->role == IR_ROLE_PARAM ? (v->trainable ? "param" : "frozen")
                : v->role == IR_ROLE_INPUT ? "input"
                : v->role == IR_ROLE_CONST ? "const" : "");
        if (v->alias)
            fprintf(f, " alias of %s", ir_root(v)->name);
        else if (v->storage != IR_ST_NONE)
            fprintf(f, " %s @%zu +%zu [%d,%d]", storage_name[v->storage], v->offset, v->size,
                    v->first, v->last);
        fprintf(f, "\n");
    }
    fprintf(f, "forward:\n");
    for (int i = 0; i < g->nnodes; i++)
        dump_node(g, g->nodes[i], f);
    if (g->nbwd) {
        fprintf(f, "backward:\n");
        for (int i = 0; i < g->nbwd; i++)
            dump_node(g, g->bwd[i], f);
    }
    if (g->arena_floats)
        fprintf(f, "arena: %zu bytes\n", g->arena_floats * sizeof(float));
}

struct ir_value *ir_node_value(struct ir_graph *g, struct ir_node *n, const char *what,
                               const struct ir_value *like)
{
    const char *base = arena_printf(g->arena, "%s_%s", n->name, what);
    struct ir_value *v = ir_value_new(g, arena_printf(g->arena, "%s%s:%s", n->fwd ? "d/" : "",
                                                      n->name, what));
    v->cname = ir_cname(g, n->fwd ? "dx_" : "x_", base);
    v->dtype = IR_F32;
    v->time = like ? like->time : IR_STATIC;
    if (like) {
        v->batched = like->batched;
        ir_value_set_shape(v, like->rank, like->dims);
    }
    v->producer = n;
    v->producer_slot = -1;
    return v;
}

/* Scratch tensors a node keeps across the time loop (states, accumulators,
 * carried gradients), shaped like `like`, static, planned like any value. */
struct ir_value *ir_aux_new(struct ir_graph *g, struct ir_node *n, const char *what,
                            const struct ir_value *like)
{
    struct ir_value *v = ir_node_value(g, n, what, like);
    v->time = IR_STATIC;
    v->producer_slot = -1 - n->naux;
    n->aux[n->naux++] = v;
    return v;
}
