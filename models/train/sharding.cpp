#include "models/train/sharding.h"

#include <algorithm>

#include "core/tensor/error.h"
#include "core/tensor/philox.h"
#include "io/batches/dataset.h"

namespace astrocnn {

namespace {

// Keys of the streams below, apart from the epoch shuffle (seed + epoch, as
// the single-process iterators draw it) and from each other.
constexpr uint64_t kSplitStream = 0x53504c4954ull;  // "SPLIT"
constexpr uint64_t kShardOrderStream = 0x4f52444552ull;  // "ORDER"

uint64_t stream_key(uint64_t seed, uint64_t stream, uint64_t index) {
  return philox::mix64(philox::mix64(seed ^ stream) + index);
}

// `rows` in the order of a permutation of their positions.
std::vector<int64_t> permuted(const std::vector<int64_t>& rows, uint64_t seed) {
  std::vector<int64_t> out;
  out.reserve(rows.size());
  for (int64_t i : permutation(static_cast<int64_t>(rows.size()), seed)) out.push_back(rows[i]);
  return out;
}

// -m -1: block `rank` of every global batch of the single-process shuffle.
std::vector<int64_t> blocks_of_global_batches(const std::vector<int64_t>& rows,
                                              const ShardPlan& plan, int64_t epoch) {
  std::vector<int64_t> order = permuted(rows, plan.seed + static_cast<uint64_t>(epoch));
  const int64_t n = static_cast<int64_t>(order.size()), global = plan.batch_size * plan.workers;
  std::vector<int64_t> mine;
  for (int64_t start = 0; start < n; start += global) {
    int64_t first = std::min(n, start + plan.rank * plan.batch_size);
    int64_t last = std::min(n, first + plan.batch_size);
    mine.insert(mine.end(), order.begin() + first, order.begin() + last);
  }
  return mine;
}

// -m 0 / K: part `rank` of a split of the rows into `workers` parts whose
// sizes differ by at most one, drawn anew for each `draw`.
std::vector<int64_t> split_part(const std::vector<int64_t>& rows, const ShardPlan& plan,
                                int64_t draw) {
  std::vector<int64_t> order = permuted(rows, stream_key(plan.seed, kSplitStream, draw));
  const int64_t n = static_cast<int64_t>(order.size());
  int64_t first = n * plan.rank / plan.workers, last = n * (plan.rank + 1) / plan.workers;
  return std::vector<int64_t>(order.begin() + first, order.begin() + last);
}

}  // namespace

void check_shard_plan(const ShardPlan& plan) {
  ASTRO_CHECK(plan.workers >= 1 && plan.rank >= 0 && plan.rank < plan.workers, "rank ", plan.rank,
              " is not one of ", plan.workers, " workers");
  ASTRO_CHECK(plan.shard_epochs >= -1, "-m/--shard-epochs must be -1 (every rank reads the whole "
              "set), 0 (split once) or K > 0 (split anew every K epochs), got ", plan.shard_epochs);
  ASTRO_CHECK(plan.batch_size > 0, "--batch-size must be positive, got ", plan.batch_size);
}

std::vector<int64_t> worker_rows(const std::vector<int64_t>& rows, const ShardPlan& plan,
                                 int64_t epoch) {
  check_shard_plan(plan);
  if (plan.shard_epochs < 0) return blocks_of_global_batches(rows, plan, epoch);
  const int64_t draw = plan.shard_epochs == 0 ? 0 : std::max<int64_t>(epoch - 1, 0) / plan.shard_epochs;
  std::vector<int64_t> part = split_part(rows, plan, draw);
  return permuted(part, stream_key(worker_seed(plan.seed, plan.rank), kShardOrderStream,
                                   static_cast<uint64_t>(epoch)));
}

int64_t steps_per_epoch(int64_t rows, const ShardPlan& plan) {
  check_shard_plan(plan);
  auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  if (plan.shard_epochs < 0) return ceil_div(rows, plan.batch_size * plan.workers);
  return ceil_div(ceil_div(rows, plan.workers), plan.batch_size);  // the largest part's batches
}

uint64_t worker_seed(uint64_t seed, int rank) {
  return rank == 0 ? seed : philox::mix64(seed + static_cast<uint64_t>(rank));
}

ShardedBatches::ShardedBatches(std::vector<int64_t> rows, const ShardPlan& plan, MakeSource make)
    : rows_(std::move(rows)), plan_(plan), make_(std::move(make)) {
  check_shard_plan(plan_);
}

void ShardedBatches::start_epoch(int64_t epoch) {
  std::vector<int64_t> mine = worker_rows(rows_, plan_, epoch);
  epoch_.reset();  // a worker with no rows this epoch only takes empty steps
  if (mine.empty()) return;
  epoch_ = make_(std::move(mine));
  epoch_->start_epoch(epoch);  // unshuffled; the epoch keys the noise
}

bool ShardedBatches::next(Tensor& x, Tensor& y) { return epoch_ && epoch_->next(x, y); }

int64_t ShardedBatches::batches_per_epoch() const {
  return steps_per_epoch(static_cast<int64_t>(rows_.size()), plan_);
}

}  // namespace astrocnn
