// Which training images each data-parallel worker (MPI rank) trains on,
// epoch by epoch, with the meaning DeepGalaxy's users know from its -m
// option (`astrocnn train -m`):
//
//   -m -1  every rank reads from the whole set. An epoch is still one pass
//          over it: the epoch's shuffle (the very order a single process
//          uses) is cut into global batches of workers x B images, and rank r
//          trains on the r-th block of B of each. So W ranks at --batch-size B
//          see, step by step, the samples one process sees at --batch-size W*B.
//   -m 0   the set is split among the ranks once (a random split drawn from
//          the seed); each rank shuffles its own part every epoch and never
//          sees the others' images.
//   -m K   as -m 0, but the split is drawn anew every K epochs (epochs 1..K
//          use the first split, K+1..2K the second, ...).
//
// In every mode the ranks together train on each image exactly once per
// epoch. Every rank takes the same number of steps per epoch (each step ends
// in a collective); a rank whose part runs out first takes its last steps
// without images and contributes zero gradients (models/train/trainer.h).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "io/batches/batch_source.h"

namespace astrocnn {

struct ShardPlan {
  int rank = 0;
  int workers = 1;
  int64_t shard_epochs = -1;  // -m: -1, 0 or K > 0
  int64_t batch_size = 32;    // per worker
  uint64_t seed = 0;          // --seed: the epoch shuffles and the splits
};

// Throws unless the plan is usable (rank in range, -m >= -1, batch size > 0).
void check_shard_plan(const ShardPlan& plan);

// The rows (taken from `rows`) that worker plan.rank trains on in `epoch`
// (1-based, as the trainer counts), in the order it visits them.
std::vector<int64_t> worker_rows(const std::vector<int64_t>& rows, const ShardPlan& plan,
                                 int64_t epoch);

// The steps every worker takes per epoch over `rows` training images.
int64_t steps_per_epoch(int64_t rows, const ShardPlan& plan);

// The seed of worker `rank`'s own random streams (noise, dropout): `seed`
// itself for rank 0, so that a single worker is the single-process run.
uint64_t worker_seed(uint64_t seed, int rank);

// One worker's training batches: each epoch, worker_rows() in order, served
// by a source that `make` builds over those rows (unshuffled: the order is
// already the worker's). batches_per_epoch() is steps_per_epoch(), the same
// on every rank; next() may run out a step or two earlier.
class ShardedBatches final : public BatchSource {
 public:
  using MakeSource = std::function<std::unique_ptr<BatchSource>(std::vector<int64_t> rows)>;
  ShardedBatches(std::vector<int64_t> rows, const ShardPlan& plan, MakeSource make);

  void start_epoch(int64_t epoch) override;
  bool next(Tensor& x, Tensor& y) override;
  int64_t samples() const override { return static_cast<int64_t>(rows_.size()); }
  int64_t batches_per_epoch() const override;

 private:
  std::vector<int64_t> rows_;
  ShardPlan plan_;
  MakeSource make_;
  std::unique_ptr<BatchSource> epoch_;  // this epoch's batches
};

}  // namespace astrocnn
