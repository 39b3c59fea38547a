#include "models/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "core/autograd.h"
#include "core/ops.h"
#include "layers/batchnorm.h"

namespace astrocnn {

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


// ---- What the loop keeps track of ----

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_finite(double loss, int64_t epoch) {
  ASTRO_CHECK(std::isfinite(loss), "training diverged: the loss became ", loss, " in epoch ", epoch,
              " (lower --lr, or check the data for NaN/Inf)");
}

bool has_batch_norm(const Module& m) {
  if (dynamic_cast<const BatchNorm2d*>(&m)) return true;
  for (const auto& [name, child] : m.children())
    if (has_batch_norm(*child)) return true;
  return false;
}

// A validation loss that is not finite. When training stayed finite and the
// model has batch norm, the usual cause is not the learning rate: evaluation
// normalises with the running statistics, which start at mean 0, variance 1
// and move 10% a step, so after a few steps they can be orders of magnitude
// from a deep network's batch statistics, and the error compounds through
// the blocks (PyTorch's torchvision ResNet50 gives NaN too after two steps
// of batches of 4 and 2 on 32x32 images).
void check_finite_validation(double validation_loss, double train_loss, int64_t epoch,
                             const Module& model) {
  if (std::isfinite(validation_loss)) return;
  if (std::isfinite(train_loss) && has_batch_norm(model))
    throw Error(detail::concat("training diverged: the validation loss became ", validation_loss, " in epoch ",
                    epoch, " while the training loss was ", train_loss, ": in evaluation batch norm "
                    "uses its running statistics, which after few steps of small batches can be "
                    "far from the batches' own; train on more images or with larger batches, or "
                    "lower --lr"));
  throw Error(detail::concat("training diverged: the validation loss became ", validation_loss, " in epoch ",
                  epoch, " (lower --lr; the images and labels are finite)"));
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

// What one worker has summed so far in an epoch: all an epoch stopped
// part-way needs, besides the weights, to end with the same numbers.
struct Trainer::EpochTally {
  explicit EpochTally(LossKind loss) : metrics(loss) {}
  MetricsAccumulator metrics;
  int64_t batches = 0, images = 0;
  double batch_loss_sum = 0;  // for the progress line's mean
  double seconds = 0;         // before this process took over the epoch
  double allreduce_seconds = 0;
  Clock::time_point start;    // when this process took over the epoch

  // The epoch's seconds so far, this process's and those before it.
  double elapsed() const { return seconds + seconds_since(start); }

  void add_batch(double loss, int64_t batch_images, const Tensor& outputs, const Tensor& labels) {
    metrics.add_loss(loss, batch_images);
    metrics.add(outputs, labels);
    batches += 1;
    images += batch_images;
    batch_loss_sum += loss;
  }

  BatchProgress progress(int64_t epoch, int64_t epoch_batches) const {
    BatchProgress p;
    p.epoch = epoch;
    p.batches = epoch_batches;
    p.batch = batches;
    p.images = images;
    p.mean_loss = batch_loss_sum / batches;
    p.seconds = elapsed();
    return p;
  }

  std::vector<double> to_numbers(double seconds_now) const {
    std::vector<double> v = {static_cast<double>(batches), static_cast<double>(images),
                             batch_loss_sum, seconds_now, allreduce_seconds};
    std::vector<double> sums = metrics.to_numbers();
    v.insert(v.end(), sums.begin(), sums.end());
    return v;
  }

  void add_numbers(const std::vector<double>& v) {
    ASTRO_CHECK(v.size() >= 5, "the saved sums of an unfinished epoch are cut short");
    MetricsAccumulator saved(LossKind::Rmse);
    saved.from_numbers(v, 5);
    metrics.merge(saved);
    batches += static_cast<int64_t>(v[0]);
    images += static_cast<int64_t>(v[1]);
    batch_loss_sum += v[2];
    seconds = std::max(seconds, v[3]);
    allreduce_seconds = std::max(allreduce_seconds, v[4]);
  }
};

Metrics evaluate_outputs(BatchSource& data, LossKind loss,
                         const std::function<Tensor(const Tensor&)>& outputs_of,
                         const OutputsObserver& observe) {
  NoGradGuard no_grad;
  MetricsAccumulator acc(loss);
  // RMSE over the whole split is the root of the mean squared error, not the
  // mean of per-batch roots (which would depend on the batch size).
  const LossKind summed = loss == LossKind::Rmse ? LossKind::Mse : loss;
  auto start = Clock::now();
  data.start_epoch(0);
  Tensor x, y;
  while (data.next(x, y)) {
    Tensor out = outputs_of(x);
    acc.add_loss(compute_loss(summed, out, y.to(out.device())).item(), x.size(0));
    acc.add(out, y);
    if (observe) observe(out, y);
  }
  return acc.finish(seconds_since(start), loss == LossKind::Rmse);
}

Metrics evaluate(Module& model, BatchSource& data, LossKind loss, Device device) {
  bool was_training = model.is_training();
  model.eval();
  Metrics m = evaluate_outputs(data, loss, [&](const Tensor& x) { return model.forward(x.to(device)); });
  model.train(was_training);
  return m;
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
  // The library's own checks (the command line checks its options, with
  // their names and ranges, when it parses them: tools/options/option_checks.cpp).
  ASTRO_CHECK(options.epochs > 0, "Trainer: epochs must be positive, got ", options.epochs);
  ASTRO_CHECK(options.batch_size > 0, "Trainer: batch_size must be positive, got ", options.batch_size);
  ASTRO_CHECK(options.noise_sigma >= 0, "Trainer: noise_sigma must be >= 0, got ", options.noise_sigma);
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

  EpochTally tally(options_.loss);
  const int64_t batches = train.batches_per_epoch();
  train.start_epoch(epoch);  // the epoch number picks the shuffle and the noise
  const int64_t first_step = take_continued_sums(epoch, tally);
  if (!train_steps(train, epoch, batches, first_step, tally)) return m;  // stopped on request
  finish_epoch(m, tally, validation);
  return m;
}

int64_t Trainer::take_continued_sums(int64_t epoch, EpochTally& tally) {
  if (!continuing_ || continuing_->epoch != epoch) return 0;
  const int64_t first_step = continuing_->steps;
  const auto& saved = continuing_->workers;
  if (saved.size() == static_cast<size_t>(workers_.size()))
    tally.add_numbers(saved[workers_.rank()]);
  else if (workers_.rank() == 0)  // another number of workers: rank 0 carries the sums
    for (const auto& worker : saved) tally.add_numbers(worker);
  continuing_.reset();
  return first_step;
}

bool Trainer::train_steps(BatchSource& train, int64_t epoch, int64_t batches, int64_t first_step,
                          EpochTally& tally) {
  tally.start = Clock::now();
  // Several workers take the same number of steps (each ends in a collective);
  // a worker whose batches run out first takes empty steps.
  const int64_t steps = parallel() ? batches : -1;
  Tensor x, y;
  bool ran_out = false;  // a source that ran out must not be asked again (it would start over)
  // A continued epoch: the batches of the steps taken before the stop, drawn
  // again (each depends only on its position) and not trained on.
  for (int64_t step = 0; step < first_step && !ran_out; ++step) ran_out = !train.next(x, y);
  for (int64_t step = first_step;; ++step) {
    const bool have_batch = !ran_out && train.next(x, y);
    ran_out = !have_batch;
    if (ran_out && (steps < 0 || step >= steps)) break;
    ASTRO_CHECK(steps < 0 || step < steps, "training: the batch source gave more than its ", steps,
                " batches per epoch");
    Tensor outputs, loss;
    bool stop = take_step(have_batch, x, y, outputs, loss, tally.allreduce_seconds);
    if (have_batch) {
      const double l = loss.item();
      check_finite(l, epoch);
      tally.add_batch(l, x.size(0), outputs.detach(), y);
      if (on_batch_) on_batch_(tally.progress(epoch, batches));
    }
    if (!parallel()) stop = stop_requested_here();
    // A stop at the last step lets the epoch end; fit() stops after it.
    if (stop && step + 1 < batches) {
      stopped_ = EpochInProgress{epoch, step + 1, gather_from_workers(tally.to_numbers(tally.elapsed()))};
      return false;
    }
  }
  return true;
}

bool Trainer::take_step(bool have_batch, const Tensor& x, const Tensor& y, Tensor& outputs,
                        Tensor& loss, double& allreduce_seconds) {
  const int64_t images = have_batch ? x.size(0) : 0;
  optimizer_.zero_grad();
  if (have_batch) {
    outputs = model_.forward(x.to(options_.device));
    loss = compute_loss(options_.loss, outputs, y.to(options_.device));
    // Workers backpropagate their batch's summed loss; average_gradients
    // divides the sum over all workers by the global batch's images.
    (parallel() ? ops::scale(loss, static_cast<double>(images)) : loss).backward();
  }
  bool stop = false;
  if (parallel()) {
    auto reduce_start = Clock::now();
    stop = average_gradients(images, stop_requested_here());
    allreduce_seconds += seconds_since(reduce_start);
  }
  optimizer_.step();
  if (parallel() && options_.sync_batch_norm) average_batch_norm_statistics();
  return stop;
}

void Trainer::finish_epoch(EpochMetrics& m, EpochTally& tally, BatchSource* validation) {
  const double seconds = tally.elapsed();
  tally.metrics.reduce(workers_);
  m.train = tally.metrics.finish(seconds, /*loss_is_summed_mse=*/false);
  if (parallel()) {
    share_worker_loads(m.train, workers_, tally.images, seconds);
    m.train.allreduce_seconds = tally.allreduce_seconds;
  }
  // Validation: rank 0's model (with its own batch-norm statistics) is the one saved.
  if (validation && validation->samples() > 0 && workers_.rank() == 0)
    m.validation = evaluate(model_, *validation, options_.loss, options_.device);
  if (m.validation.samples > 0) check_finite_validation(m.validation.loss, m.train.loss, m.epoch, model_);
}

bool Trainer::average_gradients(int64_t images, bool stop) {
  std::vector<Tensor> grads = distinct_gradients(model_.parameters());
  // The global batch's image count and the stop requests ride in the same allreduce.
  Tensor counts = Tensor::from_vector<double>({static_cast<double>(images), stop ? 1.0 : 0.0}, {2})
                      .to(grads.front().dtype())
                      .to(grads.front().device());
  grads.push_back(counts);
  workers_.allreduce(grads, ReduceOp::Sum);
  grads.pop_back();
  const std::vector<double> summed = counts.to(DType::F64).to_vector<double>();
  const double total = summed[0];
  if (total > 0) {
    NoGradGuard no_grad;
    for (Tensor& g : grads) g.copy_from(ops::scale(g, 1.0 / total));
  }
  return summed[1] > 0;
}

bool Trainer::stop_agreed_between_epochs() {
  if (!parallel()) return stop_requested_here();
  Tensor flag = Tensor::from_vector<double>({stop_requested_here() ? 1.0 : 0.0}, {1});
  workers_.allreduce({flag}, ReduceOp::Max);
  return flag.to_vector<double>()[0] > 0;
}

std::vector<std::vector<double>> Trainer::gather_from_workers(const std::vector<double>& numbers) {
  if (!parallel()) return {numbers};
  // First the longest list, then one slot of that length per worker.
  Tensor longest = Tensor::from_vector<double>({static_cast<double>(numbers.size())}, {1});
  workers_.allreduce({longest}, ReduceOp::Max);
  const size_t width = static_cast<size_t>(longest.to_vector<double>()[0]);
  const size_t w = static_cast<size_t>(workers_.size());
  std::vector<double> slots(w * width, 0.0);
  std::copy(numbers.begin(), numbers.end(), slots.begin() + workers_.rank() * width);
  Tensor gathered = Tensor::from_vector(slots, {static_cast<int64_t>(slots.size())});
  workers_.allreduce({gathered}, ReduceOp::Sum);
  slots = gathered.to_vector<double>();
  std::vector<std::vector<double>> all(w);
  for (size_t r = 0; r < w; ++r)
    all[r].assign(slots.begin() + r * width, slots.begin() + (r + 1) * width);
  return all;
}

void Trainer::continue_epoch(EpochInProgress partial) {
  ASTRO_CHECK(partial.epoch >= 1 && partial.steps >= 0, "continuing epoch ", partial.epoch,
              " after step ", partial.steps, ": not a position in a run");
  continuing_ = std::move(partial);
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
  ASTRO_CHECK(!continuing_ || continuing_->epoch == first_epoch, "continuing epoch ",
              continuing_ ? continuing_->epoch : 0, " but starting at epoch ", first_epoch);
  stopped_.reset();
  std::vector<EpochMetrics> all;
  for (int64_t e = first_epoch; e <= options_.epochs; ++e) {
    EpochMetrics m = run_epoch(train, validation, e);
    if (stopped_) break;  // inside the epoch: m is incomplete
    all.push_back(m);
    if (on_epoch) on_epoch(all.back());
    if (e < options_.epochs && stop_agreed_between_epochs()) {
      stopped_ = EpochInProgress{e + 1, 0, {}};
      break;
    }
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

}  // namespace astrocnn
