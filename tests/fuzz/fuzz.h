/* fuzz.h - what the libFuzzer targets of tests/fuzz share.
 *
 * Takes: a fuzz input (bytes). Gives: fuzz_file(), which puts the bytes in
 * a private temporary file for the runtime readers (they take paths), and
 * fuzz_front_end(), which runs the compiler's front end and every pass up
 * to the memory plan on a model held in memory, both for training and for
 * inference.
 * Holds: a target aborts (and libFuzzer reports a crash) when a reader
 * fails without a message, or succeeds with results that break its
 * contract; the sanitizers catch the rest. Everything is freed before the
 * target returns, so LeakSanitizer sees leaks too.
 */
#ifndef SNNC_TESTS_FUZZ_FUZZ_H
#define SNNC_TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each target is one function. For libFuzzer it is LLVMFuzzerTestOneInput;
 * built with -DFUZZ_REPLAY (tests/regress/replay.c) every target links into
 * one program under its own name, fuzz_TARGET, to replay saved inputs in
 * `make check` with the build's own compiler and sanitizers. */
#ifdef FUZZ_REPLAY
#define FUZZ_TARGET(name) int fuzz_##name(const uint8_t *data, size_t size)
FUZZ_TARGET(onnx);
FUZZ_TARGET(textproto);
FUZZ_TARGET(tensor);
FUZZ_TARGET(ckpt);
FUZZ_TARGET(idx);
FUZZ_TARGET(cifar);
FUZZ_TARGET(emit);
#else
#define FUZZ_TARGET(name) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
FUZZ_TARGET(any);
#endif

/* Writes data to temporary file number slot (0..3) and returns its path;
 * the files are removed at exit. */
const char *fuzz_file(int slot, const void *data, size_t size);

/* The front end on a model file's bytes, read as the file `name` would be
 * (its suffix picks binary or text). */
void fuzz_front_end(const char *name, const uint8_t *data, size_t size);

/* Aborts with a message: a contract broken, which libFuzzer reports. */
void fuzz_fail(const char *what, const char *detail);

/* Splits an input laid out as [n: 2 bytes, big-endian][n bytes][the rest]
 * into temporary files 0 and 1; false when it is too short for the length. */
bool fuzz_two_files(const uint8_t *data, size_t size, const char **first, const char **second);

/* The contract of a dataset reader that returned rc: a failure says why in
 * one line; a success loaded 1..cap records whose labels are below classes. */
void fuzz_check_dataset(int rc, const char *err, size_t count, size_t cap, const uint8_t *labels,
                        int classes);

#endif
