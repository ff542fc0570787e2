/* emit.h - the back end: planned IR to a folder of standalone C.
 *
 * Takes: a planned graph. Gives: OUTDIR/PREFIX.h and PREFIX.c (expanded
 * from the m4 templates), the runtime sources they use, the program
 * skeleton asked for and a Makefile. The folder is written in a temporary
 * sibling and renamed into place, so it appears whole or not at all.
 * Holds: the same graph and options always give byte-identical files.
 */
#ifndef SNNC_COMPILER_EMIT_H
#define SNNC_COMPILER_EMIT_H

#include "ir.h"

struct emit_options {
    const char *prefix;   /* C prefix of the API, default "model" */
    const char *outdir;
    const char *cmdline;  /* recorded in the header comment */
    const char *program;  /* "train", "infer", "verify" or NULL: which main() to add */
    long max_samples;     /* dataset capacity of the trainer */
    const char *target;   /* NULL or "host": this machine; "cortex-m4": a microcontroller */
    const char *quantize; /* NULL or "none": float; "int8": integer code (inference) */
};

/* Where templates/ and runtime/ are: $SNNC_DATADIR, else the install path. */
const char *emit_datadir(void);

bool emit_model(struct ir_graph *g, const struct emit_options *o, struct diag *d);

/* emit_mcu.c: inference code for a microcontroller target (see there). */
bool emit_mcu_model(struct ir_graph *g, const struct emit_options *o, struct diag *d);

/* Only the C text of PREFIX.c and PREFIX.h, for tests (strings from the
 * graph's arena). */
bool emit_sources(struct ir_graph *g, const struct emit_options *o, const char **c_text,
                  const char **h_text, struct diag *d);

#endif
