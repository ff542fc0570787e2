#!/bin/sh
# Every reference case under tests/cases passes `snnc verify` (SPEC section 8).
set -u
cases=""
for d in "$top_srcdir"/tests/cases/*/; do
    [ -f "$d/model.onnx" ] || [ -f "$d/model.textproto" ] || continue
    cases="$cases ${d%/}"
done
[ -n "$cases" ] || { echo "no cases found"; exit 1; }
# shellcheck disable=SC2086
"$SNNC" verify $cases
