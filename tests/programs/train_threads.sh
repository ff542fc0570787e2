#!/bin/sh
# train_threads.sh - training gives the same bits whatever the number of threads.
#
# The kernels split their outputs among OpenMP threads, and sums only in
# fixed batch groups added in order, so a trainer run with OMP_NUM_THREADS=1
# and 2, and one built without OpenMP at all, must write byte-identical
# checkpoints and predictions. The examples fmnist_fc (a hoisted GEMM layer,
# event-driven spikes as bits), fmnist_ttfs (event-driven input and weight
# gradients) and fmnist_conv (convolutions and pools over batch groups) are
# trained at a smaller T and batch, on generated data, for a few batches.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

gen_idx ok "$tmp/img" "$tmp/lbl" 512
for ex in fmnist_fc fmnist_ttfs fmnist_conv; do
    steps=6 batch=64
    [ "$ex" = fmnist_conv ] && steps=3 batch=32
    build train "$top_srcdir/examples/$ex/model.textproto" "$tmp/$ex" --steps=$steps --batch=$batch
    (unset CFLAGS MAKEFLAGS MFLAGS MAKELEVEL; cd "$tmp/$ex" && cp train train-omp && rm -f train &&
        ${MAKE:-make} -s OMP= && mv train train-serial && mv train-omp train) >"$tmp/make.log" 2>&1 ||
        { cat "$tmp/make.log" >&2; die "building $ex without OpenMP"; }
    for run in 1 2 serial; do
        prog=train threads=$run
        [ "$run" = serial ] && prog=train-serial threads=2
        OMP_NUM_THREADS=$threads "$tmp/$ex/$prog" --train-images "$tmp/img" --train-labels "$tmp/lbl" \
            --test-images "$tmp/img" --test-labels "$tmp/lbl" --test-limit 256 --epochs 2 \
            --out "$tmp/$ex-run$run" --predictions "$tmp/$ex-$run.pred" >"$tmp/$ex-$run.log" 2>&1 ||
            { cat "$tmp/$ex-$run.log" >&2; die "$ex: the trainer failed with $run thread(s)"; }
    done
    for run in 2 serial; do
        cmp "$tmp/$ex-run1/model.onnx" "$tmp/$ex-run$run/model.onnx" ||
            die "$ex: the checkpoint with $run thread(s) differs from the one with 1"
        cmp "$tmp/$ex-1.pred" "$tmp/$ex-$run.pred" ||
            die "$ex: the predictions with $run thread(s) differ from those with 1"
    done
    echo "$ex: identical with 1 and 2 threads and without OpenMP"
done
exit 0
