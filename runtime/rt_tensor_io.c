/* rt_tensor_io.c - ONNX TensorProto files and checkpoint models, by hand.
 *
 * Takes: paths of binary TensorProto files (SPEC §8 test data) and of binary
 * ModelProto files, caller buffers with their capacities, and for writing
 * the compiler's serialized model head and graph body.
 * Gives: snnrt_tensor_read/write, snnrt_model_write, snnrt_model_load_params.
 * Afterwards: nothing was allocated; a read either filled the caller's
 * buffer after every size, type and bound was checked, or failed with a
 * one-line message; a write either replaced the file whole or left the old
 * one in place (PATH.tmp, fsync, rename).
 *
 * The protobuf wire format is read from a FILE* through one 4 KiB buffer.
 * Every read is bounded by the end of the message that holds it, so corrupt
 * lengths are reported, never followed. Fields may come in any order: a
 * tensor is scanned once for its name, type and dims, then, when wanted,
 * read again from its start to copy its data. Field numbers are those of
 * /usr/include/onnx/onnx.proto: TensorProto dims 1, data_type 2,
 * float_data 4, int32_data 5, string_data 6, int64_data 7, name 8,
 * raw_data 9, double_data 10, uint64_data 11, external_data 13,
 * data_location 14; GraphProto initializer 5; ModelProto graph 7.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "snnrt.h"

enum {
    WT_VARINT = 0,
    WT_I64 = 1,
    WT_LEN = 2,
    WT_I32 = 5,
};

enum {
    TP_DIMS = 1,
    TP_DATA_TYPE = 2,
    TP_FLOAT_DATA = 4,
    TP_INT32_DATA = 5,
    TP_STRING_DATA = 6,
    TP_INT64_DATA = 7,
    TP_NAME = 8,
    TP_RAW_DATA = 9,
    TP_DOUBLE_DATA = 10,
    TP_UINT64_DATA = 11,
    TP_EXTERNAL_DATA = 13,
    TP_DATA_LOCATION = 14,
    GRAPH_INITIALIZER = 5,
    MODEL_GRAPH = 7,
};

#define NAME_MAX_LEN 255
#define PATH_BUF 4096

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int host_is_little_endian(void)
{
    union {
        uint32_t u;
        unsigned char c[4];
    } x;

    x.u = 1;
    return x.c[0] == 1;
}

static const char *dtype_name(int dt)
{
    switch (dt) {
    case SNNRT_DT_FLOAT:
        return "FLOAT";
    case SNNRT_DT_INT32:
        return "INT32";
    case SNNRT_DT_INT64:
        return "INT64";
    case 0:
        return "UNDEFINED";
    default:
        return "unsupported";
    }
}

static size_t dtype_size(int dt)
{
    switch (dt) {
    case SNNRT_DT_FLOAT:
    case SNNRT_DT_INT32:
        return 4;
    case SNNRT_DT_INT64:
        return 8;
    default:
        return 0;
    }
}

/* "[32,20]" into buf. */
static const char *dims_str(const int64_t *dims, int rank, char *buf, size_t len)
{
    size_t at = 0;
    int i;

    at += (size_t)snprintf(buf + at, len - at, "[");
    for (i = 0; i < rank && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
    return buf;
}

/* ----------------------------------------------------------- reading */

struct pbin {
    FILE *f;
    const char *path;
    uint64_t size; /* file size */
    uint64_t pos;  /* file offset of buf[at] */
    size_t len;    /* bytes in buf */
    size_t at;     /* next byte in buf */
    char *err;
    size_t errlen;
    unsigned char buf[4096];
};

static int in_fail(struct pbin *in, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail(in->err, in->errlen, "%s: %s", in->path, msg);
}

static int in_open(struct pbin *in, const char *path, char *err, size_t errlen)
{
    long size;

    in->path = path ? path : "(null)";
    in->size = 0;
    in->err = err;
    in->errlen = errlen;
    in->pos = 0;
    in->len = 0;
    in->at = 0;
    in->f = path ? fopen(path, "rb") : NULL;
    if (!in->f)
        return fail(err, errlen, "%s: cannot open: %s", in->path,
                    path ? strerror(errno) : "no path given");
    if (fseek(in->f, 0, SEEK_END) != 0 || (size = ftell(in->f)) < 0 ||
        fseek(in->f, 0, SEEK_SET) != 0) {
        fclose(in->f);
        in->f = NULL;
        return fail(err, errlen, "%s: cannot seek (not a regular file?)", in->path);
    }
    in->size = (uint64_t)size;
    return 0;
}

static void in_close(struct pbin *in)
{
    if (in->f)
        fclose(in->f);
    in->f = NULL;
}

static int in_seek(struct pbin *in, uint64_t pos)
{
    if (pos > (uint64_t)LONG_MAX || fseek(in->f, (long)pos, SEEK_SET) != 0)
        return in_fail(in, "cannot seek to offset %llu", (unsigned long long)pos);
    in->pos = pos;
    in->len = 0;
    in->at = 0;
    return 0;
}

static int in_fill(struct pbin *in)
{
    in->len = fread(in->buf, 1, sizeof in->buf, in->f);
    in->at = 0;
    if (in->len == 0) {
        if (ferror(in->f))
            return in_fail(in, "read error at offset %llu: %s", (unsigned long long)in->pos,
                           strerror(errno));
        return in_fail(in, "file ends at offset %llu, inside a message (truncated?)",
                       (unsigned long long)in->pos);
    }
    return 0;
}

static int in_need(struct pbin *in, uint64_t end, uint64_t n, const char *what)
{
    if (n > end - in->pos)
        return in_fail(in,
                       "truncated or corrupt: %s of %llu bytes at offset %llu runs past "
                       "the end of its message (%llu bytes left)",
                       what, (unsigned long long)n, (unsigned long long)in->pos,
                       (unsigned long long)(end - in->pos));
    return 0;
}

static int in_byte(struct pbin *in, uint64_t end, unsigned char *b)
{
    if (in->pos >= end)
        return in_fail(in,
                       "truncated or corrupt: a value at offset %llu runs past the end "
                       "of its message",
                       (unsigned long long)in->pos);
    if (in->at == in->len && in_fill(in) != 0)
        return -1;
    *b = in->buf[in->at++];
    in->pos++;
    return 0;
}

static int in_bytes(struct pbin *in, uint64_t end, void *dst, size_t n)
{
    unsigned char *d = dst;

    if (in_need(in, end, n, "a field") != 0)
        return -1;
    while (n > 0) {
        size_t k;

        if (in->at == in->len && in_fill(in) != 0)
            return -1;
        k = in->len - in->at;
        if (k > n)
            k = n;
        memcpy(d, in->buf + in->at, k);
        in->at += k;
        in->pos += k;
        d += k;
        n -= k;
    }
    return 0;
}

static int in_skip(struct pbin *in, uint64_t end, uint64_t n)
{
    if (in_need(in, end, n, "a field") != 0)
        return -1;
    if (n <= in->len - in->at) {
        in->at += (size_t)n;
        in->pos += n;
        return 0;
    }
    return in_seek(in, in->pos + n);
}

static int in_varint(struct pbin *in, uint64_t end, uint64_t *v)
{
    uint64_t x = 0;
    unsigned char b = 0;
    int shift;

    for (shift = 0; shift < 70; shift += 7) {
        if (in_byte(in, end, &b) != 0)
            return -1;
        if (shift == 63 && b > 1)
            break;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return in_fail(in, "corrupt: malformed varint before offset %llu", (unsigned long long)in->pos);
}

static int in_fixed32(struct pbin *in, uint64_t end, uint32_t *v)
{
    unsigned char b[4];

    if (in_bytes(in, end, b, 4) != 0)
        return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static int in_key(struct pbin *in, uint64_t end, uint32_t *field, int *wt)
{
    uint64_t k;

    if (in_varint(in, end, &k) != 0)
        return -1;
    if ((k >> 3) == 0 || (k >> 3) > 536870911u)
        return in_fail(in, "corrupt: invalid field number %llu before offset %llu",
                       (unsigned long long)(k >> 3), (unsigned long long)in->pos);
    *field = (uint32_t)(k >> 3);
    *wt = (int)(k & 7);
    return 0;
}

/* The length of a length-delimited field, checked against end. */
static int in_len(struct pbin *in, uint64_t end, uint64_t *len)
{
    if (in_varint(in, end, len) != 0)
        return -1;
    return in_need(in, end, *len, "a length-delimited field");
}

static int in_skip_field(struct pbin *in, uint64_t end, uint32_t field, int wt)
{
    uint64_t v;

    switch (wt) {
    case WT_VARINT:
        return in_varint(in, end, &v);
    case WT_I64:
        return in_skip(in, end, 8);
    case WT_LEN:
        if (in_len(in, end, &v) != 0)
            return -1;
        return in_skip(in, end, v);
    case WT_I32:
        return in_skip(in, end, 4);
    default:
        return in_fail(in,
                       "corrupt: field %lu has wire type %d (not 0, 1, 2 or 5) at offset "
                       "%llu",
                       (unsigned long)field, wt, (unsigned long long)in->pos);
    }
}

static int64_t u64_to_i64(uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX)
        return (int64_t)v;
    return -(int64_t)(~v) - 1;
}

/* ------------------------------------------------------ TensorProto */

/* What one scan of a TensorProto found. */
struct tmeta {
    char name[NAME_MAX_LEN + 1]; /* first bytes of the name */
    uint64_t name_len;           /* full length of the name */
    int data_type;
    int rank;
    int64_t dims[SNNRT_MAX_RANK];
    uint64_t n_float; /* elements in float_data */
    uint64_t n_int32; /* elements in int32_data */
    uint64_t n_int64; /* elements in int64_data */
    uint64_t n_raw;   /* raw_data fields seen */
    uint64_t raw_len; /* length of the last raw_data */
    int other;        /* field number of string/double/uint64 data, or 0 */
    int external;     /* data stored outside the file */
};

/* Where a second scan copies the data: dst holds numel elements of size
 * esize; raw_pick is which raw_data occurrence to copy (the last one). */
struct tdest {
    unsigned char *dst;
    size_t numel;
    size_t esize;
    uint64_t raw_pick;
};

static int wrong_wt(struct pbin *in, const char *field, int wt)
{
    return in_fail(in, "corrupt: tensor field %s has wire type %d", field, wt);
}

static int put_elem(struct pbin *in, struct tdest *d, uint64_t idx, const void *src)
{
    if (idx >= d->numel)
        return in_fail(in, "tensor data changed while being read");
    memcpy(d->dst + idx * d->esize, src, d->esize);
    return 0;
}

/* Scans the TensorProto that ends at end. With d, also copies its data;
 * m must then hold what the first scan found. */
static int tensor_scan(struct pbin *in, uint64_t end, struct tmeta *m, struct tdest *d)
{
    uint32_t field = 0;
    int wt = 0;
    uint64_t v, len, sub;

    memset(m, 0, sizeof *m);
    while (in->pos < end) {
        if (in_key(in, end, &field, &wt) != 0)
            return -1;
        switch (field) {
        case TP_DIMS:
            if (wt == WT_VARINT) {
                if (in_varint(in, end, &v) != 0)
                    return -1;
                if (m->rank == SNNRT_MAX_RANK)
                    return in_fail(in, "tensor has more than %d dims", SNNRT_MAX_RANK);
                m->dims[m->rank++] = u64_to_i64(v);
            } else if (wt == WT_LEN) {
                if (in_len(in, end, &len) != 0)
                    return -1;
                sub = in->pos + len;
                while (in->pos < sub) {
                    if (in_varint(in, sub, &v) != 0)
                        return -1;
                    if (m->rank == SNNRT_MAX_RANK)
                        return in_fail(in, "tensor has more than %d dims", SNNRT_MAX_RANK);
                    m->dims[m->rank++] = u64_to_i64(v);
                }
            } else {
                return wrong_wt(in, "dims (1)", wt);
            }
            break;
        case TP_DATA_TYPE:
            if (wt != WT_VARINT)
                return wrong_wt(in, "data_type (2)", wt);
            if (in_varint(in, end, &v) != 0)
                return -1;
            m->data_type = v > 1000 ? -1 : (int)v;
            break;
        case TP_FLOAT_DATA:
            if (wt == WT_I32) {
                uint32_t bits;

                if (in_fixed32(in, end, &bits) != 0)
                    return -1;
                if (d && put_elem(in, d, m->n_float, &bits) != 0)
                    return -1;
                m->n_float++;
            } else if (wt == WT_LEN) {
                if (in_len(in, end, &len) != 0)
                    return -1;
                if (len % 4 != 0)
                    return in_fail(in,
                                   "corrupt: packed float_data of %llu bytes is not a "
                                   "whole number of floats",
                                   (unsigned long long)len);
                if (!d) {
                    if (in_skip(in, end, len) != 0)
                        return -1;
                    m->n_float += len / 4;
                    break;
                }
                sub = in->pos + len;
                while (in->pos < sub) {
                    uint32_t bits;

                    if (in_fixed32(in, sub, &bits) != 0 || put_elem(in, d, m->n_float, &bits) != 0)
                        return -1;
                    m->n_float++;
                }
            } else {
                return wrong_wt(in, "float_data (4)", wt);
            }
            break;
        case TP_INT32_DATA:
        case TP_INT64_DATA: {
            uint64_t *count = field == TP_INT32_DATA ? &m->n_int32 : &m->n_int64;

            int one = wt == WT_VARINT;

            if (wt == WT_VARINT) {
                sub = end;
            } else if (wt == WT_LEN) {
                if (in_len(in, end, &len) != 0)
                    return -1;
                sub = in->pos + len;
            } else {
                return wrong_wt(in, field == TP_INT32_DATA ? "int32_data (5)" : "int64_data (7)",
                                wt);
            }
            while (one || (wt == WT_LEN && in->pos < sub)) {
                int64_t x;

                if (in_varint(in, sub, &v) != 0)
                    return -1;
                x = u64_to_i64(v);
                if (d && field == TP_INT32_DATA) {
                    int32_t y;

                    if (x < INT32_MIN || x > INT32_MAX)
                        return in_fail(in, "corrupt: int32_data value %lld is out of range",
                                       (long long)x);
                    y = (int32_t)x;
                    if (put_elem(in, d, *count, &y) != 0)
                        return -1;
                } else if (d && put_elem(in, d, *count, &x) != 0) {
                    return -1;
                }
                (*count)++;
                one = 0;
            }
            break;
        }
        case TP_NAME:
            if (wt != WT_LEN)
                return wrong_wt(in, "name (8)", wt);
            if (in_len(in, end, &len) != 0)
                return -1;
            m->name_len = len;
            v = len < NAME_MAX_LEN ? len : NAME_MAX_LEN;
            if (in_bytes(in, end, m->name, (size_t)v) != 0)
                return -1;
            m->name[v] = '\0';
            if (in_skip(in, end, len - v) != 0)
                return -1;
            break;
        case TP_RAW_DATA:
            if (wt != WT_LEN)
                return wrong_wt(in, "raw_data (9)", wt);
            if (in_len(in, end, &len) != 0)
                return -1;
            m->n_raw++;
            m->raw_len = len;
            if (d && m->n_raw == d->raw_pick) {
                if (len != (uint64_t)d->numel * d->esize)
                    return in_fail(in, "tensor data changed while being read");
                if (in_bytes(in, end, d->dst, (size_t)len) != 0)
                    return -1;
            } else if (in_skip(in, end, len) != 0) {
                return -1;
            }
            break;
        case TP_STRING_DATA:
        case TP_DOUBLE_DATA:
        case TP_UINT64_DATA:
            m->other = (int)field;
            if (in_skip_field(in, end, field, wt) != 0)
                return -1;
            break;
        case TP_EXTERNAL_DATA:
            m->external = 1;
            if (in_skip_field(in, end, field, wt) != 0)
                return -1;
            break;
        case TP_DATA_LOCATION:
            if (wt != WT_VARINT)
                return wrong_wt(in, "data_location (14)", wt);
            if (in_varint(in, end, &v) != 0)
                return -1;
            if (v == 1)
                m->external = 1;
            break;
        default:
            if (in_skip_field(in, end, field, wt) != 0)
                return -1;
            break;
        }
    }
    return 0;
}

/* Checks what a scan found; sets *numel and *esize. what names the tensor
 * in messages ("tensor 'x'", "parameter 'fc1.weight'"). */
static int tensor_check(struct pbin *in, const struct tmeta *m, const char *what, size_t *numel,
                        size_t *esize)
{
    uint64_t n = 1;
    size_t es;
    int sources;
    int i;

    if (m->external)
        return in_fail(in, "%s keeps its data in an external file; not supported", what);
    for (i = 0; i < m->rank; i++) {
        if (m->dims[i] < 0)
            return in_fail(in, "%s has a negative dimension (%lld)", what, (long long)m->dims[i]);
        if (m->dims[i] > 0 && n > (uint64_t)(SIZE_MAX / 8) / (uint64_t)m->dims[i])
            return in_fail(in, "%s is too large to address", what);
        n *= (uint64_t)m->dims[i];
    }
    es = dtype_size(m->data_type);
    if (es == 0)
        return in_fail(in,
                       "%s has data_type %d (%s); the runtime reads FLOAT (1), INT32 (6) "
                       "and INT64 (7)",
                       what, m->data_type, dtype_name(m->data_type));
    if (m->other)
        return in_fail(in,
                       "%s has data in field %d (string_data, double_data or uint64_data), "
                       "which does not match data_type %s",
                       what, m->other, dtype_name(m->data_type));
    sources = (m->n_float > 0) + (m->n_int32 > 0) + (m->n_int64 > 0) + (m->n_raw > 0);
    if (sources > 1)
        return in_fail(in,
                       "%s has its data in more than one of raw_data, float_data, "
                       "int32_data and int64_data",
                       what);
    if (m->n_raw > 0) {
        if (m->raw_len != n * es)
            return in_fail(in, "%s: raw_data holds %llu bytes; %llu elements of %s need %llu", what,
                           (unsigned long long)m->raw_len, (unsigned long long)n,
                           dtype_name(m->data_type), (unsigned long long)n * es);
    } else if (sources == 0) {
        if (n > 0)
            return in_fail(in, "%s has dims but no data", what);
    } else {
        uint64_t have = m->data_type == SNNRT_DT_FLOAT   ? m->n_float
                        : m->data_type == SNNRT_DT_INT32 ? m->n_int32
                                                         : m->n_int64;
        const char *field = m->data_type == SNNRT_DT_FLOAT   ? "float_data"
                            : m->data_type == SNNRT_DT_INT32 ? "int32_data"
                                                             : "int64_data";
        if (have == 0)
            return in_fail(in, "%s has data_type %s but its data is not in %s or raw_data", what,
                           dtype_name(m->data_type), field);
        if (have != n)
            return in_fail(in, "%s: %s holds %llu elements; its dims need %llu", what, field,
                           (unsigned long long)have, (unsigned long long)n);
    }
    *numel = (size_t)n;
    *esize = es;
    return 0;
}

/* Copies the data of the tensor at [start, end), already scanned into m and
 * checked, into dst; converts raw_data to host byte order. */
static int tensor_copy(struct pbin *in, uint64_t start, uint64_t end, const struct tmeta *m,
                       void *dst, size_t numel, size_t esize)
{
    struct tmeta m2;
    struct tdest d;

    d.dst = dst;
    d.numel = numel;
    d.esize = esize;
    d.raw_pick = m->n_raw;
    if (in_seek(in, start) != 0 || tensor_scan(in, end, &m2, &d) != 0)
        return -1;
    if (m2.n_float != m->n_float || m2.n_int32 != m->n_int32 || m2.n_int64 != m->n_int64 ||
        m2.n_raw != m->n_raw || m2.raw_len != m->raw_len)
        return in_fail(in, "tensor data changed while being read");
    if (m->n_raw > 0 && !host_is_little_endian()) {
        unsigned char *p = dst;
        size_t i, j;

        for (i = 0; i < numel; i++, p += esize) {
            for (j = 0; j < esize / 2; j++) {
                unsigned char t = p[j];
                p[j] = p[esize - 1 - j];
                p[esize - 1 - j] = t;
            }
        }
    }
    /* float_data arrives as little-endian bits assembled into a host
     * uint32_t, and varints as host integers: already in host order. */
    return 0;
}

int snnrt_tensor_read(const char *path, struct snnrt_tensor *t, void *data, size_t capacity,
                      char *err, size_t errlen)
{
    struct pbin in;
    struct tmeta m;
    char what[NAME_MAX_LEN + 16];
    char dbuf[256];
    size_t numel = 0, esize = 1;
    int i;

    if (in_open(&in, path, err, errlen) != 0)
        return -1;
    if (tensor_scan(&in, in.size, &m, NULL) != 0)
        goto bad;
    snprintf(what, sizeof what, "tensor '%s'", m.name);
    for (i = 8; what[i]; i++) /* the name is the file's: keep the message one line */
        if ((unsigned char)what[i] < 0x20 || what[i] == 0x7f)
            what[i] = '?';
    if (tensor_check(&in, &m, what, &numel, &esize) != 0)
        goto bad;
    if (m.name_len >= sizeof t->name) {
        in_fail(&in, "tensor name is %llu bytes long; at most %u fit",
                (unsigned long long)m.name_len, (unsigned)(sizeof t->name - 1));
        goto bad;
    }
    if (numel > capacity / esize) {
        in_fail(&in, "%s %s of %s needs %llu bytes; the buffer holds %llu", what,
                dims_str(m.dims, m.rank, dbuf, sizeof dbuf), dtype_name(m.data_type),
                (unsigned long long)numel * esize, (unsigned long long)capacity);
        goto bad;
    }
    if (numel > 0 && (!data || tensor_copy(&in, 0, in.size, &m, data, numel, esize) != 0)) {
        if (!data)
            in_fail(&in, "no buffer given");
        goto bad;
    }
    in_close(&in);
    memcpy(t->name, m.name, (size_t)m.name_len + 1);
    t->data_type = m.data_type;
    t->rank = m.rank;
    for (i = 0; i < SNNRT_MAX_RANK; i++)
        t->dims[i] = i < m.rank ? m.dims[i] : 0;
    t->numel = numel;
    return 0;
bad:
    in_close(&in);
    return -1;
}

/* ----------------------------------------------------------- writing */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void out_varint(FILE *f, uint64_t v)
{
    while (v >= 0x80) {
        putc((int)(v & 0x7f) | 0x80, f);
        v >>= 7;
    }
    putc((int)v, f);
}

static void out_key(FILE *f, uint32_t field, int wt)
{
    out_varint(f, (uint64_t)field << 3 | (uint64_t)wt);
}

/* numel elements of esize bytes from data, little-endian. */
static void out_raw_le(FILE *f, const void *data, size_t numel, size_t esize)
{
    const unsigned char *p = data;
    unsigned char buf[1024];
    size_t i, at = 0;

    if (numel == 0)
        return;
    if (host_is_little_endian()) {
        fwrite(data, esize, numel, f);
        return;
    }
    for (i = 0; i < numel; i++, p += esize) {
        size_t j;

        for (j = 0; j < esize; j++)
            buf[at + j] = p[esize - 1 - j];
        at += esize;
        if (at == sizeof buf) {
            fwrite(buf, 1, at, f);
            at = 0;
        }
    }
    fwrite(buf, 1, at, f);
}

/* Size of the TensorProto that out_tensor writes. */
static uint64_t tensor_size(const int64_t *dims, int rank, const char *name, uint64_t nbytes)
{
    uint64_t s = 0;
    int i;

    for (i = 0; i < rank; i++)
        s += 1 + varint_size((uint64_t)dims[i]);
    s += 2; /* data_type */
    if (name)
        s += 1 + varint_size(strlen(name)) + strlen(name);
    s += 1 + varint_size(nbytes) + nbytes;
    return s;
}

static void out_tensor(FILE *f, const int64_t *dims, int rank, int data_type, const char *name,
                       const void *data, size_t numel, size_t esize)
{
    int i;

    for (i = 0; i < rank; i++) {
        out_key(f, TP_DIMS, WT_VARINT);
        out_varint(f, (uint64_t)dims[i]);
    }
    out_key(f, TP_DATA_TYPE, WT_VARINT);
    out_varint(f, (uint64_t)data_type);
    if (name) {
        out_key(f, TP_NAME, WT_LEN);
        out_varint(f, strlen(name));
        fwrite(name, 1, strlen(name), f);
    }
    out_key(f, TP_RAW_DATA, WT_LEN);
    out_varint(f, (uint64_t)numel * esize);
    out_raw_le(f, data, numel, esize);
}

/* Product of dims into *numel; fails on negative or huge dims. */
static int dims_numel(const int64_t *dims, int rank, size_t *numel)
{
    uint64_t n = 1;
    int i;

    if (rank < 0 || rank > SNNRT_MAX_RANK || (rank > 0 && !dims))
        return -1;
    for (i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return -1;
        if (dims[i] > 0 && n > (uint64_t)(SIZE_MAX / 8) / (uint64_t)dims[i])
            return -1;
        n *= (uint64_t)dims[i];
    }
    *numel = (size_t)n;
    return 0;
}

static int tmp_path(const char *path, char *tmp, size_t len, char *err, size_t errlen)
{
    if (!path)
        return fail(err, errlen, "(null): no path given");
    if ((size_t)snprintf(tmp, len, "%s.tmp", path) >= len)
        return fail(err, errlen, "%s: path too long", path);
    return 0;
}

/* Flushes, syncs and closes f (writing tmp), then renames tmp to path. On
 * failure tmp is removed and path is left as it was. */
static int commit_file(FILE *f, const char *tmp, const char *path, char *err, size_t errlen)
{
    int bad = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;

    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        remove(tmp);
        return fail(err, errlen, "%s: cannot write: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        remove(tmp);
        return fail(err, errlen, "%s: cannot rename %s into place: %s", path, tmp, strerror(e));
    }
    return 0;
}

int snnrt_tensor_write(const char *path, const char *name, int data_type, const int64_t *dims,
                       int rank, const void *data, char *err, size_t errlen)
{
    char tmp[PATH_BUF];
    size_t numel;
    size_t esize = dtype_size(data_type);
    FILE *f;

    if (tmp_path(path, tmp, sizeof tmp, err, errlen) != 0)
        return -1;
    if (esize == 0)
        return fail(err, errlen, "%s: data_type %d is not one of FLOAT (1), INT32 (6), INT64 (7)",
                    path, data_type);
    if (dims_numel(dims, rank, &numel) != 0)
        return fail(err, errlen, "%s: bad shape (rank %d; dims must be >= 0, rank <= %d)", path,
                    rank, SNNRT_MAX_RANK);
    if (numel > 0 && !data)
        return fail(err, errlen, "%s: no data given", path);
    f = fopen(tmp, "wb");
    if (!f)
        return fail(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
    out_tensor(f, dims, rank, data_type, name, data, numel, esize);
    return commit_file(f, tmp, path, err, errlen);
}

/* Walks serialized protobuf bytes; fails if they are malformed or, when
 * forbid is non-zero, hold field forbid at the top level. */
static int check_message(const unsigned char *p, size_t len, uint32_t forbid)
{
    size_t at = 0;

    while (at < len) {
        uint64_t k = 0;
        int shift;
        int wt;

        for (shift = 0;; shift += 7) {
            if (at == len || shift > 63)
                return -1;
            k |= (uint64_t)(p[at] & 0x7f) << shift;
            if (!(p[at++] & 0x80))
                break;
        }
        wt = (int)(k & 7);
        if ((k >> 3) == 0 || (forbid && (k >> 3) == forbid))
            return -1;
        if (wt == WT_VARINT || wt == WT_LEN) {
            uint64_t v = 0;

            for (shift = 0;; shift += 7) {
                if (at == len || shift > 63)
                    return -1;
                v |= (uint64_t)(p[at] & 0x7f) << shift;
                if (!(p[at++] & 0x80))
                    break;
            }
            if (wt == WT_LEN) {
                if (v > len - at)
                    return -1;
                at += (size_t)v;
            }
        } else if (wt == WT_I64 || wt == WT_I32) {
            size_t n = wt == WT_I64 ? 8 : 4;

            if (n > len - at)
                return -1;
            at += n;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Checks a parameter's description; *numel gets its element count. */
static int param_check(const char *path, const struct snnrt_param *pa, size_t k, char *err,
                       size_t errlen)
{
    size_t n;

    if (!pa->name)
        return fail(err, errlen, "%s: parameter %lu has no name", path, (unsigned long)k);
    if (strlen(pa->name) > NAME_MAX_LEN)
        return fail(err, errlen, "%s: parameter name '%.40s...' is longer than %d bytes", path,
                    pa->name, NAME_MAX_LEN);
    if (dims_numel(pa->dims, pa->rank, &n) != 0)
        return fail(err, errlen, "%s: parameter '%s' has a bad shape (rank %d)", path, pa->name,
                    pa->rank);
    if (n != pa->numel) {
        char dbuf[256];

        return fail(err, errlen, "%s: parameter '%s' has dims %s (%lu elements) but numel %lu",
                    path, pa->name, dims_str(pa->dims, pa->rank, dbuf, sizeof dbuf),
                    (unsigned long)n, (unsigned long)pa->numel);
    }
    if (n > 0 && !pa->data)
        return fail(err, errlen, "%s: parameter '%s' has no data", path, pa->name);
    return 0;
}

int snnrt_model_write(const char *path, const unsigned char *model_head, size_t head_len,
                      const unsigned char *graph_body, size_t body_len,
                      const struct snnrt_param *params, size_t nparams, char *err, size_t errlen)
{
    char tmp[PATH_BUF];
    uint64_t graph_len = body_len;
    size_t k;
    FILE *f;

    if (tmp_path(path, tmp, sizeof tmp, err, errlen) != 0)
        return -1;
    if ((head_len > 0 && !model_head) || (body_len > 0 && !graph_body) || (nparams > 0 && !params))
        return fail(err, errlen, "%s: model head, graph body or parameters missing", path);
    if (check_message(model_head, head_len, MODEL_GRAPH) != 0)
        return fail(err, errlen,
                    "%s: the model head is not a ModelProto without a graph "
                    "(snnc bug)",
                    path);
    if (check_message(graph_body, body_len, 0) != 0)
        return fail(err, errlen, "%s: the graph body is not a valid GraphProto (snnc bug)", path);
    for (k = 0; k < nparams; k++) {
        const struct snnrt_param *pa = &params[k];
        uint64_t ts;

        if (param_check(path, pa, k, err, errlen) != 0)
            return -1;
        ts = tensor_size(pa->dims, pa->rank, pa->name, (uint64_t)pa->numel * 4);
        graph_len += 1 + varint_size(ts) + ts;
    }
    f = fopen(tmp, "wb");
    if (!f)
        return fail(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
    if (head_len > 0)
        fwrite(model_head, 1, head_len, f);
    out_key(f, MODEL_GRAPH, WT_LEN);
    out_varint(f, graph_len);
    if (body_len > 0)
        fwrite(graph_body, 1, body_len, f);
    for (k = 0; k < nparams; k++) {
        const struct snnrt_param *pa = &params[k];

        out_key(f, GRAPH_INITIALIZER, WT_LEN);
        out_varint(f, tensor_size(pa->dims, pa->rank, pa->name, (uint64_t)pa->numel * 4));
        out_tensor(f, pa->dims, pa->rank, SNNRT_DT_FLOAT, pa->name, pa->data, pa->numel, 4);
    }
    return commit_file(f, tmp, path, err, errlen);
}

/* ----------------------------------------------------- loading params */

/* Parameters are matched in chunks of CHUNK, one pass over the file per
 * chunk, so that which ones were found fits in a fixed bitmap. */
#define CHUNK 512

struct load {
    struct pbin in;
    const struct snnrt_param *params;
    size_t lo, hi; /* the chunk */
    unsigned char found[CHUNK / 8];
};

static int load_initializer(struct load *L, uint64_t end)
{
    struct pbin *in = &L->in;
    uint64_t start = in->pos;
    struct tmeta m;
    char what[NAME_MAX_LEN + 32];
    char fd[256], md[256];
    size_t numel = 0, esize = 1, k;
    const struct snnrt_param *pa = NULL;
    int i;

    if (tensor_scan(in, end, &m, NULL) != 0)
        return -1;
    if (m.name_len > NAME_MAX_LEN)
        return 0;
    for (k = L->lo; k < L->hi; k++) {
        if (strlen(L->params[k].name) == m.name_len &&
            memcmp(L->params[k].name, m.name, (size_t)m.name_len) == 0) {
            pa = &L->params[k];
            break;
        }
    }
    if (!pa)
        return 0;
    snprintf(what, sizeof what, "parameter '%s'", pa->name);
    if (L->found[(k - L->lo) / 8] & (1u << (k - L->lo) % 8))
        return in_fail(in, "%s appears twice among the initializers", what);
    if (m.data_type != SNNRT_DT_FLOAT)
        return in_fail(in, "%s is stored as data_type %d (%s); expected FLOAT (1)", what,
                       m.data_type, dtype_name(m.data_type));
    if (m.rank != pa->rank)
        goto dims;
    for (i = 0; i < m.rank; i++) {
        if (m.dims[i] != pa->dims[i])
            goto dims;
    }
    if (tensor_check(in, &m, what, &numel, &esize) != 0)
        return -1;
    if (numel != pa->numel)
        goto dims;
    if (numel > 0 && tensor_copy(in, start, end, &m, pa->data, numel, esize) != 0)
        return -1;
    L->found[(k - L->lo) / 8] |= (unsigned char)(1u << (k - L->lo) % 8);
    return in_seek(in, end);
dims:
    return in_fail(in, "%s has dims %s in the file; the model expects %s", what,
                   dims_str(m.dims, m.rank, fd, sizeof fd),
                   dims_str(pa->dims, pa->rank, md, sizeof md));
}

static int load_graph(struct load *L, uint64_t end)
{
    struct pbin *in = &L->in;
    uint32_t field = 0;
    int wt = 0;
    uint64_t len;

    while (in->pos < end) {
        if (in_key(in, end, &field, &wt) != 0)
            return -1;
        if (field == GRAPH_INITIALIZER && wt == WT_LEN) {
            if (in_len(in, end, &len) != 0 || load_initializer(L, in->pos + len) != 0)
                return -1;
        } else if (in_skip_field(in, end, field, wt) != 0) {
            return -1;
        }
    }
    return 0;
}

static int load_model(struct load *L)
{
    struct pbin *in = &L->in;
    uint32_t field = 0;
    int wt = 0;
    uint64_t len;
    int graphs = 0;

    if (in_seek(in, 0) != 0)
        return -1;
    while (in->pos < in->size) {
        if (in_key(in, in->size, &field, &wt) != 0)
            return -1;
        if (field == MODEL_GRAPH && wt == WT_LEN) {
            graphs++;
            if (in_len(in, in->size, &len) != 0 || load_graph(L, in->pos + len) != 0)
                return -1;
        } else if (in_skip_field(in, in->size, field, wt) != 0) {
            return -1;
        }
    }
    if (graphs == 0)
        return in_fail(in, "not an ONNX model: no graph (ModelProto field 7)");
    return 0;
}

int snnrt_model_load_params(const char *path, const struct snnrt_param *params, size_t nparams,
                            char *err, size_t errlen)
{
    struct load L;
    size_t k;

    if (nparams > 0 && !params)
        return fail(err, errlen, "%s: no parameters given", path ? path : "(null)");
    for (k = 0; k < nparams; k++) {
        if (param_check(path ? path : "(null)", &params[k], k, err, errlen) != 0)
            return -1;
    }
    if (in_open(&L.in, path, err, errlen) != 0)
        return -1;
    L.params = params;
    L.lo = 0;
    do {
        L.hi = nparams - L.lo > CHUNK ? L.lo + CHUNK : nparams;
        memset(L.found, 0, sizeof L.found);
        if (load_model(&L) != 0)
            goto bad;
        for (k = L.lo; k < L.hi; k++) {
            if (!(L.found[(k - L.lo) / 8] & (1u << (k - L.lo) % 8))) {
                in_fail(&L.in, "parameter '%s' is not among the initializers of the graph",
                        params[k].name);
                goto bad;
            }
        }
        L.lo = L.hi;
    } while (L.lo < nparams);
    in_close(&L.in);
    return 0;
bad:
    in_close(&L.in);
    return -1;
}
