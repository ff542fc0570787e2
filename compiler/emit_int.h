/* emit_int.h - what the back end's files share (not an API).
 *
 * The emitter writes the C of each phase into its own section; emit.c
 * stitches the sections into PREFIX.c in execution order.
 */
#ifndef SNNC_COMPILER_EMIT_INT_H
#define SNNC_COMPILER_EMIT_INT_H

#include <stdio.h>

#include "emit.h"

enum emit_section {
    SEC_STORAGE, /* arrays outside the arena */
    SEC_DEFS,    /* kernel instances (m4 macro calls) */
    SEC_CHECKS,  /* input checks at the start of forward */
    SEC_ONCE,    /* static work, once per sample */
    SEC_PRE,     /* states and accumulators at t = 0 */
    SEC_STEP,    /* the body of the loop over t */
    SEC_POST,    /* reductions finished after the loop */
    SEC_AFTER,   /* static work on reduction results */
    SEC_BZERO,   /* parameter gradients cleared */
    SEC_BAFTER,  /* backward of AFTER */
    SEC_BPRE,    /* before the reverse loop */
    SEC_BSTEP,   /* the reverse loop body */
    SEC_BONCE,   /* backward of ONCE: hoisted static gradients */
    SEC_API,     /* tables, init, optimizer */
    EMIT_NSECTIONS
};

struct emitter {
    struct ir_graph *g;
    const char *prefix, *cmdline;
    FILE *sec[EMIT_NSECTIONS];
    bool global_ptrs; /* arena pointers outside functions (tables) */
};

void emit_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *emit_float(struct emitter *e, float x);
/* The n floats as C literals, 8 a line, each followed by a comma. */
void emit_floats(FILE *f, const float *x, size_t n);
/* s in capitals, for macro names. */
const char *emit_upper(struct emitter *e, const char *s);
const char *emit_ptr(struct emitter *e, struct ir_value *v, bool at_t);
const char *emit_kname(struct emitter *e, struct ir_node *n, const char *part);
void emit_call_comment(FILE *f, const char *indent, struct ir_node *n, const char *what);
/* "call;" at f, or with once (constant weights) only at its first run,
 * remembered in a flag named flag_done. */
void emit_call_once(struct emitter *e, FILE *f, const char *indent, const char *flag, const char *call, bool once);

/* Runs m4 -P with templates/ on a driver; *out is from the graph's arena. */
bool emit_run_m4(struct ir_graph *g, const char *driver, size_t len, char **out, struct diag *d);
bool emit_write_file(const char *dir, const char *name, const char *text, size_t len, struct diag *d);
/* An output folder: files go into tmp, then emit_folder_commit() renames it
 * into place if ok (replacing an earlier output that holds probe_name), or
 * removes it. */
bool emit_folder_begin(const char *outdir, char tmp[4096], struct diag *d);
bool emit_folder_commit(const char *outdir, const char *tmp, const char *probe_name, bool ok,
                        struct diag *d);

/* emit_ops.c: kernels and calls of every node. */
bool emit_ops(struct emitter *e, struct diag *d);
/* emit_conv.c: Conv, MaxPool and AveragePool; overwrite: the backward's
 * dx was not cleared and it stores (only when emit_conv_writes_dx_whole). */
bool emit_conv_forward(struct emitter *e, struct ir_node *n, struct diag *d);
bool emit_conv_backward(struct emitter *e, struct ir_node *b, bool overwrite, struct diag *d);
bool emit_conv_writes_dx_whole(const struct ir_node *b);
/* emit_prog.c: the program skeleton and Makefile of an output folder. */
bool emit_program(struct ir_graph *g, const struct emit_options *o, const char *dir, struct diag *d);

#endif
