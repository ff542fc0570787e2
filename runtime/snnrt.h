/* snnrt.h - the runtime that every C file emitted by snnc shares.
 *
 * Takes: nothing but <stdint.h> and <stddef.h>, so that an inference build
 * for a microcontroller can include it.
 * Gives: the declarations of the five runtime files, all prefixed snnrt_:
 *   rt_prng.c       seeded PRNG, shuffling, Bernoulli/normal draws (no libc)
 *   rt_optim.c      Adam and SGD steps that match PyTorch 1.13 in float32 (libm)
 *   rt_tensor_io.c  ONNX TensorProto and checkpoint ModelProto read/write (stdio)
 *   rt_data.c       MNIST-style IDX and CIFAR-10 binary readers (stdio, zlib)
 *   rt_progress.c   progress bar, monotonic clock, peak RSS (POSIX)
 * Afterwards: nothing in the runtime allocates. Every buffer is the caller's,
 * with an explicit capacity; every function that can fail returns 0 on
 * success and -1 on failure, after writing a one-line message that names the
 * file and what is wrong into err[0..errlen) (err may be NULL or errlen 0).
 */
#ifndef SNNC_RUNTIME_SNNRT_H
#define SNNC_RUNTIME_SNNRT_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ rt_prng.c */

/* xoshiro128** state, seeded through splitmix64. The same seed gives the
 * same numbers on every platform with IEEE float (FLT_EVAL_METHOD 0). */
struct snnrt_rng {
    uint32_t s[4];
};

void snnrt_rng_seed(struct snnrt_rng *r, uint64_t seed);
uint32_t snnrt_rng_u32(struct snnrt_rng *r);
/* Uniform in [0, n), unbiased (Lemire's method); 0 when n is 0. */
uint32_t snnrt_rng_below(struct snnrt_rng *r, uint32_t n);
/* Uniform in [0, 1) with 24 random bits: k / 2^24. */
float snnrt_rng_uniform(struct snnrt_rng *r);
/* Uniform in [lo, hi) (lo when hi <= lo). */
float snnrt_rng_uniform_range(struct snnrt_rng *r, float lo, float hi);
/* 1 with probability p (uniform < p), else 0: p <= 0 never, p >= 1 always. */
int snnrt_rng_bernoulli(struct snnrt_rng *r, float p);
/* Standard normal (Marsaglia's polar method, computed without libm). */
float snnrt_rng_normal(struct snnrt_rng *r);
/* Fisher-Yates shuffle of idx[0..n), n < 2^32. */
void snnrt_shuffle_u32(struct snnrt_rng *r, uint32_t *idx, size_t n);

/* ----------------------------------------------------------- rt_optim.c */

/* torch.optim.Adam hyperparameters. They are doubles because PyTorch keeps
 * them as Python floats and computes the bias corrections in double. */
struct snnrt_adam {
    double lr, beta1, beta2, eps, weight_decay;
};

/* One Adam step on n elements; step counts from 1 (the step being taken).
 * m and v start at zero. */
void snnrt_adam_step(const struct snnrt_adam *o, long step, float *p, const float *g, float *m,
                     float *v, size_t n);
/* One torch.optim.SGD step (dampening 0, nesterov off). With momentum != 0,
 * buf is the momentum buffer, filled with the gradient when first_step is
 * set; with momentum 0, buf is not touched and may be NULL. */
void snnrt_sgd_step(double lr, double momentum, double weight_decay, float *p, const float *g,
                    float *buf, size_t n, int first_step);
/* Index of the first NaN or infinity in x[0..n), or -1 if all are finite. */
long snnrt_check_finite(const float *x, size_t n);

/* ------------------------------------------------------- rt_tensor_io.c */

#define SNNRT_MAX_RANK 8

/* ONNX TensorProto.DataType values the runtime reads and writes. */
#define SNNRT_DT_FLOAT 1
#define SNNRT_DT_INT32 6
#define SNNRT_DT_INT64 7

struct snnrt_tensor {
    char name[128];
    int data_type;
    int rank;
    int64_t dims[SNNRT_MAX_RANK];
    size_t numel;
};

/* Reads one TensorProto file (float, int32 or int64; raw_data or the typed
 * field, packed or not) into data, which holds capacity bytes. */
int snnrt_tensor_read(const char *path, struct snnrt_tensor *t, void *data, size_t capacity,
                      char *err, size_t errlen);
/* Writes a TensorProto (dims, data_type, name, raw_data little-endian) to
 * path atomically: path.tmp is written, flushed, synced, then renamed. */
int snnrt_tensor_write(const char *path, const char *name, int data_type, const int64_t *dims,
                       int rank, const void *data, char *err, size_t errlen);

/* One float32 parameter of a model. */
struct snnrt_param {
    const char *name;
    float *data;
    int rank;
    int64_t dims[SNNRT_MAX_RANK];
    size_t numel;
};

/* Writes a checkpoint ModelProto atomically: model_head (a serialized
 * ModelProto without its graph field), then field 7 holding graph_body (a
 * serialized GraphProto without the parameters) followed by one initializer
 * per parameter. */
int snnrt_model_write(const char *path, const unsigned char *model_head, size_t head_len,
                      const unsigned char *graph_body, size_t body_len,
                      const struct snnrt_param *params, size_t nparams, char *err, size_t errlen);
/* Reads a binary ModelProto and copies graph.initializer data (float_data or
 * raw_data) into every parameter, after checking its type and dims. Fails if
 * any parameter is missing. Names longer than 255 bytes never match. */
int snnrt_model_load_params(const char *path, const struct snnrt_param *params, size_t nparams,
                            char *err, size_t errlen);

/* -------------------------------------------------------------- rt_data.c */

/* Loads an IDX image file (magic 0x00000803, [count, rows, cols] of u8) and
 * its IDX label file (magic 0x00000801), raw or gzip-compressed, into
 * images[capacity * item_bytes] and labels[capacity]; *count gets the number
 * of samples. rows * cols must equal item_bytes and labels < num_classes. */
int snnrt_idx_load(const char *images_path, const char *labels_path, uint8_t *images,
                   uint8_t *labels, size_t capacity, size_t item_bytes, int num_classes,
                   size_t *count, char *err, size_t errlen);

#define SNNRT_CIFAR_IMAGE_BYTES 3072
#define SNNRT_CIFAR_RECORD_BYTES 3073

/* Loads CIFAR-10 binary files (records of 1 label byte + 3072 image bytes,
 * planes R, G, B of 32x32), appended in the order given, into
 * images[capacity * 3072] and labels[capacity]. */
int snnrt_cifar_load(const char *const *paths, int npaths, uint8_t *images, uint8_t *labels,
                     size_t capacity, int num_classes, size_t *count, char *err, size_t errlen);

/* ---------------------------------------------------------- rt_progress.c */

struct snnrt_progress {
    const char *label;
    size_t total;
    double t0;        /* snnrt_now() at start */
    double last_draw; /* when the bar was last drawn */
    int enabled;      /* stderr is a terminal */
    int drawn;        /* something is on the line that end must clear */
};

/* Monotonic seconds from an arbitrary origin. */
double snnrt_now(void);
/* Peak resident set size of this process in kB, or -1 if unknown. */
long snnrt_peak_rss_kb(void);

/* A bar on stderr when it is a terminal, redrawn at most 10 times a second;
 * nothing at all otherwise. */
void snnrt_progress_start(struct snnrt_progress *p, const char *label, size_t total);
void snnrt_progress_update(struct snnrt_progress *p, size_t done, double loss);
void snnrt_progress_end(struct snnrt_progress *p);
/* The bar's text for done samples at time now (no newline, no escapes);
 * returns its length, at most len - 1. */
size_t snnrt_progress_format(const struct snnrt_progress *p, size_t done, double loss, double now,
                             char *buf, size_t len);

/* ---- the command line of the emitted programs (rt_cli.c) ---- */
struct snnrt_option {
    const char *name; /* long name, without "--" */
    int has_arg;
};
/* "prog: message" on stderr, and for status 2 (a bad command line) a hint
 * to --help; returns status. */
int snnrt_report(const char *prog, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The option at argv[*i]: --name=value, --name value (*i then moves past
 * the value), a unique prefix of a name, or -h for --help. Returns its
 * index in opts with *value ("" when it takes none), or -1 after a usage
 * message. */
int snnrt_option_next(const char *prog, int argc, char **argv, int *i, const struct snnrt_option *opts,
                      int nopts, const char **value);
/* *out = s as a whole number of at least min; else a usage message naming
 * --opt, returning 2. */
int snnrt_count_arg(const char *prog, const char *opt, const char *s, long min, long *out);
/* buf = a then b, or a message and 1 when it does not fit in len. */
int snnrt_path_cat(const char *prog, char *buf, size_t len, const char *a, const char *b);
/* buf = dir/name if that file exists, else dir/name.gz (whose reader names
 * it if it is absent too); NULL after a message when it does not fit. */
const char *snnrt_idx_path(const char *prog, char *buf, size_t len, const char *dir, const char *name);
/* The names of a comma-separated list, each copied into a row of len bytes
 * of store (max rows) and pointed to by out[]; empty names are skipped.
 * Returns their number, or -1 after a message when there are more than
 * max or one does not fit. */
int snnrt_split_list(const char *prog, const char *list, char *store, size_t len, int max, const char **out);

#endif
