#!/usr/bin/env bash
# --resume continues a run with the same results as an uninterrupted run on
# the CPU: 3 epochs straight against 2 epochs + resume to 3, and against a run
# killed (SIGKILL) at an arbitrary moment after its first checkpoint.
# Usage: resume.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints to resume from)"; exit 77; }

# The huertas net has dropout, so its masks (the global random stream) must
# be restored too. 40x40 is about the smallest image it takes. A fixed thread
# count keeps oneDNN's results deterministic. The step schedule changes the
# learning rate at epoch 3, the first resumed one. (A cosine schedule depends
# on --epochs itself, so a 2-epoch run is not the start of a 3-epoch one; the
# killed run below covers any schedule.)
run_ok "$tmp/synth" synth --kind morphology -n 48 --size 40 --seed 6 -o "$tmp/m.h5"
common=(--model huertas -f "$tmp/m.h5" --batch-size 16 --lr 0.05 --schedule step --step-size 2 --noise 0.05 --seed 6 --threads 2)
run_ok "$tmp/straight.log" train "${common[@]}" --epochs 3 --out "$tmp/straight"
run_ok "$tmp/first.log" train "${common[@]}" --epochs 2 --out "$tmp/resumed"
[ "$(wc -l <"$tmp/resumed/metrics.csv")" -eq 5 ] || fail "after 2 epochs metrics.csv has $(wc -l <"$tmp/resumed/metrics.csv") lines"
# Resuming needs only --out (and a larger --epochs); the rest comes from the checkpoint.
run_ok "$tmp/second.log" train --out "$tmp/resumed" --resume --epochs 3
grep -q "^resuming .* after epoch 2 of 3" "$tmp/second.log" || fail "no resume line: $(cat "$tmp/second.log")"
grep -q "^epoch 1/" "$tmp/second.log" && fail "the resumed run trained epoch 1 again"

# Same losses, accuracies, RMSEs and learning rates (the timings differ) ...
cut -d, -f1-6 "$tmp/straight/metrics.csv" >"$tmp/a"
cut -d, -f1-6 "$tmp/resumed/metrics.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "metrics differ after resuming: $(diff "$tmp/a" "$tmp/b")"
# ... and the same weights: identical predictions, to 7 significant digits.
run_ok "$tmp/p" predict --checkpoint "$tmp/straight/checkpoint.h5" -f "$tmp/m.h5" -o "$tmp/straight.csv"
run_ok "$tmp/p" predict --checkpoint "$tmp/resumed/checkpoint.h5" -f "$tmp/m.h5" -o "$tmp/resumed.csv"
cmp -s "$tmp/straight.csv" "$tmp/resumed.csv" || fail "predictions differ after resuming: $(diff "$tmp/straight.csv" "$tmp/resumed.csv" | head)"
grep -q '"resumes"' "$tmp/resumed/config.json" || fail "config.json does not record the resume"
grep -q "^\$ astrocnn train --out .* --resume --epochs 3" "$tmp/resumed/train_log.txt" || fail "the log lacks the resumed command"

# A finished run resumes only with more epochs; other options must not change.
expect_error 2 "already trained 3 of --epochs 3" -- train --out "$tmp/resumed" --resume
expect_error 2 "\-\-lr 0.5 differs from the run" -- train --out "$tmp/resumed" --resume --epochs 4 --lr 0.5

# Killed at any moment after the first checkpoint, then resumed: the same run.
run_ok "$tmp/synth" synth --kind morphology -n 1000 --size 32 --seed 7 -o "$tmp/big.h5"
small=(--model small -f "$tmp/big.h5" --batch-size 32 --lr 0.02 --schedule cosine --seed 7 --threads 2 --epochs 4)
run_ok "$tmp/straight2.log" train "${small[@]}" --out "$tmp/straight2"
"$bin" train "${small[@]}" --out "$tmp/killed" >"$tmp/killed.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -e "$tmp/killed/checkpoint.h5" ] && break
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
# checkpoint.h5 is renamed into place just before metrics.csv, so the kill
# may leave no metrics.csv yet: --resume rewrites it from the checkpoint.
done_epochs=0
[ -e "$tmp/killed/metrics.csv" ] && done_epochs=$(($(wc -l <"$tmp/killed/metrics.csv") / 2))
if "$bin" train --out "$tmp/killed" --resume >"$tmp/again" 2>&1; then
  :
elif grep -q "already trained 4 of --epochs 4" "$tmp/again"; then
  echo "note: the run finished before it could be killed; nothing to resume"
else
  fail "resuming the killed run failed: $(tail -3 "$tmp/again")"
fi
cut -d, -f1-6 "$tmp/straight2/metrics.csv" >"$tmp/a"
cut -d, -f1-6 "$tmp/killed/metrics.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "a killed and resumed run differs: $(diff "$tmp/a" "$tmp/b")"
echo "cli: resume checks passed (killed after $done_epochs epoch(s))"
