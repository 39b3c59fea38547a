#!/usr/bin/env bash
# train --activation relu|leaky_relu|silu: the network is built with it, it is
# recorded in config.json and in the checkpoint's model description, and
# eval, predict, export and --resume rebuild the network with it; a
# checkpoint without it (made before --activation) is a ReLU network. An
# unknown name, or another activation for a ResNet, is one error line with
# exit status 2.
# Usage: activation.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
export OMP_NUM_THREADS=2

# ---- Refused before anything is made: one line, exit 2 ----
expect_error 2 "\-\-activation: model 'small': unknown activation 'nope' (known: relu, leaky_relu, silu)" -- \
  train --model small --activation nope -n 16 --size 16 --epochs 1 --out "$tmp/bad"
expect_error 2 "\-\-activation: model 'resnet18': activation 'silu' is not supported: the residual blocks use ReLU" -- \
  train --model resnet18 --small-stem --activation silu -n 16 --size 16 --epochs 1 --out "$tmp/bad"
expect_error 2 "model 'resnet50': activation 'leaky_relu' is not supported" -- \
  train --model resnet50 --activation leaky_relu -n 16 --size 32 --epochs 1 --out "$tmp/bad"
[ -e "$tmp/bad" ] && fail "a refused --activation left a run directory"
"$bin" train --help >"$tmp/help" 2>&1 || fail "train --help exited $?"
grep -q -- "--activation NAME.*relu, leaky_relu, silu" "$tmp/help" || fail "train --help: $(grep -- --activation "$tmp/help")"

# info --model: the activation changes no state_dict entry.
run_ok "$tmp/info_relu" info --model lenet --in-channels 3 --outputs 2 --image-size 24
run_ok "$tmp/info_silu" info --model lenet --in-channels 3 --outputs 2 --image-size 24 --activation silu
grep -q '"activation":"silu"' "$tmp/info_silu" || fail "info --model does not describe the activation: $(head -1 "$tmp/info_silu")"
cmp -s <(tail -n +2 "$tmp/info_relu") <(tail -n +2 "$tmp/info_silu") || fail "the activation changed the state_dict"
expect_error 2 "activation 'silu' is not supported" -- info --model resnet18 --activation silu

have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints); checked only the refusals"; exit 77; }

# activation_of FILE: the activations a checkpoint's /meta/config names (the
# attribute is stored as it is: its JSON is in the file's bytes).
activation_of() { grep -ao '"activation":"[a-z_]*"' "$1" | sort -u | tr '\n' ' '; }

# ---- small on built-in data, weights left at their initialisation (--lr 0,
# the same seed): the runs differ in their activation alone ----
run_ok "$tmp/synth" synth --kind morphology -n 32 --size 16 --seed 4 -o "$tmp/m.h5"
for act in relu leaky_relu silu; do
  args=(--model small -n 32 --size 16 --seed 4 --epochs 1 --batch-size 16 --lr 0 --threads 2 --out "$tmp/$act")
  [ "$act" = relu ] || args+=(--activation "$act")
  run_ok "$tmp/train_$act" train "${args[@]}"
  [ "$(activation_of "$tmp/$act/checkpoint.h5")" = "\"activation\":\"$act\" " ] || \
    fail "the checkpoint of --activation $act records $(activation_of "$tmp/$act/checkpoint.h5")"
  [ "$act" = relu ] || grep -q "^model: small with $act, " "$tmp/$act/train_log.txt" || fail "the log does not name $act"
  # config.json (indented JSON): in "options" and in "model".
  [ "$(grep -c "^ *\"activation\": \"$act\",\?$" "$tmp/$act/config.json")" -eq 2 ] || \
    fail "config.json of $act: $(grep activation "$tmp/$act/config.json")"
  run_ok "$tmp/eval_$act" eval --checkpoint "$tmp/$act/best.h5" -f "$tmp/m.h5" --threads 2
  grep -q "^loss (rmse): [0-9]" "$tmp/eval_$act" || fail "eval of $act: $(cat "$tmp/eval_$act")"
  run_ok "$tmp/predict_$act" predict --checkpoint "$tmp/$act/best.h5" -f "$tmp/m.h5" -o "$tmp/$act.csv" --threads 2
done
# The same weights, so predictions that differ come from the activation the
# checkpoint named: predict rebuilt each network with its own.
cmp -s "$tmp/relu.csv" "$tmp/silu.csv" && fail "silu and relu checkpoints predict the same"
cmp -s "$tmp/relu.csv" "$tmp/leaky_relu.csv" && fail "leaky_relu and relu checkpoints predict the same"
cmp -s "$tmp/leaky_relu.csv" "$tmp/silu.csv" && fail "leaky_relu and silu checkpoints predict the same"

# ---- lenet with SiLU, resumed: the same run as an uninterrupted one ----
common=(--model lenet --activation silu -f "$tmp/m.h5" --batch-size 8 --lr 0.02 --seed 5 --threads 2)
run_ok "$tmp/straight.log" train "${common[@]}" --epochs 2 --out "$tmp/straight"
run_ok "$tmp/first.log" train "${common[@]}" --epochs 1 --out "$tmp/resumed"
expect_error 2 "\-\-activation \"relu\" differs from the run" -- \
  train --out "$tmp/resumed" --resume --epochs 2 --activation relu
# Given again with its value, --activation is accepted; left out, it comes from the checkpoint.
run_ok "$tmp/second.log" train --out "$tmp/resumed" --resume --epochs 2 --activation silu
cmp -s <(cut -d, -f1-6 "$tmp/straight/metrics.csv") <(cut -d, -f1-6 "$tmp/resumed/metrics.csv") || \
  fail "metrics differ after resuming a silu run: $(diff "$tmp/straight/metrics.csv" "$tmp/resumed/metrics.csv")"
[ "$(activation_of "$tmp/resumed/checkpoint.h5")" = '"activation":"silu" ' ] || fail "the resumed checkpoint lost its activation"

# ---- export (ONNX has no SiLU node before opset 24: Sigmoid and Mul) ----
if grep -q "^onnx: *yes" "$tmp/info.txt"; then
  run_ok "$tmp/export.log" export --checkpoint "$tmp/straight/best.h5" -o "$tmp/lenet_silu.onnx"
  grep -aq "Sigmoid" "$tmp/lenet_silu.onnx" || fail "the exported silu lenet has no Sigmoid node"
  grep -aq "Relu" "$tmp/lenet_silu.onnx" && fail "the exported silu lenet has a Relu node"
  run_ok "$tmp/export.log" export --checkpoint "$tmp/leaky_relu/best.h5" -o "$tmp/small_leaky.onnx"
  grep -aq "LeakyRelu" "$tmp/small_leaky.onnx" || fail "the exported leaky_relu small has no LeakyRelu node"
fi

# ---- Checkpoints from before --activation (h5py edits /meta/config) ----
py=$(h5py_python)
if [ -z "$py" ]; then
  echo "SKIP: no Python with h5py and numpy: checkpoints without an activation not checked"
  echo "cli: activation checks passed"
  exit 0
fi
"$py" - "$tmp" <<'EOF' || fail "could not edit the checkpoints"
import json, shutil, sys, h5py
d = sys.argv[1]
def edit(src, dst, change):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        c = json.loads(f["meta"].attrs["config"])
        change(c)
        f["meta"].attrs["config"] = json.dumps(c)
def old(c):  # as written before --activation
    del c["model"]["activation"], c["options"]["activation"]
edit(f"{d}/silu/best.h5", f"{d}/old.h5", old)
edit(f"{d}/silu/best.h5", f"{d}/tanh.h5", lambda c: c["model"].update(activation="tanh"))
edit(f"{d}/silu/best.h5", f"{d}/number.h5", lambda c: c["model"].update(activation=3))
shutil.copytree(f"{d}/relu", f"{d}/old_run")
edit(f"{d}/relu/checkpoint.h5", f"{d}/old_run/checkpoint.h5", old)
EOF
# The silu run's weights without the field: the relu run's predictions.
run_ok "$tmp/predict_old" predict --checkpoint "$tmp/old.h5" -f "$tmp/m.h5" -o "$tmp/old.csv" --threads 2
cmp -s "$tmp/relu.csv" "$tmp/old.csv" || fail "a checkpoint without an activation is not read as relu"
expect_error 2 "checkpoint '$tmp/tanh.h5': the model description in /meta/config: model 'small': unknown activation 'tanh' (known: relu, leaky_relu, silu)" -- \
  eval --checkpoint "$tmp/tanh.h5" -f "$tmp/m.h5"
expect_error 2 "checkpoint '$tmp/number.h5': the model description in /meta/config: \"activation\" has the wrong type (3)" -- \
  predict --checkpoint "$tmp/number.h5" -f "$tmp/m.h5" -o "$tmp/p.csv"
# An old run resumes, with --activation relu too (the default it ran with), not another.
expect_error 2 "\-\-activation \"silu\" differs from the run" -- \
  train --out "$tmp/old_run" --resume --epochs 2 --activation silu
run_ok "$tmp/old_resumed.log" train --out "$tmp/old_run" --resume --epochs 2 --activation relu
echo "cli: activation checks passed"
