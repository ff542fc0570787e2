#!/bin/sh
# run.sh - builds the libFuzzer targets of tests/fuzz and runs each for a while.
#
# Called by `make fuzz` (which sets the variables below) or by hand from a
# configured build folder: top_srcdir=.. top_builddir=. sh ../tests/fuzz/run.sh
#   FUZZ_SECONDS   how long each target runs (default 60)
#   FUZZ_TARGETS   which targets (default: all: onnx textproto emit tensor ckpt idx cifar)
#   FUZZ_CC        the compiler (default clang; needs libclang-rt-14-dev)
# Takes: the sources, the seed corpus tests/fuzz/corpus/TARGET (read only),
# and the build folder's compiler/onnx.pb-c.[ch]. Gives: fuzz-out/TARGET
# (the instrumented program), fuzz-out/corpus/TARGET (the seeds and what the
# fuzzer added), fuzz-out/TARGET-crash-* (or -leak-, -timeout-, -oom-)
# for anything it found, and one summary line per target: executions,
# coverage, crashes. A crash input belongs in tests/regress/cases once fixed.
# Holds: exit status 0 when no target crashed, 1 otherwise, 77 when clang's
# fuzzer runtime is missing and cannot be installed (not root).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
: "${FUZZ_SECONDS:=60}"
: "${FUZZ_TARGETS:=onnx textproto emit tensor ckpt idx cifar}"
: "${FUZZ_CC:=clang}"
src=$top_srcdir
out=$top_builddir/fuzz-out
mkdir -p "$out/obj" "$out/corpus" || exit 1

# clang with its fuzzer runtime (Debian: clang, libclang-rt-14-dev)
probe() {
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; return (int)(n & 0); }\n' \
        >"$out/probe.c" &&
        "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$out/probe" "$out/probe.c" 2>/dev/null
}
if ! probe; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "fuzz: installing clang and libclang-rt-14-dev"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang \
            libclang-rt-14-dev >/dev/null 2>&1 || true
    fi
    probe || { echo "fuzz: SKIP: $FUZZ_CC cannot build with -fsanitize=fuzzer (install clang and libclang-rt-14-dev)"; exit 77; }
fi

pb=$top_builddir/compiler/onnx.pb-c.c
[ -f "$pb" ] || { echo "fuzz: $pb is missing; run make first" >&2; exit 1; }
PB_CFLAGS=${PROTOBUF_C_CFLAGS-$(pkg-config --cflags libprotobuf-c)}
PB_LIBS=${PROTOBUF_C_LIBS-$(pkg-config --libs libprotobuf-c)}
Z_LIBS=${ZLIB_LIBS:--lz}
M4=$(command -v m4 || echo m4)
# The quotes stay in the words on purpose: the two macros are C strings (no spaces in paths).
# shellcheck disable=SC2089
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=all -I$top_builddir -I$top_builddir/compiler -I$src/compiler -I$src/runtime
    -DSNNC_DATADIR=\"$src\" -DSNNC_M4=\"$M4\" $PB_CFLAGS"
export SNNC_DATADIR="$src"
[ -w /dev/shm ] && export TMPDIR=/dev/shm # emit's m4 files

# The compiler but main(), and the two runtime readers, instrumented once for all targets
# (again when the sources are another tree's).
objs=""
[ "$(cat "$out/obj/srcdir" 2>/dev/null)" = "$src" ] || rm -f "$out"/obj/*.o
echo "$src" >"$out/obj/srcdir"
for f in "$pb" "$src"/compiler/*.c "$src"/runtime/rt_tensor_io.c "$src"/runtime/rt_data.c \
    "$src"/tests/fuzz/fuzz_common.c; do
    [ "$(basename "$f")" = main.c ] && continue
    o=$out/obj/$(basename "$f" .c).o
    # shellcheck disable=SC3013 # dash and bash know -nt
    if [ ! -f "$o" ] || [ "$f" -nt "$o" ] ||
        [ -n "$(find "$src/compiler" "$src/runtime" -name '*.h' -newer "$o")" ]; then
        # shellcheck disable=SC2086,SC2090
        $FUZZ_CC $CFLAGS -c -o "$o" "$f" || exit 1
    fi
    objs="$objs $o"
done

status=0
for t in $FUZZ_TARGETS; do
    # shellcheck disable=SC2086,SC2090
    $FUZZ_CC $CFLAGS -o "$out/fuzz_$t" "$src/tests/fuzz/fuzz_$t.c" $objs $PB_LIBS $Z_LIBS -lm ||
        exit 1
    mkdir -p "$out/corpus/$t"
    seeds=$src/tests/fuzz/corpus/$t
    [ -d "$seeds" ] || seeds=$src/tests/fuzz/corpus/textproto # emit: the text models
    dict=""
    [ -f "$src/tests/fuzz/$t.dict" ] && dict="-dict=$src/tests/fuzz/$t.dict"
    [ "$t" = emit ] && dict="-dict=$src/tests/fuzz/textproto.dict"
    # The first corpus folder is where new inputs go; the seeds stay as they are.
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$out/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=16384 $dict \
        -artifact_prefix="$out/$t-" "$out/corpus/$t" "$seeds" \
        >"$out/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -n 1)
    rate=$(grep -o 'exec/s: [0-9]*' "$out/$t.log" | tail -n 1)
    crashes=$(ls "$out/$t"-crash-* "$out/$t"-leak-* "$out/$t"-timeout-* "$out/$t"-oom-* 2>/dev/null | wc -l)
    echo "fuzz $t: ${execs:-?} executions (${rate:-exec/s: ?}), ${cov:-cov: ?}," \
        "corpus $(ls "$out/corpus/$t" | wc -l) new, $crashes crash files, exit $rc"
    if [ "$rc" != 0 ]; then
        status=1
        grep -E 'ERROR|SUMMARY|fuzz:|runtime error' "$out/$t.log" | head -n 5
    fi
done
exit $status
