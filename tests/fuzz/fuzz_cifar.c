/* fuzz_cifar.c - libFuzzer target: the runtime's CIFAR-10 binary reader.
 *
 * Takes: bytes laid out as [n: 2 bytes, big-endian][first batch file: n
 * bytes][second batch file: the rest]; room for 3 records of 10 classes.
 * Gives: a crash report if snnrt_cifar_load crashes, writes outside its
 * buffers, fails without a message, or succeeds with a count or a label
 * out of range.
 */
#include <string.h>

#include "fuzz.h"
#include "snnrt.h"

enum { CIFAR_CAP = 3 };


FUZZ_TARGET(cifar)
{
    static uint8_t images[CIFAR_CAP * SNNRT_CIFAR_IMAGE_BYTES], labels[CIFAR_CAP];
    char err[512] = "";
    size_t count = 0;
    if (size < 2)
        return 0;
    size_t n = (size_t)data[0] << 8 | data[1];
    if (n > size - 2)
        n = size - 2;
    const char *paths[2] = {fuzz_file(0, data + 2, n), fuzz_file(1, data + 2 + n, size - 2 - n)};
    if (snnrt_cifar_load(paths, 2, images, labels, CIFAR_CAP, 10, &count, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n'))
            fuzz_fail("no one-line message", err);
        return 0;
    }
    if (count == 0 || count > CIFAR_CAP)
        fuzz_fail("a count out of range", NULL);
    for (size_t i = 0; i < count; i++)
        if (labels[i] >= 10)
            fuzz_fail("a label out of range", NULL);
    return 0;
}
