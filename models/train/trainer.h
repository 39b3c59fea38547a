// The training loop: epochs of mini-batch SGD over a source of batches, with
// a validation pass and per-epoch metrics for both splits (what is measured:
// models/train/metrics.h; the losses: models/train/loss.h). The `astrocnn
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
//
// Stopping inside an epoch (set_stop_check: a signal from a batch
// scheduler) adds (5) the step reached and (6) the sums the epoch's training
// metrics are made of so far: EpochInProgress. A batch depends only on
// (seed, epoch, batch number), so continue_epoch() rewinds the batch source
// to the epoch's start and draws the steps already taken again without
// training on them, then trains on the rest: the weights and the metrics
// come out bit for bit as in an uninterrupted run (with the same number of
// workers; only the timings differ).
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/distributed.h"
#include "core/module.h"
#include "core/optim.h"
#include "io/batches/batch_source.h"  // BatchSource, IteratorSource
#include "io/batches/dataset.h"
#include "models/train/loss.h"
#include "models/train/metrics.h"

namespace astrocnn {

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


// Metrics of `model` (in eval mode, no gradients) over one pass of `data`.
// The model's train/eval mode is left as it was.
Metrics evaluate(Module& model, BatchSource& data, LossKind loss, Device device = Device::CPU);
// The same from outputs another way makes them: `outputs_of` maps a batch of
// images to what the model's forward would give, [B, K] (logits for the
// cross-entropy: e.g. the log of probabilities averaged over views, whose
// softmax is those probabilities). `observe`, when given, sees each batch's
// outputs and labels, for whoever needs every prediction (astrocnn eval).
using OutputsObserver = std::function<void(const Tensor& outputs, const Tensor& labels)>;
Metrics evaluate_outputs(BatchSource& data, LossKind loss,
                         const std::function<Tensor(const Tensor&)>& outputs_of,
                         const OutputsObserver& observe = nullptr);
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

// An epoch stopped after `steps` of its steps (Trainer::stopped()), or, with
// steps == 0, a run stopped between epochs, before `epoch`.
struct EpochInProgress {
  int64_t epoch = 0;  // 1-based
  int64_t steps = 0;
  // Each worker's running sums (index = rank): its batches, images, losses,
  // seconds and metric sums so far, as numbers to store and hand back.
  std::vector<std::vector<double>> workers;
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
  // batches_per_epoch() (ShardedBatches, models/train/sharding.h).
  std::vector<EpochMetrics> fit(BatchSource& train, BatchSource* validation,
                                const std::function<void(const EpochMetrics&)>& on_epoch = {},
                                int64_t first_epoch = 1);
  std::vector<EpochMetrics> fit(const Dataset& train, const Dataset& validation,
                                const std::function<void(const EpochMetrics&)>& on_epoch = {});

  void set_batch_callback(std::function<void(const BatchProgress&)> on_batch) {
    on_batch_ = std::move(on_batch);
  }

  // Asked after every step and after every epoch (on_epoch included): when
  // it returns true, fit() returns there, leaving stopped() set. With several
  // workers, one worker's request stops all of them at the same step (the
  // requests ride in the step's gradient allreduce). A request at an epoch's
  // last step lets the epoch end (validation, on_epoch) first.
  void set_stop_check(std::function<bool()> requested) { stop_requested_ = std::move(requested); }
  // Where the last fit() stopped on request; empty when it ran to the end.
  const std::optional<EpochInProgress>& stopped() const { return stopped_; }
  // Makes the next fit() continue a run stopped inside `partial.epoch`
  // (restored from its checkpoint with the model, optimiser and random
  // stream): that fit() must start at that epoch. Every worker passes the
  // same `partial`; a change in the number of workers makes the epoch's
  // training metrics (not the weights' steps) a sum in another order.
  void continue_epoch(EpochInProgress partial);

  SGD& optimizer() { return optimizer_; }
  const TrainOptions& options() const { return options_; }
  double lr_for_epoch(int64_t epoch) const;  // epoch 1-based

 private:
  bool parallel() const { return workers_.size() > 1; }

  // ---- run_epoch's parts ----
  struct EpochTally;  // what this worker has summed so far in an epoch (trainer.cpp)
  // continue_epoch()'s sums into `tally` when it continues `epoch`; returns
  // the first step to train (0: the epoch from its start).
  int64_t take_continued_sums(int64_t epoch, EpochTally& tally);
  // The epoch's steps from `first_step` on, summed into `tally`. Returns
  // false when a stop request ended the epoch before its last step
  // (stopped_ says where).
  bool train_steps(BatchSource& train, int64_t epoch, int64_t batches, int64_t first_step,
                   EpochTally& tally);
  // One SGD step: forward and backward on the batch (x, y), or no batch (a
  // worker whose batches ran out still joins the workers' collectives), the
  // gradients averaged over the workers, the update. Leaves the batch's
  // `outputs` and `loss`; returns whether any worker asked to stop (with
  // several workers; the request rides in the gradients' allreduce).
  bool take_step(bool have_batch, const Tensor& x, const Tensor& y, Tensor& outputs, Tensor& loss,
                 double& allreduce_seconds);
  // The epoch's training metrics (summed over the workers) into `m`, then
  // the validation pass.
  void finish_epoch(EpochMetrics& m, EpochTally& tally, BatchSource* validation);

  // Sums the workers' gradients and divides them by the global batch's
  // images. Returns whether any worker asked to `stop` (sent along).
  bool average_gradients(int64_t images, bool stop);
  // Whether this worker, or with several workers any of them, asks to stop
  // (a collective between epochs).
  bool stop_requested_here() const { return stop_requested_ && stop_requested_(); }
  bool stop_agreed_between_epochs();
  // Every worker's `numbers` (a collective), index = rank.
  std::vector<std::vector<double>> gather_from_workers(const std::vector<double>& numbers);
  // --sync-bn: the mean of the workers' batch-norm running statistics.
  void average_batch_norm_statistics();

  Module& model_;
  TrainOptions options_;
  SGD optimizer_;
  SingleProcess alone_;
  Communicator& workers_;
  std::function<void(const BatchProgress&)> on_batch_;
  std::function<bool()> stop_requested_;
  std::optional<EpochInProgress> stopped_;    // set by a stop on request
  std::optional<EpochInProgress> continuing_; // continue_epoch(), until its epoch starts
};

}  // namespace astrocnn
