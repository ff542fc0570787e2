#!/bin/sh
# What the microcontroller back end refuses, and how it says so: one line
# naming the file (and the node), exit 1, nothing written.
set -u
: "${top_srcdir:?}" "${SNNC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect WANT ARGS...: snnc ARGS fails with status 1 and WANT in its message
    want=$1
    shift
    "$SNNC" "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" != 1 ] || ! grep -qF -e "$want" "$tmp/out"; then
        echo "FAIL: snnc $* gave status $rc and: $(cat "$tmp/out")"
        echo "      expected status 1 and: $want"
        fail=1
    fi
    [ -e "$tmp/o" ] && { echo "FAIL: snnc $* wrote $tmp/o"; fail=1; rm -rf "$tmp/o"; }
}
ex="$top_srcdir/examples/mcu_fmnist"
expect "parameter 'fc1.weight' has no data" emit --target=cortex-m4 --quantize=int8 "$ex/model.textproto" -o "$tmp/o"
expect "node 'conv1' (Conv): is not supported yet on target cortex-m4" \
    emit --target=cortex-m4 --quantize=int8 "$top_srcdir/tests/mcu/unsupported.textproto" -o "$tmp/o"
expect "node 'conv1' (Conv): is not supported yet on target cortex-m4" \
    emit --target=cortex-m4 "$top_srcdir/tests/mcu/unsupported.textproto" -o "$tmp/o"
expect "--quantize=int8 needs a microcontroller --target" \
    emit --quantize=int8 "$ex/trained.onnx" -o "$tmp/o"
# and the good case writes exactly the two files, the footprint in both
"$SNNC" emit --target=cortex-m4 --quantize=int8 "$ex/trained.onnx" -o "$tmp/ok" 2>"$tmp/log" || { cat "$tmp/log"; exit 1; }
[ "$(ls "$tmp/ok" | tr '\n' ' ')" = "model.c model.h " ] || { echo "FAIL: wrote $(ls "$tmp/ok")"; fail=1; }
for f in model.c model.h; do
    grep -q '^ \*   flash [0-9]* bytes' "$tmp/ok/$f" || { echo "FAIL: no footprint in $f"; fail=1; }
done
grep -q 'footprint: flash [0-9]* bytes (weights [0-9]* + code ~[0-9]*), RAM [0-9]* bytes, stack ~[0-9]* bytes' \
    "$tmp/log" || { echo "FAIL: snnc printed no footprint: $(cat "$tmp/log")"; fail=1; }
exit $fail
