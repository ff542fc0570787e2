#!/bin/sh
# train_sanitized.sh - the emitted trainer and inference program run clean
# under AddressSanitizer and UndefinedBehaviorSanitizer.
#
# small_fc's trainer is built from its generated Makefile with
# -fsanitize=address,undefined added to CC (any report aborts), trains
# 2 epochs of 3 batches on generated IDX data, resumes for a third, and
# the inference program built the same way reads the checkpoint and
# predicts. No sanitizer may report anything, leaks included. Skipped when
# the C compiler cannot build with the sanitizers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

# In the sanitizer pass every program test builds its C with the sanitizers
# already (CC holds them); this test is for the plain pass.
case "${CC:-}" in *-fsanitize*) skip "a sanitizer build: every program test runs sanitized" ;; esac

san="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all"
printf 'int main(void) { return 0; }\n' >"$tmp/probe.c"
# shellcheck disable=SC2086
${CC:-cc} $san -o "$tmp/probe" "$tmp/probe.c" 2>/dev/null && "$tmp/probe" ||
    skip "${CC:-cc} cannot build with -fsanitize=address,undefined"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

# sanbuild KIND MODEL DIR: common.sh's build, with the sanitizers in CC
sanbuild() {
    CC="${CC:-cc} $san" build "$@"
}
# clean LOG: the program's stderr holds no sanitizer report
clean() {
    if grep -q -e 'runtime error' -e 'Sanitizer' -e 'ERROR:' "$1"; then
        cat "$1" >&2
        die "a sanitizer reported the above"
    fi
}

gen_idx ok "$tmp/img" "$tmp/lbl" 96
gen_idx ok "$tmp/timg" "$tmp/tlbl" 40
sanbuild train "$here/small_fc.textproto" "$tmp/train"
data="--train-images $tmp/img --train-labels $tmp/lbl --test-images $tmp/timg --test-labels $tmp/tlbl"
# shellcheck disable=SC2086
"$tmp/train/train" $data --epochs 2 --out "$tmp/run" >"$tmp/a.log" 2>"$tmp/a.err" ||
    { cat "$tmp/a.err" >&2; die "the sanitized trainer failed"; }
clean "$tmp/a.err"
# shellcheck disable=SC2086
"$tmp/train/train" $data --epochs 3 --out "$tmp/run" --resume "$tmp/run/model.onnx" \
    --predictions "$tmp/train.pred" --record-raster "$tmp/raster.csv" >"$tmp/b.log" 2>"$tmp/b.err" ||
    { cat "$tmp/b.err" >&2; die "the sanitized trainer failed to resume"; }
clean "$tmp/b.err"
cat "$tmp/a.log" "$tmp/b.log"
grep -q '^epoch 3/3 ' "$tmp/b.log" || die "the resumed run did not train epoch 3"

sanbuild infer "$tmp/run/model.onnx" "$tmp/infer"
"$tmp/infer/infer" --test-images "$tmp/timg" --test-labels "$tmp/tlbl" \
    --predictions "$tmp/infer.pred" >"$tmp/i.log" 2>"$tmp/i.err" ||
    { cat "$tmp/i.err" >&2; die "the sanitized inference program failed"; }
clean "$tmp/i.err"
cat "$tmp/i.log"
cmp "$tmp/train.pred" "$tmp/infer.pred" || die "inference predicts other classes than the trainer"
exit 0
