/* train_main.c - the trainer program that snnc emits around a training build.
 *
 * Takes: a training build of a model (snn_api.h, model.h) whose first float
 * input is a static image batch [N, ...] and whose int64 input is the label
 * vector [N]; an IDX (MNIST, Fashion-MNIST) or CIFAR-10 binary dataset.
 * Gives: main(): trains with BPTT for the requested epochs, evaluates on the
 * test set after each one, checkpoints OUT/model.onnx (a valid ONNX model
 * with the trained parameters) and OUT/model.onnx.state (optimizer moments,
 * step count, epoch, seed), appends a CSV line per epoch, and can resume.
 * Holds: no dynamic allocation; every buffer is static and sized by
 * SNN_MAX_SAMPLES (snnc emit --max-samples). Plain C99 and POSIX. Errors in
 * data files or a model that does not fit the data give one line on stderr
 * naming the file and exit 1; a bad command line exits 2. Checkpoints are
 * never lost: both files are replaced by rename, the state first, and the
 * state being replaced is kept as model.onnx.state.prev, so whenever the
 * trainer is killed, model.onnx is whole and --resume finds its state.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snn_api.h"
#include "snnrt.h"

#define PROG "train"
#define BATCH SNN_CONST(BATCH)
#define TENSOR struct SNN_API(tensor)

/* Bytes per image the static buffers hold; snn_api.h may give the model's
 * exact size, else the largest format read (CIFAR-10's 3x32x32). Pages
 * never touched cost no memory. */
#ifndef SNN_ITEM_BYTES
#define SNN_ITEM_BYTES SNNRT_CIFAR_IMAGE_BYTES
#endif
#define MAX_FILES 16 /* CIFAR batch files per set */

static uint8_t train_images[(size_t)SNN_MAX_SAMPLES * SNN_ITEM_BYTES];
static uint8_t test_images[(size_t)SNN_MAX_SAMPLES * SNN_ITEM_BYTES];
static uint8_t train_labels[SNN_MAX_SAMPLES], test_labels[SNN_MAX_SAMPLES];
static uint32_t order[SNN_MAX_SAMPLES];
static int64_t test_pred[SNN_MAX_SAMPLES];
static float pixel[256]; /* byte -> value / 255 */

/* ------------------------------------------------------------ options */

/* The options, in the order of their table below. */
enum {
    OPT_DATA_DIR, OPT_TRAIN_IMAGES, OPT_TRAIN_LABELS, OPT_TEST_IMAGES, OPT_TEST_LABELS, OPT_FORMAT,
    OPT_TRAIN_FILES, OPT_TEST_FILES, OPT_EPOCHS, OPT_LR, OPT_LR_SCHEDULE, OPT_SEED, OPT_TRAIN_LIMIT,
    OPT_TEST_LIMIT, OPT_OUT, OPT_RESUME, OPT_METRICS, OPT_RASTER, OPT_PREDICTIONS, OPT_HELP
};

static const struct snnrt_option option_defs[] = {
    {"data-dir", 1},     {"train-images", 1}, {"train-labels", 1}, {"test-images", 1},
    {"test-labels", 1},  {"format", 1},       {"train-files", 1},  {"test-files", 1},
    {"epochs", 1},       {"lr", 1},           {"lr-schedule", 1},  {"seed", 1},
    {"train-limit", 1},  {"test-limit", 1},   {"out", 1},          {"resume", 1},
    {"metrics", 1},      {"record-raster", 1}, {"predictions", 1}, {"help", 0},
};

struct options {
    const char *data_dir, *train_images, *train_labels, *test_images, *test_labels;
    const char *train_files, *test_files, *out, *resume, *metrics, *raster, *predictions;
    int cifar, seed_given, cosine;
    long cosine_epochs; /* of the cosine schedule; 0: --epochs */
    long epochs, train_limit, test_limit;
    double lr;
    uint64_t seed;
};

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "Usage: %s [OPTION]...\n"
            "Train the compiled spiking network with backpropagation through time.\n"
            "\n"
            "Data (IDX: MNIST-style files, raw or .gz; CIFAR-10: binary batches):\n"
            "      --data-dir=DIR        folder of the dataset (default "
            "/usr/share/datasets/fashion-mnist):\n"
            "                            train-images-idx3-ubyte, train-labels-idx1-ubyte,\n"
            "                            t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each\n"
            "                            may end in .gz); for CIFAR-10 data_batch_1..5.bin\n"
            "                            and test_batch.bin\n"
            "      --train-images=FILE, --train-labels=FILE,\n"
            "      --test-images=FILE, --test-labels=FILE   IDX files named one by one\n"
            "      --format=idx|cifar    dataset format (default idx)\n"
            "      --train-files=A,B,... --test-files=A,...  CIFAR-10 batch files\n"
            "      --train-limit=N       train on the first N samples only\n"
            "      --test-limit=N        evaluate on the first N test samples only\n"
            "\n"
            "Training (defaults from the model: %ld epochs, lr %g, seed %llu):\n"
            "      --epochs=N            total number of epochs (a resumed run counts the\n"
            "                            epochs already done)\n"
            "      --lr=X                learning rate\n"
            "      --lr-schedule=S       constant (default), or cosine[:N]: the rate falls\n"
            "                            from X to 0 over N epochs (default --epochs), as\n"
            "                            PyTorch's CosineAnnealingLR stepped every batch;\n"
            "                            resume with the same N\n"
            "      --seed=N              seed of initialization and shuffling\n"
            "      --resume=CKPT         continue from CKPT (a model.onnx written by this\n"
            "                            trainer) and CKPT.state, at the next epoch\n"
            "\n"
            "Output:\n"
            "      --out=DIR             where model.onnx and model.onnx.state go after each\n"
            "                            epoch (default .; created if missing)\n"
            "      --metrics=FILE        CSV epoch,train_loss,train_acc,test_acc,samples_per_s,\n"
            "                            seconds (default DIR/metrics.csv; appended on resume)\n"
            "      --predictions=FILE    after the last epoch, the predicted class of every\n"
            "                            test sample, one per line\n"
            "      --record-raster=FILE  after training, every temporal output of the model\n"
            "                            for test sample 0 as CSV t,layer,neuron,value\n"
            "  -h, --help                show this help and exit\n"
            "\n"
            "Model: batch %d, T = %d, %d inputs, %d outputs, %d parameter tensors.\n"
            "Each epoch prints one line; samples/s counts training samples per second of\n"
            "training, seconds the whole epoch with its test evaluation and checkpoint.\n",
            argv0, (long)SNN_CONST(EPOCHS), (double)SNN_CONST(LR),
            (unsigned long long)SNN_CONST(SEED), BATCH, SNN_CONST(T), SNN_CONST(NUM_INPUTS),
            SNN_CONST(NUM_OUTPUTS), SNN_CONST(NUM_PARAMS));
}

/* A bad command line: one message, a hint, exit status 2; any other
 * error: one line on stderr, exit status 1. */
#define usage_error(...) snnrt_report(PROG, 2, __VA_ARGS__)
#define fail(...) snnrt_report(PROG, 1, __VA_ARGS__)

/* GNU-style long options: --name=value, --name value, unique prefixes. */
static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        const int id = snnrt_option_next(PROG, argc, argv, &i, option_defs,
                                         (int)(sizeof option_defs / sizeof option_defs[0]), &v);
        if (id < 0)
            return 2;
        const char *name = option_defs[id].name;
        long n = 0;
        switch (id) {
        case OPT_DATA_DIR: o->data_dir = v; break;
        case OPT_TRAIN_IMAGES: o->train_images = v; break;
        case OPT_TRAIN_LABELS: o->train_labels = v; break;
        case OPT_TEST_IMAGES: o->test_images = v; break;
        case OPT_TEST_LABELS: o->test_labels = v; break;
        case OPT_TRAIN_FILES: o->train_files = v; break;
        case OPT_TEST_FILES: o->test_files = v; break;
        case OPT_OUT: o->out = v; break;
        case OPT_RESUME: o->resume = v; break;
        case OPT_METRICS: o->metrics = v; break;
        case OPT_RASTER: o->raster = v; break;
        case OPT_PREDICTIONS: o->predictions = v; break;
        case OPT_FORMAT:
            if (strcmp(v, "idx") && strcmp(v, "cifar"))
                return usage_error("--format is '%s'; expected idx or cifar", v);
            o->cifar = !strcmp(v, "cifar");
            break;
        case OPT_EPOCHS:
            if (snnrt_count_arg(PROG, name, v, 1, &o->epochs))
                return 2;
            break;
        case OPT_TRAIN_LIMIT:
            if (snnrt_count_arg(PROG, name, v, 1, &o->train_limit))
                return 2;
            break;
        case OPT_TEST_LIMIT:
            if (snnrt_count_arg(PROG, name, v, 1, &o->test_limit))
                return 2;
            break;
        case OPT_SEED:
            if (snnrt_count_arg(PROG, name, v, 0, &n))
                return 2;
            o->seed = (uint64_t)n;
            o->seed_given = 1;
            break;
        case OPT_LR: {
            char *end;
            o->lr = strtod(v, &end);
            if (end == v || *end || !(o->lr > 0) || !isfinite(o->lr))
                return usage_error("--lr is '%s'; expected a positive number", v);
            break;
        }
        case OPT_LR_SCHEDULE:
            o->cosine = !strncmp(v, "cosine", 6);
            o->cosine_epochs = 0;
            if (o->cosine && v[6] == ':') {
                if (snnrt_count_arg(PROG, name, v + 7, 1, &o->cosine_epochs))
                    return 2;
            } else if (strcmp(v, "constant") && strcmp(v, "cosine")) {
                return usage_error("--lr-schedule is '%s'; expected constant, cosine or cosine:N", v);
            }
            break;
        case OPT_HELP:
            usage(stdout, argv[0]);
            exit(0);
        }
    }
    if (o->cifar && (o->train_images || o->train_labels || o->test_images || o->test_labels))
        return usage_error("--train-images and the like are IDX files; with --format=cifar give "
                           "--train-files and --test-files");
    if (!o->cifar && (o->train_files || o->test_files))
        return usage_error("--train-files and --test-files need --format=cifar");
    return 0;
}

/* ------------------------------------------------------------ data */

/* What check_model() found. */
static const TENSOR *in_x, *in_y, *out_loss, *out_pred;
/* Further class outputs (a second Predict rule, say): their test accuracy
 * is reported beside the first's. */
#define MAX_EXTRA_PRED 4
static const TENSOR *extra_pred[MAX_EXTRA_PRED];
static long extra_correct[MAX_EXTRA_PRED];
static int n_extra_pred;
static size_t item_size;
static int num_classes;

struct dataset {
    const char *what;                      /* "training" or "test" */
    const char *images_path, *labels_path; /* IDX; for CIFAR the first file */
    uint8_t *images, *labels;
    size_t count, item;
};

#define PATH_LEN 4096
static char path_store[2 * MAX_FILES + 8][PATH_LEN];
static int path_used;

/* buf (PATH_LEN bytes) = a followed by b; 1 after a message if it does not fit. */
#define path_cat(buf, a, b) snnrt_path_cat(PROG, (buf), PATH_LEN, (a), (b))

/* dir/name, or dir/name.gz if that is absent, in the next free path buffer. */
static const char *idx_path(const char *dir, const char *name)
{
    return snnrt_idx_path(PROG, path_store[path_used++], PATH_LEN, dir, name);
}

static int load_set(const struct options *o, struct dataset *ds, const char *list, int classes)
{
    char err[1024];
    size_t capacity = SNN_MAX_SAMPLES;
    if (!o->cifar) {
        if (snnrt_idx_load(ds->images_path, ds->labels_path, ds->images, ds->labels, capacity,
                           ds->item, classes, &ds->count, err, sizeof err) != 0)
            return fail("%s", err);
        return 0;
    }
    const char *files[MAX_FILES];
    const int n = snnrt_split_list(PROG, list, path_store[path_used], PATH_LEN, MAX_FILES, files);
    if (n < 0)
        return 1;
    path_used += n;
    if (n == 0)
        return fail("no %s files given", ds->what);
    ds->images_path = ds->labels_path = files[0];
    if (ds->item != SNNRT_CIFAR_IMAGE_BYTES)
        return fail("%s: CIFAR-10 images are 3x32x32 = %d bytes; the model's input '%s' needs %zu",
                    files[0], SNNRT_CIFAR_IMAGE_BYTES, in_x->name, ds->item);
    if (snnrt_cifar_load(files, n, ds->images, ds->labels, capacity, classes, &ds->count, err,
                         sizeof err) != 0)
        return fail("%s", err);
    return 0;
}

/* ------------------------------------------------------------ model */

/* The model must read an image batch [N, ...] and labels [N]. */
static int check_model(void)
{
    for (int i = 0; i < SNN_CONST(NUM_INPUTS); i++) {
        const TENSOR *t = &SNN_API(inputs)[i];
        if (t->f32 && !in_x)
            in_x = t;
        else if (t->i64 && !in_y)
            in_y = t;
        else
            return fail("the model's input '%s' is neither the image batch nor the labels; the "
                        "trainer feeds one float input [N, ...] and one int64 input [N]",
                        t->name);
    }
    if (!in_x)
        return fail("the model has no float input for the images");
    if (!in_y)
        return fail("the model has no int64 label input");
    if (in_x->temporal || in_x->rank < 2 || in_x->dims[0] != BATCH) {
        fprintf(stderr, PROG ": the model's input '%s' is %s[", in_x->name,
                in_x->temporal ? "temporal " : "");
        for (int r = 0; r < in_x->rank; r++)
            fprintf(stderr, "%s%lld", r ? ", " : "", (long long)in_x->dims[r]);
        fprintf(stderr, "]; the trainer feeds a static image batch [N = %d, ...]\n", BATCH);
        return 1;
    }
    if (in_y->temporal || in_y->rank != 1 || in_y->dims[0] != BATCH) {
        fprintf(stderr, PROG ": the model's label input '%s' is not a vector [N = %d]\n",
                in_y->name, BATCH);
        return 1;
    }
    item_size = in_x->numel / BATCH;
    if (item_size > SNN_ITEM_BYTES) {
        fprintf(stderr, PROG ": the model's input '%s' takes %zu values per sample; this trainer "
                        "holds images of at most %d bytes\n", in_x->name, item_size, SNN_ITEM_BYTES);
        return 1;
    }
    out_loss = &SNN_API(outputs)[SNN_CONST(LOSS_OUTPUT)];
    int p = SNN_CONST(PREDICT_OUTPUT);
    out_pred = p >= 0 ? &SNN_API(outputs)[p < 0 ? 0 : p] : NULL;
    for (int i = 0; i < SNN_CONST(NUM_OUTPUTS) && n_extra_pred < MAX_EXTRA_PRED; i++) {
        const TENSOR *o = &SNN_API(outputs)[i];
        if (o != out_pred && o->i64 && !o->temporal && o->rank == 1 && o->numel == BATCH)
            extra_pred[n_extra_pred++] = o;
    }
    /* The class count: the model's own when snn_api.h gives it, else the
     * last axis of a [T, N, C] record; otherwise the model's forward pass
     * checks the labels itself. */
#ifdef SNN_NUM_CLASSES
    num_classes = SNN_NUM_CLASSES;
#else
    num_classes = 256;
    for (int i = 0; i < SNN_CONST(NUM_OUTPUTS); i++) {
        const TENSOR *t = &SNN_API(outputs)[i];
        if (t->f32 && t->temporal && t->rank == 3 && t->dims[1] == BATCH && t->dims[2] <= 256) {
            num_classes = (int)t->dims[2];
            break;
        }
    }
#endif
    for (int i = 0; i < 256; i++)
        pixel[i] = (float)i / 255.0f;
    return 0;
}

/* Slot k of the batch gets sample idx[k]. */
static void fill_batch(const struct dataset *ds, const uint32_t *idx)
{
    float *x = in_x->f32;
    for (int k = 0; k < BATCH; k++) {
        const uint8_t *src = ds->images + (size_t)idx[k] * ds->item;
        float *dst = x + (size_t)k * item_size;
        for (size_t i = 0; i < item_size; i++)
            dst[i] = pixel[src[i]];
        in_y->i64[k] = ds->labels[idx[k]];
    }
}

/* The model failed on a batch: name the file its complaint is about. */
static int forward_failed(const struct dataset *ds, const char *when)
{
    const char *msg = SNN_API(error)();
    size_t n = strlen(in_y->name);
    const char *file = !strncmp(msg, in_y->name, n) && msg[n] == ':' ? ds->labels_path
                                                                      : ds->images_path;
    fprintf(stderr, PROG ": %s: %s: %s\n", file, when, msg);
    return 1;
}

/* Forward passes over the first n samples; predictions into pred. Returns
 * the number of correct ones, or -1 after a message. */
static long evaluate(const struct dataset *ds, size_t n, int64_t *pred)
{
    uint32_t idx[BATCH];
    long correct = 0;
    for (int e = 0; e < n_extra_pred; e++)
        extra_correct[e] = 0;
    for (size_t s = 0; s < n; s += BATCH) {
        size_t m = n - s < BATCH ? n - s : BATCH;
        for (size_t k = 0; k < BATCH; k++) /* padding repeats the batch's first sample */
            idx[k] = (uint32_t)(s + (k < m ? k : 0));
        fill_batch(ds, idx);
        if (SNN_API(forward)() != 0) {
            char when[64];
            snprintf(when, sizeof when, "test batch %zu", s / BATCH + 1);
            forward_failed(ds, when);
            return -1;
        }
        for (size_t k = 0; k < m; k++) {
            pred[s + k] = out_pred->i64[k];
            correct += pred[s + k] == ds->labels[s + k];
            for (int e = 0; e < n_extra_pred; e++)
                extra_correct[e] += extra_pred[e]->i64[k] == ds->labels[s + k];
        }
    }
    return correct;
}

/* ------------------------------------------------------------ checkpoint state */

/* OUT/model.onnx.state: a text header, then one block per optimizer tensor
 * (a text line and numel little-endian float32), then an FNV-1a checksum of
 * everything before it (version 1, still read, left the text lines out).
 * It also holds the checksum of the parameters it goes with, so a state
 * that does not belong to its model is refused. */
#define STATE_MAGIC "snnc-train-state 2"
#define STATE_MAGIC_V1 "snnc-train-state 1"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

#define FNV0 14695981039346656037ull

static void to_le(const float *x, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        out[4 * i] = (unsigned char)u;
        out[4 * i + 1] = (unsigned char)(u >> 8);
        out[4 * i + 2] = (unsigned char)(u >> 16);
        out[4 * i + 3] = (unsigned char)(u >> 24);
    }
}

static void from_le(const unsigned char *in, size_t n, float *x)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)in[4 * i] | (uint32_t)in[4 * i + 1] << 8 |
                     (uint32_t)in[4 * i + 2] << 16 | (uint32_t)in[4 * i + 3] << 24;
        memcpy(&x[i], &u, 4);
    }
}

static uint64_t params_checksum(void)
{
    unsigned char buf[4096];
    uint64_t h = FNV0;
    for (int i = 0; i < SNN_CONST(NUM_PARAMS); i++) {
        const TENSOR *t = &SNN_API(params)[i];
        for (size_t at = 0; at < t->numel; at += 1024) {
            size_t n = t->numel - at < 1024 ? t->numel - at : 1024;
            to_le(t->f32 + at, n, buf);
            h = fnv(h, buf, 4 * n);
        }
    }
    return h;
}

static int state_write(const char *path, long epoch, uint64_t seed)
{
    char tmp[PATH_LEN], prev[PATH_LEN];
    unsigned char buf[4096];
    if (path_cat(tmp, path, ".tmp") || path_cat(prev, path, ".prev"))
        return 1;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return fail("%s: cannot create: %s", tmp, strerror(errno));
    uint32_t rng[4];
    SNN_API(rng_get)(rng); /* the random encoders' generator goes on where it stopped */
    char line[512];
    int len = snprintf(line, sizeof line, STATE_MAGIC "\nepoch %ld\nsteps %ld\nseed %llu\n"
                       "rng %08lx %08lx %08lx %08lx\nparams %016llx\ntensors %d\n",
                       epoch, SNN_API(optimizer_steps)(), (unsigned long long)seed,
                       (unsigned long)rng[0], (unsigned long)rng[1], (unsigned long)rng[2],
                       (unsigned long)rng[3], (unsigned long long)params_checksum(),
                       SNN_API(num_opt_state));
    uint64_t h = fnv(FNV0, line, (size_t)len);
    fputs(line, f);
    for (int i = 0; i < SNN_API(num_opt_state); i++) {
        const TENSOR *t = &SNN_API(opt_state)[i];
        len = snprintf(line, sizeof line, "tensor %.299s %zu\n", t->name, t->numel);
        h = fnv(h, line, (size_t)len);
        fputs(line, f);
        for (size_t at = 0; at < t->numel; at += 1024) {
            size_t n = t->numel - at < 1024 ? t->numel - at : 1024;
            to_le(t->f32 + at, n, buf);
            h = fnv(h, buf, 4 * n);
            fwrite(buf, 4, n, f);
        }
    }
    fprintf(f, "end %016llx\n", (unsigned long long)h);
    int bad = ferror(f) != 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    /* the state of the checkpoint still in place stays as PATH.prev until
     * the new checkpoint replaces it (see state_read) */
    if (!bad && rename(path, prev) != 0 && errno != ENOENT)
        bad = 1;
    if (bad || rename(tmp, path) != 0) {
        fail("%s: cannot write: %s", tmp, strerror(errno));
        remove(tmp);
        return 1;
    }
    return 0;
}

/* Reads one state file for the parameters loaded already. Returns 0, or
 * -1 after writing the reason into msg: STATE_OTHER when the file is
 * missing or belongs to other parameters, STATE_BAD when it is damaged. */
enum { STATE_OK, STATE_OTHER, STATE_BAD };
static int state_read_file(const char *path, long *epoch, uint64_t *seed, char *msg, size_t len)
{
    char line[512], name[300];
    unsigned char buf[4096];
    unsigned long long s, ph, sum;
    unsigned long rng[4];
    long steps;
    int ntensors, version;
    uint64_t h = FNV0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, len, "%s: cannot open: %s (the trainer writes it next to each checkpoint)",
                 path, strerror(errno));
        return STATE_OTHER;
    }
#define BAD(what)                                                                          \
    do {                                                                                   \
        fclose(f);                                                                         \
        snprintf(msg, len, "%s: %s", path, what);                                          \
        return STATE_BAD;                                                                  \
    } while (0)
/* the next line into line; version 2 checksums it */
#define LINE() (fgets(line, sizeof line, f) && (version < 2 || (h = fnv(h, line, strlen(line)), 1)))
    version = 2;
    if (!LINE())
        BAD("not a training state written by an snnc trainer");
    if (!strcmp(line, STATE_MAGIC_V1 "\n"))
        version = 1;
    else if (strcmp(line, STATE_MAGIC "\n") != 0)
        BAD("not a training state written by an snnc trainer");
    if (!LINE() || sscanf(line, "epoch %ld", epoch) != 1 || *epoch < 0 ||
        !LINE() || sscanf(line, "steps %ld", &steps) != 1 || steps < 0 ||
        !LINE() || sscanf(line, "seed %llu", &s) != 1 ||
        !LINE() || sscanf(line, "rng %lx %lx %lx %lx", &rng[0], &rng[1], &rng[2], &rng[3]) != 4 ||
        !LINE() || sscanf(line, "params %llx", &ph) != 1 ||
        !LINE() || sscanf(line, "tensors %d", &ntensors) != 1)
        BAD("truncated or damaged header");
    if (ntensors != SNN_API(num_opt_state))
        BAD("holds optimizer state for another model");
    if (ph != (unsigned long long)params_checksum()) {
        fclose(f);
        snprintf(msg, len, "%s: does not belong to the checkpoint beside it (its parameters differ)",
                 path);
        return STATE_OTHER;
    }
    for (int i = 0; i < ntensors; i++) {
        const TENSOR *t = &SNN_API(opt_state)[i];
        size_t numel;
        if (!LINE() || sscanf(line, "tensor %299s %zu", name, &numel) != 2)
            BAD("truncated or damaged");
        if (strcmp(name, t->name) != 0 || numel != t->numel)
            BAD("holds optimizer state for another model");
        for (size_t at = 0; at < numel; at += 1024) {
            size_t n = numel - at < 1024 ? numel - at : 1024;
            if (fread(buf, 4, n, f) != n)
                BAD("truncated");
            h = fnv(h, buf, 4 * n);
            from_le(buf, n, t->f32 + at);
        }
    }
    if (!fgets(line, sizeof line, f) || sscanf(line, "end %llx", &sum) != 1 ||
        sum != (unsigned long long)h)
        BAD("damaged: checksum mismatch");
#undef LINE
#undef BAD
    fclose(f);
    SNN_API(set_optimizer_steps)(steps);
    const uint32_t words[4] = {(uint32_t)rng[0], (uint32_t)rng[1], (uint32_t)rng[2], (uint32_t)rng[3]};
    SNN_API(rng_set)(words);
    *seed = (uint64_t)s;
    return STATE_OK;
}

/* The state of the checkpoint whose parameters are loaded: CKPT.state, or
 * CKPT.state.prev when the trainer was stopped after writing a new state
 * and before the checkpoint it goes with (state_write keeps the old one).
 * The pair is then mended on disk (the orphan state goes), so that the
 * next state_write again keeps a state that matches the checkpoint. */
static int state_read(const char *path, long *epoch, uint64_t *seed)
{
    char msg[PATH_LEN + 256], other[PATH_LEN + 256], prev[PATH_LEN];
    int rc = state_read_file(path, epoch, seed, msg, sizeof msg);
    if (rc == STATE_OTHER && !path_cat(prev, path, ".prev") &&
        state_read_file(prev, epoch, seed, other, sizeof other) == STATE_OK) {
        if (rename(prev, path) != 0)
            fprintf(stderr, PROG ": note: %s: cannot rename it to %s: %s\n", prev, path,
                    strerror(errno));
        return 0;
    }
    if (rc != STATE_OK)
        return fail("%s", msg);
    return 0;
}

/* ------------------------------------------------------------ outputs */

static int write_predictions(const char *path, const int64_t *pred, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return fail("%s: cannot create: %s", path, strerror(errno));
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%lld\n", (long long)pred[i]);
    if (fclose(f) != 0)
        return fail("%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Every temporal output for test sample 0 (the whole batch holds it). */
static int write_raster(const char *path, const struct dataset *ds)
{
    uint32_t idx[BATCH] = {0};
    fill_batch(ds, idx);
    if (SNN_API(forward)() != 0)
        return forward_failed(ds, "raster sample");
    FILE *f = fopen(path, "w");
    if (!f)
        return fail("%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "t,layer,neuron,value\n");
    int layers = 0;
    for (int i = 0; i < SNN_CONST(NUM_OUTPUTS); i++) {
        const TENSOR *o = &SNN_API(outputs)[i];
        if (!o->temporal || !o->f32 || o->rank < 2 || o->dims[1] != BATCH)
            continue;
        layers++;
        size_t per = o->numel / ((size_t)o->dims[0] * BATCH);
        for (int64_t t = 0; t < o->dims[0]; t++)
            for (size_t j = 0; j < per; j++)
                fprintf(f, "%lld,%s,%zu,%.9g\n", (long long)t, o->name, j,
                        (double)o->f32[(size_t)t * BATCH * per + j]);
    }
    if (fclose(f) != 0)
        return fail("%s: cannot write: %s", path, strerror(errno));
    if (!layers)
        fprintf(stderr, PROG ": note: the model has no temporal outputs to record; %s holds only "
                        "its header (declare spike records such as spk1 as graph outputs)\n", path);
    return 0;
}

/* ------------------------------------------------------------ main */

/* One training run: its options, data, output paths and progress. */
struct run {
    struct options o;
    struct dataset train, test;
    size_t n_train, n_test, batches; /* samples used, full batches per epoch */
    char ckpt[PATH_LEN], state[PATH_LEN], metrics_path[PATH_LEN];
    FILE *metrics;
    long done;         /* epochs finished before this run */
    long test_correct; /* of the last evaluation, -1 before one */
};

/* Finds the dataset files, loads both sets, applies the limits. */
static int load_data(struct run *r)
{
    const struct options *o = &r->o;
    const char *dir = o->data_dir ? o->data_dir : "/usr/share/datasets/fashion-mnist";
    const char *train_list = o->train_files, *test_list = o->test_files;
    static char train_default[5 * PATH_LEN], test_default[PATH_LEN];
    struct dataset *tr = &r->train, *te = &r->test;
    *tr = (struct dataset){"training", NULL, NULL, train_images, train_labels, 0, item_size};
    *te = (struct dataset){"test", NULL, NULL, test_images, test_labels, 0, item_size};
    if (!o->cifar) {
        tr->images_path = o->train_images ? o->train_images : idx_path(dir, "train-images-idx3-ubyte");
        tr->labels_path = o->train_labels ? o->train_labels : idx_path(dir, "train-labels-idx1-ubyte");
        te->images_path = o->test_images ? o->test_images : idx_path(dir, "t10k-images-idx3-ubyte");
        te->labels_path = o->test_labels ? o->test_labels : idx_path(dir, "t10k-labels-idx1-ubyte");
        if (!tr->images_path || !tr->labels_path || !te->images_path || !te->labels_path)
            return 1;
    } else {
        if (!train_list) { /* DIR/data_batch_1.bin,...,DIR/data_batch_5.bin */
            size_t at = 0;
            for (int b = 1; b <= 5; b++) {
                int n = snprintf(train_default + at, sizeof train_default - at,
                                 "%s%s/data_batch_%d.bin", b > 1 ? "," : "", dir, b);
                if (n < 0 || (size_t)n >= sizeof train_default - at)
                    return fail("%s: path too long", dir);
                at += (size_t)n;
            }
            train_list = train_default;
        }
        if (!test_list) {
            if (path_cat(test_default, dir, "/test_batch.bin"))
                return 1;
            test_list = test_default;
        }
    }
    if (load_set(o, tr, train_list, num_classes) || load_set(o, te, test_list, num_classes))
        return 1;
    r->n_train = tr->count;
    r->n_test = te->count;
    if (o->train_limit && (size_t)o->train_limit < r->n_train)
        r->n_train = (size_t)o->train_limit;
    if (o->test_limit && (size_t)o->test_limit < r->n_test)
        r->n_test = (size_t)o->test_limit;
    r->batches = r->n_train / BATCH;
    if (r->batches == 0)
        return fail("%s: %zu training samples make no full batch of %d", tr->images_path,
                    r->n_train, BATCH);
    return 0;
}

/* Fresh parameters, or a checkpoint's with its optimizer state. */
static int start_params(struct run *r)
{
    char err[1024], rstate[PATH_LEN];
    uint64_t seed = 0;
    SNN_API(init_params)(r->o.seed);
    SNN_API(seed)(r->o.seed); /* random encoders follow --seed too */
    r->done = 0;
    if (!r->o.resume)
        return 0;
    if (SNN_API(load)(r->o.resume, err, sizeof err) != 0)
        return fail("%s", err);
    if (path_cat(rstate, r->o.resume, ".state") || state_read(rstate, &r->done, &seed))
        return 1;
    if (r->o.seed_given && seed != r->o.seed)
        fprintf(stderr, PROG ": note: %s was trained with seed %llu; continuing with it\n", rstate,
                (unsigned long long)seed);
    r->o.seed = seed;
    return 0;
}

/* OUT/, the checkpoint paths, and the metrics file (appended to on resume). */
static int open_outputs(struct run *r)
{
    const char *out = r->o.out;
    struct stat st;
    if (mkdir(out, 0777) != 0 && errno != EEXIST)
        return fail("%s: cannot create the output folder: %s", out, strerror(errno));
    if (path_cat(r->ckpt, out, "/model.onnx") || path_cat(r->state, r->ckpt, ".state") ||
        (r->o.metrics ? path_cat(r->metrics_path, r->o.metrics, "")
                      : path_cat(r->metrics_path, out, "/metrics.csv")))
        return 1;
    int append = r->o.resume && stat(r->metrics_path, &st) == 0 && st.st_size > 0;
    r->metrics = fopen(r->metrics_path, append ? "a" : "w");
    if (!r->metrics)
        return fail("%s: cannot create: %s", r->metrics_path, strerror(errno));
    if (!append) {
        fprintf(r->metrics, "epoch,train_loss,train_acc,test_acc,samples_per_s,seconds");
        for (int e = 0; e < n_extra_pred; e++)
            fprintf(r->metrics, ",test_acc_%s", extra_pred[e]->name);
        fprintf(r->metrics, "\n");
    }
    fflush(r->metrics);
    return 0;
}

/* The learning rate of batch b of an epoch: the same at every step, or
 * PyTorch's CosineAnnealingLR (eta_min 0) over all the run's steps, as a
 * function of the step alone so that a resumed run continues it. */
static double step_lr(const struct run *r, long epoch, size_t b)
{
    if (!r->o.cosine)
        return r->o.lr;
    const long epochs = r->o.cosine_epochs ? r->o.cosine_epochs : r->o.epochs;
    const double total = (double)epochs * (double)r->batches;
    const double step = (double)(epoch - 1) * (double)r->batches + (double)b;
    if (step >= total)
        return 0.0; /* past the horizon: PyTorch would climb again; stay at the end */
    return 0.5 * r->o.lr * (1.0 + cos(3.14159265358979323846 * step / total));
}

/* One pass over the shuffled training set: forward, backward, step. */
static int train_epoch(struct run *r, long epoch, double *loss_mean, long *correct)
{
    struct snnrt_rng rng;
    snnrt_rng_seed(&rng, r->o.seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)epoch));
    for (size_t i = 0; i < r->n_train; i++)
        order[i] = (uint32_t)i;
    snnrt_shuffle_u32(&rng, order, r->n_train);

    char label[64];
    snprintf(label, sizeof label, "epoch %ld/%ld", epoch, r->o.epochs);
    struct snnrt_progress bar;
    snnrt_progress_start(&bar, label, r->batches * BATCH);
    double loss_sum = 0;
    *correct = 0;
    for (size_t b = 0; b < r->batches; b++) {
        fill_batch(&r->train, order + b * BATCH);
        if (SNN_API(forward)() != 0) {
            snnrt_progress_end(&bar);
            snprintf(label, sizeof label, "epoch %ld, batch %zu", epoch, b + 1);
            return forward_failed(&r->train, label);
        }
        double loss = out_loss->f32[0];
        if (!isfinite(loss)) {
            snnrt_progress_end(&bar);
            return fail("the loss is %s at epoch %ld, batch %zu of %zu; training diverged (try "
                        "a lower --lr than %g)",
                        isnan(loss) ? "NaN" : "infinite", epoch, b + 1, r->batches, r->o.lr);
        }
        loss_sum += loss;
        if (out_pred)
            for (int k = 0; k < BATCH; k++)
                *correct += out_pred->i64[k] == in_y->i64[k];
        SNN_API(backward)();
        SNN_API(optimizer_step)(step_lr(r, epoch, b));
        /* a loss of spike counts stays finite when the weights are not */
        for (int i = 0; i < SNN_CONST(NUM_PARAMS); i++) {
            const TENSOR *t = &SNN_API(params)[i];
            long at = snnrt_check_finite(t->f32, t->numel);
            if (at >= 0) {
                snnrt_progress_end(&bar);
                return fail("parameter '%s' became %s at index %ld in the optimizer step of epoch "
                            "%ld, batch %zu of %zu; training diverged (try a lower --lr than %g)",
                            t->name, isnan(t->f32[at]) ? "NaN" : "infinite", at, epoch, b + 1,
                            r->batches, r->o.lr);
            }
        }
        snnrt_progress_update(&bar, (b + 1) * BATCH, loss_sum / (double)(b + 1));
    }
    snnrt_progress_end(&bar);
    *loss_mean = loss_sum / (double)r->batches;
    return 0;
}

/* "0.7810", or "n/a" without a Predict output. */
static const char *format_acc(char *buf, size_t len, long correct, size_t total)
{
    if (out_pred && correct >= 0)
        snprintf(buf, len, "%.4f", (double)correct / (double)total);
    else
        snprintf(buf, len, "n/a");
    return buf;
}

/* Test set, checkpoint, one line on stdout and one in the metrics file. */
static int end_epoch(struct run *r, long epoch, double loss, long correct, double t0,
                     double train_s)
{
    char err[1024], tr[16], te[16];
    if (out_pred && (r->test_correct = evaluate(&r->test, r->n_test, test_pred)) < 0)
        return 1;
    /* the state first: a checkpoint never has an older state beside it */
    if (state_write(r->state, epoch, r->o.seed))
        return 1;
    if (SNN_API(save)(r->ckpt, err, sizeof err) != 0)
        return fail("%s", err);
    double secs = snnrt_now() - t0;
    size_t samples = r->batches * BATCH;
    double rate = (double)samples / (train_s > 0 ? train_s : 1e-9);
    format_acc(tr, sizeof tr, correct, samples);
    format_acc(te, sizeof te, r->test_correct, r->n_test);
    printf("epoch %ld/%ld  train loss %.4f  train acc %s  test acc %s  %.0f samples/s  %.1f s\n",
           epoch, r->o.epochs, loss, tr, te, rate, secs);
    for (int e = 0; e < n_extra_pred && r->test_correct >= 0; e++) {
        char ex[16];
        printf("  test acc by '%s' %s\n", extra_pred[e]->name,
               format_acc(ex, sizeof ex, extra_correct[e], r->n_test));
    }
    fflush(stdout);
    fprintf(r->metrics, "%ld,%.6f,%s,%s,%.1f,%.3f", epoch, loss, out_pred ? tr : "",
            out_pred ? te : "", rate, secs);
    for (int e = 0; e < n_extra_pred; e++)
        fprintf(r->metrics, ",%.4f", r->n_test ? (double)extra_correct[e] / (double)r->n_test : 0.0);
    fprintf(r->metrics, "\n");
    if (fflush(r->metrics) != 0)
        return fail("%s: cannot write: %s", r->metrics_path, strerror(errno));
    return 0;
}

int main(int argc, char **argv)
{
    static struct run r;
    r.o.epochs = SNN_CONST(EPOCHS);
    r.o.lr = SNN_CONST(LR);
    r.o.seed = SNN_CONST(SEED);
    r.o.out = ".";
    r.test_correct = -1;
    int rc = parse_options(argc, argv, &r.o);
    if (rc)
        return rc;
    if (check_model())
        return 1;
    if (r.o.predictions && !out_pred)
        return fail("%s: the model has no Predict output, so there are no predictions to write",
                    r.o.predictions);
    if (load_data(&r) || start_params(&r))
        return 1;

    if (r.done >= r.o.epochs) {
        /* nothing to train: evaluate the checkpoint, for --predictions */
        printf("%s has %ld of %ld epochs already; nothing to train (raise --epochs)\n",
               r.o.resume, r.done, r.o.epochs);
        char te[16];
        if (out_pred && (r.test_correct = evaluate(&r.test, r.n_test, test_pred)) < 0)
            return 1;
        printf("test acc %s\n", format_acc(te, sizeof te, r.test_correct, r.n_test));
    } else {
        if (open_outputs(&r))
            return 1;
        if (r.o.resume)
            printf("resuming %s at epoch %ld/%ld (%ld optimizer steps)\n", r.o.resume, r.done + 1,
                   r.o.epochs, SNN_API(optimizer_steps)());
        printf("training on %zu samples (%zu batches of %d), testing on %zu; T = %d, lr %g%s, "
               "seed %llu\n", r.batches * BATCH, r.batches, BATCH, r.n_test, SNN_CONST(T), r.o.lr,
               r.o.cosine ? " (cosine schedule)" : "", (unsigned long long)r.o.seed);
        fflush(stdout);
        for (long epoch = r.done + 1; epoch <= r.o.epochs; epoch++) {
            double t0 = snnrt_now(), loss = 0;
            long correct = 0;
            if (train_epoch(&r, epoch, &loss, &correct) ||
                end_epoch(&r, epoch, loss, correct, t0, snnrt_now() - t0))
                return 1;
        }
        if (fclose(r.metrics) != 0)
            return fail("%s: cannot write: %s", r.metrics_path, strerror(errno));
        printf("model: %s (optimizer state: %s); metrics: %s\n", r.ckpt, r.state, r.metrics_path);
    }
    if (r.o.predictions && write_predictions(r.o.predictions, test_pred, r.n_test))
        return 1;
    if (r.o.raster && write_raster(r.o.raster, &r.test))
        return 1;
    long rss = snnrt_peak_rss_kb();
    if (rss >= 0)
        printf("peak RSS %.1f MB\n", (double)rss / 1024.0);
    return 0;
}
