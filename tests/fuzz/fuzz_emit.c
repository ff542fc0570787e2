/* fuzz_emit.c - libFuzzer target: text-format models through the back end.
 *
 * Takes: any bytes, as the content of model.textproto. Gives: a crash
 * report if any model the front end accepts makes emit_sources() (the m4
 * templates expanded into PREFIX.c and PREFIX.h) crash, leak or read out
 * of bounds, fail without a message, or give an empty file. Needs m4 and
 * the templates: SNNC_DATADIR, set by run.sh and by make check. Slower
 * than the other targets (m4 runs once per accepted model), so its seeds
 * are the text corpus's models that compile (corpus/textproto).
 */
#include <string.h>

#include "emit.h"
#include "fuzz.h"
#include "onnx_read.h"
#include "pipeline.h"

FUZZ_TARGET(emit)
{
    struct diag d = {0};
    Onnx__ModelProto *m = onnx_parse_model("model.textproto", data, size, &d);
    if (!m)
        return 0;
    for (int training = 1; training >= 0; training--) {
        struct snnc_options o;
        snnc_options_init(&o);
        o.training = training;
        o.max_arena_bytes = (size_t)64 << 20;
        struct diag d2 = {0};
        struct ir_graph *g = pipeline_run_model("model.textproto", m, &o, &d2);
        if (!g)
            continue;
        struct emit_options eo = {.prefix = "model", .cmdline = "fuzz", .max_samples = 100};
        const char *c = NULL, *h = NULL;
        if (emit_sources(g, &eo, &c, &h, &d2)) {
            if (!c || !h || !*c || !*h)
                fuzz_fail("emit_sources succeeded with an empty file", NULL);
        } else if (!d2.failed || !d2.msg[0]) {
            fuzz_fail("emit_sources failed without a message", NULL);
        }
        ir_graph_free(g);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
    return 0;
}
