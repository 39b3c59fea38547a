#include "io/batches/augmented_batches.h"

#include <algorithm>
#include <utility>

#include "core/tensor/error.h"
#include "core/trace.h"

namespace astrocnn {

AugmentedBatches::AugmentedBatches(std::unique_ptr<BatchSource> source,
                                   const augment::AugmentOptions& options, uint64_t seed,
                                   int64_t ahead)
    : source_(std::move(source)), options_(options), seed_(seed),
      ready_(static_cast<size_t>(std::max<int64_t>(ahead, 1))) {
  ASTRO_CHECK(source_ != nullptr, "AugmentedBatches: no source of batches");
  ASTRO_CHECK(ahead >= 1, "AugmentedBatches: ahead must be >= 1, got ", ahead);
  options_.validate();
}

AugmentedBatches::~AugmentedBatches() { stop_worker(); }

void AugmentedBatches::start_epoch(int64_t epoch) {
  ASTRO_CHECK(epoch >= 0, "AugmentedBatches: epoch must be >= 0, got ", epoch);
  stop_worker();
  epoch_ = epoch;
  failed_ = nullptr;
  source_->start_epoch(epoch);
  ready_.reopen();
  worker_ = std::thread([this, epoch] { work(epoch); });
}

bool AugmentedBatches::next(Tensor& x, Tensor& y) {
  if (failed_) std::rethrow_exception(failed_);
  if (!worker_.joinable()) start_epoch(epoch_);
  Batch batch = ready_.pop();
  if (batch.error) {
    failed_ = batch.error;
    std::rethrow_exception(failed_);
  }
  if (batch.end) {
    stop_worker();
    ++epoch_;  // the next call starts the next epoch, as the iterators do
    return false;
  }
  x = std::move(batch.x);
  y = std::move(batch.y);
  return true;
}

void AugmentedBatches::stop_worker() {
  if (!worker_.joinable()) return;
  ready_.close();  // a worker waiting for room gives up; one mid-batch stops after it
  worker_.join();
}

void AugmentedBatches::work(int64_t epoch) {
  for (int64_t index = 0;; ++index) {
    Batch batch;
    try {
      Tensor x, y;
      if (source_->next(x, y)) {
        trace::Scope scope("augment batch", "data");
        batch.x = augment::augment_batch(x, options_, seed_, epoch, index);
        batch.y = std::move(y);
      } else {
        batch.end = true;
      }
    } catch (...) {
      batch.error = std::current_exception();
    }
    const bool last = batch.end || batch.error;
    if (!ready_.push(std::move(batch)) || last) return;
  }
}

}  // namespace astrocnn
