#!/bin/sh
# examples/cifar10_conv trains on files in CIFAR-10's binary format (the
# dataset itself cannot be had here): two data_batch files and a test_batch
# of synthetic, learnable images, T and batch made small for the test. It
# must learn them far above chance, and the inference program built from
# the checkpoint must agree with the trainer's predictions.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

${CC:-cc} -std=c99 -O2 -o "$tmp/gen_cifar" "$here/gen_cifar.c" || die "cannot compile gen_cifar.c"
mkdir -p "$tmp/cifar"
"$tmp/gen_cifar" "$tmp/cifar/data_batch_1.bin" 160 1 || die "gen_cifar"
"$tmp/gen_cifar" "$tmp/cifar/data_batch_2.bin" 160 2 || die "gen_cifar"
"$tmp/gen_cifar" "$tmp/cifar/test_batch.bin" 200 3 || die "gen_cifar"

model="$top_srcdir/examples/cifar10_conv/model.textproto"
build train "$model" "$tmp/train" --steps 3 --batch 32 --max-samples 1000
"$tmp/train/train" --format cifar --train-files "$tmp/cifar/data_batch_1.bin,$tmp/cifar/data_batch_2.bin" \
    --test-files "$tmp/cifar/test_batch.bin" --epochs 1 --lr 0.01 --out "$tmp/run" \
    --predictions "$tmp/train.pred" >"$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; die "training"; }
cat "$tmp/train.log"
acc=$(sed -n 's/.*test acc \([0-9.]*\).*/\1/p' "$tmp/train.log" | tail -n 1)
awk -v a="$acc" 'BEGIN { exit !(a >= 0.5) }' || die "test accuracy $acc on separable synthetic CIFAR data"

build infer "$tmp/run/model.onnx" "$tmp/infer" --steps 3 --batch 32
"$tmp/infer/infer" --format cifar --test-files "$tmp/cifar/test_batch.bin" --predictions "$tmp/infer.pred" \
    >"$tmp/infer.log" 2>&1 || { cat "$tmp/infer.log"; die "inference"; }
cmp -s "$tmp/train.pred" "$tmp/infer.pred" || die "inference predictions differ from the trainer's"
echo "ok: cifar10_conv learns CIFAR-format data ($acc) and inference agrees"
