// The training loop: epochs of mini-batch SGD over a Dataset, with a
// validation pass and per-epoch metrics. The `astrocnn train` command and the
// demo are thin wrappers over this.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/module.h"
#include "core/optim.h"
#include "io/dataset.h"

namespace astrocnn {

enum class LossKind { CrossEntropy, Rmse, Mse, Cosine };
LossKind parse_loss(const std::string& name);  // "xent", "rmse", "mse", "cosine"
const char* loss_name(LossKind kind);

// The loss of model outputs [N,K] against a batch of labels: int64 class ids
// [N] for cross-entropy, float [N,K] targets otherwise. Checks the pairing.
Tensor compute_loss(LossKind kind, const Tensor& outputs, const Tensor& labels);

struct TrainOptions {
  int64_t epochs = 5;
  int64_t batch_size = 32;
  SgdOptions sgd;
  std::string schedule = "constant";  // "constant", "step" (x0.1 every step_size epochs), "cosine"
  int64_t step_size = 10;
  LossKind loss = LossKind::Rmse;
  double noise_sigma = 0;  // Gaussian noise added to training images
  uint64_t seed = 0;
  Device device = Device::CPU;
};

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0;
  double val_loss = 0;       // NaN without a validation set
  double val_accuracy = 0;   // fraction; argmax of outputs vs argmax (or id) of labels; NaN for cosine/regression without classes
  double seconds = 0;        // training part of the epoch
  double images_per_second = 0;
};

struct EvalResult {
  double loss = 0;
  double accuracy = 0;
  int64_t samples = 0;
};

// Mean loss and accuracy of `model` (in eval mode, no gradients) over `data`.
EvalResult evaluate(Module& model, const Dataset& data, LossKind loss, int64_t batch_size,
                    Device device = Device::CPU);

class Trainer {
 public:
  Trainer(Module& model, const TrainOptions& options);

  // One epoch over `train` then a pass over `val` (skipped when val is empty).
  EpochMetrics run_epoch(const Dataset& train, const Dataset& val, int64_t epoch);

  // All epochs; `on_epoch` (optional) sees each epoch's metrics as it ends.
  std::vector<EpochMetrics> fit(const Dataset& train, const Dataset& val,
                                const std::function<void(const EpochMetrics&)>& on_epoch = {});

  SGD& optimizer() { return optimizer_; }

 private:
  double lr_for_epoch(int64_t epoch) const;

  Module& model_;
  TrainOptions options_;
  SGD optimizer_;
};

// "epoch 3/10  lr 0.0100  train loss 0.2101  val loss 0.2213  val acc 71.3%  2.1 s"
std::string format_epoch(const EpochMetrics& m, int64_t epochs);
// The throughput line the DeepGalaxy users parse:
// "[Performance] Epoch 3 takes 10.99 seconds. Throughput: 23.21 images/sec (per worker), 92.82 images/sec (total)"
std::string format_throughput(const EpochMetrics& m, int workers = 1);

}  // namespace astrocnn
