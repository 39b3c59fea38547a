// An in-memory data set of images and labels, its train/validation split,
// and the mini-batch iterator that feeds training.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"

namespace astrocnn {

struct Dataset {
  Tensor images;  // float32 (or float64) [N, C, H, W], on the CPU
  // float [N, K]: regression targets (vote fractions, physical parameters), or
  // int64 [N]: class ids in [0, label_names.size()).
  Tensor labels;
  std::vector<std::string> label_names;  // the K targets, or the class names
  std::string task;                      // "regression" or "classification"
  // Optional named per-image values kept beside the labels but not trained
  // on, e.g. the Einstein radius of a lens/non-lens set: float [N, K] each.
  // write_dataset stores each as the dataset /<name>; `train --labels-dataset
  // <name>` then trains on it (docs/DATA.md).
  struct Column {
    std::string name;
    Tensor values;
  };
  std::vector<Column> aux;

  int64_t size() const { return images.defined() ? images.size(0) : 0; }
  // Throws Error unless the fields are consistent (shapes, dtypes, task, names, aux columns).
  void validate() const;
};

// The rows `indices` (each in [0, N), repeats allowed), copied.
Dataset subset(const Dataset& data, const std::vector<int64_t>& indices);

// A uniformly random permutation of 0..n-1 (Fisher-Yates on Rng(seed)).
std::vector<int64_t> permutation(int64_t n, uint64_t seed);

// Deterministic random split: round(N * validation_fraction) rows go to
// `validation`, the rest to `train` (each keeps the original order).
// validation_fraction is in [0, 1); when it is > 0 both parts are non-empty.
struct Split {
  Dataset train, validation;
};
Split split(const Dataset& data, double validation_fraction, uint64_t seed);

// The rows split() puts in each part (each part in increasing order), so that
// a file can be split without loading it: subset(data, rows.train) equals
// split(data, fraction, seed).train, and likewise for validation.
struct SplitRows {
  std::vector<int64_t> train, validation;
};
SplitRows split_rows(int64_t n, double validation_fraction, uint64_t seed);

// Class ids from per-class scores or vote fractions: float [N, K] -> int64 [N]
// (the first maximum wins ties). int64 [N] labels are returned as a copy.
Tensor argmax_labels(const Tensor& labels);

// Mini-batches over a Dataset, epoch after epoch:
//
//   BatchIterator batches(train, 64, /*shuffle=*/true, /*seed=*/1);
//   for (int epoch = 0; epoch < 10; ++epoch)
//     while (batches.next(x, y)) { ... }
//
// next() copies the rows of the next batch into new tensors x [B, C, H, W]
// and y [B, K] or [B]. At the end of an epoch it returns false (leaving x
// and y alone) and prepares the next epoch, whose order is a new permutation
// drawn from seed + epoch (or the identity without shuffling). The last batch
// of an epoch is partial unless drop_last is set, which skips it.
// The Gaussian noise augmentation both batch iterators apply: N(0, sigma)
// added to the first `noisy_channels` channels (-1: all) of a batch x
// [B,C,H,W], drawn from one Philox stream per (seed, epoch, batch) so that a
// run is reproducible and the in-memory and streaming iterators agree.
void add_batch_noise(Tensor& x, double sigma, int64_t noisy_channels, uint64_t seed, int64_t epoch,
                     int64_t batch);

class BatchIterator {
 public:
  BatchIterator(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed,
                bool drop_last = false);

  // Data augmentation: adds Gaussian noise of standard deviation sigma to the
  // first `channels` image channels of every batch (-1: all of them), drawn
  // from a stream keyed by (seed, epoch, batch), so runs are reproducible.
  // The data set itself is never modified. sigma = 0 turns it off.
  void set_noise(double sigma, int64_t channels = -1);

  bool next(Tensor& x, Tensor& y);
  void reset(int64_t epoch = 0);  // restart at the first batch of `epoch`

  int64_t epoch() const { return epoch_; }
  int64_t batches_per_epoch() const;
  const std::vector<int64_t>& order() const { return order_; }  // this epoch's sample order

 private:
  Dataset data_;  // shares the tensors (handles), not a copy of the pixels
  int64_t batch_size_;
  bool shuffle_, drop_last_;
  uint64_t seed_;
  double noise_sigma_ = 0;
  int64_t noise_channels_ = -1;
  int64_t epoch_ = 0, cursor_ = 0, batch_ = 0;
  std::vector<int64_t> order_;
};

}  // namespace astrocnn
