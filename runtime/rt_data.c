/* rt_data.c - dataset files into the trainer's static buffers.
 *
 * Takes: paths of an IDX image file and its IDX label file (MNIST and
 * Fashion-MNIST's format, raw or gzip-compressed), or of CIFAR-10 binary
 * batch files; the caller's buffers with their capacity in samples.
 * Gives: snnrt_idx_load and snnrt_cifar_load.
 * Afterwards: on success images[0 .. count * item_bytes) and
 * labels[0 .. count) hold the samples in file order, every label is below
 * num_classes, and count <= capacity. On failure the message names the file
 * and what is wrong with it; the buffers may have been partly written.
 * Nothing is allocated here (zlib allocates its own inflate state).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "snnrt.h"

#define IDX_IMAGES_MAGIC 0x00000803ul /* unsigned byte, 3 dims */
#define IDX_LABELS_MAGIC 0x00000801ul /* unsigned byte, 1 dim */
#define MAX_SAMPLES_HINT "(snnc emit --max-samples)"

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

/* ---------------------------------------------------------------- IDX */

struct idx {
    const char *path;
    gzFile g;
    unsigned long magic;
    unsigned long count;
    unsigned long rows, cols;
};

static unsigned long be32(const unsigned char *b)
{
    return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 |
           (unsigned long)b[3];
}

/* Reads up to n bytes; *got is how many came. Fails only on a read error
 * or corrupt compressed data, not on a short file. */
static int gz_read(struct idx *f, void *dst, size_t n, size_t *got, char *err, size_t errlen)
{
    unsigned char *d = dst;

    *got = 0;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int r = gzread(f->g, d, chunk);

        if (r < 0) {
            int code;
            const char *msg = gzerror(f->g, &code);

            return fail(err, errlen, "%s: %s", f->path, code == Z_ERRNO ? strerror(errno) : msg);
        }
        if (r == 0) {
            int code;
            const char *msg = gzerror(f->g, &code);

            if (code == Z_BUF_ERROR)
                return fail(err, errlen, "%s: truncated: the compressed data ends early", f->path);
            if (code != Z_OK)
                return fail(err, errlen, "%s: %s", f->path, msg);
            break;
        }
        d += r;
        *got += (size_t)r;
        n -= (size_t)r;
    }
    return 0;
}

static int idx_open(struct idx *f, const char *path, int images, char *err, size_t errlen)
{
    unsigned char h[16];
    size_t want = images ? 16 : 8;
    size_t got;
    unsigned long expect = images ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC;

    f->path = path ? path : "(null)";
    f->g = path ? gzopen(path, "rb") : NULL;
    if (!f->g)
        return fail(err, errlen, "%s: cannot open: %s", f->path,
                    path && errno ? strerror(errno) : "no path given");
    if (gz_read(f, h, want, &got, err, errlen) != 0)
        return -1;
    f->magic = got >= 4 ? be32(h) : 0;
    if (got >= 4 && f->magic != expect) {
        if (f->magic == (images ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC))
            return fail(err, errlen, "%s: is an IDX %s file; expected the %s file", f->path,
                        images ? "label" : "image", images ? "image" : "label");
        return fail(err, errlen,
                    "%s: not an IDX %s file: magic number 0x%08lx, expected "
                    "0x%08lx",
                    f->path, images ? "image" : "label", f->magic, expect);
    }
    if (got < want)
        return fail(err, errlen, "%s: truncated: the IDX header needs %lu bytes, found %lu",
                    f->path, (unsigned long)want, (unsigned long)got);
    f->count = be32(h + 4);
    f->rows = images ? be32(h + 8) : 1;
    f->cols = images ? be32(h + 12) : 1;
    return 0;
}

/* Reads n bytes of payload; anything short of n, or beyond it, is an error. */
static int idx_payload(struct idx *f, void *dst, size_t n, const char *what, char *err,
                       size_t errlen)
{
    unsigned char extra;
    size_t got;

    if (gz_read(f, dst, n, &got, err, errlen) != 0)
        return -1;
    if (got < n)
        return fail(err, errlen, "%s: truncated: expected %lu bytes of %s data, found %lu", f->path,
                    (unsigned long)n, what, (unsigned long)got);
    if (gz_read(f, &extra, 1, &got, err, errlen) != 0)
        return -1;
    if (got > 0)
        return fail(err, errlen, "%s: trailing data after the %lu %ss that the header announces",
                    f->path, f->count, what);
    return 0;
}

int snnrt_idx_load(const char *images_path, const char *labels_path, uint8_t *images,
                   uint8_t *labels, size_t capacity, size_t item_bytes, int num_classes,
                   size_t *count, char *err, size_t errlen)
{
    struct idx im, lb;
    unsigned long i;
    int rc = -1;

    memset(&im, 0, sizeof im);
    memset(&lb, 0, sizeof lb);
    if (count)
        *count = 0;
    if (!images || !labels || !count || num_classes < 1 || num_classes > 256 || item_bytes == 0)
        return fail(err, errlen, "%s: bad arguments to snnrt_idx_load",
                    images_path ? images_path : "(null)");
    if (idx_open(&im, images_path, 1, err, errlen) != 0 ||
        idx_open(&lb, labels_path, 0, err, errlen) != 0)
        goto out;
    if ((unsigned long long)im.rows * im.cols != item_bytes) {
        fail(err, errlen, "%s: images are %lux%lu = %llu bytes; the model's input needs %lu",
             im.path, im.rows, im.cols, (unsigned long long)im.rows * im.cols,
             (unsigned long)item_bytes);
        goto out;
    }
    if (im.count != lb.count) {
        fail(err, errlen, "%s: holds %lu images but %s holds %lu labels", im.path, im.count,
             lb.path, lb.count);
        goto out;
    }
    if (im.count == 0) {
        fail(err, errlen, "%s: holds no images", im.path);
        goto out;
    }
    if (im.count > capacity) {
        fail(err, errlen,
             "%s: holds %lu images; this trainer was compiled for at most %lu " MAX_SAMPLES_HINT,
             im.path, im.count, (unsigned long)capacity);
        goto out;
    }
    if (idx_payload(&im, images, (size_t)im.count * item_bytes, "image", err, errlen) != 0 ||
        idx_payload(&lb, labels, (size_t)lb.count, "label", err, errlen) != 0)
        goto out;
    for (i = 0; i < lb.count; i++) {
        if (labels[i] >= num_classes) {
            fail(err, errlen, "%s: label %d at index %lu is out of range for %d classes", lb.path,
                 labels[i], i, num_classes);
            goto out;
        }
    }
    *count = (size_t)im.count;
    rc = 0;
out:
    if (im.g)
        gzclose(im.g);
    if (lb.g)
        gzclose(lb.g);
    return rc;
}

/* ------------------------------------------------------------ CIFAR-10 */

/* Opens path and finds its number of records. */
static FILE *cifar_open(const char *path, unsigned long *records, char *err, size_t errlen)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    long size;

    if (!f) {
        fail(err, errlen, "%s: cannot open: %s", path ? path : "(null)",
             path ? strerror(errno) : "no path given");
        return NULL;
    }
    if (getc(f) == EOF && ferror(f)) {
        fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fail(err, errlen, "%s: cannot seek (not a regular file?)", path);
        fclose(f);
        return NULL;
    }
    if (size == 0 || size % SNNRT_CIFAR_RECORD_BYTES != 0) {
        if (size == 0)
            fail(err, errlen, "%s: is empty", path);
        else
            fail(err, errlen,
                 "%s: size %ld bytes is not a multiple of %d (one label byte and "
                 "%d image bytes per record): not a CIFAR-10 binary file",
                 path, size, SNNRT_CIFAR_RECORD_BYTES, SNNRT_CIFAR_IMAGE_BYTES);
        fclose(f);
        return NULL;
    }
    *records = (unsigned long)(size / SNNRT_CIFAR_RECORD_BYTES);
    return f;
}

int snnrt_cifar_load(const char *const *paths, int npaths, uint8_t *images, uint8_t *labels,
                     size_t capacity, int num_classes, size_t *count, char *err, size_t errlen)
{
    unsigned long total = 0, n;
    size_t at = 0;
    int i;

    if (count)
        *count = 0;
    if (!paths || npaths < 1 || !images || !labels || !count || num_classes < 1 ||
        num_classes > 256)
        return fail(err, errlen, "%s: bad arguments to snnrt_cifar_load",
                    paths && npaths > 0 && paths[0] ? paths[0] : "(null)");
    /* Sizes first, so that nothing is read from a set that cannot fit. */
    for (i = 0; i < npaths; i++) {
        FILE *f = cifar_open(paths[i], &n, err, errlen);

        if (!f)
            return -1;
        fclose(f);
        total += n;
    }
    if (total > capacity) {
        if (npaths == 1)
            return fail(err, errlen,
                        "%s: holds %lu images; this trainer was compiled for at "
                        "most %lu " MAX_SAMPLES_HINT,
                        paths[0], total, (unsigned long)capacity);
        return fail(err, errlen,
                    "%s and the other %d files hold %lu images; this trainer was "
                    "compiled for at most %lu " MAX_SAMPLES_HINT,
                    paths[0], npaths - 1, total, (unsigned long)capacity);
    }
    for (i = 0; i < npaths; i++) {
        FILE *f = cifar_open(paths[i], &n, err, errlen);
        unsigned long r;

        if (!f)
            return -1;
        if (n > capacity - at) {
            fclose(f);
            return fail(err, errlen, "%s: changed while being read", paths[i]);
        }
        for (r = 0; r < n; r++, at++) {
            if (fread(&labels[at], 1, 1, f) != 1 ||
                fread(images + at * SNNRT_CIFAR_IMAGE_BYTES, 1, SNNRT_CIFAR_IMAGE_BYTES, f) !=
                    SNNRT_CIFAR_IMAGE_BYTES) {
                fail(err, errlen, "%s: read error in record %lu: %s", paths[i], r,
                     ferror(f) ? strerror(errno) : "file shrank while being read");
                fclose(f);
                return -1;
            }
            if (labels[at] >= num_classes) {
                fail(err, errlen, "%s: label %d at record %lu is out of range for %d classes",
                     paths[i], labels[at], r, num_classes);
                fclose(f);
                return -1;
            }
        }
        fclose(f);
    }
    *count = at;
    return 0;
}
