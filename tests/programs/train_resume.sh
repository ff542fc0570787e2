#!/bin/sh
# train_resume.sh - checkpoints resume exactly, and refuse what is not theirs.
#
# On a small synthetic IDX set: 2 epochs in one run, and 1 epoch then
# --resume for the second, must end with byte-identical model.onnx and
# model.onnx.state, with a constant rate and with the cosine schedule. A
# damaged state, and a state next to a checkpoint it
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

# the cosine schedule is a function of the step: it resumes exactly too,
# and it changes the weights (the rate is not the constant one)
run --epochs 2 --lr-schedule=cosine --out "$tmp/ca" >"$tmp/ca.log" || die "a cosine run failed"
grep -q 'cosine schedule' "$tmp/ca.log" || die "the cosine run does not say its schedule"
run --epochs 1 --lr-schedule=cosine:2 --out "$tmp/cb" >/dev/null || die "the first cosine epoch failed"
run --epochs 2 --lr-schedule=cosine --out "$tmp/cb" --resume "$tmp/cb/model.onnx" >/dev/null ||
    die "resuming the cosine run failed"
cmp "$tmp/ca/model.onnx" "$tmp/cb/model.onnx" || die "a resumed cosine run differs from an uninterrupted one"
cmp -s "$tmp/ca/model.onnx" "$tmp/a/model.onnx" && die "the cosine schedule left the weights of a constant rate"
run --lr-schedule=linear --out "$tmp/c" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "expected constant, cosine or cosine:N" "$tmp/err" || die "an unknown schedule was not refused"
run --lr-schedule=cosine:0 --out "$tmp/c" >/dev/null 2>&1
[ $? -eq 2 ] || die "a cosine schedule of 0 epochs was not refused"

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
