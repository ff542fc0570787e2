#!/bin/sh
# infer_batch1.sh - inference one image at a time predicts what it predicts
# in batches, and what the trainer predicted.
#
# A batch of one reads only the nonzero pixels of its image (the other
# terms of the sums would leave them as they are), so its sums are the
# batch kernels' sums, bit for bit: the predictions of small_fc compiled
# for batches of 1, 3 and 32 must be identical to the trainer's.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

gen_idx ok "$tmp/img" "$tmp/lbl" 300
build train "$here/small_fc.textproto" "$tmp/train"
"$tmp/train/train" --train-images "$tmp/img" --train-labels "$tmp/lbl" --test-images "$tmp/img" \
    --test-labels "$tmp/lbl" --out "$tmp/run" --predictions "$tmp/train.pred" >"$tmp/train.log" 2>&1 ||
    { cat "$tmp/train.log" >&2; die "the trainer failed"; }
for n in 1 3 32; do
    build infer "$tmp/run/model.onnx" "$tmp/infer$n" --batch=$n
    OMP_NUM_THREADS=2 "$tmp/infer$n/infer" --test-images "$tmp/img" --test-labels "$tmp/lbl" \
        --predictions "$tmp/infer$n.pred" >"$tmp/infer$n.log" 2>&1 ||
        { cat "$tmp/infer$n.log" >&2; die "inference with batch $n failed"; }
    cmp "$tmp/train.pred" "$tmp/infer$n.pred" || die "inference with batch $n predicts other classes"
done
# keeping only the prediction drops the raster outputs from the program and
# changes nothing else
build infer "$tmp/run/model.onnx" "$tmp/inferp" --batch=32 --outputs=pred
grep -q '"spk2"' "$tmp/inferp/model.c" && die "--outputs=pred left the spk2 output in the API"
grep -q '"spk2"' "$tmp/infer32/model.c" || die "the spk2 output is missing without --outputs"
OMP_NUM_THREADS=2 "$tmp/inferp/infer" --test-images "$tmp/img" --test-labels "$tmp/lbl" \
    --predictions "$tmp/inferp.pred" >"$tmp/inferp.log" 2>&1 ||
    { cat "$tmp/inferp.log" >&2; die "inference with --outputs=pred failed"; }
cmp "$tmp/train.pred" "$tmp/inferp.pred" || die "inference with --outputs=pred predicts other classes"
echo "batches of 1, 3 and 32, and --outputs=pred, predict as the trainer did"
exit 0
