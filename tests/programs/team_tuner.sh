#!/bin/sh
# team_tuner.sh - the emitted programs choose their number of threads well.
#
# Each pass of a program runs on all threads or on one (results are the
# same bits either way); the tuner in the emitted C picks by timing passes.
# It is cut out of an emitted model.c and driven by team_tuner.c with
# simulated pass times: it must stay on all threads on a quiet machine and
# through short slow spells, move to one thread when another program holds
# a core, and come back when the core is free.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

"$SNNC" emit --program=train "$here/small_fc.textproto" -o "$tmp/m" >"$tmp/emit.log" 2>&1 ||
    { cat "$tmp/emit.log" >&2; die "snnc emit --program=train small_fc.textproto"; }
sed -n '/^struct snn_tuner {/,/^#define SNN_PASS_BEGIN/p' "$tmp/m/model.c" | sed '$d' >"$tmp/tuner.h"
grep -q 'snn_pass_end' "$tmp/tuner.h" || die "no tuner (struct snn_tuner ... SNN_PASS_BEGIN) in the emitted model.c"
${CC:-cc} -std=c99 -Wall -Wextra -Werror -O1 -DTUNER_CODE="\"$tmp/tuner.h\"" -o "$tmp/team_tuner" \
    "$here/team_tuner.c" || die "cannot compile team_tuner.c with the emitted tuner"
"$tmp/team_tuner" || die "the tuner chose badly (above)"
exit 0
