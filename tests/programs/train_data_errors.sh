#!/bin/sh
# train_data_errors.sh - bad dataset files stop the trainer with one clear line.
#
# Each broken file (wrong magic, truncated data, truncated gzip, 20x20
# images for a 784-input model, a label out of range, counts that
# disagree, a missing file, CIFAR data for an IDX-sized model) must make
# the trainer exit 1 with exactly one line on stderr that names the file
# and says what is wrong; a bad command line exits 2.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/programs/common.sh"

build train "$here/small_fc.textproto" "$tmp/train"
gen_idx ok "$tmp/ok-img" "$tmp/ok-lbl" 64

# expect STATUS WORDS [TRAINER OPTION]...: the trainer exits STATUS and its
# stderr is one line (plus the --help hint for status 2) containing WORDS.
expect() {
    status=$1 words=$2
    shift 2
    "$tmp/train/train" --out "$tmp/out" "$@" >"$tmp/out.log" 2>"$tmp/err"
    got=$?
    lines=$(wc -l <"$tmp/err")
    [ "$status" -eq 2 ] && lines=$((lines - 1))
    if [ "$got" -ne "$status" ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$words" "$tmp/err"; then
        cat "$tmp/err" >&2
        die "train $*: exit $got with the above; expected exit $status and one line with '$words'"
    fi
    echo "ok: $(head -n 1 "$tmp/err")"
}
# train_on KIND WORDS: the training files are a generated set of KIND.
train_on() {
    gen_idx "$1" "$tmp/$1-img" "$tmp/$1-lbl" 64
    expect 1 "$2" --train-images "$tmp/$1-img" --train-labels "$tmp/$1-lbl" \
        --test-images "$tmp/ok-img" --test-labels "$tmp/ok-lbl"
}

train_on magic "$tmp/magic-img: not an IDX image file: magic number 0x00001234"
train_on truncated "$tmp/truncated-img: truncated: expected 50176 bytes of image data, found 25088"
train_on size20 "$tmp/size20-img: images are 20x20 = 400 bytes; the model's input needs 784"
train_on label "$tmp/label-lbl: label 12 at index 5 is out of range for 10 classes"
train_on count "$tmp/count-img: holds 64 images but $tmp/count-lbl holds 63 labels"

# labels where the images should be
expect 1 "$tmp/ok-lbl: is an IDX label file; expected the image file" \
    --train-images "$tmp/ok-lbl" --train-labels "$tmp/ok-lbl" \
    --test-images "$tmp/ok-img" --test-labels "$tmp/ok-lbl"
# a missing file, found through --data-dir
expect 1 "$tmp/nowhere/train-images-idx3-ubyte.gz: cannot open" --data-dir "$tmp/nowhere"
# a gzip stream cut short
if command -v gzip >/dev/null 2>&1; then
    gzip -c "$tmp/ok-img" >"$tmp/full.gz"
    head -c 2000 "$tmp/full.gz" >"$tmp/cut-img.gz"
    expect 1 "$tmp/cut-img.gz: truncated" --train-images "$tmp/cut-img.gz" \
        --train-labels "$tmp/ok-lbl" --test-images "$tmp/ok-img" --test-labels "$tmp/ok-lbl"
fi
# the test set is checked as carefully
gen_idx size20 "$tmp/t20-img" "$tmp/t20-lbl" 64
expect 1 "$tmp/t20-img: images are 20x20" --train-images "$tmp/ok-img" \
    --train-labels "$tmp/ok-lbl" --test-images "$tmp/t20-img" --test-labels "$tmp/t20-lbl"
# too few samples for one batch of 32
expect 1 "$tmp/ok-img: 20 training samples make no full batch of 32" --train-limit 20 \
    --train-images "$tmp/ok-img" --train-labels "$tmp/ok-lbl" \
    --test-images "$tmp/ok-img" --test-labels "$tmp/ok-lbl"
# CIFAR-10 records for a model that reads 784 values per sample
head -c 3073 /dev/zero >"$tmp/batch.bin"
expect 1 "$tmp/batch.bin: CIFAR-10 images are 3x32x32 = 3072 bytes; the model's input 'x' needs 784" --format cifar \
    --train-files "$tmp/batch.bin" --test-files "$tmp/batch.bin"
# bad command lines
expect 2 "unrecognized option '--nonsense'" --nonsense
expect 2 "--epochs is 'x'" --epochs x
expect 2 "need --format=cifar" --train-files "$tmp/batch.bin"
exit 0
