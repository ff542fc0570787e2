/* diag.h - user-facing error reports.
 *
 * Takes: the first error a pass meets. Gives: one message, kept until the
 * driver prints it. Holds: passes never print; the first error wins, since
 * later ones are usually its echoes.
 */
#ifndef SNNC_COMPILER_DIAG_H
#define SNNC_COMPILER_DIAG_H

#include <stdbool.h>

struct diag {
    bool failed;
    char msg[1024];
};

/* Records "fmt..." unless an error is already recorded; returns false so
 * callers can write `return diag_error(d, ...);` in bool functions. */
bool diag_error(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
