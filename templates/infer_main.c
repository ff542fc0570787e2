/* infer_main.c - the inference program that snnc emits around an inference build.
 *
 * Takes: an inference build of a model (snn_api.h, model.h; parameters baked
 * in) whose first float input is a static image batch [N, ...]; a labelled
 * test set in IDX (MNIST, Fashion-MNIST) or CIFAR-10 binary format.
 * Gives: main(): runs the model over the set in batches of N (the last one
 * padded with its first sample, whose padding is ignored) and prints the
 * accuracy of the Predict output, the throughput, and the latency of one
 * batch; optionally one predicted class per line, in the order of the set.
 * Holds: no dynamic allocation; plain C99 and POSIX. A bad data file gives
 * one line on stderr naming it and exit 1; a bad command line exits 2.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snn_api.h"
#include "snnrt.h"

#define PROG "infer"
#define BATCH SNN_CONST(BATCH)
#define TENSOR struct SNN_API(tensor)

/* Bytes per image the static buffer holds (see train_main.c). */
#ifndef SNN_ITEM_BYTES
#define SNN_ITEM_BYTES SNNRT_CIFAR_IMAGE_BYTES
#endif
#define MAX_FILES 16
#define PATH_LEN 4096
#define MAX_BATCHES ((SNN_MAX_SAMPLES + BATCH - 1) / BATCH)

static uint8_t images[(size_t)SNN_MAX_SAMPLES * SNN_ITEM_BYTES];
static uint8_t labels[SNN_MAX_SAMPLES];
static int64_t pred[SNN_MAX_SAMPLES];
static double batch_seconds[MAX_BATCHES];
static float pixel[256]; /* byte -> value / 255 */

/* A bad command line: one message, a hint, exit status 2; any other
 * error: one line on stderr, exit status 1. */
#define usage_error(...) snnrt_report(PROG, 2, __VA_ARGS__)
#define fail(...) snnrt_report(PROG, 1, __VA_ARGS__)

static void usage(const char *argv0)
{
    printf("Usage: %s [OPTION]...\n"
           "Run the compiled spiking network over a labelled test set.\n"
           "\n"
           "      --data-dir=DIR        folder of the dataset (default "
           "/usr/share/datasets/fashion-mnist):\n"
           "                            t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each\n"
           "                            may end in .gz); for CIFAR-10 test_batch.bin\n"
           "      --test-images=FILE, --test-labels=FILE   IDX files named one by one\n"
           "      --format=idx|cifar    dataset format (default idx)\n"
           "      --test-files=A,B,...  CIFAR-10 batch files\n"
           "      --limit=N             use the first N samples only\n"
           "      --predictions=FILE    the predicted class of every sample, one per line\n"
           "  -h, --help                show this help and exit\n"
           "\n"
           "Model: batch %d, T = %d. Prints the accuracy, samples per second (inputs\n"
           "filled and forward passes), and the median and fastest time of one batch.\n",
           argv0, BATCH, SNN_CONST(T));
}

struct options {
    const char *data_dir, *images, *labels, *files, *predictions;
    int cifar;
    long limit;
};

/* The options, in the order of their table. */
enum { OPT_DATA_DIR, OPT_IMAGES, OPT_LABELS, OPT_FORMAT, OPT_FILES, OPT_LIMIT, OPT_PREDICTIONS, OPT_HELP };
static const struct snnrt_option option_defs[] = {
    {"data-dir", 1}, {"test-images", 1}, {"test-labels", 1}, {"format", 1},
    {"test-files", 1}, {"limit", 1}, {"predictions", 1}, {"help", 0},
};

static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        const int id = snnrt_option_next(PROG, argc, argv, &i, option_defs,
                                         (int)(sizeof option_defs / sizeof option_defs[0]), &v);
        if (id < 0)
            return 2;
        if (id == OPT_HELP) {
            usage(argv[0]);
            exit(0);
        }
        switch (id) {
        case OPT_DATA_DIR: o->data_dir = v; break;
        case OPT_IMAGES: o->images = v; break;
        case OPT_LABELS: o->labels = v; break;
        case OPT_FORMAT:
            if (strcmp(v, "idx") && strcmp(v, "cifar"))
                return usage_error("--format is '%s'; expected idx or cifar", v);
            o->cifar = !strcmp(v, "cifar");
            break;
        case OPT_FILES: o->files = v; break;
        case OPT_LIMIT:
            if (snnrt_count_arg(PROG, "limit", v, 1, &o->limit))
                return 2;
            break;
        case OPT_PREDICTIONS: o->predictions = v; break;
        }
    }
    if (o->cifar && (o->images || o->labels))
        return usage_error("--test-images and --test-labels are IDX files; with --format=cifar "
                           "give --test-files");
    if (!o->cifar && o->files)
        return usage_error("--test-files needs --format=cifar");
    return 0;
}

/* buf (PATH_LEN bytes) = a followed by b; 1 after a message if it does not fit. */
#define path_cat(buf, a, b) snnrt_path_cat(PROG, (buf), PATH_LEN, (a), (b))
#define idx_path(buf, dir, name) snnrt_idx_path(PROG, (buf), PATH_LEN, (dir), (name))

static const TENSOR *in_x, *in_y, *out_pred;
static size_t item_size;

static int check_model(void)
{
    for (int i = 0; i < SNN_CONST(NUM_INPUTS); i++) {
        const TENSOR *t = &SNN_API(inputs)[i];
        if (t->f32 && !in_x)
            in_x = t;
        else if (t->i64 && !in_y && t->rank == 1 && t->dims[0] == BATCH)
            in_y = t; /* a training build's labels: filled, never needed */
        else
            return fail("the model's input '%s' is not the image batch; this program feeds one "
                        "float input [N, ...]", t->name);
    }
    if (!in_x)
        return fail("the model has no float input for the images");
    if (in_x->temporal || in_x->rank < 2 || in_x->dims[0] != BATCH) {
        fprintf(stderr, PROG ": the model's input '%s' is %s[", in_x->name,
                in_x->temporal ? "temporal " : "");
        for (int r = 0; r < in_x->rank; r++)
            fprintf(stderr, "%s%lld", r ? ", " : "", (long long)in_x->dims[r]);
        fprintf(stderr, "]; this program feeds a static image batch [N = %d, ...]\n", BATCH);
        return 1;
    }
    item_size = in_x->numel / BATCH;
    if (item_size > SNN_ITEM_BYTES)
        return fail("the model's input '%s' takes %zu values per sample; this program holds "
                    "images of at most %d bytes", in_x->name, item_size, SNN_ITEM_BYTES);
    int p = SNN_CONST(PREDICT_OUTPUT);
    out_pred = p >= 0 ? &SNN_API(outputs)[p < 0 ? 0 : p] : NULL;
    for (int i = 0; i < 256; i++)
        pixel[i] = (float)i / 255.0f;
    return 0;
}

/* The class count for the readers' label check (see train_main.c). */
static int num_classes(void)
{
#ifdef SNN_NUM_CLASSES
    return SNN_NUM_CLASSES;
#else
    for (int i = 0; i < SNN_CONST(NUM_OUTPUTS); i++) {
        const TENSOR *t = &SNN_API(outputs)[i];
        if (t->f32 && t->temporal && t->rank == 3 && t->dims[1] == BATCH && t->dims[2] <= 256)
            return (int)t->dims[2];
    }
    return 256;
#endif
}

static int load(const struct options *o, size_t *count, const char **first)
{
    char err[1024];
    static char store[MAX_FILES + 2][PATH_LEN];
    const char *dir = o->data_dir ? o->data_dir : "/usr/share/datasets/fashion-mnist";
    int classes = num_classes();
    if (!o->cifar) {
        const char *im = o->images ? o->images : idx_path(store[0], dir, "t10k-images-idx3-ubyte");
        const char *lb = o->labels ? o->labels : idx_path(store[1], dir, "t10k-labels-idx1-ubyte");
        if (!im || !lb)
            return 1;
        *first = im;
        if (snnrt_idx_load(im, lb, images, labels, SNN_MAX_SAMPLES, item_size, classes, count,
                           err, sizeof err) != 0)
            return fail("%s", err);
        return 0;
    }
    const char *files[MAX_FILES];
    int n = 0;
    if (!o->files) {
        if (path_cat(store[0], dir, "/test_batch.bin"))
            return 1;
        files[n++] = store[0];
    } else if ((n = snnrt_split_list(PROG, o->files, store[0], PATH_LEN, MAX_FILES, files)) < 0) {
        return 1;
    }
    if (n == 0)
        return fail("no test files given");
    *first = files[0];
    if (item_size != SNNRT_CIFAR_IMAGE_BYTES)
        return fail("%s: CIFAR-10 images are 3x32x32 = %d bytes; the model's input '%s' needs %zu",
                    files[0], SNNRT_CIFAR_IMAGE_BYTES, in_x->name, item_size);
    if (snnrt_cifar_load(files, n, images, labels, SNN_MAX_SAMPLES, classes, count, err,
                         sizeof err) != 0)
        return fail("%s", err);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    if (check_model())
        return 1;
    if (o.predictions && !out_pred)
        return fail("%s: the model has no Predict output, so there are no predictions to write",
                    o.predictions);
    size_t count = 0;
    const char *first = NULL;
    if (load(&o, &count, &first))
        return 1;
    size_t n = o.limit && (size_t)o.limit < count ? (size_t)o.limit : count;

    float *x = in_x->f32;
    long correct = 0;
    size_t nb = 0;
    double t0 = snnrt_now();
    for (size_t s = 0; s < n; s += BATCH, nb++) {
        double b0 = snnrt_now();
        size_t m = n - s < BATCH ? n - s : BATCH;
        for (size_t k = 0; k < BATCH; k++) { /* padding repeats the batch's first sample */
            size_t j = s + (k < m ? k : 0);
            const uint8_t *src = images + j * item_size;
            for (size_t i = 0; i < item_size; i++)
                x[k * item_size + i] = pixel[src[i]];
            if (in_y)
                in_y->i64[k] = labels[j];
        }
        if (SNN_API(forward)() != 0)
            return fail("%s: batch %zu: %s", first, nb + 1, SNN_API(error)());
        if (out_pred)
            for (size_t k = 0; k < m; k++) {
                pred[s + k] = out_pred->i64[k];
                correct += pred[s + k] == labels[s + k];
            }
        batch_seconds[nb] = snnrt_now() - b0;
    }
    double total = snnrt_now() - t0;

    if (out_pred)
        printf("test acc %.4f (%ld/%zu)\n", (double)correct / (double)n, correct, n);
    else
        printf("test acc n/a (the model has no Predict output)\n");
    printf("inference %.0f samples/s (%zu samples in %.3f s, batch %d, T = %d)\n",
           (double)n / (total > 0 ? total : 1e-9), n, total, BATCH, SNN_CONST(T));
    qsort(batch_seconds, nb, sizeof batch_seconds[0], cmp_double);
    printf("latency %.3f ms per batch of %d (median of %zu; fastest %.3f ms)\n",
           batch_seconds[nb / 2] * 1e3, BATCH, nb, batch_seconds[0] * 1e3);
    if (o.predictions) {
        FILE *f = fopen(o.predictions, "w");
        if (!f)
            return fail("%s: cannot create: %s", o.predictions, strerror(errno));
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%lld\n", (long long)pred[i]);
        if (fclose(f) != 0)
            return fail("%s: cannot write: %s", o.predictions, strerror(errno));
    }
    return 0;
}
