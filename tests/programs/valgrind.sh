#!/bin/sh
# valgrind.sh - snnc leaks nothing and touches no bad memory on any model.
#
# `snnc show` runs under valgrind's memcheck on every example, every
# reference case and every bad model of tests/errors, and for the models
# it accepts `snnc emit --program=train` and `snnc emit --infer` too (the
# latter refuses models without weights: its error path is checked); any
# error or any leaked byte (definite, indirect, possible or still
# reachable) fails. Skipped without valgrind, and in a sanitizer build
# (the sanitizers check the same, and the two do not mix).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

command -v valgrind >/dev/null || skip "valgrind is not installed"
if nm "$SNNC" 2>/dev/null | grep -q __asan_init || ldd "$SNNC" 2>/dev/null | grep -q libasan; then
    skip "$SNNC is built with AddressSanitizer"
fi
# valgrind 3.19 cannot read the DWARF 5 that clang 14 writes by default
valgrind -q "$SNNC" --version >/dev/null 2>"$tmp/vg.log" ||
    skip "valgrind cannot run $SNNC ($(grep -m1 -i -e dwarf -e debuginfo "$tmp/vg.log"); build with CFLAGS='-g -gdwarf-4')"
vg() {
    valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
        --errors-for-leak-kinds=all --track-origins=no "$SNNC" "$@" >/dev/null 2>"$tmp/vg.log"
    rc=$?
    if [ "$rc" = 99 ] || grep -q '^==[0-9]*==' "$tmp/vg.log"; then
        cat "$tmp/vg.log" >&2
        die "valgrind: snnc $*"
    fi
}
n=0
for m in "$top_srcdir"/examples/*/model.textproto "$top_srcdir"/tests/cases/*/model.onnx \
    "$top_srcdir"/tests/errors/*.textproto "$top_srcdir"/tests/errors/*.onnx; do
    [ -f "$m" ] || continue
    n=$((n + 1))
    vg show "$m"
    [ "$rc" = 0 ] || continue # a bad model: its error path was checked
    vg emit --program=train "$m" -o "$tmp/out"
    [ "$rc" = 0 ] || die "snnc emit failed on $m (exit $rc)"
    vg emit --infer "$m" -o "$tmp/infer"
done
echo "$n models checked under valgrind"
exit 0
