// Mini-batches read from a data set on disk while training runs, for data
// sets that do not fit in memory. Any format with a RowReader
// (io/readers/row_reader.h) streams: a native HDF5 file, a DeepGalaxy file, obiwan
// shards, a directory of FITS images. Same interface and same batches as
// BatchIterator (io/batches/dataset.h):
//
//   auto reader = std::make_shared<H5DatasetReader>("train.h5");
//   StreamingBatchIterator batches(reader, 64, /*shuffle=*/true, /*seed=*/1);
//   for (int epoch = 0; epoch < 10; ++epoch)
//     while (batches.next(x, y)) { ... }
//
// For the same rows, batch size, shuffle flag, seed, drop_last and noise, the
// batches equal BatchIterator's over the whole data set in memory (or over
// subset(data, rows) when given the rows of a split): each epoch's order is
// permutation(rows, seed + epoch).
//
// A background thread reads ahead: while the caller works on batch b, batches
// b + 1 and b + 2 are read (a queue of at most 2 ready batches). An error in
// the thread (e.g. a NaN label) is thrown again by next(), and again by every
// later next() until reset(). Destroying the iterator at any point (even mid
// epoch) stops the thread cleanly.
#pragma once
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "core/tensor/tensor.h"
#include "io/batches/bounded_queue.h"
#include "io/readers/row_reader.h"

namespace astrocnn {

class StreamingBatchIterator {
 public:
  // All rows of the data set.
  StreamingBatchIterator(std::shared_ptr<const RowReader> reader, int64_t batch_size, bool shuffle,
                         uint64_t seed, bool drop_last = false);
  // Only `rows` (row indices, e.g. one part of a train/validation split;
  // non-empty, each in [0, N), repeats allowed), in that order when not shuffling.
  StreamingBatchIterator(std::shared_ptr<const RowReader> reader, std::vector<int64_t> rows,
                         int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last = false);
  ~StreamingBatchIterator();
  StreamingBatchIterator(const StreamingBatchIterator&) = delete;
  StreamingBatchIterator& operator=(const StreamingBatchIterator&) = delete;

  // As BatchIterator::set_noise: Gaussian noise added to each batch as it is
  // handed out, drawn exactly as BatchIterator draws it.
  void set_noise(double sigma, int64_t channels = -1);

  // The next batch: x float32 [B, C, H, W], y float32 [B, K] or int64 [B].
  // Returns false at the end of an epoch (x and y untouched) and starts the
  // next epoch.
  bool next(Tensor& x, Tensor& y);
  void reset(int64_t epoch = 0);  // restart at the first batch of `epoch`

  int64_t epoch() const { return epoch_; }
  int64_t batches_per_epoch() const;
  int64_t size() const { return static_cast<int64_t>(rows_.size()); }  // rows per epoch
  // This epoch's sample order, as positions in the row list (the data set's
  // rows themselves when iterating over all of them), like BatchIterator::order().
  const std::vector<int64_t>& order() const { return order_; }
  const RowReader& reader() const { return *reader_; }

 private:
  struct Batch {
    Tensor x, y;
    std::exception_ptr error;  // set instead of x, y when the read failed
  };

  void start_prefetch();
  void stop_prefetch();
  void prefetch(int64_t epoch_batches, std::vector<int64_t> order);  // the thread's body
  void add_noise(Tensor& x) const;

  std::shared_ptr<const RowReader> reader_;
  std::vector<int64_t> rows_;  // data-set rows iterated over
  int64_t batch_size_;
  bool shuffle_, drop_last_;
  uint64_t seed_;
  double noise_sigma_ = 0;
  int64_t noise_channels_ = -1;
  int64_t epoch_ = 0, batch_ = 0;
  std::vector<int64_t> order_;
  std::exception_ptr failed_;  // a read error already thrown this epoch

  static constexpr size_t kQueueDepth = 2;  // batches read ahead
  BoundedQueue<Batch> ready_{kQueueDepth};
  std::thread thread_;
};

}  // namespace astrocnn
