#!/usr/bin/env bash
# The run directory of `astrocnn train --out` under hostile conditions
# (tools/run/run_dir.h, tools/run/run_lock.h, tools/run/stop_signal.h):
#   1. a run killed before its first checkpoint leaves a directory that a
#      plain `train` starts over in, and --resume says there is nothing to resume;
#   2. two runs on one --out: the second fails at once naming the first's PID;
#   3. SIGTERM, SIGINT, SIGUSR1 mid-epoch: a checkpoint, one resume line, exit
#      status 3, no *.tmp, and --resume ends exactly as an uninterrupted run;
#   4. a write failing between checkpoint.h5 and metrics.csv leaves both at
#      the same epoch, and --resume mends a metrics.csv left behind.
# Usage: run_directory.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints)"; exit 77; }

# 7 steps per epoch (51 training images, batches of 8); noise and flips make
# the batches depend on (seed, epoch, batch) as well as on the order.
base=(train --model small -n 64 --size 16 --batch-size 8 --threads 1 --noise 0.05 --flip)
run=("${base[@]}" --epochs 3)
run_ok "$tmp/straight.log" "${run[@]}" --out "$tmp/straight"
cut -d, -f1-6 "$tmp/straight/metrics.csv" >"$tmp/straight.metrics"
run_ok "$tmp/synth.log" synth --kind morphology -n 64 --size 16 -o "$tmp/m.h5"
run_ok "$tmp/p.log" predict --checkpoint "$tmp/straight/checkpoint.h5" -f "$tmp/m.h5" -o "$tmp/straight.csv"

# same_as_straight DIR WHAT: DIR's metrics (timings aside) and weights are the uninterrupted run's.
same_as_straight() {
  cut -d, -f1-6 "$1/metrics.csv" >"$tmp/this.metrics"
  cmp -s "$tmp/straight.metrics" "$tmp/this.metrics" ||
    fail "$2: metrics differ from an uninterrupted run: $(diff "$tmp/straight.metrics" "$tmp/this.metrics")"
  run_ok "$tmp/p.log" predict --checkpoint "$1/checkpoint.h5" -f "$tmp/m.h5" -o "$tmp/this.csv"
  cmp -s "$tmp/straight.csv" "$tmp/this.csv" || fail "$2: the weights differ from an uninterrupted run"
}
no_temporaries() {
  local left
  left=$(find "$1" -name '*.tmp')
  [ -z "$left" ] || fail "$2: temporary files left behind: $left"
}

# ---- 1. Killed before its first checkpoint ----
# ASTROCNN_TEST_FAIL_RANK=0 with mode hang stops the (single) process at its
# second step, inside epoch 1; then kill -9. A stale metrics.csv and
# checkpoint.h5.tmp stand for what an older run, or a full disk, leaves.
ASTROCNN_TEST_FAIL_RANK=0 ASTROCNN_TEST_FAIL_MODE=hang "$bin" "${run[@]}" --out "$tmp/early" >"$tmp/early.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q "hanging at step 2" "$tmp/early.log" && break; sleep 0.05; done
grep -q "hanging at step 2" "$tmp/early.log" || { kill -9 "$pid"; fail "the test hook did not stop the run"; }
{ kill -9 "$pid"; wait "$pid"; } 2>/dev/null
[ ! -e "$tmp/early/checkpoint.h5" ] || fail "a checkpoint exists before the first epoch ended"
cp "$tmp/straight/metrics.csv" "$tmp/early/metrics.csv"
echo partial >"$tmp/early/checkpoint.h5.tmp"
expect_error 2 "checkpoint.h5' does not exist: the run in --out '$tmp/early' stopped before its first checkpoint, so there is nothing to resume; the same command without --resume starts it over" \
  -- train --out "$tmp/early" --resume
run_ok "$tmp/again.log" "${run[@]}" --out "$tmp/early"
grep -q "^note: .* held a run stopped before its first checkpoint; starting it over" "$tmp/again.log" ||
  fail "no note on the reused directory: $(head -3 "$tmp/again.log")"
same_as_straight "$tmp/early" "a run started over"
no_temporaries "$tmp/early" "a run started over"
expect_error 2 "already holds a run (checkpoint.h5)" -- "${run[@]}" --out "$tmp/early"
expect_error 2 "checkpoint.h5' does not exist (no run to continue in --out '$tmp/nothing-here')" -- train --out "$tmp/nothing-here" --resume

# ---- 2. Two runs on one --out ----
long=(train --model small -n 64 --size 16 --batch-size 8 --threads 1 --epochs 400)
"$bin" "${long[@]}" --out "$tmp/busy" >"$tmp/first.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do [ -s "$tmp/busy/.lock" ] && [ -e "$tmp/busy/checkpoint.h5" ] && break; sleep 0.05; done
[ "$(cat "$tmp/busy/.lock")" = "$pid" ] || fail "the lock file holds '$(cat "$tmp/busy/.lock")', not the PID $pid"
expect_error 2 "is in use by another astrocnn train (PID $pid" -- "${long[@]}" --out "$tmp/busy"
expect_error 2 "is in use by another astrocnn train (PID $pid" -- train --out "$tmp/busy" --resume
[ "$(cat "$tmp/busy/.lock")" = "$pid" ] || fail "the second run touched the lock file"
kill -0 "$pid" 2>/dev/null || fail "the first run ended before the second was tried; make it longer"
kill -TERM "$pid"
wait "$pid"
status=$?
[ "$status" -eq 3 ] || fail "the first run exited $status after SIGTERM, expected 3: $(tail -3 "$tmp/first.log")"
# Its directory is whole: resuming it finds a consistent checkpoint.
ASTROCNN_TEST_SIGNAL_AT_STEP=1 "$bin" train --out "$tmp/busy" --resume >"$tmp/busy2.log" 2>&1
[ $? -eq 3 ] || fail "resuming the first run failed: $(tail -3 "$tmp/busy2.log")"
no_temporaries "$tmp/busy" "two runs"
# The lock went with the process: a later run takes it.
run_ok "$tmp/after.log" train --model small -n 64 --size 16 --epochs 1 --out "$tmp/busy/inner"

# ---- 3. Stopped by a signal inside an epoch ----
# The test hook sends the signal at the end of step 10 (epoch 2, step 3 of 7).
for signal in TERM INT USR1; do
  dir="$tmp/stopped-$signal"
  ASTROCNN_TEST_SIGNAL=$signal ASTROCNN_TEST_SIGNAL_AT_STEP=10 "$bin" "${run[@]}" --out "$dir" >"$tmp/stop.log" 2>"$tmp/stop.err"
  status=$?
  [ "$status" -eq 3 ] || fail "SIG$signal: exit status $status, expected 3: $(cat "$tmp/stop.err")"
  [ ! -s "$tmp/stop.err" ] || fail "SIG$signal: stderr is not empty: $(cat "$tmp/stop.err")"
  [ "$(grep -c "to continue: astrocnn train --out $dir --resume\$" "$tmp/stop.log")" -eq 1 ] ||
    fail "SIG$signal: not one resume line: $(tail -2 "$tmp/stop.log")"
  grep -q "^stopped by SIG$signal in epoch 2 after step 3 of 7; checkpoint saved" "$tmp/stop.log" ||
    fail "SIG$signal: $(tail -1 "$tmp/stop.log")"
  [ "$(wc -l <"$dir/metrics.csv")" -eq 3 ] || fail "SIG$signal: metrics.csv is not at epoch 1"
  no_temporaries "$dir" "SIG$signal"
  run_ok "$tmp/resume.log" train --out "$dir" --resume
  grep -q "^resuming .* in epoch 2 after step 3 of 7" "$tmp/resume.log" || fail "SIG$signal: $(head -1 "$tmp/resume.log")"
  same_as_straight "$dir" "SIG$signal then --resume"
done

# Stopped twice, the second time in a resumed run, then resumed again.
dir="$tmp/twice"
ASTROCNN_TEST_SIGNAL_AT_STEP=5 "$bin" "${run[@]}" --out "$dir" >"$tmp/stop.log" 2>&1
[ $? -eq 3 ] || fail "the first stop: $(tail -1 "$tmp/stop.log")"
ASTROCNN_TEST_SIGNAL_AT_STEP=6 "$bin" train --out "$dir" --resume >"$tmp/stop.log" 2>&1
[ $? -eq 3 ] || fail "the second stop: $(tail -1 "$tmp/stop.log")"
grep -q "in epoch 2 after step 4 of 7" "$tmp/stop.log" || fail "the second stop: $(tail -1 "$tmp/stop.log")"
run_ok "$tmp/resume.log" train --out "$dir" --resume
same_as_straight "$dir" "stopped twice"

# A real SIGTERM from outside, at a random moment of a run (during its
# start, an epoch or between epochs), and a SIGINT while it stops (ignored),
# then --resume.
"$bin" "${run[@]}" --out "$tmp/external" >"$tmp/external.log" 2>&1 &
pid=$!
sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
kill -TERM "$pid" 2>/dev/null
kill -INT "$pid" 2>/dev/null
wait "$pid"
status=$?
no_temporaries "$tmp/external" "an external SIGTERM"
if [ "$status" -eq 3 ]; then
  grep -q "to continue: astrocnn train --out $tmp/external --resume" "$tmp/external.log" ||
    fail "an external SIGTERM: no resume line: $(tail -2 "$tmp/external.log")"
  run_ok "$tmp/resume.log" train --out "$tmp/external" --resume
  echo "note: the external SIGTERM stopped the run: $(grep '^stopped by' "$tmp/external.log")"
elif [ "$status" -eq 143 ]; then
  # Before `train` installed its handlers (process start-up): nothing to resume.
  [ ! -e "$tmp/external/checkpoint.h5" ] || fail "killed at start-up, yet a checkpoint exists"
  run_ok "$tmp/again.log" "${run[@]}" --out "$tmp/external"
  echo "note: the external SIGTERM came during start-up"
else
  [ "$status" -eq 0 ] || fail "an external SIGTERM: exit status $status: $(tail -3 "$tmp/external.log")"
  echo "note: the run finished before the external SIGTERM"
fi
same_as_straight "$tmp/external" "an external SIGTERM then --resume"

# ---- 4. Checkpoint and metrics in step ----
# Writing metrics.csv after epoch 2 fails as on a full disk: checkpoint.h5
# (written first) must stay at epoch 1 with it, and no temporary stays.
dir="$tmp/full"
ASTROCNN_TEST_FAIL_WRITE=metrics.csv@2 expect_error 2 "cannot write '$dir/metrics.csv': No space left on device" \
  -- "${run[@]}" --out "$dir"
[ "$(wc -l <"$dir/metrics.csv")" -eq 3 ] || fail "metrics.csv is not at epoch 1 after the failure"
no_temporaries "$dir" "a failed write"
run_ok "$tmp/resume.log" train --out "$dir" --resume
grep -q "^resuming .* after epoch 1 of 3" "$tmp/resume.log" || fail "checkpoint.h5 is not at epoch 1: $(head -1 "$tmp/resume.log")"
same_as_straight "$dir" "a failed write then --resume"

# Killed between the renames of checkpoint.h5 and metrics.csv (simulated):
# metrics.csv one epoch behind; --resume rewrites it from the checkpoint.
dir="$tmp/behind"
run_ok "$tmp/one.log" "${base[@]}" --out "$dir" --epochs 1
cp "$dir/metrics.csv" "$tmp/one-epoch.csv"
run_ok "$tmp/two.log" train --out "$dir" --resume --epochs 2
cp "$tmp/one-epoch.csv" "$dir/metrics.csv"
ASTROCNN_TEST_SIGNAL_AT_STEP=1 "$bin" train --out "$dir" --resume --epochs 3 >"$tmp/stop.log" 2>&1
[ $? -eq 3 ] || fail "a stop in epoch 3: $(tail -1 "$tmp/stop.log")"
[ "$(wc -l <"$dir/metrics.csv")" -eq 5 ] || fail "--resume did not bring metrics.csv up to checkpoint.h5's 2 epochs"
echo "cli: run directory checks passed"
