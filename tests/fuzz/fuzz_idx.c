/* fuzz_idx.c - libFuzzer target: the runtime's IDX (MNIST) reader.
 *
 * Takes: bytes laid out as [n: 2 bytes, big-endian][image file: n bytes]
 * [label file: the rest]; either file may be gzip-compressed, as the
 * reader accepts. The model takes 2x2 images of 10 classes, 64 at most.
 * Gives: a crash report if snnrt_idx_load crashes, writes outside its
 * buffers, fails without a message, or succeeds with a count or a label
 * out of range.
 */
#include "fuzz.h"
#include "snnrt.h"

enum { IDX_CAP = 64, IDX_ITEM = 4 };


FUZZ_TARGET(idx)
{
    static uint8_t images[IDX_CAP * IDX_ITEM], labels[IDX_CAP];
    char err[512] = "";
    size_t count = 0;
    const char *img, *lbl;
    if (!fuzz_two_files(data, size, &img, &lbl))
        return 0;
    int rc = snnrt_idx_load(img, lbl, images, labels, IDX_CAP, IDX_ITEM, 10, &count, err, sizeof err);
    fuzz_check_dataset(rc, err, count, IDX_CAP, labels, 10);
    return 0;
}
