#!/usr/bin/env bash
# Data-parallel training on 2 MPI ranks (CPU, 1 thread each):
# 1. 2 ranks at --batch-size B end with the weights of one process at 2B
#    over the same samples (-m -1; mse is a mean over the batch, `small` has
#    neither dropout nor batch norm), within 1e-5 relative; the log shows
#    each rank's throughput and the total, written once, by rank 0.
# 2. -m 0: the ranks' shares of each epoch add up to the training set.
# (--resume on 2 ranks: resume_mpi.sh.)
# Usage: train_mpi.sh PATH/TO/astrocnn
source "$(dirname "$0")/mpi_testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no checkpoints to compare)"; exit 77; }

# ---- 1. Two ranks = one process over the global batch ----
# 160 training images in global batches of 24: the last one is partial (16 =
# 12 + 4), which exercises the weighting by images. Small allreduce buckets
# (100 KB) split the 512 KB dense weight across several of them.
common=(--model small -n 200 --size 32 --epochs 2 --loss mse --lr 0.05 --seed 3 --threads 1)
run_ok "$tmp/one.log" train "${common[@]}" --batch-size 24 --out "$tmp/one"
ASTROCNN_ALLREDUCE_BUCKET_MB=0.1 mpi2 "$tmp/two.log" train "${common[@]}" --batch-size 12 --out "$tmp/two"

grep -q "^data parallel: 2 ranks, MPI" "$tmp/two.log" || fail "no data-parallel line: $(head -8 "$tmp/two.log")"
for e in 1 2; do
  grep -q "^\[Performance\] Epoch $e takes .* images/sec (per worker), .* images/sec (total)$" "$tmp/two/train_log.txt" ||
    fail "epoch $e: no throughput line in train_log.txt"
  grep -q "^\[Performance\] Epoch $e workers: rank 0 [0-9]* images [0-9.]* images/sec, rank 1 [0-9]* images [0-9.]* images/sec" "$tmp/two/train_log.txt" ||
    fail "epoch $e: no per-rank throughput line in train_log.txt"
done
# Only rank 0 prints and writes: every line once.
[ "$(grep -c '^epoch 1/2' "$tmp/two.log")" -eq 1 ] || fail "the epoch line was printed $(grep -c '^epoch 1/2' "$tmp/two.log") times"
[ "$(grep -c '^data parallel' "$tmp/two/train_log.txt")" -eq 1 ] || fail "train_log.txt holds the header more than once"

# The same losses (train: summed over both ranks) to 6 significant digits ...
awk -F, 'NR == FNR { if (FNR > 1) loss[FNR] = $3; next }
         FNR > 1 { d = $3 - loss[FNR]; if (d < 0) d = -d; if (d > 1e-6 * (loss[FNR] < 0 ? -loss[FNR] : loss[FNR])) bad = bad " row " FNR ": " loss[FNR] " vs " $3 }
         END { if (bad != "") { print bad; exit 1 } }' "$tmp/one/metrics.csv" "$tmp/two/metrics.csv" >"$tmp/diff" ||
  fail "metrics differ between 1 process at batch 24 and 2 ranks at 12: $(cat "$tmp/diff")"
# ... and the same weights and momentum buffers within 1e-5 relative.
same_weights "$tmp/one/checkpoint.h5" "$tmp/two/checkpoint.h5" 1e-5

# ---- 2. -m 0: the set split once among the ranks ----
mpi2 "$tmp/m0.log" train --model small -n 201 --size 32 --epochs 2 --batch-size 16 --threads 1 -m 0 --out "$tmp/m0"
grep -q "^data parallel: .*-m 0: the set is split among the ranks once" "$tmp/m0.log" || fail "no -m 0 line: $(head -8 "$tmp/m0.log")"
train_images=$(sed -n 's/^split: \([0-9]*\) train.*/\1/p' "$tmp/m0.log")
for e in 1 2; do
  shares=$(sed -n "s/^\[Performance\] Epoch $e workers: rank 0 \([0-9]*\) images.*, rank 1 \([0-9]*\) images.*/\1 \2/p" "$tmp/m0.log")
  read -r rank0 rank1 <<<"$shares"
  [ -n "$rank1" ] && [ $((rank0 + rank1)) -eq "$train_images" ] && [ "$rank0" -eq $((train_images / 2)) ] ||
    fail "-m 0, epoch $e: the ranks trained on '$shares' images of $train_images"
done

echo "ok"
