// StreamingBatchIterator (io/batches/streaming_iterator.h): the epoch order, the queue and its thread.
#include "io/batches/streaming_iterator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/tensor/philox.h"
#include "io/batches/dataset.h"

namespace astrocnn {

namespace {

std::vector<int64_t> all_rows(const RowReader& reader) {
  std::vector<int64_t> rows(static_cast<size_t>(reader.size()));
  std::iota(rows.begin(), rows.end(), int64_t{0});
  return rows;
}

}  // namespace

StreamingBatchIterator::StreamingBatchIterator(std::shared_ptr<const RowReader> reader,
                                               int64_t batch_size, bool shuffle, uint64_t seed,
                                               bool drop_last)
    : StreamingBatchIterator(reader, reader ? all_rows(*reader) : std::vector<int64_t>{},
                             batch_size, shuffle, seed, drop_last) {}

StreamingBatchIterator::StreamingBatchIterator(std::shared_ptr<const RowReader> reader,
                                               std::vector<int64_t> rows, int64_t batch_size,
                                               bool shuffle, uint64_t seed, bool drop_last)
    : reader_(std::move(reader)),
      rows_(std::move(rows)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      drop_last_(drop_last),
      seed_(seed) {
  ASTRO_CHECK(reader_ != nullptr, "StreamingBatchIterator: the reader is null");
  ASTRO_CHECK(batch_size >= 1, "StreamingBatchIterator: batch_size must be >= 1, got ", batch_size);
  ASTRO_CHECK(!rows_.empty(), "StreamingBatchIterator '", reader_->info().source,
              "': the list of rows is empty");
  for (int64_t r : rows_)
    ASTRO_CHECK(r >= 0 && r < reader_->size(), "StreamingBatchIterator '", reader_->info().source,
                "': row ", r, " is outside [0, ", reader_->size(), ")");
  reset(0);
}

StreamingBatchIterator::~StreamingBatchIterator() { stop_prefetch(); }

void StreamingBatchIterator::set_noise(double sigma, int64_t channels) {
  ASTRO_CHECK(sigma >= 0 && std::isfinite(sigma),
              "StreamingBatchIterator: noise sigma must be >= 0, got ", sigma);
  const int64_t c = reader_->image_shape()[0];
  ASTRO_CHECK(channels == -1 || (channels >= 0 && channels <= c),
              "StreamingBatchIterator: noise channels ", channels, " is outside [0, ", c,
              "] (or -1 for all)");
  noise_sigma_ = sigma;
  noise_channels_ = channels;
}

int64_t StreamingBatchIterator::batches_per_epoch() const {
  const int64_t n = size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

void StreamingBatchIterator::reset(int64_t epoch) {
  ASTRO_CHECK(epoch >= 0, "StreamingBatchIterator: epoch must be >= 0, got ", epoch);
  stop_prefetch();
  epoch_ = epoch;
  batch_ = 0;
  failed_ = nullptr;
  if (shuffle_) {
    order_ = permutation(size(), seed_ + static_cast<uint64_t>(epoch));
  } else {
    order_.resize(rows_.size());
    std::iota(order_.begin(), order_.end(), int64_t{0});
  }
  start_prefetch();
}

bool StreamingBatchIterator::next(Tensor& x, Tensor& y) {
  if (failed_) std::rethrow_exception(failed_);
  if (batch_ == batches_per_epoch()) {
    reset(epoch_ + 1);
    return false;
  }
  // The thread delivers every batch of the epoch, or stops after an error,
  // so this wait always ends.
  Batch item = ready_.pop();
  if (item.error) {
    failed_ = item.error;
    std::rethrow_exception(failed_);
  }
  add_noise(item.x);
  x = item.x;
  y = item.y;
  ++batch_;
  return true;
}

void StreamingBatchIterator::add_noise(Tensor& x) const {
  if (noise_sigma_ > 0) add_batch_noise(x, noise_sigma_, noise_channels_, seed_, epoch_, batch_);
}

// ---- the prefetch thread ------------------------------------------------------------

void StreamingBatchIterator::start_prefetch() {
  std::vector<int64_t> epoch_rows(order_.size());
  for (size_t i = 0; i < order_.size(); ++i) epoch_rows[i] = rows_[order_[i]];
  ready_.reopen();
  thread_ = std::thread(&StreamingBatchIterator::prefetch, this, batches_per_epoch(),
                        std::move(epoch_rows));
}

void StreamingBatchIterator::stop_prefetch() {
  // The thread notices the closed queue before its next read; a read in
  // progress finishes first.
  ready_.close();
  if (thread_.joinable()) thread_.join();
}

void StreamingBatchIterator::prefetch(int64_t epoch_batches, std::vector<int64_t> epoch_rows) {
  const int64_t n = static_cast<int64_t>(epoch_rows.size());
  for (int64_t b = 0; b < epoch_batches && !ready_.closed(); ++b) {
    Batch item;
    const int64_t begin = b * batch_size_, end = std::min(n, begin + batch_size_);
    try {
      const std::vector<int64_t> rows(epoch_rows.begin() + begin, epoch_rows.begin() + end);
      reader_->read(rows, item.x, item.y);
    } catch (...) {
      item.error = std::current_exception();
    }
    const bool failed = item.error != nullptr;
    // Waits while kQueueDepth batches are ready; false once stop_prefetch() closed the queue.
    if (!ready_.push(std::move(item))) return;
    if (failed) return;  // next() reports it; nothing after it is read
  }
}

}  // namespace astrocnn
