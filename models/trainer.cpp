#include "models/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "core/autograd.h"
#include "core/ops.h"

namespace astrocnn {

LossKind parse_loss(const std::string& name) {
  if (name == "xent" || name == "cross-entropy") return LossKind::CrossEntropy;
  if (name == "rmse") return LossKind::Rmse;
  if (name == "mse") return LossKind::Mse;
  if (name == "cosine") return LossKind::Cosine;
  throw Error("unknown loss '" + name + "' (known: xent, rmse, mse, cosine)");
}

const char* loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::CrossEntropy: return "xent";
    case LossKind::Rmse: return "rmse";
    case LossKind::Mse: return "mse";
    case LossKind::Cosine: return "cosine";
  }
  return "?";
}

Tensor compute_loss(LossKind kind, const Tensor& outputs, const Tensor& labels) {
  if (kind == LossKind::CrossEntropy) {
    ASTRO_CHECK(labels.dtype() == DType::I64, "loss xent needs integer class labels [N], got ",
                labels.str(), " (use --loss rmse, mse or cosine for real-valued labels)");
    return ops::softmax_cross_entropy(outputs, labels);
  }
  ASTRO_CHECK(labels.dtype() != DType::I64, "loss ", loss_name(kind),
              " needs real-valued labels [N,K], got class ids ", labels.str(), " (use --loss xent)");
  ASTRO_CHECK(labels.shape() == outputs.shape(), "loss ", loss_name(kind), ": labels ",
              labels.str(), " do not match the model outputs ", outputs.str());
  switch (kind) {
    case LossKind::Rmse: return ops::rmse_loss(outputs, labels);
    case LossKind::Mse: return ops::mse_loss(outputs, labels);
    default: return ops::cosine_loss(outputs, labels);
  }
}

// ---- Batch sources ----

std::unique_ptr<BatchSource> training_batches(const Dataset& train, const TrainOptions& options) {
  auto it = std::make_unique<BatchIterator>(train, options.batch_size, /*shuffle=*/true, options.seed);
  if (options.noise_sigma > 0) it->set_noise(options.noise_sigma);
  return std::make_unique<IteratorSource<BatchIterator>>(std::move(it), train.size());
}

std::unique_ptr<BatchSource> evaluation_batches(const Dataset& data, int64_t batch_size) {
  auto it = std::make_unique<BatchIterator>(data, batch_size, /*shuffle=*/false, /*seed=*/0);
  return std::make_unique<IteratorSource<BatchIterator>>(std::move(it), data.size());
}


// ---- Metrics ----

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t argmax(const double* v, int64_t k) {
  return std::max_element(v, v + k) - v;  // the first maximum wins ties
}

// Sums what a pass over a split measures, batch by batch, on the host.
class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(LossKind loss) : classes_(loss != LossKind::Cosine) {}

  void add_loss(double batch_loss, int64_t batch_size) { loss_sum_ += batch_loss * batch_size; }

  void add(const Tensor& outputs, const Tensor& labels) {
    const int64_t n = outputs.size(0), k = outputs.size(1);
    std::vector<double> out = outputs.to(DType::F64).to_vector<double>();
    samples_ += n;
    values_ += n * k;
    if (labels.dtype() == DType::I64) {
      std::vector<int64_t> ids = labels.to_vector<int64_t>();
      for (int64_t i = 0; i < n; ++i) {
        const double* row = &out[i * k];
        std::vector<double> p = softmax(row, k);
        for (int64_t j = 0; j < k; ++j) squared_error_ += sq(p[j] - (j == ids[i] ? 1.0 : 0.0));
        count(ids[i], argmax(row, k), k);
      }
      return;
    }
    std::vector<double> y = labels.to(DType::F64).to_vector<double>();
    for (int64_t i = 0; i < n; ++i) {
      const double* row = &out[i * k];
      const double* target = &y[i * k];
      for (int64_t j = 0; j < k; ++j) squared_error_ += sq(row[j] - target[j]);
      if (classes_ && !vote_fractions(target, k)) {
        classes_ = false;  // accuracy is not defined for these targets
        confusion_.clear();
      }
      if (classes_) count(argmax(target, k), argmax(row, k), k);
    }
  }

  // Makes every worker's accumulator the sum of all of theirs.
  void reduce(Communicator& workers) {
    if (workers.size() == 1) return;
    // First what every rank must agree on: whether the labels name classes, and how many.
    Tensor shape = Tensor::from_vector<int64_t>(
        {classes_ ? 0 : 1, static_cast<int64_t>(confusion_.size())}, {2});
    workers.allreduce({shape}, ReduceOp::Max);
    std::vector<int64_t> agreed = shape.to_vector<int64_t>();
    classes_ = agreed[0] == 0;
    const size_t k = classes_ ? static_cast<size_t>(agreed[1]) : 0;
    confusion_.resize(k);
    for (auto& row : confusion_) row.resize(k, 0);
    // Then the sums, as doubles (counts stay exact below 2^53).
    std::vector<double> sums = {static_cast<double>(samples_), static_cast<double>(values_),
                                loss_sum_, squared_error_};
    for (const auto& row : confusion_) sums.insert(sums.end(), row.begin(), row.end());
    Tensor total = Tensor::from_vector(sums, {static_cast<int64_t>(sums.size())});
    workers.allreduce({total}, ReduceOp::Sum);
    sums = total.to_vector<double>();
    samples_ = static_cast<int64_t>(sums[0]);
    values_ = static_cast<int64_t>(sums[1]);
    loss_sum_ = sums[2];
    squared_error_ = sums[3];
    size_t next = 4;
    for (auto& row : confusion_)
      for (int64_t& c : row) c = static_cast<int64_t>(sums[next++]);
  }

  Metrics finish(double seconds, bool loss_is_summed_mse) const {
    Metrics m;
    m.samples = samples_;
    m.seconds = seconds;
    if (samples_ == 0) return m;
    m.images_per_second = samples_ / std::max(seconds, 1e-9);
    m.loss = loss_sum_ / samples_;
    if (loss_is_summed_mse) m.loss = std::sqrt(m.loss);
    m.rmse = std::sqrt(squared_error_ / values_);
    if (classes_) {
      int64_t correct = 0;
      for (size_t c = 0; c < confusion_.size(); ++c) correct += confusion_[c][c];
      m.accuracy = static_cast<double>(correct) / samples_;
      m.confusion = confusion_;
    }
    return m;
  }

 private:
  static double sq(double v) { return v * v; }

  static std::vector<double> softmax(const double* row, int64_t k) {
    double top = *std::max_element(row, row + k), sum = 0;
    std::vector<double> p(static_cast<size_t>(k));
    for (int64_t j = 0; j < k; ++j) sum += p[j] = std::exp(row[j] - top);
    for (double& v : p) v /= sum;
    return p;
  }

  // Vote fractions: at least two non-negative columns summing to 1.
  static bool vote_fractions(const double* row, int64_t k) {
    if (k < 2) return false;
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (row[j] < 0) return false;
      sum += row[j];
    }
    return std::abs(sum - 1) <= 1e-3;
  }

  void count(int64_t truth, int64_t predicted, int64_t k) {
    if (!classes_) return;
    if (static_cast<int64_t>(confusion_.size()) < k) {
      confusion_.resize(static_cast<size_t>(k));
      for (auto& row : confusion_) row.resize(static_cast<size_t>(k), 0);
    }
    confusion_[truth][predicted] += 1;
  }

  bool classes_;  // every label row so far names a class
  int64_t samples_ = 0, values_ = 0;
  double loss_sum_ = 0, squared_error_ = 0;
  std::vector<std::vector<int64_t>> confusion_;
};

void check_finite(double loss, int64_t epoch) {
  ASTRO_CHECK(std::isfinite(loss), "training diverged: the loss became ", loss, " in epoch ", epoch,
              " (lower --lr, or check the data for NaN/Inf)");
}

// Several workers: each one's images and seconds, gathered on every rank.
// The epoch lasts as long as its slowest worker.
void share_worker_loads(Metrics& m, Communicator& workers, int64_t images, double seconds) {
  const int w = workers.size(), rank = workers.rank();
  std::vector<double> slots(2 * static_cast<size_t>(w), 0.0);
  slots[rank] = static_cast<double>(images);
  slots[w + rank] = seconds;
  Tensor gathered = Tensor::from_vector(slots, {2 * static_cast<int64_t>(w)});
  workers.allreduce({gathered}, ReduceOp::Sum);
  slots = gathered.to_vector<double>();
  m.workers.assign(static_cast<size_t>(w), {});
  m.seconds = 0;
  for (int r = 0; r < w; ++r) {
    m.workers[r] = {static_cast<int64_t>(slots[r]), slots[w + r]};
    m.seconds = std::max(m.seconds, slots[w + r]);
  }
  m.images_per_second = m.samples / std::max(m.seconds, 1e-9) / w;
}

// The distinct gradient tensors of `params` (two parameters may share one
// gradient tensor: it must be reduced once), each made zero when backward
// did not reach it (a worker without images this step).
std::vector<Tensor> distinct_gradients(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  std::unordered_set<const void*> seen;
  for (const Tensor& p : params) {
    if (!p.impl().grad) p.impl().grad = Tensor::zeros(p.shape(), p.dtype(), p.device()).impl_ptr();
    Tensor g = p.grad();
    if (seen.insert(g.raw()).second) grads.push_back(g);
  }
  return grads;
}

}  // namespace

Metrics evaluate(Module& model, BatchSource& data, LossKind loss, Device device) {
  bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  MetricsAccumulator acc(loss);
  // RMSE over the whole split is the root of the mean squared error, not the
  // mean of per-batch roots (which would depend on the batch size).
  const LossKind summed = loss == LossKind::Rmse ? LossKind::Mse : loss;
  auto start = Clock::now();
  data.start_epoch(0);
  Tensor x, y;
  while (data.next(x, y)) {
    Tensor out = model.forward(x.to(device));
    acc.add_loss(compute_loss(summed, out, y.to(device)).item(), x.size(0));
    acc.add(out, y);
  }
  model.train(was_training);
  return acc.finish(seconds_since(start), loss == LossKind::Rmse);
}

Metrics evaluate(Module& model, const Dataset& data, LossKind loss, int64_t batch_size,
                 Device device) {
  if (data.size() == 0) return Metrics{};
  auto batches = evaluation_batches(data, batch_size);
  return evaluate(model, *batches, loss, device);
}

// ---- The loop ----

Trainer::Trainer(Module& model, const TrainOptions& options, Communicator* workers)
    : model_(model),
      options_(options),
      optimizer_(model.named_parameters(), options.sgd),
      workers_(workers ? *workers : alone_) {
  ASTRO_CHECK(options.epochs > 0, "--epochs must be positive, got ", options.epochs);
  ASTRO_CHECK(options.batch_size > 0, "--batch-size must be positive, got ", options.batch_size);
  ASTRO_CHECK(options.noise_sigma >= 0, "--noise must be >= 0, got ", options.noise_sigma);
  lr_for_epoch(1);  // validates the schedule name
}

double Trainer::lr_for_epoch(int64_t epoch) const {
  const std::string& s = options_.schedule;
  if (s == "constant") return ConstantLr(options_.sgd.lr).lr_at(epoch - 1);
  if (s == "step") return StepLr(options_.sgd.lr, options_.step_size).lr_at(epoch - 1);
  if (s == "cosine") return CosineLr(options_.sgd.lr, options_.epochs).lr_at(epoch - 1);
  throw Error("unknown learning-rate schedule '" + s + "' (known: constant, step, cosine)");
}

EpochMetrics Trainer::run_epoch(BatchSource& train, BatchSource* validation, int64_t epoch) {
  ASTRO_CHECK(train.samples() > 0, "the training set is empty");
  EpochMetrics m;
  m.epoch = epoch;
  m.lr = lr_for_epoch(epoch);
  optimizer_.set_lr(m.lr);
  model_.train();

  MetricsAccumulator acc(options_.loss);
  BatchProgress progress;
  progress.epoch = epoch;
  progress.batches = train.batches_per_epoch();
  double loss_sum = 0;
  double allreduce_seconds = 0;
  int64_t images_seen = 0;
  auto start = Clock::now();
  train.start_epoch(epoch);  // the epoch number picks the shuffle and the noise
  // Several workers take the same number of steps (each ends in a collective);
  // a worker whose batches run out first takes empty steps.
  const int64_t steps = parallel() ? train.batches_per_epoch() : -1;
  Tensor x, y;
  bool ran_out = false;  // a source that ran out must not be asked again (it would start over)
  for (int64_t step = 0;; ++step) {
    const bool have_batch = !ran_out && train.next(x, y);
    ran_out = !have_batch;
    if (ran_out && (steps < 0 || step >= steps)) break;
    ASTRO_CHECK(steps < 0 || step < steps, "training: the batch source gave more than its ", steps,
                " batches per epoch");
    const int64_t images = have_batch ? x.size(0) : 0;
    optimizer_.zero_grad();
    Tensor outputs, loss;
    if (have_batch) {
      outputs = model_.forward(x.to(options_.device));
      loss = compute_loss(options_.loss, outputs, y.to(options_.device));
      // Workers backpropagate their batch's summed loss; average_gradients
      // divides the sum over all workers by the global batch's images.
      (parallel() ? ops::scale(loss, static_cast<double>(images)) : loss).backward();
    }
    if (parallel()) {
      auto reduce_start = Clock::now();
      average_gradients(images);
      allreduce_seconds += seconds_since(reduce_start);
    }
    optimizer_.step();
    if (parallel() && options_.sync_batch_norm) average_batch_norm_statistics();
    if (!have_batch) continue;
    double l = loss.item();
    check_finite(l, epoch);
    acc.add_loss(l, images);
    acc.add(outputs.detach(), y);
    images_seen += images;
    if (on_batch_) {
      loss_sum += l;
      progress.batch += 1;
      progress.images += images;
      progress.mean_loss = loss_sum / progress.batch;
      progress.seconds = seconds_since(start);
      on_batch_(progress);
    }
  }
  const double seconds = seconds_since(start);
  acc.reduce(workers_);
  m.train = acc.finish(seconds, /*loss_is_summed_mse=*/false);
  if (parallel()) {
    share_worker_loads(m.train, workers_, images_seen, seconds);
    m.train.allreduce_seconds = allreduce_seconds;
  }
  // Validation: rank 0's model (with its own batch-norm statistics) is the one saved.
  if (validation && validation->samples() > 0 && workers_.rank() == 0)
    m.validation = evaluate(model_, *validation, options_.loss, options_.device);
  return m;
}

void Trainer::average_gradients(int64_t images) {
  std::vector<Tensor> grads = distinct_gradients(model_.parameters());
  // The global batch's image count rides in the same allreduce.
  Tensor count = Tensor::full({1}, static_cast<double>(images), grads.front().dtype(),
                              grads.front().device());
  grads.push_back(count);
  workers_.allreduce(grads, ReduceOp::Sum);
  grads.pop_back();
  const double total = count.item();
  if (total == 0) return;
  NoGradGuard no_grad;
  for (Tensor& g : grads) g.copy_from(ops::scale(g, 1.0 / total));
}

void Trainer::average_batch_norm_statistics() {
  std::vector<Tensor> statistics;
  for (auto& [name, buffer] : model_.named_buffers())
    if (buffer.dtype() != DType::I64) statistics.push_back(buffer);  // not num_batches_tracked
  if (!statistics.empty()) workers_.allreduce_average(statistics);
}

EpochMetrics Trainer::run_epoch(const Dataset& train, const Dataset& validation, int64_t epoch) {
  auto train_batches = training_batches(train, options_);
  std::unique_ptr<BatchSource> val_batches;
  if (validation.size() > 0) val_batches = evaluation_batches(validation, options_.batch_size);
  return run_epoch(*train_batches, val_batches.get(), epoch);
}

std::vector<EpochMetrics> Trainer::fit(BatchSource& train, BatchSource* validation,
                                       const std::function<void(const EpochMetrics&)>& on_epoch,
                                       int64_t first_epoch) {
  ASTRO_CHECK(first_epoch >= 1, "the first epoch is 1, got ", first_epoch);
  if (parallel()) {
    // Rank 0's weights (initial or resumed) everywhere.
    std::vector<Tensor> state;
    for (auto& [name, t] : model_.state_dict()) state.push_back(t);
    workers_.broadcast(state);
  }
  std::vector<EpochMetrics> all;
  for (int64_t e = first_epoch; e <= options_.epochs; ++e) {
    all.push_back(run_epoch(train, validation, e));
    if (on_epoch) on_epoch(all.back());
  }
  return all;
}

std::vector<EpochMetrics> Trainer::fit(const Dataset& train, const Dataset& validation,
                                       const std::function<void(const EpochMetrics&)>& on_epoch) {
  auto train_batches = training_batches(train, options_);
  std::unique_ptr<BatchSource> val_batches;
  if (validation.size() > 0) val_batches = evaluation_batches(validation, options_.batch_size);
  return fit(*train_batches, val_batches.get(), on_epoch);
}

// ---- Text ----

namespace {

// "loss 0.2101 rmse 0.2101 acc 70.2%", leaving out what is not defined.
std::string describe(const Metrics& m) {
  char buf[128];
  int n = std::snprintf(buf, sizeof buf, "loss %.4f", m.loss);
  if (!std::isnan(m.rmse) && n < static_cast<int>(sizeof buf))
    n += std::snprintf(buf + n, sizeof buf - n, " rmse %.4f", m.rmse);
  if (!std::isnan(m.accuracy) && n < static_cast<int>(sizeof buf))
    std::snprintf(buf + n, sizeof buf - n, " acc %.1f%%", 100 * m.accuracy);
  return buf;
}

}  // namespace

std::string format_epoch(const EpochMetrics& m, int64_t epochs) {
  char head[96];
  std::snprintf(head, sizeof head, "epoch %lld/%lld  lr %.4g  ", static_cast<long long>(m.epoch),
                static_cast<long long>(epochs), m.lr);
  std::string line = head + ("train " + describe(m.train));
  if (m.validation.samples > 0) line += "  val " + describe(m.validation);
  char tail[64];
  std::snprintf(tail, sizeof tail, "  %.1f s", m.train.seconds + m.validation.seconds);
  return line + tail;
}

std::string format_throughput(const EpochMetrics& m, int workers) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "[Performance] Epoch %lld takes %.2f seconds. Throughput: %.2f images/sec (per "
                "worker), %.2f images/sec (total)",
                static_cast<long long>(m.epoch), m.train.seconds, m.train.images_per_second,
                m.train.images_per_second * workers);
  return buf;
}

std::string format_workers(const EpochMetrics& m) {
  if (m.train.workers.size() < 2) return "";
  std::string line = "[Performance] Epoch " + std::to_string(m.epoch) + " workers:";
  char buf[128];
  for (size_t r = 0; r < m.train.workers.size(); ++r) {
    const Metrics::WorkerShare& w = m.train.workers[r];
    std::snprintf(buf, sizeof buf, "%s rank %zu %lld images %.2f images/sec", r ? "," : "", r,
                  static_cast<long long>(w.samples), w.samples / std::max(w.seconds, 1e-9));
    line += buf;
  }
  std::snprintf(buf, sizeof buf, "; gradient allreduce %.2f s (%.1f%% of the epoch)",
                m.train.allreduce_seconds,
                100 * m.train.allreduce_seconds / std::max(m.train.seconds, 1e-9));
  return line + buf;
}

}  // namespace astrocnn
