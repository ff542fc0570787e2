#!/bin/sh
# The int8 Cortex-M4 code of examples/mcu_fmnist runs on an emulated
# Cortex-M4 (QEMU mps2-an386) over the first few hundred Fashion-MNIST test
# images, embedded in the firmware, and gives bit for bit what the same code
# built for this machine gives: every prediction and every output spike
# count. The test checks QEMU's exit status and the firmware's result line.
# Skips (77) without arm-none-eabi-gcc, qemu-system-arm or the data set.
set -u
: "${top_srcdir:?}" "${SNNC:?}"
. "$top_srcdir/tests/mcu/lib.sh"
N=${MCU_TEST_IMAGES:-300}
mcu_have_tools || { echo "SKIP: arm-none-eabi-gcc or qemu-system-arm missing (scripts/setup-deps installs them)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mcu_dataset "$tmp" || { echo "SKIP: no Fashion-MNIST test set in $MCU_DATA_DIR"; exit 77; }
model="$top_srcdir/examples/mcu_fmnist/trained.onnx"
fail() { echo "FAIL: $*"; exit 1; }

"$SNNC" emit --target=cortex-m4 --quantize=int8 "$model" -o "$tmp/q8" 2>"$tmp/emit.log" ||
    { cat "$tmp/emit.log"; fail "snnc emit --target=cortex-m4 --quantize=int8"; }
grep -q 'flash [0-9]* bytes' "$tmp/emit.log" || fail "snnc printed no footprint: $(cat "$tmp/emit.log")"
grep -q '^ \* Footprint on cortex-m4' "$tmp/q8/model.c" || fail "no footprint in model.c's header comment"
mcu_embed "$tmp" "$N" "$tmp" || fail "cannot embed $N test images"

# target: no libc (-nostdlib), the recipe's warnings as errors
mcu_firmware "$tmp/fw.elf" "$tmp/q8" "$MCU_M4" -Wl,--defsym=FLASH_SIZE=4M || fail "firmware build"
mcu_qemu "$tmp/fw.elf" >"$tmp/target.out" 2>"$tmp/qemu.err"
rc=$?
[ "$rc" = 0 ] || { cat "$tmp/target.out" "$tmp/qemu.err"; fail "QEMU exited with $rc"; }
grep -qx 'result ok' "$tmp/target.out" || { cat "$tmp/target.out"; fail "no 'result ok' line from the target"; }
grep -qx "correct [0-9]* of $N" "$tmp/target.out" || fail "the target did not run $N images"

# host: the same sources with the portable forms of the DSP instructions
mcu_host "$tmp/host" "$tmp/q8" || fail "host build"
"$tmp/host" >"$tmp/host.out" || fail "the host build failed to run"
if ! cmp -s "$tmp/host.out" "$tmp/target.out"; then
    diff "$tmp/host.out" "$tmp/target.out" | head -n 20
    fail "target and host results differ"
fi
correct=$(sed -n 's/^correct \([0-9]*\) of .*/\1/p' "$tmp/target.out")
[ "$correct" -gt $((N * 6 / 10)) ] || fail "only $correct of $N right"
echo "ok: $N images on qemu-system-arm mps2-an386 equal the host build bit for bit ($correct right; $(grep '^hash' "$tmp/target.out"))"
