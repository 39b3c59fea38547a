// What training and evaluation measure: the metrics of one pass over a
// split (loss, accuracy, RMSE, confusion matrix, throughput), the
// accumulator that sums them batch by batch and across data-parallel
// workers, and the lines a run prints from them. Kept apart from the
// training loop so that plotting, the run directory and the data sources
// can use them without the trainer.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/distributed.h"
#include "core/tensor/tensor.h"
#include "models/train/loss.h"

namespace astrocnn {

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

// Sums what a pass over a split measures, batch by batch, on the host.
class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(LossKind loss) : classes_(loss != LossKind::Cosine) {}

  // The batch's mean loss, weighted by its images.
  void add_loss(double batch_loss, int64_t batch_size) { loss_sum_ += batch_loss * batch_size; }
  // The batch's outputs [N,K] against its labels (class ids [N] or targets [N,K]).
  void add(const Tensor& outputs, const Tensor& labels);
  // Makes every worker's accumulator the sum of all of theirs (a collective).
  void reduce(Communicator& workers);
  // The running sums as numbers (to store in a checkpoint) and back. Layout:
  // classes, samples, values, loss sum, squared error, k, k*k counts.
  std::vector<double> to_numbers() const;
  // Reads what to_numbers() wrote from v[at...]; returns the index after it.
  size_t from_numbers(const std::vector<double>& v, size_t at);
  // Adds another accumulator's sums to these.
  void merge(const MetricsAccumulator& other);
  // The metrics; `loss_is_summed_mse`: the loss sums are MSEs whose root is the RMSE.
  Metrics finish(double seconds, bool loss_is_summed_mse) const;

 private:
  void count(int64_t truth, int64_t predicted, int64_t k);

  bool classes_;  // every label row so far names a class
  int64_t samples_ = 0, values_ = 0;
  double loss_sum_ = 0, squared_error_ = 0;
  std::vector<std::vector<int64_t>> confusion_;
};

// ---- The lines a run prints ----

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
