#!/usr/bin/env bash
# Data-parallel scaling of `astrocnn train` over MPI ranks: the total images/s
# on 1, 2, ... ranks with the same batch per rank (weak scaling, as Horovod
# users run it), and the efficiency total(N) / (N x total(1)). Each rank
# uses THREADS oneDNN threads (1: one core per rank). The last epoch is
# timed (the first one warms up), and the data is an HDF5 file read in
# batches, so generating it is not timed.
#
# The allreduce columns come from the per-rank log line: the seconds rank 0
# spent in the gradient allreduce (waiting for the slower rank included), and
# the gradient bytes it reduced per second of that.
#
# Usage: bench/scaling.sh [PATH/TO/astrocnn]
# Environment: RANKS ("1 2"), MODEL (small), SIZE (64), IMAGES (2048), BATCH (32),
#   EPOCHS (3), THREADS (1), DEVICE (cpu; cuda: one GPU per rank, NCCL).
set -euo pipefail
bin=${1:-build/tools/astrocnn}
RANKS=${RANKS:-1 2}
MODEL=${MODEL:-small}
SIZE=${SIZE:-64}
IMAGES=${IMAGES:-2048}
BATCH=${BATCH:-32}
EPOCHS=${EPOCHS:-3}
THREADS=${THREADS:-1}
DEVICE=${DEVICE:-cpu}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" synth --kind morphology -n "$IMAGES" --size "$SIZE" --seed 1 -o "$tmp/data.h5" >/dev/null

echo "astrocnn train --model $MODEL, $IMAGES images ${SIZE}x${SIZE} (80% train), batch $BATCH per rank," \
     "$THREADS thread(s) per rank, device $DEVICE, epoch $EPOCHS of $EPOCHS timed; $(nproc) cores"
echo
echo "| ranks | images/s per rank | total images/s | efficiency | allreduce s (share of epoch) | allreduce GB/s |"
echo "|---:|---:|---:|---:|---:|---:|"
single=""
for n in $RANKS; do
  launch=()
  [ "$n" -gt 1 ] && launch=(mpirun -np "$n")
  "${launch[@]}" "$bin" train --model "$MODEL" -f "$tmp/data.h5" --batch-size "$BATCH" \
    --epochs "$EPOCHS" --threads "$THREADS" --device "$DEVICE" --val-fraction 0.2 \
    --out "$tmp/run$n" >"$tmp/log$n" 2>&1 || { echo "ranks $n failed:"; tail -20 "$tmp/log$n"; exit 1; }
  read -r per_rank total < <(sed -n "s/^\[Performance\] Epoch $EPOCHS takes .*Throughput: \([0-9.]*\) images\/sec (per worker), \([0-9.]*\) images\/sec (total)/\1 \2/p" "$tmp/log$n")
  [ -n "$single" ] || single=$total
  parameters=$(sed -n 's/^model: [^,]*, \([0-9]*\) parameters.*/\1/p' "$tmp/log$n")
  train=$(sed -n 's/^split: \([0-9]*\) train.*/\1/p' "$tmp/log$n")
  reduce=$(sed -n "s/^\[Performance\] Epoch $EPOCHS workers: .*gradient allreduce \([0-9.]*\) s (\([0-9.]*%\).*/\1 \2/p" "$tmp/log$n")
  awk -v n="$n" -v per="$per_rank" -v total="$total" -v single="$single" -v reduce="$reduce" \
      -v params="$parameters" -v train="$train" -v batch="$BATCH" 'BEGIN {
    split(reduce, r, " ")
    steps = int((train + batch * n - 1) / (batch * n))
    share = n > 1 ? sprintf("%.2f (%s)", r[1], r[2]) : "-"
    gbs = n > 1 && r[1] > 0 ? sprintf("%.2f", 4 * params * steps / r[1] / 1e9) : "-"
    printf "| %d | %.1f | %.1f | %.0f%% | %s | %s |\n", n, per, total, 100 * total / (n * single), share, gbs
  }'
done
