#!/bin/sh
# emit_atomic.sh - `snnc emit` writes its output folder whole or not at all.
#
# A failing emit (a bad model, a runtime file missing from SNNC_DATADIR, a
# template m4 rejects, a folder that cannot be created, a memory limit)
# must exit 1 with one line on stderr and leave no output folder, no
# DIR.tmp-* or DIR.old-* sibling and no snnc-m4-* file in TMPDIR. A folder
# that is not an earlier output of snnc is refused and left untouched; an
# earlier output is replaced whole.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

model=$here/small_fc.textproto
mkdir "$tmp/work" "$tmp/t" || die "mkdir"
# clean NAME...: nothing in $tmp/work but the NAMEs, nothing left in TMPDIR
clean() {
    left=""
    for f in $(cd "$tmp/work" && ls -A); do
        case " $* " in *" $f "*) ;; *) left="$left $f" ;; esac
    done
    [ -z "$left" ] || die "$what: left behind in the output's parent:$left"
    [ -z "$(ls -A "$tmp/t")" ] || die "$what: left behind in TMPDIR: $(ls -A "$tmp/t")"
}
# refused WORDS SNNC-ARGS...: exit 1, one line on stderr holding WORDS
refused() {
    words=$1
    shift
    TMPDIR=$tmp/t "$SNNC" "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    if [ "$rc" != 1 ] || [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qF -- "$words" "$tmp/err"; then
        cat "$tmp/err" >&2
        die "$what: snnc $*: exit $rc; expected 1 and one line with '$words'"
    fi
}

what="bad model"
refused "no_steps" emit "$top_srcdir/tests/errors/no_steps.textproto" -o "$tmp/work/out"
clean

what="memory limit"
refused "over the memory limit of 1000" emit --max-memory=1000 "$model" -o "$tmp/work/out"
clean

what="runtime file missing"
mkdir "$tmp/data" && cp -R "$SNNC_DATADIR/templates" "$SNNC_DATADIR/runtime" "$tmp/data/" &&
    rm "$tmp/data/runtime/rt_data.c" || die "copying SNNC_DATADIR"
SNNC_DATADIR=$tmp/data refused "rt_data.c" emit --program=train "$model" -o "$tmp/work/out"
clean

what="template rejected by m4"
rm -rf "$tmp/data" && mkdir "$tmp/data" &&
    cp -R "$SNNC_DATADIR/templates" "$SNNC_DATADIR/runtime" "$tmp/data/" &&
    printf 'm4_m4exit(1)\n' >>"$tmp/data/templates/dense.m4" ||
    die "copying SNNC_DATADIR"
SNNC_DATADIR=$tmp/data refused "m4 failed" emit "$model" -o "$tmp/work/out"
clean
rm -rf "$tmp/data"

what="parent folder missing"
refused "$tmp/work/no/such/out" emit "$model" -o "$tmp/work/no/such/out"
clean

what="foreign folder"
mkdir "$tmp/work/mine" && echo keep >"$tmp/work/mine/notes.txt" || die "mkdir"
refused "not an earlier output of snnc" emit "$model" -o "$tmp/work/mine"
[ "$(ls -A "$tmp/work/mine")" = notes.txt ] && [ "$(cat "$tmp/work/mine/notes.txt")" = keep ] ||
    die "$what: the folder was touched"
echo x >"$tmp/work/file"
refused "not an earlier output of snnc" emit "$model" -o "$tmp/work/file"
[ "$(cat "$tmp/work/file")" = x ] || die "a file in the way was touched"
clean mine file

what="earlier output replaced"
TMPDIR=$tmp/t "$SNNC" emit --program=train "$model" -o "$tmp/work/out" 2>/dev/null ||
    die "$what: the first emit failed"
(cd "$tmp/work/out" && ls) >"$tmp/first"
echo stale >"$tmp/work/out/stale.txt"
TMPDIR=$tmp/t "$SNNC" emit "$model" -o "$tmp/work/out" 2>/dev/null ||
    die "$what: emitting over an earlier output failed"
[ ! -e "$tmp/work/out/stale.txt" ] || die "$what: a file of the old folder survived"
[ ! -e "$tmp/work/out/train_main.c" ] || die "$what: the old program survived"
[ -s "$tmp/work/out/model.c" ] && [ -s "$tmp/work/out/model.h" ] || die "$what: no model.c"
clean mine file out
echo "every failing emit left nothing behind"
exit 0
