/* onnx_read.h - loads ONNX files, binary or text.
 *
 * Takes: a path. Gives: the unpacked message (free it with
 * protobuf_c_message_free_unpacked(&m->base, NULL)), or NULL with the reason
 * in d, naming the file.
 * Holds: a model file is text format when its name ends in .textproto,
 * .pbtxt or .txt, or when its bytes do not parse as binary but look like
 * text; anything else is binary.
 */
#ifndef SNNC_COMPILER_ONNX_READ_H
#define SNNC_COMPILER_ONNX_READ_H

#include "diag.h"
#include "onnx.pb-c.h"

Onnx__ModelProto *onnx_read_model(const char *path, struct diag *d);
Onnx__TensorProto *onnx_read_tensor(const char *path, struct diag *d);
/* A model already in memory (len bytes at data), read as the file `name`
 * would be: the name picks text or binary, and messages cite it. */
Onnx__ModelProto *onnx_parse_model(const char *name, const void *data, size_t len, struct diag *d);

#endif
