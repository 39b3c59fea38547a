#!/usr/bin/env bash
# astrocnn export: every network astrocnn trains, written as ONNX, run in
# onnxruntime (CPU) on the images `astrocnn predict` saw, and compared with
# predict's CSV: max |onnx - predict| / max |predict| <= 1e-5 per model
# (tests/onnx_compare.py). Also the bad inputs: missing, corrupt and
# non-checkpoint files, and -o that is a directory or the checkpoint itself.
# Without onnxruntime (and h5py, numpy) the comparison reports Skipped.
# Usage: onnx_export.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints to export)"; exit 77; }
if ! grep -q "^onnx: *yes" "$tmp/info.txt"; then
  expect_error 2 "built without ONNX support" -- export --checkpoint "$tmp/none.h5" -o "$tmp/x.onnx"
  echo "SKIP: this astrocnn was built without ONNX (libonnx-dev); checked only that export says so"
  exit 77
fi

# train_tiny NAME MODEL DATA [OPTIONS...]: one epoch on 8 images into
# $tmp/run_NAME at learning rate 0: the weights keep their random
# initialisation (trained ones can saturate the softmax of a deep net in one
# step), while batch norm's running statistics are real ones, from the
# training forwards. Either way the graph is the same.
train_tiny() {
  local name="$1" model="$2" data="$3"; shift 3
  run_ok "$tmp/log" train --model "$model" -f "$data" --epochs 1 --batch-size 4 --lr 0 \
    --threads 2 --out "$tmp/run_$name" "$@"
}

# ---- Bad input: one line, exit 2, nothing written or damaged ----
run_ok "$tmp/log" synth --kind morphology -n 8 --size 32 --seed 1 -o "$tmp/mo32.h5"
train_tiny small small "$tmp/mo32.h5"
ck="$tmp/run_small/best.h5"
cp "$ck" "$tmp/ck_copy.h5"
expect_error 2 "missing.h5" -- export --checkpoint "$tmp/missing.h5" -o "$tmp/x.onnx"
echo "not hdf5" >"$tmp/text.h5"
expect_error 2 "text.h5" -- export --checkpoint "$tmp/text.h5" -o "$tmp/x.onnx"
head -c 4096 "$ck" >"$tmp/truncated.h5"
expect_error 2 "truncated.h5" -- export --checkpoint "$tmp/truncated.h5" -o "$tmp/x.onnx"
expect_error 2 "mo32.h5" -- export --checkpoint "$tmp/mo32.h5" -o "$tmp/x.onnx"  # data, not a checkpoint
[ -e "$tmp/x.onnx" ] && fail "a failed export left $tmp/x.onnx"
mkdir "$tmp/dir.onnx"
expect_error 2 "\-o" -- export --checkpoint "$ck" -o "$tmp/dir.onnx"
expect_error 2 "\-o" -- export --checkpoint "$ck" -o "$tmp/no/such/dir/x.onnx"
expect_error 2 "\-\-checkpoint" -- export --checkpoint "$ck" -o "$ck"
cmp -s "$ck" "$tmp/ck_copy.h5" || fail "export -o CHECKPOINT changed the checkpoint"
expect_error 2 "output" -- export --checkpoint "$ck"
echo "previous" >"$tmp/keep.onnx"
expect_error 2 "text.h5" -- export --checkpoint "$tmp/text.h5" -o "$tmp/keep.onnx"
[ "$(cat "$tmp/keep.onnx")" = previous ] || fail "a failed export changed an existing -o file"
ls "$tmp"/*.tmp >/dev/null 2>&1 && fail "a failed export left a temporary file"

# A good export replaces the file, says what it wrote, and leaves no temporary.
run_ok "$tmp/log" export --checkpoint "$ck" -o "$tmp/keep.onnx"
grep -q "opset 17" "$tmp/log" || fail "export did not state its opset: $(cat "$tmp/log")"
[ "$(head -c 8 "$tmp/keep.onnx")" = previous ] && fail "export did not replace keep.onnx"
ls "$tmp"/*.tmp >/dev/null 2>&1 && fail "export left a temporary file"

py=$(python_with onnxruntime h5py numpy)
if [ -z "$py" ]; then
  echo "SKIP: no Python with onnxruntime, h5py and numpy (make python-peers, or set ASTROCNN_PYTHON);" \
       "exported, but not compared with predict"
  exit 77
fi

# ---- Every network, compared with predict ----
# Class ids with modest pixel values (the morphology images, each labelled
# with its largest vote), so that probabilities are not saturated.
for size in 32 40; do
  run_ok "$tmp/log" synth --kind morphology -n 8 --size $size --seed 3 -o "$tmp/votes$size.h5"
  "$py" - "$tmp/votes$size.h5" "$tmp/classes$size.h5" <<'EOF' || fail "could not write a class-id file"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[2], "w") as g:
    g["images"] = f["images"][:]
    g["labels"] = np.argmax(f["labels"][:], axis=1).astype(np.int64)
    g.attrs["task"] = "classification"
    g.attrs["label_names"] = [str(n) for n in f.attrs["label_names"]]
EOF
done
run_ok "$tmp/log" synth --kind merger --merger-channels 3 -n 8 --size 30 --seed 4 -o "$tmp/merger30.h5"
run_ok "$tmp/log" synth --kind morphology -n 8 --size 64 --seed 5 -o "$tmp/mo64.h5"

# export_and_predict NAME DATA: predict and export $tmp/run_NAME/best.h5 and
# queue the comparison of the two (one Python run compares them all).
triples=()
export_and_predict() {
  local name="$1" data="$2"
  run_ok "$tmp/log" predict --checkpoint "$tmp/run_$name/best.h5" -f "$data" -o "$tmp/$name.csv" --threads 2
  run_ok "$tmp/log" export --checkpoint "$tmp/run_$name/best.h5" -o "$tmp/$name.onnx"
  triples+=("$tmp/$name.onnx" "$data" "$tmp/$name.csv")
}

export_and_predict small "$tmp/mo32.h5"  # regression, SAME convolutions
train_tiny huertas huertas "$tmp/classes40.h5"  # maxout, dropout, classifier
export_and_predict huertas "$tmp/classes40.h5"
train_tiny lenet lenet "$tmp/merger30.h5"  # 3 bands, odd SAME average pools
export_and_predict lenet "$tmp/merger30.h5"
train_tiny resnet18 resnet18 "$tmp/classes32.h5" --small-stem --outputs 7  # more outputs than classes
export_and_predict resnet18 "$tmp/classes32.h5"
train_tiny resnet50 resnet50 "$tmp/classes32.h5"  # bottlenecks, 7x7 stem, padded max-pool
export_and_predict resnet50 "$tmp/classes32.h5"
train_tiny alexnet alexnet "$tmp/mo64.h5"  # 11x11 stride 4, unpadded pools
export_and_predict alexnet "$tmp/mo64.h5"
"$py" "$REPO/tests/onnx_compare.py" "${triples[@]}" >"$tmp/cmp" 2>&1 || fail "$(cat "$tmp/cmp")"
cat "$tmp/cmp"
echo "every model's ONNX export matches predict"
