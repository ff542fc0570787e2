#!/bin/sh
# kill_save.sh - a trainer killed at any moment never loses its checkpoint.
#
# small_fc trains on one batch per epoch, so saving the checkpoint
# (model.onnx and model.onnx.state, every epoch) is most of its time. It is
# started KILL_RUNS times (default 30), each time resuming the checkpoint
# left by the run before, and killed with SIGKILL after a random delay.
# After every kill, once a checkpoint exists: model.onnx must be a whole
# ONNX model (`snnc show` reads it), the trainer must accept it for
# --resume (its state, or the state kept from before the interrupted save,
# must match it), and its epoch must never go back. Last, a state whose
# header was altered must be refused as damaged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

runs=${KILL_RUNS:-30}
gen_idx ok "$tmp/img" "$tmp/lbl" 32
build train "$here/small_fc.textproto" "$tmp/train"
out=$tmp/out
data="--train-images $tmp/img --train-labels $tmp/lbl --test-images $tmp/img --test-labels $tmp/lbl"
last=0 mid=0 i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    resume=""
    [ -f "$out/model.onnx" ] && resume="--resume $out/model.onnx"
    # shellcheck disable=SC2086
    "$tmp/train/train" $data --epochs 1000000 --out "$out" $resume >"$tmp/run.log" 2>&1 &
    pid=$!
    r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    sleep "$(awk -v r="$r" 'BEGIN { printf "%.3f", 0.05 + (r % 500) / 1000 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    ls "$out"/*.tmp >/dev/null 2>&1 && mid=$((mid + 1)) # killed inside a save
    if [ ! -f "$out/model.onnx" ]; then
        [ "$last" = 0 ] || die "run $i: the checkpoint of epoch $last is gone"
        continue
    fi
    "$SNNC" show "$out/model.onnx" >"$tmp/show.log" 2>&1 ||
        { cat "$tmp/show.log" >&2; die "run $i: snnc cannot read the checkpoint"; }
    # shellcheck disable=SC2086
    "$tmp/train/train" $data --epochs 1 --out "$tmp/check" --resume "$out/model.onnx" \
        >"$tmp/check.log" 2>&1 ||
        { cat "$tmp/check.log" >&2; die "run $i: the trainer refuses the checkpoint for --resume"; }
    epoch=$(sed -n 's/.* has \([0-9]*\) of 1 epochs already.*/\1/p' "$tmp/check.log")
    [ -n "$epoch" ] || { cat "$tmp/check.log" >&2; die "run $i: no epoch count from --resume"; }
    [ "$epoch" -ge "$last" ] || die "run $i: the checkpoint went back from epoch $last to $epoch"
    last=$epoch
done
[ "$last" -gt 0 ] || die "no checkpoint was ever written in $runs runs"

# a state whose header was altered (its step count) is refused, not trusted
mkdir "$tmp/bad" && cp "$out/model.onnx" "$out/model.onnx.state" "$tmp/bad/" || die "cp"
sed 's/^steps \([0-9]*\)$/steps 1\1/' "$out/model.onnx.state" >"$tmp/bad/model.onnx.state"
cmp -s "$out/model.onnx.state" "$tmp/bad/model.onnx.state" && die "sed did not alter the state"
# shellcheck disable=SC2086
"$tmp/train/train" $data --epochs 1 --out "$tmp/check" --resume "$tmp/bad/model.onnx" \
    >"$tmp/check.log" 2>&1 && die "the trainer resumed from an altered state"
grep -q "model.onnx.state: damaged: checksum mismatch" "$tmp/check.log" ||
    { cat "$tmp/check.log" >&2; die "an altered state was not reported as damaged"; }
echo "$runs kills, $mid inside a save; the checkpoint reached epoch $last and always loaded"
exit 0
