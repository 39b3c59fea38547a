#!/usr/bin/env bash
# The astrocnn command line: a short training run whose loss falls, `info`,
# and bad input giving one error line with exit status 2.
# Usage: train_and_errors.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"

"$bin" info >"$tmp/info" || fail "info exited $?"
grep -q "^astrocnn " "$tmp/info" || fail "info has no version line"
grep -q "reference" "$tmp/info" || fail "info does not list the reference backend"
grep -q "^mpi: " "$tmp/info" || fail "info does not say whether this build has MPI"

# --help on every subcommand.
for sub in info synth train eval predict; do
  "$bin" "$sub" --help >"$tmp/help" 2>&1 || fail "$sub --help exited $?"
  grep -q "^Usage: .* $sub" "$tmp/help" || fail "$sub --help: $(head -3 "$tmp/help")"
done
grep -q -- "--resume" <("$bin" train --help) || fail "train --help does not list --resume"

expect_error 2 "unknown model 'nope'" -- train --model nope -n 20 --epochs 1
expect_error 2 "unknown loss 'bogus'" -- train --loss bogus -n 20 --epochs 1
expect_error 2 "\-\-epochs: must be an integer in \[1, 1e+06\], got .0." -- train --epochs 0 -n 20
expect_error 2 "\-\-batch-size: must be an integer in \[1, 65536\]" -- train --batch-size -3 -n 20 --epochs 1
expect_error 2 "device must be cpu or cuda" -- train --device tpu -n 20 --epochs 1
# --zero-init-residual: ResNets only, not with --init-from, recorded in config.json.
expect_error 2 "\-\-zero-init-residual applies to the ResNets (resnet18, resnet50), not 'huertas'" -- \
  train --model huertas --zero-init-residual -n 20 --epochs 1 --out "$tmp/zir_bad"
if have_hdf5; then  # (without HDF5, --init-from itself is refused first)
  expect_error 2 "\-\-init-from and \-\-zero-init-residual exclude each other" -- \
    train --model resnet18 --zero-init-residual --init-from "$tmp/none.h5" -n 20 --epochs 1 --out "$tmp/zir_bad"
fi
[ -e "$tmp/zir_bad" ] && fail "a refused --zero-init-residual left a run directory"
run_ok "$tmp/zir" train --model resnet18 --small-stem --zero-init-residual --kind lens -n 16 --size 16 \
  --epochs 1 --batch-size 8 --lr 0.01 --threads 2 --out "$tmp/zir_run"
grep -q '"zero-init-residual": true' "$tmp/zir_run/config.json" || fail "config.json lacks zero-init-residual"

# A deep batch-norm net after two steps of tiny batches: evaluation with the
# running statistics overflows (PyTorch's ResNet50 too). The error says why,
# rather than blaming the learning rate.
expect_error 2 "validation loss became .* while the training loss was [0-9.]*: in evaluation batch norm uses its running statistics" -- \
  train --model resnet50 --kind morphology -n 8 --size 32 --batch-size 4 --epochs 1 --lr 0.001 --threads 1 --out "$tmp/bn_few_steps"
expect_error 2 "needs integer class labels" -- train --loss xent -n 20 --epochs 1
expect_error 2 "error" -- train --no-such-option
expect_error 2 "error" -- frobnicate

# A short run on built-in data: the training loss of the last epoch is below the first.
run="$tmp/run"
"$bin" train --model small --lr 0.02 -n 240 --size 16 --epochs 4 --batch-size 16 --seed 3 --out "$run" \
  >"$tmp/train" 2>&1 || fail "train exited $?: $(cat "$tmp/train")"
grep -q "^\[Performance\] Epoch 4 takes .* seconds. Throughput: .* images/sec (per worker), .* images/sec (total)" "$tmp/train" \
  || fail "no throughput line: $(cat "$tmp/train")"
# metrics.csv: a header, then a train and a validation row per epoch.
[ "$(wc -l <"$run/metrics.csv")" -eq 9 ] || fail "metrics.csv should have a header and 8 rows: $(cat "$run/metrics.csv")"
first=$(metric_column "$run/metrics.csv" train 3 | head -1)
last=$(metric_column "$run/metrics.csv" train 3 | tail -1)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "train loss did not fall: $first -> $last"
echo "cli: all checks passed (loss $first -> $last)"
