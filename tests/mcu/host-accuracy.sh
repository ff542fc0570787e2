#!/bin/sh
# The int8 code of examples/mcu_fmnist, built for this machine, against
# the float model (snnc's host inference code) on the full Fashion-MNIST
# test set: within 1 point, and far above chance. Also checks that the float
# microcontroller code, built for this machine, equals the host float model
# image by image. Skips (77) without the data set.
set -u
: "${top_srcdir:?}" "${SNNC:?}"
. "$top_srcdir/tests/mcu/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mcu_dataset "$tmp" || { echo "SKIP: no Fashion-MNIST test set in $MCU_DATA_DIR"; exit 77; }
model="$top_srcdir/examples/mcu_fmnist/trained.onnx"
fail() { echo "FAIL: $*"; exit 1; }
img="$tmp/t10k-images-idx3-ubyte" lab="$tmp/t10k-labels-idx1-ubyte"

"$SNNC" emit --target=cortex-m4 --quantize=int8 "$model" -o "$tmp/q8" 2>/dev/null || fail "emit int8"
"$SNNC" emit --target=cortex-m4 "$model" -o "$tmp/f32" 2>/dev/null || fail "emit float for cortex-m4"
"$SNNC" emit --infer "$model" -o "$tmp/host" 2>/dev/null || fail "emit host inference"
# the test main reads the data set from the working folder, image by image
mcu_host "$tmp/int8" "$tmp/q8" -DMCU_STREAM || fail "host build of the int8 code"
mcu_host "$tmp/mcuf" "$tmp/f32" -DMCU_STREAM -ffp-contract=off || fail "host build of the float code"
# the host model as its generated Makefile builds it
$HOST_CC -std=c99 -O2 -fopenmp-simd -DSNN_OPENMP_SIMD -ffp-contract=off -D_POSIX_C_SOURCE=200809L \
    -I"$tmp/host" -o "$tmp/float" "$top_srcdir/tests/mcu/host_float.c" "$tmp/host"/*.c -lz -lm ||
    fail "host build of the float model"
(cd "$tmp" && ./int8 >int8.out) || fail "int8 run"
(cd "$tmp" && ./mcuf >mcuf.out) || fail "float microcontroller code run"
"$tmp/float" "$img" "$lab" >"$tmp/float.out" || fail "float run"
c8=$(sed -n 's/^correct \([0-9]*\) of 10000$/\1/p' "$tmp/int8.out")
cf=$(sed -n 's/^correct \([0-9]*\) of 10000$/\1/p' "$tmp/float.out")
[ -n "$c8" ] && [ -n "$cf" ] || fail "no accuracy: $(cat "$tmp/int8.out" "$tmp/float.out")"
echo "int8 $c8/10000, float $cf/10000"
d=$((c8 - cf))
[ "${d#-}" -le 100 ] || fail "int8 is $d images off the float model (more than 1 point)"
[ "$c8" -ge 7000 ] || fail "int8 accuracy $c8/10000 is too low"
grep -q "^$(grep '^hash' "$tmp/float.out")\$" "$tmp/mcuf.out" ||
    fail "the float microcontroller code differs from the host float model: $(grep '^hash' "$tmp/mcuf.out" "$tmp/float.out")"
echo "ok: int8 within $d images of float on 10000; float microcontroller code equals the host model"
