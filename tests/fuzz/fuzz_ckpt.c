/* fuzz_ckpt.c - libFuzzer target: loading a checkpoint's parameters.
 *
 * Takes: any bytes, as a checkpoint model.onnx of the fc_membrane_ce
 * reference case (parameters fc1.weight [32,20], fc1.bias [32], fc2.weight
 * [6,32], fc2.bias [6]; the seeds are that model as written by onnx and by
 * snnrt_model_write). Gives: a crash report if snnrt_model_load_params
 * crashes, touches memory outside the parameters, or fails without a
 * message.
 */
#include <string.h>

#include "fuzz.h"
#include "snnrt.h"

FUZZ_TARGET(ckpt)
{
    static float w1[32 * 20], b1[32], w2[6 * 32], b2[6];
    static const struct snnrt_param params[] = {
        {"fc1.weight", w1, 2, {32, 20}, 32 * 20},
        {"fc1.bias", b1, 1, {32}, 32},
        {"fc2.weight", w2, 2, {6, 32}, 6 * 32},
        {"fc2.bias", b2, 1, {6}, 6},
    };
    char err[512] = "";
    const char *path = fuzz_file(0, data, size);
    if (snnrt_model_load_params(path, params, 4, err, sizeof err) != 0 &&
        (!err[0] || strchr(err, '\n')))
        fuzz_fail("no one-line message", err);
    return 0;
}
