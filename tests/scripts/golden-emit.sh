#!/bin/sh
# The C emitted for each example equals the reviewed copy in tests/golden
# (the line recording the command, which holds local paths, aside).
# `make regen-golden` rewrites the copies; review the diff before committing.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
cd "$top_srcdir" || exit 1
for m in examples/*/model.textproto; do   # relative: the path is recorded in the C
    name=$(basename "$(dirname "$m")")
    for mode in train; do
        "$SNNC" emit "--$mode" "$m" -o "$tmp/$name" 2>/dev/null || { echo "FAIL: snnc emit $m"; fail=1; continue; }
        for f in model.c model.h; do
            want="$top_srcdir/tests/golden/$name/$f"
            if [ "${REGEN:-0}" = 1 ]; then
                mkdir -p "$(dirname "$want")"
                grep -v '^ \* Command: ' "$tmp/$name/$f" >"$want"
                continue
            fi
            grep -v '^ \* Command: ' "$tmp/$name/$f" >"$tmp/got"
            if ! cmp -s "$want" "$tmp/got"; then
                echo "FAIL: $name/$f differs from tests/golden/$name/$f:"
                diff -u "$want" "$tmp/got" | head -n 40
                fail=1
            fi
        done
        rm -rf "$tmp/$name"
    done
done
exit $fail
