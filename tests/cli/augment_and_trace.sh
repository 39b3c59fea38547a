#!/usr/bin/env bash
# train with augmentation (every flag), --augment-validation, --resume with
# augmentation, --trace (a Chrome-trace timeline of one step), and the
# errors of their bad values.
# Usage: augment_and_trace.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"

common=(--model small --kind morphology -n 64 --size 16 --seed 3 --batch-size 16 --lr 0.02 --threads 2)
augment=(--flip --rot90 --rotate any --translate 1.5 --zoom 0.8,1.25 --brightness 0.1 --noise 0.05 --fill edge)

# ---- Bad values: one error line naming the flag, nothing written ----
expect_error 2 "\-\-rotate: must be a number in \[0, 180\]" -- train "${common[@]}" --rotate 200 --out "$tmp/bad"
expect_error 2 "\-\-rotate" -- train "${common[@]}" --rotate sideways --out "$tmp/bad"
expect_error 2 "\-\-zoom needs 0 < MIN <= MAX" -- train "${common[@]}" --zoom 2,1 --out "$tmp/bad"
expect_error 2 "\-\-zoom" -- train "${common[@]}" --zoom 1.2 --out "$tmp/bad"
expect_error 2 "\-\-brightness: must be a number in \[0, 1)" -- train "${common[@]}" --brightness 1 --out "$tmp/bad"
expect_error 2 "\-\-fill: unknown fill 'wrap'" -- train "${common[@]}" --flip --fill wrap --out "$tmp/bad"
expect_error 2 "\-\-translate 16 pixels shifts a 16x16 image" -- train "${common[@]}" --translate 16 --out "$tmp/bad"
expect_error 2 "\-\-trace '$tmp/no/such/dir/t.json': the directory" -- train "${common[@]}" --trace "$tmp/no/such/dir/t.json" --out "$tmp/bad"
expect_error 2 "\-\-trace-step: must be an integer in \[1, 1e+09\]" -- train "${common[@]}" --trace "$tmp/t.json" --trace-step 0 --out "$tmp/bad"
[ -e "$tmp/bad" ] && fail "a failed run left $tmp/bad behind"

# ---- Every augmentation, with a trace of step 2 ----
run_ok "$tmp/aug.log" train "${common[@]}" "${augment[@]}" --epochs 2 --out "$tmp/aug" --trace "$tmp/trace.json"
grep -q "^augmentation (worker thread): flip, rot90, rotate any angle, translate +-1.5 px, zoom 0.8-1.25, brightness +-0.1, noise sigma 0.05, edge fill$" \
  "$tmp/aug.log" || fail "no augmentation line: $(cat "$tmp/aug.log")"
grep -q "^trace: wrote $tmp/trace.json (training step 2, [0-9]* slices" "$tmp/aug.log" || fail "no trace line: $(tail -3 "$tmp/aug.log")"
metric_column "$tmp/aug/metrics.csv" train 3 | awk '{ if (!($1 > 0 && $1 < 1)) exit 1 }' || fail "train loss: $(cat "$tmp/aug/metrics.csv")"

py=$(command -v python3 || true)
if [ -n "$py" ]; then
  "$py" - "$tmp/aug/config.json" "$tmp/trace.json" <<'EOF' || fail "config.json or trace.json: see above"
import json, sys
o = json.load(open(sys.argv[1]))["options"]
assert o["flip"] and o["rot90"] and o["rotate"] == 180 and o["translate"] == 1.5, o
assert o["zoom"] == [0.8, 1.25] and o["brightness"] == 0.1 and o["fill"] == "edge", o
assert not o["augment-validation"] and "trace" not in o, o

t = json.load(open(sys.argv[2]))
slices = [e for e in t["traceEvents"] if e["ph"] == "X"]
names = [e["name"] for e in slices]
assert names.count("training step") == 1, names
for op in ("conv2d", "conv2d backward", "relu", "max_pool2d backward", "dense", "dense backward",
           "rmse_loss", "backward", "sgd step"):
    assert op in names, (op, names)
step = next(e for e in slices if e["name"] == "training step")
for e in slices:
    assert e["dur"] >= 0 and e["ts"] >= 0, e
    if e["cat"] in ("forward", "backward", "loss"):
        assert e["args"]["backend"] in ("reference", "cpu-onednn", "cuda"), e
        assert e["args"]["shape"].startswith("["), e
    if e["tid"] == step["tid"]:  # the training thread: everything inside the step
        assert e["ts"] >= step["ts"] - 1e-3 and e["ts"] + e["dur"] <= step["ts"] + step["dur"] + 1e-3, e
conv = next(e for e in slices if e["name"] == "conv2d")
assert conv["args"]["shape"] == "[16,1,16,16]", conv
EOF
fi

# ---- --resume with augmentation: the same numbers as an uninterrupted run ----
have_hdf5 && {
  run_ok "$tmp/first.log" train "${common[@]}" "${augment[@]}" --epochs 1 --out "$tmp/resumed"
  run_ok "$tmp/second.log" train --out "$tmp/resumed" --resume --epochs 2
  cut -d, -f1-6 "$tmp/aug/metrics.csv" >"$tmp/a"
  cut -d, -f1-6 "$tmp/resumed/metrics.csv" >"$tmp/b"
  cmp -s "$tmp/a" "$tmp/b" || fail "augmented metrics differ after resuming: $(diff "$tmp/a" "$tmp/b")"
  expect_error 2 "\-\-flip false differs from the run" -- train --out "$tmp/resumed" --resume --epochs 3 --flip=false
}

# ---- Validation images are left alone unless asked ----
run_ok "$tmp/flip.log" train "${common[@]}" --flip --epochs 1 --out "$tmp/flip"
run_ok "$tmp/flipval.log" train "${common[@]}" --flip --augment-validation --epochs 1 --out "$tmp/flipval"
[ "$(metric_column "$tmp/flip/metrics.csv" train 3)" = "$(metric_column "$tmp/flipval/metrics.csv" train 3)" ] \
  || fail "--augment-validation changed the training"
[ "$(metric_column "$tmp/flip/metrics.csv" validation 3)" != "$(metric_column "$tmp/flipval/metrics.csv" validation 3)" ] \
  || fail "--augment-validation left the validation images alone"
run_ok "$tmp/plain.log" train "${common[@]}" --epochs 1 --out "$tmp/plain"
[ "$(metric_column "$tmp/plain/metrics.csv" train 3)" != "$(metric_column "$tmp/flip/metrics.csv" train 3)" ] \
  || fail "--flip did not change the training images"

# A trace step beyond the run: a note, no file.
run_ok "$tmp/late.log" train "${common[@]}" --epochs 1 --out "$tmp/late" --trace "$tmp/late.json" --trace-step 99
grep -q "note: --trace-step 99 was never reached" "$tmp/late.log" || fail "no note: $(tail -2 "$tmp/late.log")"
[ -e "$tmp/late.json" ] && fail "a trace was written for a step that never came"
echo "cli: augmentation and trace checks passed"
