/* fuzz_textproto.c - libFuzzer target: text-format models through the front end.
 *
 * Takes: any bytes, as the content of model.textproto. Gives: a crash
 * report if the text reader or any pass up to planning misbehaves (see
 * fuzz_onnx.c). textproto.dict gives the fuzzer the grammar's words.
 */
#include "fuzz.h"

FUZZ_TARGET(textproto)
{
    fuzz_front_end("model.textproto", data, size);
    return 0;
}
