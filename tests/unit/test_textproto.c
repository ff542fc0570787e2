/* test_textproto.c - the text reader against the binary one, and its errors.
 *
 * Takes: the reference cases under tests/cases/ (each model.onnx next to the
 * text `protoc --decode=onnx.ModelProto` printed for it), snippets written
 * here, and a small hand-made descriptor for the types ONNX lacks (bool,
 * required, string default).
 * Gives: textproto_suite().
 * Holds: for every case, text and binary parse to messages that pack to the
 * same bytes; every malformed snippet is refused with "FILE:LINE:COL:" at
 * the right place and words that say what was wrong.
 */
#include <dirent.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "onnx_read.h"
#include "tests.h"
#include "textproto.h"

#define FILE_NAME "t.textproto"

static ProtobufCMessage *parse(const ProtobufCMessageDescriptor *desc, const char *text,
                               struct diag *d)
{
    memset(d, 0, sizeof *d);
    ProtobufCMessage *m = textproto_parse(desc, text, strlen(text), FILE_NAME, d);
    ck_assert_msg(m || d->failed, "NULL without an error for: %s", text);
    ck_assert_msg(!m || !d->failed, "a message and an error (%s) for: %s", d->msg, text);
    return m;
}

static ProtobufCMessage *parse_ok(const ProtobufCMessageDescriptor *desc, const char *text)
{
    struct diag d;
    ProtobufCMessage *m = parse(desc, text, &d);
    ck_assert_msg(m != NULL, "unexpected error: %s\nfor: %s", d.msg, text);
    return m;
}

/* The error must start "t.textproto:WHERE: " and contain `words`. */
static void parse_fails(const ProtobufCMessageDescriptor *desc, const char *text, const char *where,
                        const char *words)
{
    struct diag d;
    char prefix[64];
    ProtobufCMessage *m = parse(desc, text, &d);
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    ck_assert_msg(m == NULL, "accepted: %s", text);
    snprintf(prefix, sizeof prefix, FILE_NAME ":%s: ", where);
    ck_assert_msg(strncmp(d.msg, prefix, strlen(prefix)) == 0 && strstr(d.msg, words),
                  "for: %s\nexpected \"%s...%s\"\n     got \"%s\"", text, prefix, words, d.msg);
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(protobuf_c_message_pack(m, buf), *len);
    return buf;
}

static bool file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* ------------------------------------------------------ reference cases */

START_TEST(test_cases_text_equals_binary)
{
    char dir[4096], bin_path[4096 + 300], text_path[4096 + 300];
    snprintf(dir, sizeof dir, "%s", test_srcpath("tests/cases"));
    DIR *dp = opendir(dir);
    ck_assert_msg(dp != NULL, "cannot open %s", dir);
    int cases = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        snprintf(bin_path, sizeof bin_path, "%s/%s/model.onnx", dir, e->d_name);
        snprintf(text_path, sizeof text_path, "%s/%s/model.textproto", dir, e->d_name);
        if (e->d_name[0] == '.' || !file_exists(bin_path) || !file_exists(text_path))
            continue;
        struct diag d = {0};
        Onnx__ModelProto *bin = onnx_read_model(bin_path, &d);
        ck_assert_msg(bin != NULL, "%s", d.msg);
        Onnx__ModelProto *text = onnx_read_model(text_path, &d);
        ck_assert_msg(text != NULL, "%s", d.msg);
        ck_assert_ptr_nonnull(text->graph);
        ck_assert_uint_gt(text->graph->n_node, 0);
        ck_assert_uint_eq(text->base.n_unknown_fields, 0);
        size_t bin_len, text_len;
        uint8_t *bin_bytes = pack(&bin->base, &bin_len);
        uint8_t *text_bytes = pack(&text->base, &text_len);
        ck_assert_msg(bin_len == text_len && memcmp(bin_bytes, text_bytes, bin_len) == 0,
                      "%s: text and binary differ (%zu vs %zu bytes)", e->d_name, text_len,
                      bin_len);
        free(bin_bytes);
        free(text_bytes);
        protobuf_c_message_free_unpacked(&bin->base, NULL);
        protobuf_c_message_free_unpacked(&text->base, NULL);
        cases++;
    }
    closedir(dp);
    ck_assert_msg(cases > 0, "no case with model.onnx and model.textproto under %s", dir);
}
END_TEST

START_TEST(test_cases_tensors)
{
    const char *path = test_srcpath("tests/cases/conv_small/test_data_set_0/input_0.pb");
    struct diag d = {0};
    Onnx__TensorProto *t = onnx_read_tensor(path, &d);
    ck_assert_msg(t != NULL, "%s", d.msg);
    ck_assert_uint_eq(t->n_dims, 4); /* [N, 1, 10, 10] */
    ck_assert_int_eq(t->dims[2], 10);
    ck_assert_int_eq(t->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    protobuf_c_message_free_unpacked(&t->base, NULL);
}
END_TEST

/* A .pbtxt by its name, a .pb holding text by its bytes. */
START_TEST(test_read_text_tensor_files)
{
    static const char text[] = "dims: 2\ndata_type: 1\nfloat_data: [0.5, -2]\n";
    const char *names[] = {"snnc_test_tensor.pbtxt", "snnc_test_tensor.pb"};
    int i;
    for (i = 0; i < 2; i++) {
        struct diag d = {0};
        write_file(names[i], text, sizeof text - 1);
        Onnx__TensorProto *t = onnx_read_tensor(names[i], &d);
        ck_assert_msg(t != NULL, "%s", d.msg);
        ck_assert_uint_eq(t->n_float_data, 2);
        ck_assert_float_eq(t->float_data[1], -2.0f);
        protobuf_c_message_free_unpacked(&t->base, NULL);
        remove(names[i]);
    }
}
END_TEST

START_TEST(test_read_file_errors)
{
    struct diag d = {0};
    ck_assert_ptr_null(onnx_read_model("no/such/net.onnx", &d));
    ck_assert_str_eq(d.msg, "no/such/net.onnx: cannot open: No such file or directory");

    static const unsigned char junk[] = {0x08, 0x96, 0x01, 0x12, 0x7f, 0x00, 0xff};
    write_file("snnc_test_junk.onnx", junk, sizeof junk);
    memset(&d, 0, sizeof d);
    ck_assert_ptr_null(onnx_read_model("snnc_test_junk.onnx", &d));
    ck_assert_str_eq(d.msg, "snnc_test_junk.onnx: not a valid ONNX model (protobuf parse failed)");
    remove("snnc_test_junk.onnx");

    write_file("snnc_test_bad.textproto", "graph {\n  nme: \"x\"\n}\n", 21);
    memset(&d, 0, sizeof d);
    ck_assert_ptr_null(onnx_read_model("snnc_test_bad.textproto", &d));
    ck_assert_msg(strstr(d.msg, "snnc_test_bad.textproto:2:3: unknown field 'nme'"), "%s", d.msg);
    remove("snnc_test_bad.textproto");
}
END_TEST

/* ---------------------------------------------------------------- values */

START_TEST(test_numbers)
{
    Onnx__TensorProto *t = (Onnx__TensorProto *)parse_ok(
        &onnx__tensor_proto__descriptor,
        "dims: -3 dims: 0x10 dims: 017\n"
        "float_data: 1e-05 float_data: inf float_data: -inf float_data: nan float_data: 0.9\n"
        "float_data: -0.5 float_data: 3 float_data: 1.5f float_data: .5 float_data: -Infinity\n"
        "float_data: 1e300\n"
        "int32_data: -2147483648 int32_data: 2147483647\n"
        "int64_data: -9223372036854775808 int64_data: 9223372036854775807\n"
        "uint64_data: 18446744073709551615 uint64_data: 0xFFFFFFFFFFFFFFFF\n"
        "double_data: -1e300 double_data: 0.1\n");
    ck_assert_uint_eq(t->n_dims, 3);
    ck_assert_int_eq(t->dims[0], -3);
    ck_assert_int_eq(t->dims[1], 16);
    ck_assert_int_eq(t->dims[2], 15);
    ck_assert_uint_eq(t->n_float_data, 11);
    ck_assert_float_eq(t->float_data[0], 1e-05f);
    ck_assert(isinf(t->float_data[1]) && t->float_data[1] > 0);
    ck_assert(isinf(t->float_data[2]) && t->float_data[2] < 0);
    ck_assert(isnan(t->float_data[3]));
    ck_assert_float_eq(t->float_data[4], 0.9f);
    ck_assert_float_eq(t->float_data[5], -0.5f);
    ck_assert_float_eq(t->float_data[6], 3.0f);
    ck_assert_float_eq(t->float_data[7], 1.5f);
    ck_assert_float_eq(t->float_data[8], 0.5f);
    ck_assert(isinf(t->float_data[9]) && t->float_data[9] < 0);
    ck_assert(isinf(t->float_data[10]));
    ck_assert_int_eq(t->int32_data[0], INT32_MIN);
    ck_assert_int_eq(t->int32_data[1], INT32_MAX);
    ck_assert_int_eq(t->int64_data[0], INT64_MIN);
    ck_assert_int_eq(t->int64_data[1], INT64_MAX);
    ck_assert_uint_eq(t->uint64_data[0], UINT64_MAX);
    ck_assert_uint_eq(t->uint64_data[1], UINT64_MAX);
    ck_assert_double_eq(t->double_data[0], -1e300);
    ck_assert_double_eq(t->double_data[1], 0.1);
    protobuf_c_message_free_unpacked(&t->base, NULL);
}
END_TEST

START_TEST(test_number_errors)
{
    const ProtobufCMessageDescriptor *td = &onnx__tensor_proto__descriptor;
    parse_fails(td, "int32_data: 2147483648", "1:13", "out of range for int32 field 'int32_data'");
    parse_fails(td, "int32_data: -2147483649", "1:13", "-2147483649 is out of range");
    parse_fails(td, "dims: 9223372036854775808", "1:7", "out of range for int64 field 'dims'");
    parse_fails(td, "dims: -9223372036854775809", "1:7", "out of range");
    parse_fails(td, "uint64_data: 18446744073709551616", "1:14", "out of range");
    parse_fails(td, "uint64_data: -1", "1:14", "-1 is out of range for uint64");
    parse_fails(td, "dims: 1.5", "1:7", "expected an integer for int64 field 'dims'");
    parse_fails(td, "dims: 08", "1:7", "invalid digit '8'");
    parse_fails(td, "dims: 12abc", "1:9", "malformed number");
    parse_fails(td, "dims: 0x", "1:7", "hex digits");
    parse_fails(td, "float_data: 1e", "1:15", "exponent");
    parse_fails(td, "float_data: infinite", "1:13", "expected a number for float field");
    parse_fails(td, "float_data: 0x10", "1:13", "expected a decimal number");
    parse_fails(td, "float_data: -", "1:14", "found end of file");
}
END_TEST

START_TEST(test_escapes)
{
    Onnx__TensorProto *t = (Onnx__TensorProto *)parse_ok(
        &onnx__tensor_proto__descriptor,
        "name: \"a\\n\\t\\\\\\\"\\'\\303\\251\\x41\\101\\?\" 'b\"c' \"\\u00e9\\U0001F600\"\n"
        "raw_data: \"\\000\\001\\377\\xfF\\7z\"\n"
        "string_data: \"\" string_data: '\\r'\n");
    ck_assert_str_eq(t->name, "a\n\t\\\"'\303\251AA?b\"c\303\251\360\237\230\200");
    ck_assert(t->has_raw_data);
    ck_assert_uint_eq(t->raw_data.len, 6);
    ck_assert_mem_eq(t->raw_data.data, "\000\001\377\377\007z", 6);
    ck_assert_uint_eq(t->n_string_data, 2);
    ck_assert_uint_eq(t->string_data[0].len, 0);
    ck_assert_ptr_null(t->string_data[0].data);
    ck_assert_uint_eq(t->string_data[1].len, 1);
    protobuf_c_message_free_unpacked(&t->base, NULL);
}
END_TEST

START_TEST(test_string_errors)
{
    const ProtobufCMessageDescriptor *md = &onnx__model_proto__descriptor;
    parse_fails(md, "doc_string: \"abc", "1:13", "unterminated string");
    parse_fails(md, "doc_string: \"abc\ndef\"", "1:13", "unterminated string");
    parse_fails(md, "doc_string: \"a\\qb\"", "1:15", "invalid escape sequence '\\q'");
    parse_fails(md, "doc_string: \"\\400\"", "1:14", "larger than \\377");
    parse_fails(md, "doc_string: \"\\xg\"", "1:14", "hex digits");
    parse_fails(md, "doc_string: \"\\ud800\"", "1:14", "not a Unicode scalar value");
    parse_fails(md, "doc_string: \"a\\000b\"", "1:13", "\\0 byte");
    parse_fails(md, "doc_string: 12", "1:13", "expected a quoted string");
}
END_TEST

START_TEST(test_enums)
{
    Onnx__AttributeProto *a = (Onnx__AttributeProto *)parse_ok(
        &onnx__attribute_proto__descriptor, "name: \"k\" type: INTS ints: [3, 3]");
    ck_assert(a->has_type);
    ck_assert_int_eq(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    a = (Onnx__AttributeProto *)parse_ok(&onnx__attribute_proto__descriptor, "type: 1");
    ck_assert_int_eq(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    parse_fails(&onnx__attribute_proto__descriptor, "type: FLOATZ", "1:7",
                "'FLOATZ' is not a value of enum onnx.AttributeProto.AttributeType");
    parse_fails(&onnx__attribute_proto__descriptor, "type: 99", "1:7", "99 is not a value");
    parse_fails(&onnx__attribute_proto__descriptor, "type: -1", "1:7", "-1 is not a value");
}
END_TEST

/* --------------------------------------------------------------- structure */

START_TEST(test_lists_and_bodies)
{
    Onnx__GraphProto *g = (Onnx__GraphProto *)parse_ok(
        &onnx__graph_proto__descriptor,
        "# a comment\n"
        "node [ {name: \"a\"}, <name: 'b'> ] node: { name: \"c\"; op_type: \"Relu\", } node [];\n"
        "initializer { dims: [1, 2, 3] dims: [] dims: 4 float_data: [1.5] }  # trailing\n"
        "input: { name: \"x\" type { tensor_type { elem_type: 1 shape { dim { dim_param: "
        "\"N\" } dim { dim_value: 20 } } } } }");
    ck_assert_uint_eq(g->n_node, 3);
    ck_assert_str_eq(g->node[0]->name, "a");
    ck_assert_str_eq(g->node[1]->name, "b");
    ck_assert_str_eq(g->node[2]->op_type, "Relu");
    ck_assert_uint_eq(g->initializer[0]->n_dims, 4);
    ck_assert_int_eq(g->initializer[0]->dims[3], 4);
    Onnx__TypeProto *ty = g->input[0]->type;
    ck_assert_int_eq(ty->value_case, ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE);
    Onnx__TensorShapeProto__Dimension **dim = ty->tensor_type->shape->dim;
    ck_assert_int_eq(dim[0]->value_case, ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM);
    ck_assert_str_eq(dim[0]->dim_param, "N");
    ck_assert_int_eq(dim[1]->value_case, ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE);
    ck_assert_int_eq(dim[1]->dim_value, 20);
    protobuf_c_message_free_unpacked(&g->base, NULL);
}
END_TEST

START_TEST(test_structure_errors)
{
    const ProtobufCMessageDescriptor *md = &onnx__model_proto__descriptor;
    parse_fails(md, "ir_versionn: 1", "1:1", "unknown field 'ir_versionn' in onnx.ModelProto");
    parse_fails(md, "ir_version 1", "1:12", "expected ':' after field name 'ir_version'");
    parse_fails(md, "ir_version: \"x\"", "1:13", "expected an integer");
    parse_fails(md, "ir_version: 1\nir_version: 2", "2:1", "'ir_version' is given twice");
    parse_fails(md, "graph { }\ngraph { }", "2:1", "'graph' is given twice");
    parse_fails(md, "graph { name: \"g\"", "1:18", "unterminated message: '{' at 1:7");
    parse_fails(md, "graph < name: \"g\" }", "1:19", "expected a field name");
    parse_fails(md, "ir_version: 1 }", "1:15",
                "expected a field name of onnx.ModelProto, found '}'");
    parse_fails(md, "ir_version: 1 garbage", "1:15", "unknown field 'garbage'");
    parse_fails(md, "ir_version: 1 @", "1:15", "unexpected character '@'");
    parse_fails(md, "ir_version: 1 \x01", "1:15", "unexpected byte 0x01");
    parse_fails(md, "ir_version: 1\n  graph {\n    nme: \"x\"\n  }\n", "3:5",
                "unknown field 'nme'");
    parse_fails(md, "opset_import: 1", "1:15", "expected '{' to open message field 'opset_import'");
    parse_fails(md, "ir_version: [1]", "1:13", "'ir_version' is not repeated");
    parse_fails(md, "opset_import [{}, {}", "1:21", "expected ',' or ']'");
    parse_fails(md, "opset_import [{} {}]", "1:18", "expected ',' or ']'");
    parse_fails(md, "[onnx.ext]: 1", "1:1", "not supported");
    parse_fails(md, "5: 1", "1:1", "expected a field name");
    parse_fails(&onnx__type_proto__descriptor, "tensor_type { }\nsequence_type { }", "2:1",
                "'tensor_type' and field 'sequence_type' belong to one oneof");
}
END_TEST

/* TypeProto.sequence_type.elem_type... nests two messages per step. */
static char *nested_types(int pairs)
{
    char *s = malloc((size_t)pairs * 40 + 1), *p = s;
    int i;
    for (i = 0; i < pairs; i++)
        p += sprintf(p, "sequence_type { elem_type { ");
    for (i = 0; i < pairs; i++)
        p += sprintf(p, "} } ");
    return s;
}

START_TEST(test_depth_limit)
{
    char *ok = nested_types(50), *deep = nested_types(51);
    ProtobufCMessage *m = parse_ok(&onnx__type_proto__descriptor, ok);
    protobuf_c_message_free_unpacked(m, NULL);
    parse_fails(&onnx__type_proto__descriptor, deep, "1:1415", "nested more than 100 deep");
    free(ok);
    free(deep);

    /* Far too deep for the stack if the limit were missing. */
    char *very_deep = nested_types(200000);
    parse_fails(&onnx__type_proto__descriptor, very_deep, "1:1415", "nested more than 100 deep");
    free(very_deep);
}
END_TEST

/* Every prefix and many byte flips of a real model: an answer, never a crash. */
START_TEST(test_damaged_input)
{
    const char *path = test_srcpath("tests/cases/fc_membrane_ce/model.textproto");
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, f), cut, i;
    fclose(f);
    ck_assert_uint_gt(len, 1000);
    struct diag d;
    for (cut = 0; cut < 4000 && cut < len; cut++) {
        memset(&d, 0, sizeof d);
        ProtobufCMessage *m = textproto_parse(&onnx__model_proto__descriptor, text, cut, "t", &d);
        ck_assert(m != NULL || strncmp(d.msg, "t:", 2) == 0);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    uint32_t seed = 12345;
    static const char bytes[] = "{}<>[]:,;-\"'\\#\n 0x9e.fnT_\001\377";
    for (i = 0; i < 3000; i++) {
        char saved[3];
        size_t at[3];
        int k;
        for (k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            at[k] = (seed >> 8) % 4000;
            saved[k] = text[at[k]];
            text[at[k]] = bytes[(seed >> 20) % (sizeof bytes - 1)];
        }
        memset(&d, 0, sizeof d);
        ProtobufCMessage *m = textproto_parse(&onnx__model_proto__descriptor, text, 4000, "t", &d);
        ck_assert(m != NULL || strncmp(d.msg, "t:", 2) == 0);
        protobuf_c_message_free_unpacked(m, NULL);
        for (k = 2; k >= 0; k--)
            text[at[k]] = saved[k];
    }
}
END_TEST

/* ------------------------------------------------- types ONNX does not use */

struct opt_msg {
    ProtobufCMessage base;
    int32_t need;
    protobuf_c_boolean has_flag;
    protobuf_c_boolean flag;
    char *label;
    protobuf_c_boolean has_x;
    double x;
    size_t n_flags;
    protobuf_c_boolean *flags;
    protobuf_c_boolean has_u;
    uint32_t u;
};

static char opt_label_default[] = "dflt";
extern const ProtobufCMessageDescriptor opt_descriptor;

static void opt_init(ProtobufCMessage *m)
{
    static const struct opt_msg init = {
        PROTOBUF_C_MESSAGE_INIT(&opt_descriptor),
        .label = opt_label_default,
    };
    *(struct opt_msg *)m = init;
}

#define OPT_FIELD(name, id, label, type, has)                                                      \
    {                                                                                              \
#name, id, PROTOBUF_C_LABEL_##label, PROTOBUF_C_TYPE_##type, has,                          \
            offsetof(struct opt_msg, name), NULL, NULL, 0, 0, NULL, NULL                           \
    }

static const ProtobufCFieldDescriptor opt_fields[] = {
    OPT_FIELD(need, 1, REQUIRED, INT32, 0),
    OPT_FIELD(flag, 2, OPTIONAL, BOOL, offsetof(struct opt_msg, has_flag)),
    {"label", 3, PROTOBUF_C_LABEL_OPTIONAL, PROTOBUF_C_TYPE_STRING, 0,
     offsetof(struct opt_msg, label), NULL, opt_label_default, 0, 0, NULL, NULL},
    OPT_FIELD(x, 4, OPTIONAL, DOUBLE, offsetof(struct opt_msg, has_x)),
    OPT_FIELD(flags, 5, REPEATED, BOOL, offsetof(struct opt_msg, n_flags)),
    OPT_FIELD(u, 6, OPTIONAL, UINT32, offsetof(struct opt_msg, has_u)),
};
static const unsigned opt_by_name[] = {1, 4, 2, 0, 5, 3}; /* flag flags label need u x */
static const ProtobufCIntRange opt_ranges[] = {{1, 0}, {0, 6}};

const ProtobufCMessageDescriptor opt_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "test.Opt",
    "Opt",
    "Opt",
    "test",
    sizeof(struct opt_msg),
    6,
    opt_fields,
    opt_by_name,
    1,
    opt_ranges,
    opt_init,
    NULL,
    NULL,
    NULL,
};

START_TEST(test_generic_descriptor)
{
    struct opt_msg *m = (struct opt_msg *)parse_ok(
        &opt_descriptor, "need: 3 flags: [t, f, 1, 0, True, False, true, false] u: 4294967295");
    ck_assert_int_eq(m->need, 3);
    ck_assert(!m->has_flag && !m->has_x && m->has_u);
    ck_assert_uint_eq(m->u, UINT32_MAX);
    ck_assert_ptr_eq(m->label, opt_label_default); /* default kept, and not freed */
    ck_assert_uint_eq(m->n_flags, 8);
    ck_assert(m->flags[0] && !m->flags[1] && m->flags[2] && !m->flags[3]);
    ck_assert(m->flags[4] && !m->flags[5] && m->flags[6] && !m->flags[7]);

    /* It packs, and unpacks to the same bytes. */
    size_t len, len2;
    uint8_t *bytes = pack(&m->base, &len);
    ProtobufCMessage *back = protobuf_c_message_unpack(&opt_descriptor, NULL, len, bytes);
    ck_assert_ptr_nonnull(back);
    uint8_t *bytes2 = pack(back, &len2);
    ck_assert(len == len2 && memcmp(bytes, bytes2, len) == 0);
    free(bytes);
    free(bytes2);
    protobuf_c_message_free_unpacked(back, NULL);
    protobuf_c_message_free_unpacked(&m->base, NULL);

    m = (struct opt_msg *)parse_ok(&opt_descriptor, "flag: true label: \"a\" 'b' \"c\" "
                                                    "x: -inf need: -7");
    ck_assert(m->has_flag && m->flag && m->has_x && isinf(m->x) && m->x < 0);
    ck_assert_str_eq(m->label, "abc");
    ck_assert_int_eq(m->need, -7);
    protobuf_c_message_free_unpacked(&m->base, NULL);

    parse_fails(&opt_descriptor, "flag: true\n", "2:1",
                "test.Opt is missing required field 'need'");
    parse_fails(&opt_descriptor, "need: 1 flag: 2", "1:15", "expected true or false");
    parse_fails(&opt_descriptor, "need: 1 u: -1", "1:12", "-1 is out of range for uint32");
    parse_fails(&opt_descriptor, "need: 1 u: 4294967296", "1:12", "out of range for uint32");
    parse_fails(&opt_descriptor, "need: 1 label: 'x' label: 'y'", "1:20", "given twice");
}
END_TEST

Suite *textproto_suite(void)
{
    Suite *s = suite_create("textproto");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_cases_text_equals_binary);
    tcase_add_test(tc, test_cases_tensors);
    tcase_add_test(tc, test_read_text_tensor_files);
    tcase_add_test(tc, test_read_file_errors);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_number_errors);
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_string_errors);
    tcase_add_test(tc, test_enums);
    tcase_add_test(tc, test_lists_and_bodies);
    tcase_add_test(tc, test_structure_errors);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_damaged_input);
    tcase_add_test(tc, test_generic_descriptor);
    suite_add_tcase(s, tc);
    return s;
}
