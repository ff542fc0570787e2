/* fuzz_tensor.c - libFuzzer target: the runtime's TensorProto reader.
 *
 * Takes: any bytes, as a TensorProto file (test_data_set_0/input_0.pb).
 * Gives: a crash report if snnrt_tensor_read crashes, reads or writes out
 * of bounds, fails without a message, or succeeds with a tensor that does
 * not fit the buffer it was given.
 */
#include <string.h>

#include "fuzz.h"
#include "snnrt.h"

FUZZ_TARGET(tensor)
{
    static unsigned char buf[4096];
    struct snnrt_tensor t;
    char err[512] = "";
    const char *path = fuzz_file(0, data, size);
    /* an odd capacity: no whole number of elements fills it */
    if (snnrt_tensor_read(path, &t, buf, sizeof buf - 3, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n'))
            fuzz_fail("no one-line message", err);
        return 0;
    }
    size_t es = t.data_type == SNNRT_DT_INT64 ? 8 : 4;
    if (t.rank < 0 || t.rank > SNNRT_MAX_RANK || t.numel > (sizeof buf - 3) / es ||
        memchr(t.name, 0, sizeof t.name) == NULL)
        fuzz_fail("a tensor that breaks the contract", t.name);
    size_t n = 1;
    for (int i = 0; i < t.rank; i++)
        n *= (size_t)t.dims[i];
    if (n != t.numel)
        fuzz_fail("numel is not the product of dims", t.name);
    return 0;
}
