/* test_main.c - test firmware around snnc's microcontroller code (prefix
 * "model"): runs inferences and prints what they gave, in the same words on
 * the target (hal_semi.c) and on the host (hal_host.c), so that the two
 * outputs can be compared byte for byte.
 *
 * Modes (one of):
 *   default            images embedded by mcu_images.h (MCU_NIMAGES of them,
 *                      mcu_images[][MODEL_INPUT_SIZE], mcu_labels[]); prints
 *                      every prediction
 *   -DMCU_STREAM       reads IDX files (MCU_IMAGES_PATH, MCU_LABELS_PATH;
 *                      uncompressed) image by image, at most MCU_LIMIT
 *   -DMCU_COUNT        marks (hal_mark_begin(), hal_mark_end()) around: nothing
 *                      (to calibrate), set_input and run of the first image,
 *                      then each whole inference of the embedded images
 * Each ends with "correct C of N", a hash of every prediction and spike
 * count ("hash H"), and "result ok"; the status is 0 unless a file failed.
 * Takes: model.h/model.c from snnc --target=cortex-m4. Gives: main().
 * Holds: no libc on the target; no allocation.
 */
#include <stdint.h>

#include "hal.h"
#include "model.h"

#if !defined(MCU_STREAM)
#include "mcu_images.h"
#endif

static char line[160];

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_uint(char *p, uint32_t v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_hex(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; i--)
        *p++ = "0123456789abcdef"[(v >> (4 * i)) & 15u];
    return p;
}

static void end_line(char *p)
{
    *p++ = '\n';
    *p = 0;
    hal_puts(line);
}

/* FNV-1a over the prediction and the counts of each inference. */
static uint32_t hash = 2166136261u;

static void hash_byte(uint32_t b)
{
    hash = (hash ^ (b & 0xffu)) * 16777619u;
}

/* Hashes what an inference gave. */
static void hash_result(int pred)
{
    const uint16_t *c = model_counts();
    hash_byte((uint32_t)pred);
    for (int i = 0; i < MODEL_NUM_COUNTS; i++) {
        hash_byte(c[i]);
        hash_byte((uint32_t)c[i] >> 8);
    }
}

#if !defined(MCU_COUNT)
static int infer(const uint8_t *pixels)
{
    model_set_input_u8(pixels);
    model_run();
    const int pred = model_predict();
    hash_result(pred);
    return pred;
}
#endif

static int finish(uint32_t correct, uint32_t n)
{
    char *p = put_str(line, "correct ");
    p = put_uint(p, correct);
    p = put_str(p, " of ");
    p = put_uint(p, n);
    end_line(p);
    p = put_str(line, "hash ");
    end_line(put_hex(p, hash));
    hal_puts("result ok\n");
    return 0;
}

#if defined(MCU_STREAM)
#ifndef MCU_IMAGES_PATH
#define MCU_IMAGES_PATH "t10k-images-idx3-ubyte"
#endif
#ifndef MCU_LABELS_PATH
#define MCU_LABELS_PATH "t10k-labels-idx1-ubyte"
#endif
#ifndef MCU_LIMIT
#define MCU_LIMIT 10000
#endif

static uint8_t pixels[MODEL_INPUT_SIZE];

static int fail(const char *what)
{
    char *p = put_str(line, "error: ");
    end_line(put_str(p, what));
    return 2;
}

static int read_all(int h, uint8_t *buf, unsigned long n)
{
    while (n) {
        long got = hal_read(h, buf, n);
        if (got <= 0)
            return -1;
        buf += got;
        n -= (unsigned long)got;
    }
    return 0;
}

int main(void)
{
    uint8_t head[16], label;
    const int hi = hal_open(MCU_IMAGES_PATH), hl = hal_open(MCU_LABELS_PATH);
    if (hi < 0 || hl < 0)
        return fail("cannot open " MCU_IMAGES_PATH " or " MCU_LABELS_PATH);
    if (read_all(hi, head, 16) || head[2] != 8 || head[3] != 3 || read_all(hl, head, 8) || head[3] != 1)
        return fail("not IDX image and label files");
    uint32_t n = 0, correct = 0;
    while (n < MCU_LIMIT && read_all(hi, pixels, MODEL_INPUT_SIZE) == 0) {
        if (read_all(hl, &label, 1))
            return fail("fewer labels than images");
        correct += infer(pixels) == label;
        n++;
    }
    hal_close(hi);
    hal_close(hl);
    return finish(correct, n);
}

#elif defined(MCU_COUNT)

int main(void)
{
    hal_mark_begin(); /* calibration: the marks alone */
    hal_mark_end();
    hal_mark_begin(); /* the parts of the first inference: the static input's projection, */
    model_set_input_u8(mcu_images[0]);
    hal_mark_end();
    hal_mark_begin(); /* the T steps */
    model_run();
    hal_mark_end();
    uint32_t correct = 0;
    for (uint32_t i = 0; i < MCU_NIMAGES; i++) {
        hal_mark_begin(); /* each whole inference */
        model_set_input_u8(mcu_images[i]);
        model_run();
        const int pred = model_predict();
        hal_mark_end();
        hash_result(pred);
        correct += pred == mcu_labels[i];
    }
    return finish(correct, MCU_NIMAGES);
}

#else

int main(void)
{
    uint32_t correct = 0;
    char *p = line;
    for (uint32_t i = 0; i < MCU_NIMAGES; i++) {
        const int pred = infer(mcu_images[i]);
        correct += pred == mcu_labels[i];
        if (i % 50 == 0)
            p = put_str(line, "pred");
        *p++ = ' ';
        p = put_uint(p, (uint32_t)pred);
        if (i % 50 == 49 || i + 1 == MCU_NIMAGES)
            end_line(p);
    }
    return finish(correct, MCU_NIMAGES);
}
#endif
