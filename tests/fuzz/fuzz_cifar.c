/* fuzz_cifar.c - libFuzzer target: the runtime's CIFAR-10 binary reader.
 *
 * Takes: bytes laid out as [n: 2 bytes, big-endian][first batch file: n
 * bytes][second batch file: the rest]; room for 3 records of 10 classes.
 * Gives: a crash report if snnrt_cifar_load crashes, writes outside its
 * buffers, fails without a message, or succeeds with a count or a label
 * out of range.
 */
#include "fuzz.h"
#include "snnrt.h"

enum { CIFAR_CAP = 3 };


FUZZ_TARGET(cifar)
{
    static uint8_t images[CIFAR_CAP * SNNRT_CIFAR_IMAGE_BYTES], labels[CIFAR_CAP];
    char err[512] = "";
    size_t count = 0;
    const char *paths[2];
    if (!fuzz_two_files(data, size, &paths[0], &paths[1]))
        return 0;
    int rc = snnrt_cifar_load(paths, 2, images, labels, CIFAR_CAP, 10, &count, err, sizeof err);
    fuzz_check_dataset(rc, err, count, CIFAR_CAP, labels, 10);
    return 0;
}
