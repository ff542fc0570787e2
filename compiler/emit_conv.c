/* emit_conv.c - Conv, MaxPool and AveragePool kernels and calls. */
#include "emit_int.h"

bool emit_conv_forward(struct emitter *e, struct ir_node *n, struct diag *d);
bool emit_conv_backward(struct emitter *e, struct ir_node *b, struct diag *d);

bool emit_conv_forward(struct emitter *e, struct ir_node *n, struct diag *d)
{
    return diag_error(d, "%s: node '%s' (%s): convolution and pooling code is not emitted yet",
                      e->g->file, n->name, ir_op_name(n->op));
}

bool emit_conv_backward(struct emitter *e, struct ir_node *b, struct diag *d)
{
    return emit_conv_forward(e, b->fwd, d);
}
