#!/usr/bin/env bash
# Bad input: each problem gives one error line naming the file or option,
# exit status 2, no core dump, and leaves what was already written (a run's
# checkpoints, metrics, config) byte for byte as it was.
# Usage: bad_input.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"

# Options (no data files needed).
expect_error 2 "\-\-model: unknown model 'vgg'" -- train --model vgg -n 20
expect_error 2 "\-\-loss: unknown loss 'hinge'" -- train --loss hinge -n 20
expect_error 2 "\-\-kind: .*unknown kind" -- train --kind spiral -n 20
expect_error 2 "\-\-val-fraction: must be a number in \[0, 1)" -- train --model small --val-fraction 1.5 -n 20 --size 16
expect_error 2 "\-\-schedule: unknown learning-rate schedule 'linear'" -- \
  train --model small --schedule linear -n 20 --size 16 --out "$tmp/never"
expect_error 2 "Could not convert: --epochs = many" -- train --epochs many
expect_error 2 "\-\-model huertas cannot take the images .*16x16" -- train --model huertas -n 20 --size 16 --out "$tmp/never"
touch "$tmp/file.txt"
expect_error 2 "\-\-out '$tmp/file.txt/run': cannot create the run directory" -- \
  train --model small -n 20 --size 16 --epochs 1 --out "$tmp/file.txt/run"
expect_error 2 "\-\-out '$tmp/file.txt': exists and is not a directory" -- \
  train --model small -n 20 --size 16 --epochs 1 --out "$tmp/file.txt"
[ -e "$tmp/never" ] && fail "a failed run created its --out directory"

if ! have_hdf5; then
  expect_error 2 "built without HDF5" -- train -f "$tmp/any.h5"
  echo "SKIP: the data-file checks (this astrocnn has no HDF5)"
  exit 0
fi

# A run whose files must survive every failure below untouched.
run_ok "$tmp/synth" synth --kind morphology -n 64 --size 16 --seed 1 -o "$tmp/m.h5"
run_ok "$tmp/synth" synth --kind fakereal -n 16 --size 16 --seed 1 -o "$tmp/fr.h5"
run="$tmp/run"
run_ok "$tmp/train" train --model small -f "$tmp/m.h5" --epochs 1 --batch-size 16 --lr 0.02 --threads 2 --out "$run"
snapshot() { (cd "$run" && md5sum checkpoint.h5 best.h5 metrics.csv config.json); }
snapshot >"$tmp/before"

# Data files.
expect_error 2 "'$tmp/missing.h5' does not exist" -- train --model small -f "$tmp/missing.h5" --out "$tmp/never"
echo "just text" >"$tmp/text.h5"
expect_error 2 "'$tmp/text.h5' is not an HDF5 file" -- train --model small -f "$tmp/text.h5" --out "$tmp/never"
expect_error 2 "'$tmp/text.h5' is not an HDF5 file" -- eval --checkpoint "$run/best.h5" -f "$tmp/text.h5"
expect_error 2 "'$tmp/m.h5' has no model description" -- eval --checkpoint "$tmp/m.h5" -f "$tmp/m.h5"
expect_error 2 "'$tmp/fr.h5' has 6-channel images but the model 'small' of checkpoint '$run/best.h5' takes 1 channel" -- \
  eval --checkpoint "$run/best.h5" -f "$tmp/fr.h5"
expect_error 2 "'$tmp/fr.h5' has 6-channel images" -- \
  predict --checkpoint "$run/best.h5" -f "$tmp/fr.h5" -o "$tmp/p.csv"
[ -e "$tmp/p.csv" ] && fail "a failed predict wrote its -o file"
run_ok "$tmp/synth" synth --kind morphology -n 8 --size 32 -o "$tmp/m32.h5"
expect_error 2 "'$tmp/m32.h5' has 32x32 images but the model 'small' of checkpoint '$run/best.h5' takes 16x16" -- \
  eval --checkpoint "$run/best.h5" -f "$tmp/m32.h5"
run_ok "$tmp/synth" synth --kind merger -n 8 --size 16 -o "$tmp/mg.h5"
expect_error 2 "'$tmp/mg.h5' has 3 label columns but the model 'small' of checkpoint '$run/best.h5' has 5 outputs" -- \
  eval --checkpoint "$run/best.h5" -f "$tmp/mg.h5"
expect_error 2 "\-\-loss xent needs integer class labels \[N\], but '$tmp/m.h5' has 5 float label columns" -- \
  train --model small --loss xent -f "$tmp/m.h5" --out "$tmp/never"
expect_error 2 "\-o '$tmp/nodir/x.h5': the directory '$tmp/nodir' does not exist" -- \
  synth -n 4 --size 16 -o "$tmp/nodir/x.h5"
expect_error 2 "cannot write '$tmp/nodir/p.csv'\|-o '$tmp/nodir/p.csv'" -- \
  predict --checkpoint "$run/best.h5" -f "$tmp/m.h5" -o "$tmp/nodir/p.csv"

# The run directory itself.
expect_error 2 "\-\-out '$run' already holds a run (checkpoint.h5)" -- train --model small -f "$tmp/m.h5" --out "$run"
expect_error 2 "\-\-resume: --lr 0.5 differs from the run" -- train --out "$run" --resume --epochs 2 --lr 0.5
expect_error 2 "\-\-resume: '$tmp/none/checkpoint.h5' does not exist" -- train --out "$tmp/none" --resume
expect_error 2 "\-\-resume: the run in '$run' has already trained 1 of --epochs 1" -- train --out "$run" --resume
# The run's data file replaced by something else.
cp "$tmp/m.h5" "$tmp/m.h5.saved"
echo "overwritten" >"$tmp/m.h5"
expect_error 2 "is not an HDF5 file" -- train --out "$run" --resume --epochs 2
run_ok "$tmp/synth" synth --kind morphology -n 48 --size 16 --seed 1 -o "$tmp/m.h5"
expect_error 2 "\-\-resume: '.*m.h5' has images = 48 but the run in .* trained on data with images = 64" -- \
  train --out "$run" --resume --epochs 2
cp "$tmp/m.h5.saved" "$tmp/m.h5"

py=$(h5py_python)
if [ -n "$py" ]; then
  "$py" - "$tmp" <<'EOF' || fail "could not write the malformed files"
import sys, h5py, numpy as np
d = sys.argv[1]
def write(name, images=None, labels=None):
    with h5py.File(f"{d}/{name}", "w") as f:
        if images is not None: f["images"] = images
        if labels is not None: f["labels"] = labels
votes = np.full((64, 5), 0.2, np.float32)
write("noimages.h5", labels=votes)
write("nolabels.h5", images=np.zeros((64, 1, 16, 16), np.float32))
write("rank3.h5", images=np.zeros((64, 16, 16), np.float32), labels=votes)
write("empty.h5", images=np.zeros((0, 1, 16, 16), np.float32), labels=np.zeros((0, 5), np.float32))
early = votes.copy(); early[3, 1] = np.nan
write("nan_early.h5", images=np.zeros((64, 1, 16, 16), np.float32), labels=early)
with h5py.File(f"{d}/m.h5", "r") as src:
    images, labels = src["images"][()], src["labels"][()]
# 400 rows with a NaN label in row 390, past the 256 rows train looks at
# before it starts: the error comes from the middle of the first epoch.
late = np.concatenate([labels] * 7)[:400].copy(); late[390, 0] = np.nan
write("nan_late.h5", images=np.concatenate([images] * 7)[:400], labels=late)
labels[50, 2] = np.nan
write("m_nan.h5", images=images, labels=labels)
EOF
  expect_error 2 "'$tmp/noimages.h5', object '/images': missing" -- train --model small -f "$tmp/noimages.h5" --out "$tmp/never"
  expect_error 2 "'$tmp/nolabels.h5', object '/labels': missing" -- train --model small -f "$tmp/nolabels.h5" --out "$tmp/never"
  expect_error 2 "'$tmp/rank3.h5', object '/images': images must be 4-D" -- train --model small -f "$tmp/rank3.h5" --out "$tmp/never"
  expect_error 2 "'$tmp/empty.h5', .*empty" -- train --model small -f "$tmp/empty.h5" --out "$tmp/never"
  expect_error 2 "'$tmp/nan_early.h5', object '/labels': row 3 holds a non-finite label" -- \
    train --model small -f "$tmp/nan_early.h5" --out "$tmp/never"
  expect_error 2 "'$tmp/nan_early.h5', object '/labels': row 3 holds a non-finite label" -- \
    eval --checkpoint "$run/best.h5" -f "$tmp/nan_early.h5"
  # Found only while training; the log keeps the error.
  expect_error 2 "'$tmp/nan_late.h5', object '/labels': row 390 holds a non-finite label" -- \
    train --model small -f "$tmp/nan_late.h5" --batch-size 16 --out "$tmp/late"
  grep -q "^error: .*row 390" "$tmp/late/train_log.txt" || fail "the log of the failed run lacks the error"
  [ -e "$tmp/late/checkpoint.h5" ] && fail "a run that failed in epoch 1 wrote a checkpoint"
  # A resumed run that fails mid-epoch leaves its directory as it was.
  cp "$tmp/m_nan.h5" "$tmp/m.h5"
  expect_error 2 "'.*m.h5', object '/labels': row 50 holds a non-finite label" -- train --out "$run" --resume --epochs 3
  cp "$tmp/m.h5.saved" "$tmp/m.h5"
else
  echo "note: no Python with h5py; the malformed-file checks were skipped"
fi

snapshot >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" || fail "failed runs changed the run directory: $(diff "$tmp/before" "$tmp/after")"
ls "$run" | grep -q '\.tmp$' && fail "temporary files left in the run directory: $(ls "$run")"
ls core* "$tmp"/core* >/dev/null 2>&1 && fail "a core file was written"
# And the untouched run still resumes.
run_ok "$tmp/resume" train --out "$run" --resume --epochs 2
[ "$(wc -l <"$run/metrics.csv")" -eq 5 ] || fail "the resumed run's metrics.csv: $(cat "$run/metrics.csv")"
echo "cli: bad-input checks passed"
