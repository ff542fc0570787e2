#!/bin/sh
# snnc plot draws a metrics CSV and a spike record with gnuplot, as PNG and
# SVG, and refuses files of another shape.
set -u
command -v gnuplot >/dev/null 2>&1 || { echo "gnuplot missing: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
printf 'epoch,train_loss,train_acc,test_acc,samples_per_s,seconds\n1,0.9,0.70,0.74,5000,12\n2,0.6,0.80,0.81,5100,12\n3,0.5,0.84,0.83,5050,12\n' >"$tmp/metrics.csv"
{
    echo "t,layer,neuron,value"
    for t in 0 1 2 3 4 5; do
        for j in 0 1 2 3 4 5 6 7; do echo "$t,spk1,$j,$(( (t + j) % 3 == 0 ))"; done
        for j in 0 1 2; do echo "$t,spk2,$j,$(( (t * j) % 2 ))"; done
    done
} >"$tmp/raster.csv"
"$SNNC" plot "$tmp/metrics.csv" -o "$tmp/curve.png" 2>/dev/null || { echo "FAIL: metrics plot"; fail=1; }
"$SNNC" plot "$tmp/raster.csv" -o "$tmp/raster.svg" 2>/dev/null || { echo "FAIL: raster plot"; fail=1; }
head -c 8 "$tmp/curve.png" | od -An -c | grep -q 'P   N   G' || { echo "FAIL: curve.png is not a PNG"; fail=1; }
grep -q '<svg' "$tmp/raster.svg" || { echo "FAIL: raster.svg is not an SVG"; fail=1; }
[ "$(grep -c 'spk' "$tmp/raster.svg")" -ge 2 ] || { echo "FAIL: raster.svg lacks a panel per layer"; fail=1; }
echo "a,b,c" >"$tmp/other.csv"
"$SNNC" plot "$tmp/other.csv" -o "$tmp/x.png" 2>"$tmp/err"
[ $? = 1 ] && grep -q 'not a metrics CSV' "$tmp/err" || { echo "FAIL: other CSV accepted"; fail=1; }
"$SNNC" plot "$tmp/metrics.csv" -o "$tmp/x.jpg" 2>/dev/null
[ $? = 2 ] || { echo "FAIL: .jpg output accepted"; fail=1; }
exit $fail
