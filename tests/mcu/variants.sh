#!/bin/sh
# The microcontroller back end's other paths (tests/mcu/variant_*.textproto:
# zero and none resets, learned per-neuron beta and threshold, 16-bit spike
# indices, MatMul, Gemm alpha/beta and transB=0, odd widths, first_spike,
# membrane_sum and membrane_max readouts), each trained for a moment, emitted
# as int8 and as float code, run under QEMU on a hundred test images and
# compared bit for bit with the same code built for this machine.
# Skips (77) without the cross tools, QEMU, the data set or the trainer.
set -u
: "${top_srcdir:?}" "${SNNC:?}"
. "$top_srcdir/tests/mcu/lib.sh"
mcu_have_tools || { echo "SKIP: arm-none-eabi-gcc or qemu-system-arm missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mcu_dataset "$tmp" || { echo "SKIP: no Fashion-MNIST test set in $MCU_DATA_DIR"; exit 77; }
mcu_embed "$tmp" 100 "$tmp" || { echo "FAIL: embedding images"; exit 1; }
fail=0
for spec in a:first_spike b:membrane_sum b:membrane_max; do
    v=${spec%%:*} rule=${spec#*:} name="$v-$rule"
    sed "s/s: \"membrane_sum\"/s: \"$rule\"/" "$top_srcdir/tests/mcu/variant_$v.textproto" >"$tmp/$name.textproto"
    "$SNNC" emit --program=train "$tmp/$name.textproto" -o "$tmp/$name.train" 2>"$tmp/err" ||
        { echo "SKIP: no trainer ($(cat "$tmp/err"))"; exit 77; }
    make -s -C "$tmp/$name.train" >/dev/null 2>&1 || { echo "SKIP: the trainer does not build"; exit 77; }
    "$tmp/$name.train/train" --data-dir "$MCU_DATA_DIR" --epochs 1 --train-limit 3000 --test-limit 500 \
        --out "$tmp/$name.ckpt" >/dev/null || { echo "FAIL: $name: training"; fail=1; continue; }
    for q in int8 float; do
        d="$tmp/$name.$q" opt="--quantize=$q" cpu="$MCU_M4"
        [ "$q" = float ] && opt="" cpu="$MCU_M4F"
        # shellcheck disable=SC2086
        "$SNNC" emit --target=cortex-m4 $opt "$tmp/$name.ckpt/model.onnx" -o "$d" 2>"$tmp/err" ||
            { echo "FAIL: $name $q: emit: $(cat "$tmp/err")"; fail=1; continue; }
        mcu_firmware "$d/fw.elf" "$d" "$cpu" -I"$tmp" -Wl,--defsym=FLASH_SIZE=4M || { echo "FAIL: $name $q: firmware"; fail=1; continue; }
        mcu_host "$d/host" "$d" -I"$tmp" -ffp-contract=off || { echo "FAIL: $name $q: host build"; fail=1; continue; }
        mcu_qemu "$d/fw.elf" >"$d/target.out" 2>&1
        rc=$?
        "$d/host" >"$d/host.out"
        if [ "$rc" != 0 ] || ! grep -qx 'result ok' "$d/target.out"; then
            echo "FAIL: $name $q: QEMU status $rc"; head -n 5 "$d/target.out"; fail=1
        elif ! cmp -s "$d/target.out" "$d/host.out"; then
            echo "FAIL: $name $q: target and host differ"; diff "$d/host.out" "$d/target.out" | head; fail=1
        else
            echo "ok: $name $q: $(sed -n 's/^correct //p' "$d/target.out") right, target = host"
        fi
    done
    # int8 stays close to float (loose: 100 images of a network trained for a moment)
    c8=$(sed -n 's/^correct \([0-9]*\) of.*/\1/p' "$tmp/$name.int8/host.out")
    cf=$(sed -n 's/^correct \([0-9]*\) of.*/\1/p' "$tmp/$name.float/host.out")
    if [ -n "$c8" ] && [ -n "$cf" ] && [ $((c8 - cf)) -ge -8 ] && [ $((c8 - cf)) -le 8 ]; then :; else
        echo "FAIL: $name: int8 $c8 vs float $cf of 100"; fail=1
    fi
done
exit $fail
