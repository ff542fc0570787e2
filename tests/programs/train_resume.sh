#!/bin/sh
# train_resume.sh - checkpoints resume exactly, and refuse what is not theirs.
#
# On a small synthetic IDX set: 2 epochs in one run, and 1 epoch then
# --resume for the second, must end with byte-identical model.onnx and
# model.onnx.state. A damaged state, and a state next to a checkpoint it
# was not written with, must be refused with a message naming it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

gen_idx ok "$tmp/train-img" "$tmp/train-lbl" 640
gen_idx ok "$tmp/test-img" "$tmp/test-lbl" 100
build train "$here/small_fc.textproto" "$tmp/train"
run() {
    "$tmp/train/train" --train-images "$tmp/train-img" --train-labels "$tmp/train-lbl" \
        --test-images "$tmp/test-img" --test-labels "$tmp/test-lbl" --seed 3 "$@"
}

run --epochs 2 --out "$tmp/a" >"$tmp/a.log" || die "2 epochs in one run failed"
run --epochs 1 --out "$tmp/b" >"$tmp/b1.log" || die "the first epoch failed"
cp "$tmp/b/model.onnx" "$tmp/one.onnx"
run --epochs 2 --out "$tmp/b" --resume "$tmp/b/model.onnx" >"$tmp/b2.log" || die "resuming failed"
cat "$tmp/a.log" "$tmp/b1.log" "$tmp/b2.log"
grep -q '^resuming .* at epoch 2/2' "$tmp/b2.log" || die "the resumed run did not start at epoch 2"
cmp "$tmp/a/model.onnx" "$tmp/b/model.onnx" || die "resumed weights differ from an uninterrupted run"
cmp "$tmp/a/model.onnx.state" "$tmp/b/model.onnx.state" || die "resumed optimizer state differs"
[ "$(cut -d, -f1 "$tmp/b/metrics.csv" | tr '\n' ' ')" = "epoch 1 2 " ] ||
    die "the resumed run did not append to metrics.csv"

# refused WORDS OPTION...: the trainer exits 1 with a message holding WORDS.
refused() {
    words=$1
    shift
    run "$@" >/dev/null 2>"$tmp/err"
    status=$?
    if [ "$status" -ne 1 ] || ! grep -qF -- "$words" "$tmp/err"; then
        cat "$tmp/err" >&2
        die "train $*: exit $status; expected 1 and a message with '$words'"
    fi
}
# a state written after another epoch than the checkpoint beside it
cp "$tmp/a/model.onnx.state" "$tmp/one.onnx.state"
refused "one.onnx.state: does not belong to the checkpoint" --epochs 3 --out "$tmp/c" \
    --resume "$tmp/one.onnx"
# a truncated state
head -c 5000 "$tmp/a/model.onnx.state" >"$tmp/a/cut.onnx.state"
cp "$tmp/a/model.onnx" "$tmp/a/cut.onnx"
refused "cut.onnx.state: truncated" --epochs 3 --out "$tmp/c" --resume "$tmp/a/cut.onnx"
# no checkpoint at all
refused "missing.onnx" --epochs 3 --out "$tmp/c" --resume "$tmp/a/missing.onnx"
exit 0
