// Data-parallel pieces that run in one process: the single-process
// communicator, the allreduce bucket plan, and which images each rank trains
// on (-m). The collectives themselves run under mpirun in
// tests/cli/train_mpi.sh and tests/cli/mpi_rank_failure.sh.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include "core/distributed.h"
#include "io/batches/dataset.h"
#include "models/train/sharding.h"
#include "models/train/trainer.h"

using namespace astrocnn;

namespace {

std::vector<int64_t> some_rows(int64_t n) {
  std::vector<int64_t> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rows[i] = 3 * i + 7;  // not 0..n-1: the rows of a split
  return rows;
}

ShardPlan plan_for(int rank, int workers, int64_t shard_epochs, int64_t batch_size) {
  ShardPlan p;
  p.rank = rank;
  p.workers = workers;
  p.shard_epochs = shard_epochs;
  p.batch_size = batch_size;
  p.seed = 11;
  return p;
}

std::set<int64_t> as_set(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

// A batch source over explicit rows that hands out their ids as labels.
class RowIds final : public BatchSource {
 public:
  RowIds(std::vector<int64_t> rows, int64_t batch) : rows_(std::move(rows)), batch_(batch) {}
  void start_epoch(int64_t) override { cursor_ = 0; }
  bool next(Tensor& x, Tensor& y) override {
    if (cursor_ >= static_cast<int64_t>(rows_.size())) return false;
    int64_t n = std::min<int64_t>(batch_, static_cast<int64_t>(rows_.size()) - cursor_);
    std::vector<int64_t> ids(rows_.begin() + cursor_, rows_.begin() + cursor_ + n);
    cursor_ += n;
    x = Tensor::zeros({n, 1});
    y = Tensor::from_vector(ids, {n});
    return true;
  }
  int64_t samples() const override { return static_cast<int64_t>(rows_.size()); }
  int64_t batches_per_epoch() const override { return (samples() + batch_ - 1) / batch_; }

 private:
  std::vector<int64_t> rows_;
  int64_t batch_, cursor_ = 0;
};

}  // namespace

TEST_CASE("a single process is rank 0 of 1 and its collectives change nothing", "[distributed]") {
  SingleProcess alone;
  CHECK(alone.rank() == 0);
  CHECK(alone.size() == 1);
  CHECK(alone.local_rank() == 0);
  Tensor a = Tensor::from_vector<float>({1, 2, 3}, {3});
  Tensor b = Tensor::from_vector<int64_t>({4, 5}, {2});
  const std::vector<Tensor> floats = {a}, both = {a, b};
  alone.allreduce(floats, ReduceOp::Sum);
  alone.allreduce(both, ReduceOp::Max);
  alone.allreduce_average(floats);
  alone.broadcast(both);
  alone.barrier();
  CHECK(a.to_vector<float>() == std::vector<float>{1, 2, 3});
  CHECK(b.to_vector<int64_t>() == std::vector<int64_t>{4, 5});
  if (!launched_by_mpi_launcher()) CHECK(world().size() == 1);
}

TEST_CASE("allreduce buckets cover every element once, in order, within the capacity",
          "[distributed]") {
  const std::vector<int64_t> numels = {5, 0, 12, 3, 1};
  for (int64_t capacity : {1, 4, 7, 21, 100}) {
    auto buckets = plan_buckets(numels, capacity);
    std::vector<std::pair<size_t, int64_t>> seen;  // (tensor, element) in visiting order
    for (const auto& bucket : buckets) {
      int64_t used = 0;
      for (const BucketPiece& p : bucket) {
        CHECK(p.count > 0);
        used += p.count;
        for (int64_t e = 0; e < p.count; ++e) seen.emplace_back(p.tensor, p.offset + e);
      }
      CHECK(used <= capacity);
    }
    std::vector<std::pair<size_t, int64_t>> expected;
    for (size_t t = 0; t < numels.size(); ++t)
      for (int64_t e = 0; e < numels[t]; ++e) expected.emplace_back(t, e);
    CHECK(seen == expected);
    CHECK(static_cast<int64_t>(buckets.size()) == (21 + capacity - 1) / capacity);  // none wasted
  }
  CHECK(plan_buckets({}, 8).empty());
  CHECK_THROWS_WITH(plan_buckets({3}, 0), Catch::Contains("capacity must be positive"));
}

TEST_CASE("sharding: the ranks together train on every image once per epoch", "[distributed]") {
  const std::vector<int64_t> rows = some_rows(103);
  for (int workers : {1, 2, 3, 4}) {
    for (int64_t m : {-1, 0, 1, 2}) {
      for (int64_t epoch = 1; epoch <= 4; ++epoch) {
        std::vector<int64_t> all;
        int64_t most_batches = 0;
        for (int r = 0; r < workers; ++r) {
          ShardPlan plan = plan_for(r, workers, m, 8);
          std::vector<int64_t> mine = worker_rows(rows, plan, epoch);
          all.insert(all.end(), mine.begin(), mine.end());
          int64_t batches = (static_cast<int64_t>(mine.size()) + 7) / 8;
          CHECK(batches <= steps_per_epoch(103, plan));
          most_batches = std::max(most_batches, batches);
        }
        INFO("workers " << workers << ", -m " << m << ", epoch " << epoch);
        CHECK(all.size() == rows.size());  // no duplicates ...
        CHECK(as_set(all) == as_set(rows));  // ... and nothing left out
        CHECK(most_batches == steps_per_epoch(103, plan_for(0, workers, m, 8)));
      }
    }
  }
}

TEST_CASE("sharding -m 0 splits once, -m K redraws every K epochs, each rank reshuffles",
          "[distributed]") {
  const std::vector<int64_t> rows = some_rows(60);
  auto rows_of = [&](int64_t m, int64_t epoch) { return worker_rows(rows, plan_for(1, 3, m, 4), epoch); };
  // -m 0: the same part every epoch, visited in a new order.
  CHECK(rows_of(0, 1).size() == 20);
  CHECK(as_set(rows_of(0, 1)) == as_set(rows_of(0, 5)));
  CHECK(rows_of(0, 1) != rows_of(0, 2));
  // -m 2: epochs 1-2 share a part, epoch 3 starts a new one.
  CHECK(as_set(rows_of(2, 1)) == as_set(rows_of(2, 2)));
  CHECK(as_set(rows_of(2, 2)) != as_set(rows_of(2, 3)));
  CHECK(as_set(rows_of(2, 3)) == as_set(rows_of(2, 4)));
  // -m 1: a new part every epoch. Deterministic from the seed.
  CHECK(as_set(rows_of(1, 1)) != as_set(rows_of(1, 2)));
  CHECK(rows_of(1, 3) == rows_of(1, 3));
}

TEST_CASE("sharding -m -1: W ranks at batch B are one process at batch W*B", "[distributed]") {
  const int64_t n = 50, batch = 4;
  const std::vector<int64_t> rows = some_rows(n);
  Dataset d;
  d.images = Tensor::zeros({n, 1, 1, 1});
  d.labels = Tensor::zeros({n, 1});
  for (int workers : {2, 3}) {
    for (int64_t epoch : {1, 2}) {
      // The single process's order: BatchIterator's shuffle of the same rows.
      BatchIterator single(d, workers * batch, /*shuffle=*/true, plan_for(0, workers, -1, batch).seed);
      single.reset(epoch);
      std::vector<int64_t> expected;
      for (int64_t position : single.order()) expected.push_back(rows[position]);
      // Interleave the ranks' blocks of B back into global batches.
      std::vector<std::vector<int64_t>> parts;
      for (int r = 0; r < workers; ++r) parts.push_back(worker_rows(rows, plan_for(r, workers, -1, batch), epoch));
      std::vector<int64_t> merged;
      std::vector<size_t> cursor(static_cast<size_t>(workers), 0);
      for (int64_t step = 0; step < steps_per_epoch(n, plan_for(0, workers, -1, batch)); ++step)
        for (int r = 0; r < workers; ++r)
          for (int64_t i = 0; i < batch && cursor[r] < parts[r].size(); ++i)
            merged.push_back(parts[r][cursor[r]++]);
      INFO("workers " << workers << ", epoch " << epoch);
      CHECK(merged == expected);
    }
  }
}

TEST_CASE("ShardedBatches: the rank's rows in order; every rank reports the same steps",
          "[distributed]") {
  const std::vector<int64_t> rows = some_rows(10);
  for (int rank : {0, 1}) {
    // -m -1 with 10 images and global batches of 2 x 4: rank 0 gets 4 + 2, rank 1 4 + 0.
    ShardPlan plan = plan_for(rank, 2, -1, 4);
    ShardedBatches batches(rows, plan, [](std::vector<int64_t> mine) {
      return std::make_unique<RowIds>(std::move(mine), 4);
    });
    CHECK(batches.batches_per_epoch() == 2);
    CHECK(batches.samples() == 10);
    batches.start_epoch(3);
    std::vector<int64_t> seen;
    Tensor x, y;
    int64_t count = 0;
    while (batches.next(x, y)) {
      ++count;
      for (int64_t id : y.to_vector<int64_t>()) seen.push_back(id);
    }
    CHECK(count == (rank == 0 ? 2 : 1));
    CHECK(seen == worker_rows(rows, plan, 3));
  }
  // A rank with no images this epoch takes only empty steps.
  ShardedBatches none(some_rows(3), plan_for(1, 2, -1, 4), [](std::vector<int64_t> mine) {
    return std::make_unique<RowIds>(std::move(mine), 4);
  });
  none.start_epoch(1);
  Tensor x, y;
  CHECK_FALSE(none.next(x, y));
  CHECK(none.batches_per_epoch() == 1);
}

TEST_CASE("sharding: bad plans are errors; rank 0 keeps the single-process seed", "[distributed]") {
  CHECK_THROWS_WITH(worker_rows(some_rows(4), plan_for(0, 2, -2, 4), 1),
                    Catch::Contains("-m/--shard-epochs must be -1"));
  CHECK_THROWS_WITH(worker_rows(some_rows(4), plan_for(2, 2, 0, 4), 1),
                    Catch::Contains("rank 2 is not one of 2 workers"));
  CHECK(worker_seed(5, 0) == 5);
  CHECK(worker_seed(5, 1) != worker_seed(5, 2));
}

TEST_CASE("the per-rank throughput line has the documented format", "[distributed]") {
  EpochMetrics m;
  m.epoch = 3;
  m.train.seconds = 2.0;
  CHECK(format_workers(m).empty());  // one worker: no line
  m.train.workers = {{512, 2.0}, {500, 1.6}};
  m.train.allreduce_seconds = 0.125;
  CHECK(format_workers(m) ==
        "[Performance] Epoch 3 workers: rank 0 512 images 256.00 images/sec, rank 1 500 images "
        "312.50 images/sec; gradient allreduce 0.12 s (6.2% of the epoch)");
}
