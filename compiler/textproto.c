/* textproto.c - protobuf text format, read through protobuf-c descriptors.
 *
 * Takes: text in protobuf's TextFormat syntax, as `protoc --decode=TYPE`
 * prints it (plus the rest of that grammar: `name: {...}` and `<...>`
 * bodies, `[a, b]` lists, `,` or `;` after a field, '...' strings, adjacent
 * strings joined, `#` comments), and the descriptor of TYPE.
 * Gives: the message, built piece by piece with malloc exactly as
 * protobuf_c_message_unpack() builds it (structs through message_init,
 * malloc'd arrays, strings and bytes, has_ and oneof case fields set), so
 * protobuf_c_message_free_unpacked(msg, NULL) frees it. On error: NULL and
 * "FILE:LINE:COL: what was expected, what was found" in d.
 * Holds: the tree is consistent after every step (an array's count covers
 * only filled slots; a child is linked before it is filled), so on any error
 * one free of the root releases everything. Nesting is capped at MAX_DEPTH,
 * so no input can exhaust the stack. As protobuf's TextFormat: a field that
 * is not repeated may be given once, only one member of a oneof may be
 * given, required fields must be present, enum values must be known.
 */
#include "textproto.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 100

enum tok_kind { TOK_EOF, TOK_IDENT, TOK_INT, TOK_FLOAT, TOK_STRING, TOK_SYMBOL };

struct token {
    enum tok_kind kind;
    const char *s; /* the token's text; strings keep their quotes */
    size_t len;
    long line, col;
};

struct parser {
    const char *p, *end; /* unread text */
    long line, col;      /* position of p, both from 1 */
    const char *file;
    struct diag *d;
    struct token tok; /* the current token, not yet consumed */
};

/* ------------------------------------------------------------------ errors */

static bool verror_at(struct parser *ps, long line, long col, const char *fmt, va_list ap)
{
    char buf[768];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return diag_error(ps->d, "%s:%ld:%ld: %s", ps->file, line, col, buf);
}

static bool error_at(struct parser *ps, long line, long col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool error_at(struct parser *ps, long line, long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror_at(ps, line, col, fmt, ap);
    va_end(ap);
    return false;
}

/* Reports at the current token. */
static bool error_tok(struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool error_tok(struct parser *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror_at(ps, ps->tok.line, ps->tok.col, fmt, ap);
    va_end(ap);
    return false;
}

/* The current token for a message: `end of file` or `'text'`, shortened and
 * with unprintable bytes shown as '?'. */
static const char *tok_describe(const struct token *t, char *buf, size_t size)
{
    if (t->kind == TOK_EOF)
        return "end of file";
    size_t n = t->len, max = size - 6, i;
    if (n > max)
        n = max;
    buf[0] = '\'';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        buf[i + 1] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    memcpy(buf + n + 1, t->len > n ? "...'" : "'", t->len > n ? 5 : 2);
    return buf;
}

#define FOUND(ps, buf) tok_describe(&(ps)->tok, (buf), sizeof(buf))

static bool out_of_memory(struct parser *ps)
{
    return error_tok(ps, "out of memory");
}

/* ------------------------------------------------------------------- lexer */

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool more(const struct parser *ps)
{
    return ps->p < ps->end;
}

static void advance(struct parser *ps)
{
    if (*ps->p == '\n') {
        ps->line++;
        ps->col = 1;
    } else {
        ps->col++;
    }
    ps->p++;
}

static void skip_space(struct parser *ps)
{
    while (more(ps)) {
        char c = *ps->p;
        if (c == '#') {
            while (more(ps) && *ps->p != '\n')
                advance(ps);
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            advance(ps);
        } else {
            break;
        }
    }
}

static void skip_digits(struct parser *ps)
{
    while (more(ps) && is_digit(*ps->p))
        advance(ps);
}

/* 12, 0x1f, 017, 1.5, .5, 1e-05, 2.5f. Signs are separate tokens. */
static bool lex_number(struct parser *ps)
{
    struct token *t = &ps->tok;
    bool is_float = false;
    if (ps->p[0] == '0' && ps->end - ps->p > 1 && (ps->p[1] == 'x' || ps->p[1] == 'X')) {
        advance(ps);
        advance(ps);
        if (!more(ps) || hex_value(*ps->p) < 0)
            return error_at(ps, t->line, t->col, "expected hex digits after '0x'");
        while (more(ps) && hex_value(*ps->p) >= 0)
            advance(ps);
    } else {
        skip_digits(ps);
        if (more(ps) && *ps->p == '.') {
            is_float = true;
            advance(ps);
            skip_digits(ps);
        }
        if (more(ps) && (*ps->p == 'e' || *ps->p == 'E')) {
            is_float = true;
            advance(ps);
            if (more(ps) && (*ps->p == '+' || *ps->p == '-'))
                advance(ps);
            if (!more(ps) || !is_digit(*ps->p))
                return error_at(ps, ps->line, ps->col,
                                "expected digits in the exponent of a number");
            skip_digits(ps);
        }
        if (more(ps) && (*ps->p == 'f' || *ps->p == 'F')) {
            is_float = true;
            advance(ps);
        }
    }
    if (more(ps) && (is_alpha(*ps->p) || is_digit(*ps->p) || *ps->p == '.'))
        return error_at(ps, ps->line, ps->col, "malformed number: unexpected '%c' after '%.*s'",
                        *ps->p, (int)(ps->p - t->s), t->s);
    t->kind = is_float ? TOK_FLOAT : TOK_INT;
    return true;
}

/* Finds the closing quote; escapes are checked when the string is decoded. */
static bool lex_string(struct parser *ps)
{
    struct token *t = &ps->tok;
    char quote = *ps->p;
    advance(ps);
    for (;;) {
        if (!more(ps) || *ps->p == '\n')
            return error_at(ps, t->line, t->col, "unterminated string: no closing %c on this line",
                            quote);
        if (*ps->p == quote)
            break;
        if (*ps->p == '\\') {
            advance(ps);
            if (!more(ps) || *ps->p == '\n')
                continue;
        }
        advance(ps);
    }
    advance(ps);
    t->kind = TOK_STRING;
    return true;
}

/* Reads the next token into ps->tok. */
static bool lex(struct parser *ps)
{
    struct token *t = &ps->tok;
    skip_space(ps);
    t->s = ps->p;
    t->line = ps->line;
    t->col = ps->col;
    if (!more(ps)) {
        t->kind = TOK_EOF;
        t->len = 0;
        return true;
    }
    char c = *ps->p;
    if (is_alpha(c)) {
        while (more(ps) && (is_alpha(*ps->p) || is_digit(*ps->p)))
            advance(ps);
        t->kind = TOK_IDENT;
    } else if (is_digit(c) || (c == '.' && ps->end - ps->p > 1 && is_digit(ps->p[1]))) {
        if (!lex_number(ps))
            return false;
    } else if (c == '"' || c == '\'') {
        if (!lex_string(ps))
            return false;
    } else if (c && strchr("{}<>[]:,;-", c)) {
        advance(ps);
        t->kind = TOK_SYMBOL;
    } else {
        unsigned char u = (unsigned char)c;
        if (u >= 0x20 && u < 0x7f)
            return error_at(ps, t->line, t->col, "unexpected character '%c'", c);
        return error_at(ps, t->line, t->col, "unexpected byte 0x%02x", u);
    }
    t->len = (size_t)(ps->p - t->s);
    return true;
}

static bool is_sym(const struct parser *ps, char c)
{
    return ps->tok.kind == TOK_SYMBOL && ps->tok.s[0] == c;
}

/* Consumes the symbol c if it is next. */
static bool accept(struct parser *ps, char c, bool *ok)
{
    if (!is_sym(ps, c))
        return false;
    *ok = lex(ps);
    return true;
}

static bool ident_is(const struct token *t, const char *word)
{
    return t->kind == TOK_IDENT && t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

/* -------------------------------------------------------------- fields */

static const char *type_name(ProtobufCType type)
{
    static const char *const names[] = {
        [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
        [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
        [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
        [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
        [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
        [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
        [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
        [PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
        [PROTOBUF_C_TYPE_MESSAGE] = "message",
    };
    return (unsigned)type < sizeof names / sizeof names[0] && names[type] ? names[type] : "?";
}

/* Size of one element of a repeated field, as protobuf-c lays them out. */
static size_t elt_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    }
    return 0;
}

static void *member(ProtobufCMessage *m, unsigned offset)
{
    return (char *)m + offset;
}

/* A free slot at the end of repeated field f; the caller counts it once it
 * is filled. Arrays hold a power of two of slots, so growing is amortized. */
static void *repeated_slot(struct parser *ps, ProtobufCMessage *m,
                           const ProtobufCFieldDescriptor *f)
{
    size_t *n = member(m, f->quantifier_offset);
    char **arr = member(m, f->offset);
    size_t size = elt_size(f->type);
    if (*n == 0 || (*n & (*n - 1)) == 0) {
        size_t cap = *n ? *n * 2 : 1;
        void *grown = cap <= SIZE_MAX / size ? realloc(*arr, cap * size) : NULL;
        if (!grown) {
            out_of_memory(ps);
            return NULL;
        }
        *arr = grown;
    }
    return *arr + *n * size;
}

/* Records that singular field f now holds a value (protobuf-c's unpack). */
static void mark_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)member(m, f->quantifier_offset) = f->id;
    else if (f->label != PROTOBUF_C_LABEL_REQUIRED && f->quantifier_offset != 0)
        *(protobuf_c_boolean *)member(m, f->quantifier_offset) = 1;
}

static ProtobufCMessage *message_new(struct parser *ps, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = malloc(desc->sizeof_message);
    if (!m) {
        out_of_memory(ps);
        return NULL;
    }
    protobuf_c_message_init(desc, m);
    return m;
}

/* ------------------------------------------------------------ scalars */

/* [-]INTEGER as a sign and a magnitude; decimal, 0x hex or 0 octal. */
static bool read_integer(struct parser *ps, const ProtobufCFieldDescriptor *f, bool *neg,
                         uint64_t *mag)
{
    char buf[48];
    bool ok = true;
    *neg = accept(ps, '-', &ok);
    if (!ok)
        return false;
    const struct token *t = &ps->tok;
    if (t->kind != TOK_INT)
        return error_tok(ps, "expected an integer for %s field '%s', found %s", type_name(f->type),
                         f->name, FOUND(ps, buf));
    unsigned base = 10;
    size_t i = 0;
    if (t->len > 2 && t->s[0] == '0' && (t->s[1] == 'x' || t->s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (t->len > 1 && t->s[0] == '0') {
        base = 8;
        i = 1;
    }
    *mag = 0;
    for (; i < t->len; i++) {
        unsigned digit = (unsigned)hex_value(t->s[i]);
        if (digit >= base)
            return error_tok(ps, "invalid digit '%c' in octal number %s", t->s[i], FOUND(ps, buf));
        if (*mag > (UINT64_MAX - digit) / base)
            return error_tok(ps, "integer %s is out of range for %s field '%s'", FOUND(ps, buf),
                             type_name(f->type), f->name);
        *mag = *mag * base + digit;
    }
    return lex(ps);
}

/* An integer of `bits` bits, signed or not, into *out (two's complement). */
static bool read_int_ranged(struct parser *ps, const ProtobufCFieldDescriptor *f, bool is_signed,
                            unsigned bits, uint64_t *out)
{
    struct token start = ps->tok;
    bool neg = false;
    uint64_t mag = 0;
    if (!read_integer(ps, f, &neg, &mag))
        return false;
    uint64_t limit = is_signed ? (UINT64_C(1) << (bits - 1)) - (neg ? 0 : 1)
                               : (bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1);
    if ((neg && !is_signed) || mag > limit)
        return error_at(ps, start.line, start.col, "%s%llu is out of range for %s field '%s'",
                        neg ? "-" : "", (unsigned long long)mag, type_name(f->type), f->name);
    *out = neg ? (uint64_t)0 - mag : mag;
    return true;
}

static bool read_double(struct parser *ps, const ProtobufCFieldDescriptor *f, double *out)
{
    char buf[256];
    bool ok = true, neg = accept(ps, '-', &ok);
    if (!ok)
        return false;
    const struct token *t = &ps->tok;
    if (t->kind == TOK_IDENT) {
        size_t i;
        for (i = 0; i < t->len && i + 1 < sizeof buf; i++)
            buf[i] = (char)(t->s[i] | 0x20);
        buf[i] = 0;
        if (t->len == i && (!strcmp(buf, "inf") || !strcmp(buf, "infinity")))
            *out = INFINITY;
        else if (t->len == i && !strcmp(buf, "nan"))
            *out = NAN;
        else
            return error_tok(ps, "expected a number for %s field '%s', found %s",
                             type_name(f->type), f->name, FOUND(ps, buf));
    } else if ((t->kind == TOK_INT || t->kind == TOK_FLOAT) &&
               !(t->len > 1 && (t->s[1] == 'x' || t->s[1] == 'X'))) {
        size_t n = t->len;
        if (t->s[n - 1] == 'f' || t->s[n - 1] == 'F')
            n--;
        if (n >= sizeof buf)
            return error_tok(ps, "number too long for %s field '%s'", type_name(f->type), f->name);
        memcpy(buf, t->s, n);
        buf[n] = 0;
        char *dot = strchr(buf, '.'); /* strtod reads the locale's decimal point */
        if (dot)
            *dot = localeconv()->decimal_point[0];
        *out = strtod(buf, NULL);
    } else {
        return error_tok(ps, "expected a decimal number for %s field '%s', found %s",
                         type_name(f->type), f->name, FOUND(ps, buf));
    }
    if (neg)
        *out = -*out;
    return lex(ps);
}

/* protobuf's SafeDoubleToFloat: out of range becomes infinite, not UB. */
static float double_to_float(double v)
{
    if (v > FLT_MAX)
        return INFINITY;
    if (v < -FLT_MAX)
        return -INFINITY;
    return (float)v;
}

static bool read_bool(struct parser *ps, const ProtobufCFieldDescriptor *f, protobuf_c_boolean *out)
{
    char buf[48];
    const struct token *t = &ps->tok;
    if (ident_is(t, "true") || ident_is(t, "True") || ident_is(t, "t")) {
        *out = 1;
    } else if (ident_is(t, "false") || ident_is(t, "False") || ident_is(t, "f")) {
        *out = 0;
    } else if (t->kind == TOK_INT && t->len == 1 && (t->s[0] == '0' || t->s[0] == '1')) {
        *out = t->s[0] == '1';
    } else {
        return error_tok(ps, "expected true or false for bool field '%s', found %s", f->name,
                         FOUND(ps, buf));
    }
    return lex(ps);
}

static bool read_enum(struct parser *ps, const ProtobufCFieldDescriptor *f, int32_t *out)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    const ProtobufCEnumValue *v;
    if (ps->tok.kind == TOK_IDENT) {
        char buf[128];
        v = NULL;
        if (ps->tok.len < sizeof buf) {
            memcpy(buf, ps->tok.s, ps->tok.len);
            buf[ps->tok.len] = 0;
            v = protobuf_c_enum_descriptor_get_value_by_name(ed, buf);
        }
        if (!v)
            return error_tok(ps, "%s is not a value of enum %s (field '%s')", FOUND(ps, buf),
                             ed->name, f->name);
        *out = v->value;
        return lex(ps);
    }
    struct token start = ps->tok;
    uint64_t u = 0;
    if (!read_int_ranged(ps, f, true, 32, &u))
        return false;
    int32_t n = (int32_t)(u > INT32_MAX ? -(int64_t)(UINT64_C(0) - u) : (int64_t)u);
    if (!protobuf_c_enum_descriptor_get_value(ed, n))
        return error_at(ps, start.line, start.col, "%ld is not a value of enum %s (field '%s')",
                        (long)n, ed->name, f->name);
    *out = n;
    return true;
}

/* The byte a one-letter escape such as \n stands for, or -1. */
static int simple_escape(char e)
{
    static const char pairs[] = "a\ab\bf\fn\nr\rt\tv\v\\\\''\"\"??";
    size_t i;
    for (i = 0; i < sizeof pairs - 1; i += 2)
        if (pairs[i] == e)
            return (unsigned char)pairs[i + 1];
    return -1;
}

/* Code point v (at most 0x10ffff) as UTF-8; returns the bytes written. */
static size_t put_utf8(char *out, unsigned long v)
{
    static const unsigned char lead[] = {0, 0xc0, 0xe0, 0xf0};
    int extra = v < 0x80 ? 0 : v < 0x800 ? 1 : v < 0x10000 ? 2 : 3, k;
    out[0] = (char)(lead[extra] | (v >> (6 * extra)));
    for (k = 1; k <= extra; k++)
        out[k] = (char)(0x80 | ((v >> (6 * (extra - k))) & 0x3f));
    return (size_t)extra + 1;
}

/* Decodes one string token, escapes included, appending to out: protobuf's
 * escapes are C's plus \u and \U (written out as UTF-8). */
static bool decode_string(struct parser *ps, const struct token *t, char *out, size_t *n)
{
    size_t i = 1, end = t->len - 1; /* the lexer saw that every \ has a byte after it */
    while (i < end) {
        char c = t->s[i++];
        if (c != '\\') {
            out[(*n)++] = c;
            continue;
        }
        long col = t->col + (long)i - 1;
        char e = t->s[i++];
        int simple = simple_escape(e), k;
        int digits = e == 'u' ? 4 : e == 'U' ? 8 : 2;
        unsigned long v = 0;
        if (simple >= 0) {
            v = (unsigned long)simple;
        } else if (e >= '0' && e <= '7') {
            v = (unsigned long)(e - '0');
            for (k = 0; k < 2 && i < end && t->s[i] >= '0' && t->s[i] <= '7'; k++)
                v = v * 8 + (unsigned long)(t->s[i++] - '0');
            if (v > 0xff)
                return error_at(ps, t->line, col, "octal escape \\%.*s is larger than \\377", k + 1,
                                t->s + i - k - 1);
        } else if (e == 'x' || e == 'X' || e == 'u' || e == 'U') {
            for (k = 0; k < digits && i < end && hex_value(t->s[i]) >= 0; k++)
                v = v * 16 + (unsigned long)hex_value(t->s[i++]);
            if (k == 0 || (digits > 2 && k != digits))
                return error_at(ps, t->line, col, "expected %d hex digits after \\%c", digits, e);
            if (digits > 2 && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)))
                return error_at(ps, t->line, col, "\\%c%.*s is not a Unicode scalar value", e,
                                digits, t->s + i - digits);
            if (digits > 2) {
                *n += put_utf8(out + *n, v);
                continue;
            }
        } else if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7f) {
            return error_at(ps, t->line, col, "invalid escape: '\\' before byte 0x%02x",
                            (unsigned char)e);
        } else {
            return error_at(ps, t->line, col, "invalid escape sequence '\\%c' in string", e);
        }
        out[(*n)++] = (char)v;
    }
    return true;
}

/* One or more adjacent string tokens, joined, into a malloc'd buffer with a
 * terminating NUL not counted in *len. An escape never decodes to more bytes
 * than it is written with, so each token needs at most its length. */
static bool read_string(struct parser *ps, const ProtobufCFieldDescriptor *f, char **out,
                        size_t *len)
{
    if (ps->tok.kind != TOK_STRING) {
        char buf[48];
        return error_tok(ps, "expected a quoted string for %s field '%s', found %s",
                         type_name(f->type), f->name, FOUND(ps, buf));
    }
    char *s = NULL;
    size_t n = 0;
    while (ps->tok.kind == TOK_STRING) {
        char *grown = realloc(s, n + ps->tok.len + 1);
        if (!grown) {
            free(s);
            return out_of_memory(ps);
        }
        s = grown;
        if (!decode_string(ps, &ps->tok, s, &n) || !lex(ps)) {
            free(s);
            return false;
        }
    }
    s[n] = 0;
    *out = s;
    *len = n;
    return true;
}

/* A value of scalar field f into slot, which is untouched on error. */
static bool read_scalar(struct parser *ps, const ProtobufCFieldDescriptor *f, void *slot)
{
    struct token start = ps->tok;
    uint64_t u;
    double x;
    char *s;
    size_t n;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (!read_int_ranged(ps, f, true, 32, &u))
            return false;
        *(int32_t *)slot = (int32_t)(u > INT32_MAX ? -(int64_t)(UINT64_C(0) - u) : (int64_t)u);
        return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (!read_int_ranged(ps, f, true, 64, &u))
            return false;
        *(int64_t *)slot = u > INT64_MAX ? -(int64_t)(UINT64_C(0) - u - 1) - 1 : (int64_t)u;
        return true;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (!read_int_ranged(ps, f, false, 32, &u))
            return false;
        *(uint32_t *)slot = (uint32_t)u;
        return true;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return read_int_ranged(ps, f, false, 64, slot);
    case PROTOBUF_C_TYPE_FLOAT:
        if (!read_double(ps, f, &x))
            return false;
        *(float *)slot = double_to_float(x);
        return true;
    case PROTOBUF_C_TYPE_DOUBLE:
        return read_double(ps, f, slot);
    case PROTOBUF_C_TYPE_BOOL:
        return read_bool(ps, f, slot);
    case PROTOBUF_C_TYPE_ENUM:
        return read_enum(ps, f, slot);
    case PROTOBUF_C_TYPE_STRING:
        if (!read_string(ps, f, &s, &n))
            return false;
        if (strlen(s) != n) {
            free(s);
            return error_at(ps, start.line, start.col,
                            "string field '%s' holds a \\0 byte, which a C string cannot keep",
                            f->name);
        }
        *(char **)slot = s;
        return true;
    case PROTOBUF_C_TYPE_BYTES:
        if (!read_string(ps, f, &s, &n))
            return false;
        if (n == 0) { /* as protobuf-c's unpack: empty bytes own no buffer */
            free(s);
            s = NULL;
        }
        ((ProtobufCBinaryData *)slot)->data = (uint8_t *)s;
        ((ProtobufCBinaryData *)slot)->len = n;
        return true;
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    return error_at(ps, start.line, start.col, "field '%s' has an unsupported type", f->name);
}

/* ----------------------------------------------------------- messages */

static bool read_body(struct parser *ps, ProtobufCMessage *m, const struct token *open, int depth);

/* `{ ... }` or `< ... >` for message field f, linked into m before it is read. */
static bool read_submessage(struct parser *ps, ProtobufCMessage *m,
                            const ProtobufCFieldDescriptor *f, int depth)
{
    if (!is_sym(ps, '{') && !is_sym(ps, '<')) {
        char buf[48];
        return error_tok(ps, "expected '{' to open message field '%s', found %s", f->name,
                         FOUND(ps, buf));
    }
    if (depth >= MAX_DEPTH)
        return error_tok(ps, "messages nested more than %d deep", MAX_DEPTH);
    void *slot = NULL;
    if (f->label == PROTOBUF_C_LABEL_REPEATED && !(slot = repeated_slot(ps, m, f)))
        return false;
    ProtobufCMessage *sub = message_new(ps, f->descriptor);
    if (!sub)
        return false;
    if (slot) {
        *(ProtobufCMessage **)slot = sub;
        (*(size_t *)member(m, f->quantifier_offset))++;
    } else {
        *(ProtobufCMessage **)member(m, f->offset) = sub;
        mark_present(m, f);
    }
    struct token open = ps->tok;
    return lex(ps) && read_body(ps, sub, &open, depth + 1);
}

/* One value of field f: a scalar or a message. */
static bool read_value(struct parser *ps, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       int depth)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return read_submessage(ps, m, f, depth);
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        if (!read_scalar(ps, f, member(m, f->offset)))
            return false;
        mark_present(m, f);
        return true;
    }
    void *slot = repeated_slot(ps, m, f);
    if (!slot || !read_scalar(ps, f, slot))
        return false;
    (*(size_t *)member(m, f->quantifier_offset))++;
    return true;
}

/* `[ v, v, ... ]` for repeated field f; the '[' is the current token. */
static bool read_list(struct parser *ps, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                      int depth)
{
    char buf[48];
    bool ok = true;
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return error_tok(ps, "field '%s' is not repeated; a list '[...]' is not allowed", f->name);
    if (!lex(ps))
        return false;
    if (accept(ps, ']', &ok))
        return ok;
    for (;;) {
        if (!read_value(ps, m, f, depth))
            return false;
        if (accept(ps, ']', &ok))
            return ok;
        if (!accept(ps, ',', &ok))
            return error_tok(ps, "expected ',' or ']' in the list of field '%s', found %s", f->name,
                             FOUND(ps, buf));
        if (!ok)
            return false;
    }
}

/* `name: value`, `name { ... }`, `name: [ ... ]` into m. */
static bool read_field(struct parser *ps, ProtobufCMessage *m, bool *seen, int depth)
{
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    char buf[128];
    if (ps->tok.kind != TOK_IDENT) {
        if (is_sym(ps, '['))
            return error_tok(ps, "extension and Any fields '[...]' are not supported");
        return error_tok(ps, "expected a field name of %s, found %s", desc->name, FOUND(ps, buf));
    }
    const ProtobufCFieldDescriptor *f = NULL;
    if (ps->tok.len < sizeof buf) {
        memcpy(buf, ps->tok.s, ps->tok.len);
        buf[ps->tok.len] = 0;
        f = protobuf_c_message_descriptor_get_field_by_name(desc, buf);
    }
    if (!f)
        return error_tok(ps, "unknown field %s in %s", FOUND(ps, buf), desc->name);
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        if (seen[f - desc->fields])
            return error_tok(ps, "field '%s' is given twice, but it is not repeated", f->name);
        uint32_t other = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                             ? *(uint32_t *)member(m, f->quantifier_offset)
                             : 0;
        if (other && other != f->id)
            return error_tok(ps, "field '%s' and field '%s' belong to one oneof; give only one",
                             protobuf_c_message_descriptor_get_field(desc, other)->name, f->name);
        seen[f - desc->fields] = true;
    }
    bool ok = true, colon;
    if (!lex(ps))
        return false;
    colon = accept(ps, ':', &ok);
    if (!ok)
        return false;
    if (!colon && f->type != PROTOBUF_C_TYPE_MESSAGE)
        return error_tok(ps, "expected ':' after field name '%s', found %s", f->name,
                         FOUND(ps, buf));
    if (is_sym(ps, '['))
        return read_list(ps, m, f, depth);
    return read_value(ps, m, f, depth);
}

/* Fields up to the match of `open` (NULL: up to end of file), then the
 * required-field check. */
static bool read_body(struct parser *ps, ProtobufCMessage *m, const struct token *open, int depth)
{
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    char close = !open ? 0 : open->s[0] == '{' ? '}' : '>';
    bool *seen = calloc(desc->n_fields + 1, sizeof *seen);
    bool ok = true;
    unsigned i;
    if (!seen)
        return out_of_memory(ps);
    for (;;) {
        if (ps->tok.kind == TOK_EOF && close) {
            ok = error_tok(ps, "unterminated message: '%c' at %ld:%ld has no matching '%c'",
                           open->s[0], open->line, open->col, close);
            break;
        }
        if (ps->tok.kind == TOK_EOF || is_sym(ps, close))
            break;
        if (!read_field(ps, m, seen, depth) ||
            ((accept(ps, ',', &ok) || accept(ps, ';', &ok)) && !ok)) {
            ok = false;
            break;
        }
    }
    for (i = 0; ok && i < desc->n_fields; i++)
        if (desc->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i])
            ok = error_tok(ps, "%s is missing required field '%s'", desc->name,
                           desc->fields[i].name);
    free(seen);
    return ok && (!close || lex(ps));
}

ProtobufCMessage *textproto_parse(const ProtobufCMessageDescriptor *desc, const char *text,
                                  size_t len, const char *filename, struct diag *d)
{
    struct parser ps = {
        .p = text,
        .end = text + len,
        .line = 1,
        .col = 1,
        .file = filename,
        .d = d,
    };
    ProtobufCMessage *m = message_new(&ps, desc);
    if (!m)
        return NULL;
    if (!lex(&ps) || !read_body(&ps, m, NULL, 0)) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}
