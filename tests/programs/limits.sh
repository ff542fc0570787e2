#!/bin/sh
# limits.sh - snnc refuses models too large to plan, before emitting anything.
#
# --max-memory (default 2 GiB) bounds the planned arena and every single
# tensor; sizes whose arithmetic would overflow are refused with any limit;
# a refused emit writes nothing. Each refusal is exit 1 and one line naming
# the limit or the tensor; bad --max-memory values are exit 2.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

model=$here/small_fc.textproto
# refused WORDS SNNC-ARGS...: exit 1, one line on stderr holding WORDS
refused() {
    words=$1
    shift
    "$SNNC" "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    if [ "$rc" != 1 ] || [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qF -- "$words" "$tmp/err"; then
        cat "$tmp/err" >&2
        die "snnc $*: exit $rc; expected 1 and one line with '$words'"
    fi
    echo "ok: $(cat "$tmp/err")"
}

"$SNNC" show "$model" >"$tmp/show" || die "small_fc does not compile"
arena=$(sed -n 's/^planned arena: \([0-9]*\) bytes.*/\1/p' "$tmp/show")
[ -n "$arena" ] && [ "$arena" -gt 0 ] || die "snnc show printed no planned arena"

# the limit holds at the arena's size, and not one byte below it
"$SNNC" show --max-memory="$arena" "$model" >/dev/null || die "--max-memory=$arena refused a plan of $arena bytes"
refused "the planned memory is $arena bytes, over the memory limit of $((arena - 1)) (raise it with --max-memory)" \
    show --max-memory=$((arena - 1)) "$model"
refused "over the memory limit of 1000" emit --max-memory=1000 "$model" -o "$tmp/out"
[ ! -e "$tmp/out" ] || die "a refused emit wrote $tmp/out"

# the default is 2 GiB: a batch of a million images is over it, until raised
refused "over the memory limit of 2147483648 (raise it with --max-memory)" show --batch=1000000 "$model"
"$SNNC" show --batch=1000000 --max-memory=1000000000000 "$model" >"$tmp/show" ||
    die "--max-memory did not raise the limit"
grep -q '^planned arena: [0-9]\{10,\} bytes' "$tmp/show" || die "no arena over 2 GiB was planned"

# sizes that overflow: a record of T x 2^40 floats, and dims whose product wraps
cat >"$tmp/huge.textproto" <<'MODEL'
ir_version: 8
opset_import { domain: "" version: 17 }
opset_import { domain: "snn" version: 1 }
metadata_props { key: "snn.num_steps" value: "1000000" }
metadata_props { key: "snn.batch_size" value: "2" }
graph {
  name: "huge"
  node { input: "x" output: "s" output: "m" name: "lif" op_type: "Leaky" domain: "snn"
         attribute { name: "beta" f: 0.9 type: FLOAT } }
  node { input: "m" input: "y" output: "loss" name: "loss" op_type: "CeMembraneLoss" domain: "snn" }
  input { name: "x" type { tensor_type { elem_type: 1
          shape { dim { dim_param: "N" } dim { dim_value: 549755813888 } } } } }
  input { name: "y" type { tensor_type { elem_type: 7 shape { dim { dim_param: "N" } } } } }
  output { name: "loss" type { tensor_type { elem_type: 1 shape { } } } }
  output { name: "s" type { tensor_type { elem_type: 1 shape { dim { dim_param: "T" }
          dim { dim_param: "N" } dim { dim_value: 549755813888 } } } } }
}
MODEL
refused "overflow" show --max-memory=9223372036854775807 "$tmp/huge.textproto"
refused "overflow" emit --max-memory=9223372036854775807 "$tmp/huge.textproto" -o "$tmp/out"
[ ! -e "$tmp/out" ] || die "a refused emit wrote $tmp/out"
sed 's/dim { dim_value: 549755813888 } } } } }/dim { dim_value: 4000000000 } dim { dim_value: 4000000000 } dim { dim_value: 4000000000 } } } } }/' \
    "$tmp/huge.textproto" >"$tmp/wrap.textproto"
refused "graph input 'x' is too large: its size overflows" show "$tmp/wrap.textproto"

# bad limits are a bad command line
for v in 0 -5 abc 1e9 99999999999999999999 ""; do
    "$SNNC" show --max-memory="$v" "$model" >/dev/null 2>&1
    rc=$?
    [ "$rc" = 2 ] || die "--max-memory='$v' exited $rc; expected 2"
done
exit 0
