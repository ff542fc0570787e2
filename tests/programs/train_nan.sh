#!/bin/sh
# train_nan.sh - a training run that diverges stops at the step that did it.
#
# small_mem (a membrane loss) with a learning rate of 1e36 sends its loss
# to infinity in the second batch; small_fc (a spike-count loss, which
# stays finite) with 1e38 overflows its weights in the first optimizer
# step. Each trainer must exit 1 with one line on stderr that names the
# epoch and batch (and the parameter), before any checkpoint is written.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

gen_idx ok "$tmp/img" "$tmp/lbl" 128
# diverges MODEL LR WORDS: training MODEL with --lr LR fails with WORDS
diverges() {
    build train "$here/$1.textproto" "$tmp/$1"
    "$tmp/$1/train" --train-images "$tmp/img" --train-labels "$tmp/lbl" --test-images "$tmp/img" \
        --test-labels "$tmp/lbl" --epochs 3 --lr "$2" --out "$tmp/out-$1" >"$tmp/log" 2>"$tmp/err"
    rc=$?
    cat "$tmp/log" "$tmp/err"
    [ "$rc" = 1 ] || die "$1 with --lr $2 exited $rc; expected 1"
    [ "$(wc -l <"$tmp/err")" = 1 ] || die "$1 with --lr $2: expected one line on stderr"
    grep -q "^train: $3; training diverged (try a lower --lr than $2)\$" "$tmp/err" ||
        die "$1 with --lr $2: the message does not say '$3'"
    [ ! -e "$tmp/out-$1/model.onnx" ] || die "$1: a checkpoint of diverged weights was written"
}
diverges small_mem 1e+36 "the loss is infinite at epoch 1, batch 2 of 4"
diverges small_fc 1e+38 \
    "parameter 'fc1.weight' became infinite at index 0 in the optimizer step of epoch 1, batch 1 of 4"
exit 0
