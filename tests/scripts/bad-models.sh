#!/bin/sh
# Each malformed model in tests/errors gets exit status 1 and one message
# holding the text of its .expect file; bad command lines get status 2.
set -u
fail=0
n=0
for m in "$top_srcdir"/tests/errors/*.textproto "$top_srcdir"/tests/errors/*.onnx; do
    [ -f "$m" ] || continue
    n=$((n + 1))
    expect=$(cat "${m%.*}.expect")
    out=$("$SNNC" show "$m" 2>&1 >/dev/null)
    rc=$?
    lines=$(printf '%s\n' "$out" | wc -l)
    case "$out" in
        *"$expect"*) ;;
        *) echo "FAIL $m: message was: $out"; echo "     expected to contain: $expect"; fail=1; continue ;;
    esac
    if [ "$rc" != 1 ] || [ "$lines" != 1 ]; then
        echo "FAIL $m: exit $rc, $lines lines: $out"
        fail=1
    fi
done
for args in "" "frobnicate" "show" "emit x.onnx" "--steps=0 show x.onnx" "--program=bogus emit x -o y" "--nope" \
    "--outputs= show x.onnx" "--outputs=a,,b show x.onnx"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    "$SNNC" $args >/dev/null 2>&1
    rc=$?
    [ "$rc" = 2 ] || { echo "FAIL 'snnc $args' exited $rc, expected 2"; fail=1; }
done
# --outputs naming something that is not a graph output: one message, exit 1
n=$((n + 1))
ex="$top_srcdir/examples/fmnist_fc/model.textproto"
out=$("$SNNC" show --outputs=pred,spk3 "$ex" 2>&1 >/dev/null)
rc=$?
case "$rc:$out" in
    "1:"*"--outputs names 'spk3', which is not an output of graph 'fmnist_fc'"*) ;;
    *) echo "FAIL --outputs=pred,spk3: exit $rc: $out"; fail=1 ;;
esac
"$SNNC" --help | grep -q '^Usage: snnc' || { echo "FAIL --help"; fail=1; }
"$SNNC" --version | grep -q '^snnc ' || { echo "FAIL --version"; fail=1; }
echo "$n bad inputs checked"
exit $fail
