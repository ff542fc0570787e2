/* textproto.h - protobuf text format, read through protobuf-c descriptors.
 *
 * Takes: text as `protoc --decode=TYPE` prints it, and the descriptor of
 * TYPE. Gives: a message allocated with protobuf-c's default allocator, so
 * protobuf_c_message_free_unpacked(msg, NULL) frees it, exactly as for one
 * from protobuf_c_message_unpack(). On error: NULL, nothing leaked, and
 * "FILE:LINE:COL: what was expected, what was found" in d.
 * Holds: one generic reader; no code per message type.
 */
#ifndef SNNC_COMPILER_TEXTPROTO_H
#define SNNC_COMPILER_TEXTPROTO_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#include "diag.h"

ProtobufCMessage *textproto_parse(const ProtobufCMessageDescriptor *desc, const char *text,
                                  size_t len, const char *filename, struct diag *d);

#endif
