#!/usr/bin/env bash
# A signal to one MPI rank stops every rank at the same step (the request
# rides in the gradient allreduce): one checkpoint, exit status 3, no rank
# left waiting, and --resume on the same ranks ends exactly as an
# uninterrupted run (tools/run/stop_signal.h, models/train/trainer.h).
# Usage: run_directory_mpi.sh PATH/TO/astrocnn
source "$(dirname "$0")/mpi_testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints)"; exit 77; }

# 51 training images, 2 ranks x 4 per step: 7 steps per epoch.
run=(train --model small -n 64 --size 16 --batch-size 4 --threads 1 --noise 0.05 --epochs 3)
mpi2 "$tmp/straight.log" "${run[@]}" --out "$tmp/straight"

# Rank 1 alone gets SIGUSR1 at the end of its 9th batch; rank 0 hears of it
# in the next step's allreduce.
timeout 60 mpirun -np 2 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then
    export ASTROCNN_TEST_SIGNAL=USR1 ASTROCNN_TEST_SIGNAL_AT_STEP=9; fi; exec "$0" "$@"' \
  "$bin" "${run[@]}" --out "$tmp/stopped" >"$tmp/stopped.log" 2>&1
status=$?
[ "$status" -ne 124 ] || fail "a rank still waits after 60 s: $(tail -5 "$tmp/stopped.log")"
[ "$status" -eq 3 ] || fail "mpirun exited $status, expected 3: $(tail -15 "$tmp/stopped.log")"
[ "$(grep -c "^stopped by a signal to another rank in epoch 2 after step 4 of 7; checkpoint saved; to continue: astrocnn train --out $tmp/stopped --resume\$" "$tmp/stopped.log")" -eq 1 ] ||
  fail "not one resume line: $(grep -v '^\[Perf' "$tmp/stopped.log" | tail -5)"
[ -z "$(find "$tmp/stopped" -name '*.tmp')" ] || fail "temporary files left: $(find "$tmp/stopped" -name '*.tmp')"

mpi2 "$tmp/resumed.log" train --out "$tmp/stopped" --resume
grep -q "^resuming .* in epoch 2 after step 4 of 7" "$tmp/resumed.log" || fail "$(head -1 "$tmp/resumed.log")"
cut -d, -f1-6 "$tmp/straight/metrics.csv" >"$tmp/a"
cut -d, -f1-6 "$tmp/stopped/metrics.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "a stopped and resumed 2-rank run differs: $(diff "$tmp/a" "$tmp/b")"
same_weights "$tmp/straight/checkpoint.h5" "$tmp/stopped/checkpoint.h5" 0 || true
echo "cli: MPI stop and resume checks passed"
