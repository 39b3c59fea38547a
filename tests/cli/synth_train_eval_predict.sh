#!/usr/bin/env bash
# synth -> train -f -> eval -> predict on each kind of built-in data, and the
# contents of the run directory.
# Usage: synth_train_eval_predict.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no data files, no checkpoints)"; exit 77; }

# ---- morphology: vote fractions, rmse ----
run_ok "$tmp/synth" synth --kind morphology -n 160 --size 16 --seed 2 -o "$tmp/m.h5"
grep -q "wrote .*m.h5: 160 images 1x16x16, 5 float labels" "$tmp/synth" || fail "synth said: $(cat "$tmp/synth")"
run="$tmp/run"
run_ok "$tmp/train" train --model small -f "$tmp/m.h5" --epochs 2 --batch-size 16 --lr 0.02 --threads 2 --out "$run"

for f in metrics.csv train_log.txt checkpoint.h5 best.h5 config.json; do
  [ -s "$run/$f" ] || fail "the run directory lacks $f: $(ls "$run")"
done
ls "$run" | grep -q '\.tmp$' && fail "temporary files left in the run directory: $(ls "$run")"

# metrics.csv: the documented header; 128 train and 32 validation images per epoch.
[ "$(head -1 "$run/metrics.csv")" = "epoch,split,loss,accuracy,rmse,lr,seconds,images_per_second" ] \
  || fail "metrics.csv header: $(head -1 "$run/metrics.csv")"
[ "$(cut -d, -f1,2 "$run/metrics.csv" | tr '\n' ' ')" = "epoch,split 1,train 1,validation 2,train 2,validation " ] \
  || fail "metrics.csv rows: $(cat "$run/metrics.csv")"
metric_column "$run/metrics.csv" validation 4 | awk '{ if (!($1 >= 0 && $1 <= 1)) exit 1 }' \
  || fail "validation accuracy is not a fraction: $(cat "$run/metrics.csv")"

# train_log.txt holds every line the run printed, the throughput line among them.
grep -Fxvf "$run/train_log.txt" "$tmp/train" >"$tmp/missing" && fail "lines printed but not logged: $(cat "$tmp/missing")"
grep -Eq '^\[Performance\] Epoch 2 takes [0-9]+\.[0-9]{2} seconds\. Throughput: [0-9]+\.[0-9]{2} images/sec \(per worker\), [0-9]+\.[0-9]{2} images/sec \(total\)$' \
  "$run/train_log.txt" || fail "no throughput line in the log: $(cat "$run/train_log.txt")"

# config.json: every option, the seed, the version and the commit.
py=$(command -v python3 || true)
if [ -n "$py" ]; then
  "$py" - "$run/config.json" <<'EOF' || fail "config.json: $(cat "$run/config.json")"
import json, sys
c = json.load(open(sys.argv[1]))
o = c["options"]
assert o["model"] == "small" and o["epochs"] == 2 and o["batch-size"] == 16 and o["lr"] == 0.02, o
assert o["seed"] == 1 and o["threads"] == 2 and o["file"].endswith("/m.h5"), o
for key in ("momentum", "weight-decay", "nesterov", "schedule", "noise", "val-fraction", "device", "loss", "out"):
    assert key in o, key
assert c["loss"] == "rmse" and c["model"]["outputs"] == 5 and c["model"]["in_channels"] == 1
assert c["data"]["train_images"] == 128 and c["data"]["validation_images"] == 32
assert c["astrocnn_version"] and c["git_commit"] and c["command"].startswith("astrocnn train")
EOF
else
  for key in '"model": "small"' '"seed": 1' '"git_commit"' '"astrocnn_version"' '"batch-size": 16'; do
    grep -q "$key" "$run/config.json" || fail "config.json lacks $key"
  done
fi

# curves.png is a PNG (when this build has cairo).
if have_cairo; then
  expect_png_signature "$run/curves.png"
fi

# eval: loss, RMSE, accuracy, per-class precision/recall, confusion matrix.
run_ok "$tmp/eval" eval --checkpoint "$run/best.h5" -f "$tmp/m.h5"
for pattern in "^loss (rmse): 0\.[0-9]" "^rmse: 0\.[0-9]" "^accuracy: [0-9.]*% ([0-9]* of 160)" \
               "^per class:" "precision  recall  support" "^confusion matrix" "4 unclassifiable"; do
  grep -q "$pattern" "$tmp/eval" || fail "eval output lacks '$pattern': $(cat "$tmp/eval")"
done
# The confusion matrix counts every image once.
total=$(sed -n '/^confusion matrix/,$p' "$tmp/eval" | awk 'NR == 2 { k = NF } NR > 2 { for (i = NF - k + 1; i <= NF; ++i) s += $i } END { print s }')
[ "$total" = 160 ] || fail "the confusion matrix counts $total images, not 160: $(cat "$tmp/eval")"

# predict: one row per image, index, 5 outputs, 5 labels.
run_ok "$tmp/predict" predict --checkpoint "$run/best.h5" -f "$tmp/m.h5" -o "$tmp/p.csv"
[ "$(wc -l <"$tmp/p.csv")" -eq 161 ] || fail "predictions.csv has $(wc -l <"$tmp/p.csv") lines, expected 161"
head -1 "$tmp/p.csv" | grep -q "^index,spheroid,disk,irregular,point_source,unclassifiable,label_spheroid," \
  || fail "predictions header: $(head -1 "$tmp/p.csv")"
awk -F, 'NR > 1 && (NF != 11 || $1 != NR - 2) { exit 1 }' "$tmp/p.csv" || fail "bad prediction rows"

# The file written by synth trains exactly as the same built-in set held in
# memory: same split, same batches, same numbers.
run_ok "$tmp/train" train --model small --kind morphology -n 160 --size 16 --seed 2 --epochs 2 \
  --batch-size 16 --lr 0.02 --threads 2 --out "$tmp/run_builtin"
run_ok "$tmp/train" train --model small -f "$tmp/m.h5" --seed 2 --epochs 2 \
  --batch-size 16 --lr 0.02 --threads 2 --out "$tmp/run_file"
cut -d, -f1-6 "$tmp/run_builtin/metrics.csv" >"$tmp/a"
cut -d, -f1-6 "$tmp/run_file/metrics.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "training on the file differs from the built-in set: $(diff "$tmp/a" "$tmp/b")"

# ---- fakereal: 6 channels, class ids, cross-entropy by default ----
run_ok "$tmp/synth" synth --kind fakereal -n 64 --size 16 --seed 3 -o "$tmp/fr.h5"
run_ok "$tmp/train" train --model lenet -f "$tmp/fr.h5" --epochs 1 --batch-size 16 --lr 0.0001 --threads 2 --out "$tmp/run_fr"
grep -q '"loss": "xent"' "$tmp/run_fr/config.json" || fail "fakereal did not default to xent"
run_ok "$tmp/eval" eval --checkpoint "$tmp/run_fr/checkpoint.h5" -f "$tmp/fr.h5"
grep -q "^loss (xent):" "$tmp/eval" && grep -q "1 real" "$tmp/eval" || fail "fakereal eval: $(cat "$tmp/eval")"
run_ok "$tmp/predict" predict --checkpoint "$tmp/run_fr/checkpoint.h5" -f "$tmp/fr.h5" -o "$tmp/pfr.csv"
[ "$(head -1 "$tmp/pfr.csv")" = "index,p_fake,p_real,label" ] || fail "fakereal header: $(head -1 "$tmp/pfr.csv")"
awk -F, 'NR > 1 { d = $2 + $3 - 1; if (d > 1e-5 || d < -1e-5 || ($4 != 0 && $4 != 1)) exit 1 }' "$tmp/pfr.csv" \
  || fail "probabilities do not sum to 1 or labels are not 0/1"

# ---- merger: physical parameters, cosine by default, no accuracy ----
run_ok "$tmp/synth" synth --kind merger -n 64 --size 16 --seed 4 -o "$tmp/mg.h5"
run_ok "$tmp/train" train --model small -f "$tmp/mg.h5" --epochs 1 --batch-size 16 --lr 0.02 --threads 2 --out "$tmp/run_mg"
grep -q '"loss": "cosine"' "$tmp/run_mg/config.json" || fail "merger did not default to cosine"
run_ok "$tmp/eval" eval --checkpoint "$tmp/run_mg/best.h5" -f "$tmp/mg.h5"
grep -q "^accuracy: not defined" "$tmp/eval" || fail "merger eval: $(cat "$tmp/eval")"
echo "cli: synth/train/eval/predict checks passed"
