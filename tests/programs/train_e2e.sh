#!/bin/sh
# train_e2e.sh - the emitted trainer learns Fashion-MNIST, and the emitted
# inference program agrees with it.
#
# small_fc (784-64-10 Leaky, T = 8) trains for 2 epochs on the first 6000
# training images and is tested on the first 1000 test images: the test
# accuracy must be far above chance (>= 0.6). The checkpoint it writes is
# compiled again with --program=infer, which must predict exactly the
# classes the trainer's final evaluation predicted. Skipped without the
# dataset.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

ls "$FMNIST"/train-images-idx3-ubyte* >/dev/null 2>&1 || skip "no Fashion-MNIST in $FMNIST"

build train "$here/small_fc.textproto" "$tmp/train"
"$tmp/train/train" --data-dir "$FMNIST" --train-limit 6000 --test-limit 1000 --epochs 2 \
    --out "$tmp/run" --predictions "$tmp/train.pred" --record-raster "$tmp/raster.csv" \
    >"$tmp/train.log" 2>"$tmp/train.err" || { cat "$tmp/train.err" >&2; die "the trainer failed"; }
cat "$tmp/train.log"
[ -s "$tmp/train.err" ] && { cat "$tmp/train.err" >&2; die "the trainer wrote to stderr"; }

# one plain line per epoch, the accuracy far above chance
[ "$(grep -c '^epoch [12]/2  train loss [0-9.]*  train acc [0-9.]*  test acc [0-9.]*  [0-9]* samples/s  [0-9.]* s$' "$tmp/train.log")" = 2 ] ||
    die "the trainer's epoch lines are not as documented"
acc=$(sed -n 's/^epoch 2\/2 .* test acc \([0-9.]*\) .*/\1/p' "$tmp/train.log")
awk -v a="$acc" 'BEGIN { exit !(a >= 0.6) }' || die "test accuracy '$acc' is below 0.6"

# the files it promised
[ -s "$tmp/run/model.onnx" ] && [ -s "$tmp/run/model.onnx.state" ] || die "no checkpoint"
[ "$(sed -n 1p "$tmp/run/metrics.csv")" = "epoch,train_loss,train_acc,test_acc,samples_per_s,seconds" ] ||
    die "metrics.csv has no header"
[ "$(wc -l <"$tmp/run/metrics.csv")" -eq 3 ] || die "metrics.csv does not have one line per epoch"
[ "$(wc -l <"$tmp/train.pred")" -eq 1000 ] || die "the trainer's predictions are not 1000 lines"
[ "$(sed -n 1p "$tmp/raster.csv")" = "t,layer,neuron,value" ] || die "raster.csv has no header"
[ "$(grep -c '^[0-7],spk2,[0-9],' "$tmp/raster.csv")" -eq 80 ] ||
    die "raster.csv does not hold T x 10 values of spk2"

# the checkpoint is an ONNX model; inference on it agrees with the trainer
build infer "$tmp/run/model.onnx" "$tmp/infer"
"$tmp/infer/infer" --data-dir "$FMNIST" --limit 1000 --predictions "$tmp/infer.pred" \
    >"$tmp/infer.log" || die "the inference program failed"
cat "$tmp/infer.log"
cmp "$tmp/train.pred" "$tmp/infer.pred" || die "inference predicts other classes than the trainer"
correct=$(awk -v a="$acc" 'BEGIN { printf "%d", a * 1000 + 0.5 }')
grep -q "^test acc $acc ($correct/1000)$" "$tmp/infer.log" || die "inference accuracy is not $acc"
exit 0
