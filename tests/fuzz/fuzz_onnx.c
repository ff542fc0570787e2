/* fuzz_onnx.c - libFuzzer target: binary ONNX models through the front end.
 *
 * Takes: any bytes, as the content of a file named model.onnx (binary
 * protobuf; bytes that do not parse and look like text go to the text
 * reader, as for a real file). Gives: a crash report if reading, import,
 * shape inference, unrolling, pruning, autodiff or planning crashes,
 * leaks, reads out of bounds, fails without a message or plans wrongly.
 */
#include "fuzz.h"

FUZZ_TARGET(onnx)
{
    fuzz_front_end("model.onnx", data, size);
    return 0;
}
