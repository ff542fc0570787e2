/* main.c - the snnc command line: show, emit, verify.
 *
 * Takes: argv. Gives: exit status 0 on success, 1 for a bad model or
 * failed verification, 2 for a bad command line; one clear message on
 * stderr naming the file and node for a bad model.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "emit.h"
#include "pipeline.h"
#include "plot.h"
#include "verify.h"

bool pipeline_pass_exists(const char *name);
bool plan_check(const struct ir_graph *g);

static const char usage_text[] =
    "Usage: snnc [OPTION]... COMMAND [ARG]...\n"
    "Compile a spiking neural network (an ONNX model, binary or text) into C\n"
    "that trains it with backpropagation through time, or infers with it.\n"
    "\n"
    "Commands:\n"
    "  show MODEL              print the graph: shapes, static/temporal kinds,\n"
    "                          parameters and the planned memory\n"
    "  emit MODEL -o DIR       write C for training (default) or inference\n"
    "  verify CASE...          compile reference cases, run one forward and one\n"
    "                          backward pass, compare outputs and gradients\n"
    "  plot CSV -o FILE        draw a trainer's metrics.csv (loss and accuracy\n"
    "                          curves) or --record-raster CSV (spike raster) as\n"
    "                          .png or .svg with gnuplot\n"
    "\n"
    "Options for show and emit:\n"
    "  -o, --output=DIR        folder to write (emit); replaced atomically\n"
    "      --train             emit training code (the default)\n"
    "      --infer             emit inference code: no loss, no backward\n"
    "      --program=KIND      add a main(): train, infer or verify\n"
    "      --prefix=NAME       C prefix of the emitted API (default model)\n"
    "      --target=TARGET     host (default) or cortex-m4 (inference only)\n"
    "      --quantize=MODE     none (float, default) or int8 (inference only)\n"
    "      --steps=T           number of time steps (overrides snn.num_steps)\n"
    "      --batch=N           batch size (overrides snn.batch_size)\n"
    "      --epochs=N, --lr=X, --seed=N   training settings (override metadata)\n"
    "      --max-samples=N     dataset capacity of the trainer (default 60000)\n"
    "      --outputs=NAME,...  keep only these graph outputs (and the loss): what\n"
    "                          only the others need is not computed or stored\n"
    "      --max-memory=BYTES  refuse plans larger than this (default 2 GiB)\n"
    "      --dump-after=PASS   print the IR after import, infer, unroll, prune,\n"
    "                          autodiff or plan\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "Environment: SNNC_DATADIR (templates and runtime), CC (for verify).\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "snnc: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'snnc --help' for more information.\n");
    return 2;
}

/* The error of a bad model as one line: names come from the model file and
 * may hold any byte, so control bytes are written as escapes. */
static void print_error(const char *msg)
{
    fputs("snnc: ", stderr);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stderr);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(stderr, "\\x%02x", *p);
        else
            fputc(*p, stderr);
    }
    fputc('\n', stderr);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    size_t at = 0;
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        memcpy(s + at, argv[i], n);
        at += n;
        if (i + 1 < argc)
            s[at++] = ' ';
    }
    s[at] = 0;
    return s;
}

static void show_graph(struct ir_graph *g)
{
    printf("model %s (%s): T = %d, batch = %d, %s\n", g->name, g->file, g->set.num_steps,
           g->set.batch_size, g->training ? "training" : "inference");
    printf("\ninputs:\n");
    for (int i = 0; i < g->ninputs; i++)
        printf("  %-20s %-5s %-24s %s\n", g->inputs[i]->name, g->inputs[i]->dtype == IR_I64 ? "int64" : "float",
               ir_shape_str(g, g->inputs[i]), g->inputs[i]->time == IR_TEMPORAL ? "temporal" : "static");
    printf("\nnodes:\n");
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        if (n->dead)
            continue;
        const char *ph = n->phase == IR_PH_ONCE ? "once" : n->phase == IR_PH_STEP ? "every step" : "after";
        printf("  %-14s %-20s %-10s", n->name, ir_op_name(n->op), ph);
        for (int k = 0; k < n->nout; k++)
            if (n->out[k])
                printf(" %s%s %s", k ? ", " : "-> ", n->out[k]->name, ir_shape_str(g, n->out[k]));
        if (n->pool) /* plan.c: one kernel, the conv output never stored */
            printf(" (one kernel with %s)", n->pool->name);
        printf("\n");
    }
    size_t total = 0;
    printf("\nparameters:\n");
    for (int i = 0; i < g->nparams; i++) {
        struct ir_value *p = g->params[i];
        printf("  %-20s %-16s %9zu %s%s\n", p->name, ir_shape_str(g, p), p->numel,
               p->trainable ? "trainable" : "frozen", p->f32 ? "" : ", initialized by the trainer");
        total += p->numel;
    }
    printf("  total %zu parameters (%zu bytes)\n", total, total * sizeof(float));
    printf("\noutputs:\n");
    for (int i = 0; i < g->noutputs; i++)
        printf("  %-20s %s\n", g->outputs[i]->name, ir_shape_str(g, g->outputs[i]));
    /* what a framework that runs every layer at every step computes */
    size_t macs_step = 0, macs_once = 0;
    for (int i = 0; i < g->nnodes; i++) {
        struct ir_node *n = g->nodes[i];
        size_t m = 0;
        if (n->dead)
            continue;
        if (n->op == IR_OP_GEMM || n->op == IR_OP_MATMUL)
            m = (size_t)n->in[0]->dims[1] * (size_t)n->out[0]->dims[1];
        else if (n->op == IR_OP_CONV)
            m = n->out[0]->numel / (size_t)n->out[0]->dims[0] * (size_t)(n->in[1]->dims[1] *
                n->in[1]->dims[2] * n->in[1]->dims[3]);
        if (n->phase == IR_PH_STEP)
            macs_step += m;
        else
            macs_once += m;
    }
    printf("\nmultiply-adds per sample: %zu per step and %zu once (dense equivalent per step: %zu)\n",
           macs_step, macs_once, macs_step + macs_once);
    size_t tape = 0;
    for (int i = 0; i < g->nvalues; i++)
        if (g->values[i]->storage == IR_ST_RECORD)
            tape += ir_storage_floats(g, g->values[i]) * sizeof(float);
    printf("\nplanned arena: %zu bytes (of which records for backward and outputs: %zu)\n",
           g->arena_floats * sizeof(float), tape);
}

enum { OPT_TRAIN = 256, OPT_INFER, OPT_PROGRAM, OPT_PREFIX, OPT_STEPS, OPT_BATCH, OPT_EPOCHS, OPT_LR,
       OPT_SEED, OPT_MAX_SAMPLES, OPT_MAX_MEMORY, OPT_DUMP, OPT_TARGET, OPT_QUANTIZE, OPT_OUTPUTS };

static int run(int argc, char **argv, const char *cmdline)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"train", no_argument, NULL, OPT_TRAIN},
        {"infer", no_argument, NULL, OPT_INFER}, {"program", required_argument, NULL, OPT_PROGRAM},
        {"prefix", required_argument, NULL, OPT_PREFIX}, {"steps", required_argument, NULL, OPT_STEPS},
        {"batch", required_argument, NULL, OPT_BATCH}, {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"lr", required_argument, NULL, OPT_LR}, {"seed", required_argument, NULL, OPT_SEED},
        {"max-samples", required_argument, NULL, OPT_MAX_SAMPLES},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"dump-after", required_argument, NULL, OPT_DUMP}, {"help", no_argument, NULL, 'h'},
        {"target", required_argument, NULL, OPT_TARGET}, {"quantize", required_argument, NULL, OPT_QUANTIZE},
        {"outputs", required_argument, NULL, OPT_OUTPUTS}, {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    struct snnc_options o;
    snnc_options_init(&o);
    struct emit_options eo = {.prefix = "model", .max_samples = 60000};
    long v;
    int c;
    eo.cmdline = cmdline;
    while ((c = getopt_long(argc, argv, "o:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            eo.outdir = optarg;
            break;
        case OPT_TRAIN:
            o.training = true;
            break;
        case OPT_INFER:
            o.training = false;
            break;
        case OPT_PROGRAM:
            if (strcmp(optarg, "train") && strcmp(optarg, "infer") && strcmp(optarg, "verify"))
                return usage_error("--program is '%s'; expected train, infer or verify", optarg);
            eo.program = optarg;
            break;
        case OPT_PREFIX:
            for (const char *p = optarg; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (p > optarg && *p >= '0' && *p <= '9')))
                    return usage_error("--prefix '%s' must be a lowercase C identifier", optarg);
            eo.prefix = optarg;
            break;
        case OPT_STEPS:
        case OPT_BATCH:
        case OPT_EPOCHS:
        case OPT_SEED:
        case OPT_MAX_SAMPLES:
            if (!parse_long(optarg, c == OPT_EPOCHS || c == OPT_SEED ? 0 : 1, 2147483647L, &v))
                return usage_error("bad number '%s'", optarg);
            if (c == OPT_STEPS)
                o.steps = (int)v;
            else if (c == OPT_BATCH)
                o.batch = (int)v;
            else if (c == OPT_EPOCHS)
                o.epochs = (int)v;
            else if (c == OPT_SEED)
                o.seed = v;
            else
                eo.max_samples = v;
            break;
        case OPT_LR: {
            char *end;
            o.lr = strtod(optarg, &end);
            if (*end || !(o.lr > 0))
                return usage_error("bad learning rate '%s'", optarg);
            break;
        }
        case OPT_MAX_MEMORY:
            if (!parse_long(optarg, 1, 0x7fffffffffffffffL, &v))
                return usage_error("bad size '%s'", optarg);
            o.max_arena_bytes = (size_t)v;
            break;
        case OPT_TARGET:
            if (strcmp(optarg, "host") && strcmp(optarg, "cortex-m4"))
                return usage_error("--target is '%s'; expected host or cortex-m4", optarg);
            eo.target = optarg;
            break;
        case OPT_QUANTIZE:
            if (strcmp(optarg, "none") && strcmp(optarg, "int8"))
                return usage_error("--quantize is '%s'; expected none or int8", optarg);
            eo.quantize = optarg;
            break;
        case OPT_OUTPUTS:
            if (!*optarg || optarg[strlen(optarg) - 1] == ',' || strstr(optarg, ",,") || *optarg == ',')
                return usage_error("--outputs is '%s'; expected NAME[,NAME]...", optarg);
            o.outputs = optarg;
            break;
        case OPT_DUMP:
            if (!pipeline_pass_exists(optarg))
                return usage_error("--dump-after: no pass named '%s'", optarg);
            o.dump_after = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("snnc %s\n", PACKAGE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'snnc --help' for more information.\n");
            return 2;
        }
    }
    if (optind >= argc)
        return usage_error("%s", "no command given");
    const char *cmd = argv[optind++];
    int rc;
    if (!strcmp(cmd, "verify")) {
        if (optind >= argc)
            return usage_error("%s", "verify needs at least one CASE folder");
        rc = verify_cases(argv + optind, argc - optind, stdout);
        return rc;
    }
    if (!strcmp(cmd, "plot")) {
        if (optind + 1 != argc || !eo.outdir)
            return usage_error("%s", "plot needs one CSV and -o FILE.png|FILE.svg");
        rc = plot_csv(argv[optind], eo.outdir);
        return rc;
    }
    if (strcmp(cmd, "show") && strcmp(cmd, "emit"))
        return usage_error("unknown command '%s'", cmd);
    /* options may also follow the model */
    if (optind + 1 != argc)
        return usage_error("%s needs exactly one MODEL", cmd);
    const char *model = argv[optind];
    if (!strcmp(cmd, "emit") && !eo.outdir)
        return usage_error("%s", "emit needs -o DIR");
    if ((eo.program && !strcmp(eo.program, "infer")) || (eo.target && strcmp(eo.target, "host")) ||
        (eo.quantize && strcmp(eo.quantize, "none")))
        o.training = false; /* microcontroller and integer code is inference code */
    if (eo.program && (!strcmp(eo.program, "train") || !strcmp(eo.program, "verify")) && !o.training)
        return usage_error("--program=%s needs training code; drop --infer", eo.program);
    struct diag d = {0};
    void *proto = NULL;
    struct ir_graph *g = pipeline_run(model, &o, &proto, &d);
    rc = 0;
    if (g && !strcmp(cmd, "show")) {
        show_graph(g);
    } else if (!g || !emit_model(g, &eo, &d)) {
        print_error(d.msg);
        rc = 1;
    } else {
        fprintf(stderr, "snnc: wrote %s/%s.c (arena %zu bytes, T = %d, batch %d)\n", eo.outdir, eo.prefix,
                g->arena_floats * sizeof(float), g->set.num_steps, g->set.batch_size);
    }
    ir_graph_free(g);
    pipeline_free_model(proto);
    return rc;
}

/* The command line is recorded in the emitted files; joined before getopt
 * permutes argv, and freed on every path out. */
int main(int argc, char **argv)
{
    char *cmdline = join_args(argc, argv);
    if (!cmdline) {
        fprintf(stderr, "snnc: out of memory\n");
        return 1;
    }
    int rc = run(argc, argv, cmdline);
    free(cmdline);
    return rc;
}
