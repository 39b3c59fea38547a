// Augmentation off the training thread: a BatchSource that wraps any other
// (in-memory, streamed from HDF5, ...) and hands out its batches augmented
// by augment::augment_batch (io/batches/augment.h), prepared by a worker thread
// while the trainer works on earlier batches.
//
//   AugmentedBatches batches(data->batches(rows, 32, true, seed, 0), options, seed);
//   trainer.fit(batches, validation);
//
// What a batch becomes depends only on (seed, epoch, batch number, options)
// and the wrapped source's batch, never on timing, so runs are reproducible
// and a resumed run continues exactly. The worker keeps at most `ahead`
// batches ready. An error in the worker (from the source or from the
// augmentation) is thrown by next(), and again by every next() until the
// next start_epoch(). Destroying the object at any point stops the worker.
#pragma once
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>

#include "io/batches/augment.h"
#include "io/batches/batch_source.h"
#include "io/batches/bounded_queue.h"

namespace astrocnn {

class AugmentedBatches final : public BatchSource {
 public:
  AugmentedBatches(std::unique_ptr<BatchSource> source, const augment::AugmentOptions& options,
                   uint64_t seed, int64_t ahead = 3);
  ~AugmentedBatches() override;
  AugmentedBatches(const AugmentedBatches&) = delete;
  AugmentedBatches& operator=(const AugmentedBatches&) = delete;

  void start_epoch(int64_t epoch) override;
  // Like the iterators: after the last batch of an epoch, returns false once
  // and then continues with the next epoch.
  bool next(Tensor& x, Tensor& y) override;
  int64_t samples() const override { return source_->samples(); }
  int64_t batches_per_epoch() const override { return source_->batches_per_epoch(); }

 private:
  struct Batch {
    Tensor x, y;
    bool end = false;          // the epoch is over
    std::exception_ptr error;  // set instead of x, y when the worker failed
  };

  void stop_worker();
  void work(int64_t epoch);  // the worker thread's body

  std::unique_ptr<BatchSource> source_;
  augment::AugmentOptions options_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  std::exception_ptr failed_;  // an error already thrown this epoch
  BoundedQueue<Batch> ready_;  // filled by the worker
  std::thread worker_;
};

}  // namespace astrocnn
