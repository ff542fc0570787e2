#!/bin/sh
# regress.sh - every input that once crashed or misled snnc or a runtime
# reader (found by the fuzzers of tests/fuzz, or by hand) stays fixed.
#
# Each file of tests/regress/cases is named TARGET-WHAT.EXT, TARGET being
# the fuzz target that found it (onnx, textproto, tensor, ckpt, idx,
# cifar). It is replayed through that target (tests/regress/replay, which
# aborts when a contract breaks and, in a sanitizer build, on any memory
# error or leak). Model files (onnx, textproto) must also make `snnc show`
# exit 1 with exactly one line on stderr, or exit 0 if the file ends in
# -ok.EXT.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
: "${SNNC:=$top_builddir/snnc}"
replay=$top_builddir/tests/regress/replay
[ -x "$replay" ] || { echo "FAIL: no $replay (make check builds it)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/snnc-regress.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for f in "$top_srcdir"/tests/regress/cases/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    base=$(basename "$f")
    target=${base%%-*}
    if ! "$replay" "$target" "$f" >"$tmp/out" 2>&1; then
        echo "FAIL $base: the $target target failed on it:"
        tail -n 20 "$tmp/out"
        fail=1
        continue
    fi
    case $target in
    onnx | textproto)
        "$SNNC" show "$f" >/dev/null 2>"$tmp/err"
        rc=$?
        lines=$(wc -l <"$tmp/err")
        case $base in
        *-ok.*) want=0 wantlines=0 ;;
        *) want=1 wantlines=1 ;;
        esac
        if [ "$rc" != "$want" ] || [ "$lines" != "$wantlines" ]; then
            echo "FAIL $base: snnc show exited $rc with $lines lines on stderr; expected $want and $wantlines:"
            head -c 2000 "$tmp/err"
            fail=1
            continue
        fi
        echo "ok $base: $(head -c 300 "$tmp/err")"
        ;;
    *) echo "ok $base" ;;
    esac
done
echo "$n regression inputs checked"
exit $fail
