// The training loop: epochs of mini-batch SGD over a source of batches, with
// a validation pass and per-epoch metrics for both splits. The `astrocnn
// train` command and the demo are thin wrappers over this.
//
// The data reach the trainer as a BatchSource: an in-memory Dataset
// (BatchIterator) or a data set on disk read while training runs
// (StreamingBatchIterator), which give the same batches for the same rows.
//
// Data-parallel training: given a Communicator of several workers (MPI
// ranks, core/distributed.h), fit() first copies rank 0's weights to every
// rank; each step every rank backpropagates its own batch's loss, the ranks
// sum their gradients with one allreduce and divide them by the images of
// the whole (global) batch, and all apply the same SGD step, so the weights
// stay identical everywhere. For losses that are a mean over the batch
// (xent, mse, cosine) that is exactly the step one process takes on the
// global batch; for rmse (a root of a mean) it is the workers' rmse
// gradients weighted by their images, as Horovod averages them. Batch-norm
// statistics stay per rank unless sync_batch_norm (see below). The training
// metrics are summed over the workers; validation runs on rank 0 alone.
//
// Resuming: everything an epoch depends on is (1) the model's state_dict,
// (2) the optimiser's state, (3) the epoch number (it fixes the shuffle, the
// noise and the learning rate) and (4) the offset of global_rng() (dropout
// masks). Restore those four and fit(..., first_epoch) continues exactly
// where an uninterrupted run would be.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/distributed.h"
#include "core/module.h"
#include "core/optim.h"
#include "io/batch_source.h"  // BatchSource, IteratorSource
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
  // Several workers: average the batch-norm running statistics over them
  // after every step (--sync-bn), so that every rank, and so the checkpoint,
  // holds statistics of all workers' data, not of rank 0's share alone. The
  // normalisation inside a step still uses the rank's own batch.
  bool sync_batch_norm = false;
};

// ---- Where batches come from ----

// Training batches of an in-memory set: a new shuffle each epoch drawn from
// options.seed, and options.noise_sigma noise.
std::unique_ptr<BatchSource> training_batches(const Dataset& train, const TrainOptions& options);
// Evaluation batches: every row once, in order, no noise.
std::unique_ptr<BatchSource> evaluation_batches(const Dataset& data, int64_t batch_size);


// ---- Metrics ----

// What one pass over a split measured. NaN marks what is not defined.
struct Metrics {
  int64_t samples = 0;
  // Training: the mean of the batch losses (what SGD minimised). Evaluation:
  // the loss over the whole split (for rmse the root of the mean squared error).
  double loss = std::numeric_limits<double>::quiet_NaN();
  // Fraction of argmax(outputs) == class. Defined for class ids and for vote
  // fractions (non-negative label rows summing to 1, whose argmax is the class);
  // NaN for other targets (e.g. merger parameters) and for the cosine loss.
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  // Root mean squared error over all outputs: outputs against real-valued
  // labels; for class ids, softmax probabilities against one-hot labels.
  double rmse = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;
  // Per worker: samples / seconds / workers (so the one-process value when alone).
  double images_per_second = 0;
  // confusion[true class][predicted class], counts; empty when accuracy is NaN.
  std::vector<std::vector<int64_t>> confusion;
  // Training with several workers: `samples` counts all of them; here each
  // worker's own images and seconds (index = rank), and the seconds this
  // worker spent waiting in the gradient allreduce.
  struct WorkerShare {
    int64_t samples = 0;
    double seconds = 0;
  };
  std::vector<WorkerShare> workers;
  double allreduce_seconds = 0;
};

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double lr = 0;
  Metrics train;       // during the epoch's updates (dropout on, weights moving)
  Metrics validation;  // after the epoch, in eval mode; samples == 0 without a validation set
};

// Metrics of `model` (in eval mode, no gradients) over one pass of `data`.
// The model's train/eval mode is left as it was.
Metrics evaluate(Module& model, BatchSource& data, LossKind loss, Device device = Device::CPU);
Metrics evaluate(Module& model, const Dataset& data, LossKind loss, int64_t batch_size,
                 Device device = Device::CPU);

// ---- The loop ----

// Reported after each training batch (e.g. for a progress bar).
struct BatchProgress {
  int64_t epoch = 0;
  int64_t batch = 0;    // 1-based
  int64_t batches = 0;  // in this epoch
  double mean_loss = 0; // over the epoch's batches so far
  double seconds = 0;   // since the epoch started
  int64_t images = 0;   // seen so far this epoch
};

class Trainer {
 public:
  // `workers` (optional) are the data-parallel ranks this trainer is one of;
  // without it, or with a single rank, this process trains alone. It must
  // outlive the trainer.
  Trainer(Module& model, const TrainOptions& options, Communicator* workers = nullptr);

  // One epoch of SGD over `train`, then a pass over `validation` (skipped when
  // it is null or empty).
  EpochMetrics run_epoch(BatchSource& train, BatchSource* validation, int64_t epoch);
  EpochMetrics run_epoch(const Dataset& train, const Dataset& validation, int64_t epoch);

  // Epochs first_epoch..options.epochs; `on_epoch` (optional) sees each
  // epoch's metrics as it ends. first_epoch > 1 continues a run whose model,
  // optimiser and global_rng() offset were restored (see the top of the file).
  // With several workers it starts by copying rank 0's parameters and buffers
  // to every rank, and `train` must give every rank the same
  // batches_per_epoch() (ShardedBatches, models/sharding.h).
  std::vector<EpochMetrics> fit(BatchSource& train, BatchSource* validation,
                                const std::function<void(const EpochMetrics&)>& on_epoch = {},
                                int64_t first_epoch = 1);
  std::vector<EpochMetrics> fit(const Dataset& train, const Dataset& validation,
                                const std::function<void(const EpochMetrics&)>& on_epoch = {});

  void set_batch_callback(std::function<void(const BatchProgress&)> on_batch) {
    on_batch_ = std::move(on_batch);
  }

  SGD& optimizer() { return optimizer_; }
  const TrainOptions& options() const { return options_; }
  double lr_for_epoch(int64_t epoch) const;  // epoch 1-based

 private:
  bool parallel() const { return workers_.size() > 1; }
  // Sums the workers' gradients and divides them by the global batch's images.
  void average_gradients(int64_t images);
  // --sync-bn: the mean of the workers' batch-norm running statistics.
  void average_batch_norm_statistics();

  Module& model_;
  TrainOptions options_;
  SGD optimizer_;
  SingleProcess alone_;
  Communicator& workers_;
  std::function<void(const BatchProgress&)> on_batch_;
};

// "epoch 3/10  lr 0.01  train loss 0.2101 acc 70.2%  val loss 0.2213 acc 71.3%  2.1 s"
std::string format_epoch(const EpochMetrics& m, int64_t epochs);
// The throughput line the DeepGalaxy users parse:
// "[Performance] Epoch 3 takes 10.99 seconds. Throughput: 23.21 images/sec (per worker), 92.82 images/sec (total)"
std::string format_throughput(const EpochMetrics& m, int workers = 1);
// With several workers, each one's share and the time spent in the allreduce:
// "[Performance] Epoch 3 workers: rank 0 512 images 61.20 images/sec, rank 1 512 images
// 60.70 images/sec; gradient allreduce 0.12 s (5.7% of the epoch)"; empty for one worker.
std::string format_workers(const EpochMetrics& m);

}  // namespace astrocnn
