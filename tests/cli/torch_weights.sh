#!/usr/bin/env bash
# PyTorch weights in and out (tools/scripts/torch2h5.py, tools/scripts/h52torch.py) and
# `train --init-from`: a torchvision ResNet18 built in PyTorch (random
# weights, batch-norm statistics moved off their start, conv1 for the 6 bands
# of fakereal, 2 classes) is converted; `astrocnn predict` gives the softmax
# probabilities PyTorch gives on the same images (max relative error 1e-4);
# converted back, torchvision loads it with strict=True and gives the same
# outputs; --init-from starts a run from it with another stem and head, with
# a message for each re-initialised part. Bad input: one line, exit 2.
# Skipped without a Python that has torch, torchvision, h5py and numpy.
# Usage: torch_weights.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints)"; exit 77; }
py=$(python_with torch torchvision h5py numpy)
[ -n "$py" ] || { echo "SKIP: no Python with torch, torchvision, h5py and numpy (make python-peers, or set ASTROCNN_PYTHON)"; exit 77; }
torch2h5=("$py" "$REPO/tools/scripts/torch2h5.py")
h52torch=("$py" "$REPO/tools/scripts/h52torch.py")
export OMP_NUM_THREADS=2

# expect_tool_error PATTERN -- COMMAND...: exit status 2, one stderr line holding PATTERN.
expect_tool_error() {
  local pattern="$1"; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local status=$?
  [ "$status" -eq 2 ] || fail "'$*' exited $status, expected 2; stderr: $(cat "$tmp/err")"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "'$*' printed $(wc -l <"$tmp/err") stderr lines, expected 1: $(cat "$tmp/err")"
  grep -q -- "$pattern" "$tmp/err" || fail "'$*' stderr lacks '$pattern': $(cat "$tmp/err")"
}

# 6-band 32x32 cutouts, 2 classes: the ResNet's default (ImageNet) stem takes them.
run_ok "$tmp/synth.log" synth --kind fakereal -n 8 --size 32 --seed 3 -o "$tmp/fr.h5"

# The PyTorch side: the model, its state_dict, and its softmax probabilities on the images.
cat >"$tmp/peer.py" <<'EOF'
import sys, h5py, numpy as np, torch, torchvision
torch.manual_seed(0)
def resnet18_6band():
    m = torchvision.models.resnet18(weights=None, num_classes=2)
    m.conv1 = torch.nn.Conv2d(6, 64, 7, 2, 3, bias=False)
    return m
tmp = sys.argv[1]
images = torch.from_numpy(h5py.File(f"{tmp}/fr.h5", "r")["images"][()])
if sys.argv[2] == "build":
    m = resnet18_6band()
    with torch.no_grad():  # batch-norm statistics of these images (counters at 1)
        m.train(); m(images); m.eval()
        np.save(f"{tmp}/expected.npy", torch.softmax(m(images), 1).double().numpy())
    torch.save(m.state_dict(), f"{tmp}/r18.pt")
    sys.exit(0)
# check: astrocnn's predictions, then the round trip through h52torch.py
expected = np.load(f"{tmp}/expected.npy")
got = np.loadtxt(f"{tmp}/pred.csv", delimiter=",", skiprows=1)[:, 1:3]
err = np.max(np.abs(got - expected) / np.abs(expected))
print(f"predict against PyTorch: max relative error {err:.2e}")
if not err <= 1e-4:
    sys.exit(f"FAIL: astrocnn predict and PyTorch differ (max relative error {err:.2e}):\n{got}\n{expected}")
back, original = torch.load(f"{tmp}/back.pt"), torch.load(f"{tmp}/r18.pt")
if list(back) != list(original):
    sys.exit("FAIL: h52torch.py changed the entries' names or order")
for k in original:
    if back[k].dtype != original[k].dtype or not torch.equal(back[k], original[k]):
        sys.exit(f"FAIL: h52torch.py: '{k}' is {back[k].dtype}{list(back[k].shape)}, was {original[k].dtype}{list(original[k].shape)}")
m = resnet18_6band()
m.load_state_dict(back, strict=True)
m.eval()
with torch.no_grad():
    if not np.array_equal(torch.softmax(m(images), 1).double().numpy(), expected):
        sys.exit("FAIL: the model loaded from h52torch.py's file gives other outputs")
EOF
"$py" "$tmp/peer.py" "$tmp" build || fail "the PyTorch model could not be built"

# In: the model, in_channels, outputs and stem come from the tensors; the names
# are checked against `astrocnn info --model resnet18 ...`.
"${torch2h5[@]}" "$tmp/r18.pt" -o "$tmp/r18.h5" --image-size 32 --astrocnn "$bin" >"$tmp/in.log" 2>&1 ||
  fail "torch2h5.py failed: $(cat "$tmp/in.log")"
grep -q "resnet18, in_channels 6, outputs 2, image size 32, 122 entries" "$tmp/in.log" ||
  fail "torch2h5.py inferred something else: $(cat "$tmp/in.log")"
# predict prints softmax probabilities for a classifier (config "data"."class_labels").
run_ok "$tmp/predict.log" predict --checkpoint "$tmp/r18.h5" -f "$tmp/fr.h5" -o "$tmp/pred.csv" --threads 2
grep -q "softmax probabilities" "$tmp/predict.log" || fail "predict did not print probabilities: $(cat "$tmp/predict.log")"
# Out again, then the comparisons above.
"${h52torch[@]}" "$tmp/r18.h5" -o "$tmp/back.pt" >"$tmp/out.log" 2>&1 || fail "h52torch.py failed: $(cat "$tmp/out.log")"
grep -q "m.conv1 = torch.nn.Conv2d(6, 64, 7, 2, 3, bias=False)" "$tmp/out.log" ||
  fail "h52torch.py does not say how to build the model: $(cat "$tmp/out.log")"
"$py" "$tmp/peer.py" "$tmp" check || fail "the PyTorch comparison failed"

# --init-from on other data: 3-band mergers with 3 regression outputs. The
# stem (6 bands in the file) and the head (2 outputs) are re-initialised,
# the rest is taken, and the run trains.
run_ok "$tmp/synth.log" synth --kind merger --merger-channels 3 -n 8 --size 32 -o "$tmp/merger.h5"
run_ok "$tmp/init.log" train --model resnet18 -f "$tmp/merger.h5" --epochs 1 --batch-size 4 --lr 0.01 \
  --threads 2 --init-from "$tmp/r18.h5" --out "$tmp/run"
grep -q "^init-from: conv1.weight has 6 input channels in $tmp/r18.h5, the model 3: re-initialised" "$tmp/init.log" ||
  fail "no stem message: $(cat "$tmp/init.log")"
grep -q "^init-from: the head (fc.weight, fc.bias) has 2 outputs in $tmp/r18.h5, the model 3: re-initialised" "$tmp/init.log" ||
  fail "no head message: $(cat "$tmp/init.log")"
grep -q "init-from: the head" "$tmp/run/train_log.txt" || fail "train_log.txt lacks the messages"
"$py" - "$tmp/run/config.json" "$tmp/r18.h5" <<'EOF' || fail "config.json's init_from is wrong: $(grep -A20 init_from "$tmp/run/config.json")"
import json, os, sys
record = json.load(open(sys.argv[1]))["init_from"]
assert record["path"] == os.path.abspath(sys.argv[2]), record
assert record["model"] == "resnet18", record
assert [p["entries"] for p in record["reinitialised"]] == [["conv1.weight"], ["fc.weight", "fc.bias"]], record
EOF
[ "$(metric_column "$tmp/run/metrics.csv" train 1)" = 1 ] || fail "the run did not train its epoch: $(cat "$tmp/run/metrics.csv")"

# Bad input: one line, exit 2, nothing written or changed.
expect_error 2 "\-\-init-from: HDF5 checkpoint file '$tmp/missing.h5' does not exist" -- \
  train --model resnet18 -f "$tmp/fr.h5" --init-from "$tmp/missing.h5" --out "$tmp/bad1"
expect_error 2 "\-\-init-from: checkpoint '$tmp/r18.h5' holds a 'resnet18' model, not 'small'" -- \
  train --model small -f "$tmp/fr.h5" --init-from "$tmp/r18.h5" --out "$tmp/bad2"
expect_error 2 "\-\-init-from and --resume exclude each other" -- \
  train --out "$tmp/run" --resume --epochs 2 --init-from "$tmp/r18.h5"
for d in bad1 bad2; do [ -e "$tmp/$d" ] && fail "a refused run left $tmp/$d"; done
cp "$tmp/r18.h5" "$tmp/keep.h5"
expect_tool_error "torch2h5: error: '$tmp/missing.pt' does not exist" -- "${torch2h5[@]}" "$tmp/missing.pt" -o "$tmp/keep.h5"
expect_tool_error "does not match astrocnn's small (in_channels 6, outputs 2, image size 224): missing '0.weight'" -- \
  "${torch2h5[@]}" "$tmp/r18.pt" -o "$tmp/keep.h5" --model small --astrocnn "$bin"
expect_tool_error "is not a PyTorch file" -- "${torch2h5[@]}" "$tmp/fr.h5" -o "$tmp/keep.h5" --astrocnn "$bin"
cmp -s "$tmp/r18.h5" "$tmp/keep.h5" || fail "a refused conversion changed the existing output file"
expect_tool_error "h52torch: error: '$tmp/missing.h5' does not exist" -- "${h52torch[@]}" "$tmp/missing.h5" -o "$tmp/x.pt"
expect_tool_error "is a data set (/images, /labels), not a checkpoint" -- "${h52torch[@]}" "$tmp/fr.h5" -o "$tmp/x.pt"
[ -e "$tmp/x.pt" ] && fail "a refused h52torch.py run wrote its output"
ls "$tmp"/*.tmp >/dev/null 2>&1 && fail "a temporary file was left behind: $(ls "$tmp"/*.tmp)"
echo "PASS"
