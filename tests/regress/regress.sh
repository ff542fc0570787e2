#!/bin/sh
# regress.sh - every input that once crashed or misled snnc or a runtime
# reader (found by the fuzzers of tests/fuzz, or by hand) stays fixed.
#
# Each file of tests/regress/cases is named TARGET-WHAT.EXT, TARGET being
# the fuzz target that found it (onnx, textproto, tensor, ckpt, idx,
# cifar, emit). It is replayed through that target (tests/regress/replay,
# which aborts when a contract breaks and, in a sanitizer build, on any
# memory error or leak). Model files of onnx and textproto must also make
# `snnc show` exit 1 with exactly one line on stderr, or exit 0 if the file
# ends in -ok.EXT; those of emit must make `snnc emit` succeed or exit 1
# with one line. tests/regress/pending holds inputs of bugs found and
# reported but not fixed yet; each moves to cases/ with its fix.
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
    emit)
        # once fixed, a model that broke the back end is emitted, or refused in one line
        "$SNNC" emit "$f" -o "$tmp/emitted" >/dev/null 2>"$tmp/err"
        rc=$?
        lines=$(wc -l <"$tmp/err")
        rm -rf "$tmp/emitted"
        if ! { [ "$rc" = 0 ] || { [ "$rc" = 1 ] && [ "$lines" = 1 ]; }; }; then
            echo "FAIL $base: snnc emit exited $rc with $lines lines on stderr:"
            head -c 2000 "$tmp/err"
            fail=1
            continue
        fi
        echo "ok $base: emit exit $rc"
        ;;
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
