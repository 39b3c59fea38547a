#!/usr/bin/env bash
# --resume under mpirun: every rank reads rank 0's checkpoint and the run
# continues exactly as an uninterrupted one on the same 2 ranks (each rank's
# dropout stream, the noise, and -m 1's split redrawn every epoch).
# Usage: resume_mpi.sh PATH/TO/astrocnn
source "$(dirname "$0")/mpi_testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints to resume from)"; exit 77; }

# huertas has dropout (each rank's own stream) and 9.2M parameters: few
# images (1 step per epoch) keep it quick.
run_ok "$tmp/synth" synth --kind morphology -n 20 --size 40 --seed 6 -o "$tmp/m.h5"
resume=(--model huertas -f "$tmp/m.h5" --batch-size 8 --lr 0.05 --noise 0.05 --seed 6 --threads 1 -m 1)
mpi2 "$tmp/straight.log" train "${resume[@]}" --epochs 2 --out "$tmp/straight"
mpi2 "$tmp/first.log" train "${resume[@]}" --epochs 1 --out "$tmp/resumed"
mpi2 "$tmp/second.log" train --out "$tmp/resumed" --resume --epochs 2
grep -q "^resuming .* after epoch 1 of 2" "$tmp/second.log" || fail "no resume line: $(head -5 "$tmp/second.log")"
cut -d, -f1-6 "$tmp/straight/metrics.csv" >"$tmp/a"
cut -d, -f1-6 "$tmp/resumed/metrics.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "metrics differ after resuming on 2 ranks: $(diff "$tmp/a" "$tmp/b")"
# The same weights, bit for bit (through predictions when h5py is missing).
if ! same_weights "$tmp/straight/checkpoint.h5" "$tmp/resumed/checkpoint.h5" 0; then
  run_ok "$tmp/p" predict --checkpoint "$tmp/straight/checkpoint.h5" -f "$tmp/m.h5" -o "$tmp/straight.csv"
  run_ok "$tmp/p" predict --checkpoint "$tmp/resumed/checkpoint.h5" -f "$tmp/m.h5" -o "$tmp/resumed.csv"
  cmp -s "$tmp/straight.csv" "$tmp/resumed.csv" || fail "predictions differ after resuming on 2 ranks"
fi
echo "ok"
