/* verify_main.c - one forward and one backward pass of a reference case.
 *
 * Takes: argv[1], a test_data_set folder (input_K.pb in graph-input order),
 * argv[2], a folder for the results. Gives: output_K.pb for every graph
 * output and grad_K.pb for every trainable parameter (named like it),
 * computed with the model's parameters and no update (SPEC section 8).
 * snnc verify compares them with the expected files.
 */
#include <stdio.h>
#include <string.h>

#include "snn_api.h"
#include "snnrt.h"

static int write_tensor(const char *dir, const char *kind, int k, const struct SNN_API(tensor) *t,
                        const char *name, const float *f32)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s_%d.pb", dir, kind, k);
    int dt = t->i64 && !f32 ? SNNRT_DT_INT64 : SNNRT_DT_FLOAT;
    const void *data = f32 ? (const void *)f32 : t->f32 ? (const void *)t->f32 : (const void *)t->i64;
    if (snnrt_tensor_write(path, name, dt, t->dims, t->rank, data, err, sizeof err) != 0) {
        fprintf(stderr, "verify: %s\n", err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TEST_DATA_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    char path[4096], err[512];
    SNN_API(init_params)(SNN_CONST(SEED));
    for (int i = 0; i < SNN_CONST(NUM_INPUTS); i++) {
        const struct SNN_API(tensor) *in = &SNN_API(inputs)[i];
        struct snnrt_tensor t;
        size_t bytes = in->numel * (in->i64 ? sizeof(int64_t) : sizeof(float));
        void *dst = in->i64 ? (void *)in->i64 : (void *)in->f32;
        snprintf(path, sizeof path, "%s/input_%d.pb", argv[1], i);
        if (snnrt_tensor_read(path, &t, dst, bytes, err, sizeof err) != 0) {
            fprintf(stderr, "verify: %s\n", err);
            return 1;
        }
        if (t.numel != in->numel || t.data_type != (in->i64 ? SNNRT_DT_INT64 : SNNRT_DT_FLOAT)) {
            fprintf(stderr, "verify: %s: holds %zu elements of type %d; input '%s' needs %zu of type %d\n",
                    path, t.numel, t.data_type, in->name, in->numel,
                    in->i64 ? SNNRT_DT_INT64 : SNNRT_DT_FLOAT);
            return 1;
        }
    }
    if (SNN_API(forward)() != 0) {
        fprintf(stderr, "verify: %s\n", SNN_API(error)());
        return 1;
    }
    SNN_API(backward)();
    for (int i = 0; i < SNN_CONST(NUM_OUTPUTS); i++)
        if (write_tensor(argv[2], "output", i, &SNN_API(outputs)[i], SNN_API(outputs)[i].name, NULL))
            return 1;
    for (int i = 0, k = 0; i < SNN_CONST(NUM_PARAMS); i++) {
        if (!SNN_API(grads)[i].f32)
            continue;
        if (write_tensor(argv[2], "grad", k++, &SNN_API(params)[i], SNN_API(params)[i].name,
                         SNN_API(grads)[i].f32))
            return 1;
    }
    return 0;
}
