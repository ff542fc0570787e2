# common.sh - what the program tests share: paths, a scratch folder, builders.
#
# Sourced by tests/programs/*.sh. Takes the environment that `make check`
# sets (SNNC, SNNC_DATADIR, top_srcdir, top_builddir) or, run by hand from
# the build folder, guesses it. Gives $tmp (removed on exit), $FMNIST, die,
# skip, build KIND MODEL DIR [SNNC OPTION]... and gen_idx. SNNC_FMNIST, if set,
# is where the Fashion-MNIST files are looked for.
# Exit statuses follow automake: 0 pass, 1 fail, 77 skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
: "${SNNC:=$top_builddir/snnc}"
: "${SNNC_DATADIR:=$top_srcdir}"
export SNNC_DATADIR
FMNIST=${SNNC_FMNIST:-/usr/share/datasets/fashion-mnist} # override to test elsewhere
here=$top_srcdir/tests/programs

die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

[ -x "$SNNC" ] || die "no snnc at $SNNC (set SNNC)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/snnc-programs.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# build KIND MODEL DIR [OPTION]...: snnc emit --program=KIND, then make.
# The generated Makefile's own flags are used, not the caller's.
build() {
    kind=$1 model=$2 dir=$3
    shift 3
    "$SNNC" emit --program="$kind" "$@" "$model" -o "$dir" >"$tmp/emit.log" 2>&1 ||
        { cat "$tmp/emit.log" >&2; die "snnc emit --program=$kind $model"; }
    (unset CFLAGS MAKEFLAGS MFLAGS MAKELEVEL; ${MAKE:-make} -s -C "$dir") >"$tmp/make.log" 2>&1 ||
        { cat "$tmp/make.log" >&2; die "building the $kind program of $model"; }
}

# gen_idx KIND IMAGES LABELS COUNT: see gen_idx.c.
gen_idx() {
    [ -x "$tmp/gen_idx" ] ||
        ${CC:-cc} -std=c99 -O2 -o "$tmp/gen_idx" "$here/gen_idx.c" ||
        die "cannot compile gen_idx.c"
    "$tmp/gen_idx" "$@" || die "gen_idx $*"
}
