// Where training and evaluation batches come from: the BatchSource interface
// the trainer (models/train/trainer.h) pulls mini-batches through, and the adapter
// that makes the two batch iterators (BatchIterator over an in-memory
// Dataset, StreamingBatchIterator over a data set on disk) BatchSources.
//
// It lives in io/ rather than with the trainer so that decorators of any
// source (augmentation in a worker thread, io/batches/augmented_batches.h; the
// one-step trace, io/batches/traced_batches.h) belong to the data side and need
// nothing from models/.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>

#include "core/tensor/tensor.h"

namespace astrocnn {

// Mini-batches, one pass per epoch.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual void start_epoch(int64_t epoch) = 0;  // rewind to the first batch of `epoch`
  virtual bool next(Tensor& x, Tensor& y) = 0;  // false once the epoch is over
  virtual int64_t samples() const = 0;          // images per epoch
  virtual int64_t batches_per_epoch() const = 0;
};

// BatchIterator and StreamingBatchIterator, which share one interface, as a
// BatchSource (the iterator decides shuffling, seed and noise).
template <class Iterator>
class IteratorSource final : public BatchSource {
 public:
  IteratorSource(std::unique_ptr<Iterator> iterator, int64_t samples)
      : iterator_(std::move(iterator)), samples_(samples) {}
  void start_epoch(int64_t epoch) override { iterator_->reset(epoch); }
  bool next(Tensor& x, Tensor& y) override { return iterator_->next(x, y); }
  int64_t samples() const override { return samples_; }
  int64_t batches_per_epoch() const override { return iterator_->batches_per_epoch(); }

 private:
  std::unique_ptr<Iterator> iterator_;
  int64_t samples_;
};

}  // namespace astrocnn
