/* onnx_read.c - loads ONNX files, binary or text.
 *
 * Takes: a path to a ModelProto (model.onnx, model.textproto) or a
 * TensorProto (test_data_set_0/input_0.pb); or a model's bytes already in
 * memory with the name of the file they stand for (the fuzzers' way in).
 * Gives: the unpacked message, to be freed with
 * protobuf_c_message_free_unpacked(&m->base, NULL), or NULL and one message
 * in d that names the file: "net.onnx: cannot open: No such file or
 * directory", "net.onnx: not a valid ONNX model (protobuf parse failed)",
 * or the text reader's "net.textproto:3:7: ...".
 * Holds: files are read whole and must be at most 2 GiB (protobuf's own
 * limit). A name ending in .textproto, .pbtxt or .txt means text format;
 * any other file is binary, unless its bytes do not parse as binary and
 * look like text (no control bytes but white space), in which case the text
 * reader decides and reports (SPEC §1).
 */
#include "onnx_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textproto.h"

#define MAX_FILE_SIZE ((size_t)2 << 30)

/* The whole file into a malloc'd buffer (NUL-terminated, for convenience). */
static char *read_file(const char *path, size_t *len, struct diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_error(d, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            size_t grown = cap ? cap * 2 : 65536;
            if (grown > MAX_FILE_SIZE + 1)
                grown = MAX_FILE_SIZE + 1;
            char *p = cap <= MAX_FILE_SIZE ? realloc(buf, grown + 1) : NULL;
            if (!p) {
                if (cap > MAX_FILE_SIZE)
                    diag_error(d, "%s: file is larger than 2 GiB", path);
                else
                    diag_error(d, "%s: out of memory reading the file", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
            cap = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        diag_error(d, "%s: cannot read: %s", path, strerror(errno));
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    if (n > MAX_FILE_SIZE) {
        diag_error(d, "%s: file is larger than 2 GiB", path);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_text_name(const char *path)
{
    return has_suffix(path, ".textproto") || has_suffix(path, ".pbtxt") || has_suffix(path, ".txt");
}

/* Binary protobuf almost always holds tag or length bytes below 0x20. */
static bool looks_like_text(const char *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r' && c != '\v' && c != '\f')
            return false;
    }
    return true;
}

/* Bytes already in memory; name decides text or binary as a path would. */
static ProtobufCMessage *parse_message(const char *name, const char *data, size_t len,
                                       const ProtobufCMessageDescriptor *desc, const char *what,
                                       struct diag *d)
{
    ProtobufCMessage *m = NULL;
    if (is_text_name(name)) {
        m = textproto_parse(desc, data, len, name, d);
    } else if (len == 0) {
        diag_error(d, "%s: empty file; expected an %s", name, what);
    } else {
        m = protobuf_c_message_unpack(desc, NULL, len, (const uint8_t *)data);
        if (!m && looks_like_text(data, len))
            m = textproto_parse(desc, data, len, name, d);
        else if (!m)
            diag_error(d, "%s: not a valid %s (protobuf parse failed)", name, what);
    }
    return m;
}

static ProtobufCMessage *read_message(const char *path, const ProtobufCMessageDescriptor *desc,
                                      const char *what, struct diag *d)
{
    size_t len;
    char *data = read_file(path, &len, d);
    if (!data)
        return NULL;
    ProtobufCMessage *m = parse_message(path, data, len, desc, what, d);
    free(data);
    return m;
}

Onnx__ModelProto *onnx_parse_model(const char *name, const void *data, size_t len, struct diag *d)
{
    if (len > MAX_FILE_SIZE) {
        diag_error(d, "%s: file is larger than 2 GiB", name);
        return NULL;
    }
    return (Onnx__ModelProto *)parse_message(name, data, len, &onnx__model_proto__descriptor,
                                             "ONNX model", d);
}

Onnx__ModelProto *onnx_read_model(const char *path, struct diag *d)
{
    return (Onnx__ModelProto *)read_message(path, &onnx__model_proto__descriptor, "ONNX model", d);
}

Onnx__TensorProto *onnx_read_tensor(const char *path, struct diag *d)
{
    return (Onnx__TensorProto *)read_message(path, &onnx__tensor_proto__descriptor, "ONNX tensor",
                                             d);
}
