#!/bin/sh
# emit_warnings.sh - the C snnc emits compiles warning-free with gcc and clang.
#
# For every example model (variants such as fmnist_conv's membrane_loss
# too) and the reference cases with kernels of their own (every case with
# SNNC_ALL_CASES=1), the training program (and, for a model with weights,
# the inference program) is emitted and built by its
# generated Makefile, whose flags hold -Wall -Wextra -Werror, once with
# each C compiler found: $CC (the build's), gcc and clang. The Makefile's
# own optimization flags are kept, since some warnings need them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

case "${CC:-}" in *-fsanitize*) skip "a sanitizer build: the plain build checks warnings" ;; esac
compilers=""
for c in "${CC:-cc}" gcc clang; do
    command -v "${c%% *}" >/dev/null 2>&1 || continue
    case " $compilers " in *" $c "*) ;; *) compilers="$compilers $c" ;; esac
done
# mk DIR COMPILER [MAKE ARGS]: build the program in DIR with COMPILER; status in DIR.rc
mk() {
    d=$1 c=$2
    shift 2
    (unset CFLAGS MAKEFLAGS MFLAGS MAKELEVEL; ${MAKE:-make} -s -C "$d" CC="$c" "$@") >"$d.log" 2>&1
    echo $? >"$d.rc"
}
n=0
# The cases that bring kernels of their own (all of them with SNNC_ALL_CASES=1).
cases="fc_membrane_ce synaptic conv_avgpool_spikes temporal_input ms_cap learn_beta_threshold"
[ "${SNNC_ALL_CASES:-0}" = 1 ] && cases=$(cd "$top_srcdir/tests/cases" && ls)
models=""
for c in $cases; do models="$models $top_srcdir/tests/cases/$c/model.onnx"; done
for m in "$top_srcdir"/examples/*/*.textproto $models; do
    [ -f "$m" ] || continue
    kinds=train
    "$SNNC" emit --infer --steps=4 "$m" -o "$tmp/probe" >/dev/null 2>&1 && kinds="train infer"
    rm -rf "$tmp/probe"
    for k in $kinds; do
        rm -rf "${tmp:?}/$k"
        # a reference case may leave T to its test data (verify reads it from there)
        "$SNNC" emit --program="$k" "$m" -o "$tmp/$k" 2>"$tmp/emit.log" ||
            "$SNNC" emit --program="$k" --steps=4 "$m" -o "$tmp/$k" 2>"$tmp/emit.log" ||
            { cat "$tmp/emit.log" >&2; die "snnc emit --program=$k $m"; }
        i=0
        for c in $compilers; do # the compilers in parallel, each in its own copy
            i=$((i + 1))
            rm -rf "${tmp:?}/$k.$i" && cp -R "$tmp/$k" "$tmp/$k.$i" || die "cp"
            mk "$tmp/$k.$i" "$c" &
        done
        wait
        i=0
        for c in $compilers; do
            i=$((i + 1))
            n=$((n + 1))
            [ "$(cat "$tmp/$k.$i.rc")" = 0 ] ||
                { head -n 40 "$tmp/$k.$i.log" >&2; die "$c: the emitted $k program of $m does not build"; }
        done
    done
done
# Dropping an output with --outputs leaves no trace of it: fmnist_conv
# without its membrane prediction (an integer output, stored apart).
m="$top_srcdir/examples/fmnist_conv/model.textproto"
rm -rf "${tmp:?}/pred"
"$SNNC" emit --program=train --outputs=pred "$m" -o "$tmp/pred" 2>"$tmp/emit.log" ||
    { cat "$tmp/emit.log" >&2; die "snnc emit --outputs=pred $m"; }
grep -q pred_membrane "$tmp/pred/model.c" && die "--outputs=pred left pred_membrane in the program of $m"
mk "$tmp/pred" "${CC:-cc}"
[ "$(cat "$tmp/pred.rc")" = 0 ] ||
    { head -n 40 "$tmp/pred.log" >&2; die "the program of $m with --outputs=pred does not build"; }
n=$((n + 1))
# The same program for any x86-64 or other CPU (ARCH empty): the portable
# vector code of every template family, in one file.
rm -f "$tmp/pred/train"
mk "$tmp/pred" "${CC:-cc}" ARCH=
[ "$(cat "$tmp/pred.rc")" = 0 ] ||
    { head -n 40 "$tmp/pred.log" >&2; die "the program of $m does not build with ARCH= (portable)"; }
n=$((n + 1))
echo "$n builds with$compilers: no warnings"
exit 0
