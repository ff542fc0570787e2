/* fuzz_idx.c - libFuzzer target: the runtime's IDX (MNIST) reader.
 *
 * Takes: bytes laid out as [n: 2 bytes, big-endian][image file: n bytes]
 * [label file: the rest]; either file may be gzip-compressed, as the
 * reader accepts. The model takes 2x2 images of 10 classes, 64 at most.
 * Gives: a crash report if snnrt_idx_load crashes, writes outside its
 * buffers, fails without a message, or succeeds with a count or a label
 * out of range.
 */
#include <string.h>

#include "fuzz.h"
#include "snnrt.h"

enum { IDX_CAP = 64, IDX_ITEM = 4 };


FUZZ_TARGET(idx)
{
    static uint8_t images[IDX_CAP * IDX_ITEM], labels[IDX_CAP];
    char err[512] = "";
    size_t count = 0;
    if (size < 2)
        return 0;
    size_t n = (size_t)data[0] << 8 | data[1];
    if (n > size - 2)
        n = size - 2;
    const char *img = fuzz_file(0, data + 2, n);
    const char *lbl = fuzz_file(1, data + 2 + n, size - 2 - n);
    if (snnrt_idx_load(img, lbl, images, labels, IDX_CAP, IDX_ITEM, 10, &count, err,
                       sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n'))
            fuzz_fail("no one-line message", err);
        return 0;
    }
    if (count == 0 || count > IDX_CAP)
        fuzz_fail("a count out of range", NULL);
    for (size_t i = 0; i < count; i++)
        if (labels[i] >= 10)
            fuzz_fail("a label out of range", NULL);
    return 0;
}
