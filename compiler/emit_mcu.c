/* emit_mcu.c - inference code for microcontrollers (int8 or float). */
#include "emit.h"

bool emit_mcu_model(struct ir_graph *g, const struct emit_options *o, struct diag *d)
{
    (void)o;
    return diag_error(d, "%s: microcontroller targets are not emitted yet", g->file);
}
