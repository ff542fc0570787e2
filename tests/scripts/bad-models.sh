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
for args in "" "frobnicate" "show" "emit x.onnx" "--steps=0 show x.onnx" "--program=bogus emit x -o y" "--nope"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    "$SNNC" $args >/dev/null 2>&1
    rc=$?
    [ "$rc" = 2 ] || { echo "FAIL 'snnc $args' exited $rc, expected 2"; fail=1; }
done
"$SNNC" --help | grep -q '^Usage: snnc' || { echo "FAIL --help"; fail=1; }
"$SNNC" --version | grep -q '^snnc ' || { echo "FAIL --version"; fail=1; }
echo "$n bad inputs checked"
exit $fail
