#include "models/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

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

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Accuracy is defined for class ids and for vote fractions (non-negative
// rows summing to 1: argmax of the outputs against argmax of the label row);
// not for other regression targets such as merger parameters.
bool has_classes(const Dataset& data, LossKind loss) {
  if (data.labels.dtype() == DType::I64) return true;
  if (loss == LossKind::Cosine || data.labels.dim() != 2 || data.labels.size(1) < 2) return false;
  std::vector<double> v = data.labels.to(DType::F64).to_vector<double>();
  int64_t K = data.labels.size(1);
  for (size_t row = 0; row < v.size(); row += K) {
    double sum = 0;
    for (int64_t k = 0; k < K; ++k) {
      if (v[row + k] < 0) return false;
      sum += v[row + k];
    }
    if (std::abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

int64_t count_correct(const Tensor& outputs, const Tensor& labels) {
  std::vector<float> out = outputs.to(DType::F32).to_vector<float>();
  int64_t N = outputs.size(0), K = outputs.size(1), correct = 0;
  std::vector<float> lab_f;
  std::vector<int64_t> lab_i;
  if (labels.dtype() == DType::I64) lab_i = labels.to_vector<int64_t>();
  else lab_f = labels.to(DType::F32).to_vector<float>();
  for (int64_t n = 0; n < N; ++n) {
    int64_t best = 0;
    for (int64_t k = 1; k < K; ++k)
      if (out[n * K + k] > out[n * K + best]) best = k;
    int64_t truth = 0;
    if (!lab_i.empty()) {
      truth = lab_i[n];
    } else {
      for (int64_t k = 1; k < K; ++k)
        if (lab_f[n * K + k] > lab_f[n * K + truth]) truth = k;
    }
    correct += (best == truth);
  }
  return correct;
}

void check_finite(double loss, int64_t epoch) {
  ASTRO_CHECK(std::isfinite(loss), "training diverged: the loss became ", loss, " in epoch ", epoch,
              " (lower --lr, or check the data for NaN/Inf)");
}

}  // namespace

EvalResult evaluate(Module& model, const Dataset& data, LossKind loss, int64_t batch_size,
                    Device device) {
  EvalResult r;
  if (data.size() == 0) {
    r.loss = r.accuracy = kNaN;
    return r;
  }
  bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  bool classes = has_classes(data, loss);
  double loss_sum = 0;
  int64_t correct = 0;
  BatchIterator it(data, batch_size, /*shuffle=*/false, /*seed=*/0);
  Tensor x, y;
  while (it.next(x, y)) {
    Tensor xd = x.to(device), yd = y.to(device);
    Tensor out = model.forward(xd);
    // RMSE over the whole set is the root of the mean squared error, not the
    // mean of per-batch roots (which would depend on the batch size).
    LossKind summed = loss == LossKind::Rmse ? LossKind::Mse : loss;
    loss_sum += compute_loss(summed, out, yd).item() * x.size(0);
    if (classes) correct += count_correct(out, y);
    r.samples += x.size(0);
  }
  model.train(was_training);
  r.loss = loss_sum / r.samples;
  if (loss == LossKind::Rmse) r.loss = std::sqrt(r.loss);
  r.accuracy = classes ? static_cast<double>(correct) / r.samples : kNaN;
  return r;
}

Trainer::Trainer(Module& model, const TrainOptions& options)
    : model_(model), options_(options), optimizer_(model.named_parameters(), options.sgd) {
  ASTRO_CHECK(options.epochs > 0, "--epochs must be positive, got ", options.epochs);
  ASTRO_CHECK(options.batch_size > 0, "--batch-size must be positive, got ", options.batch_size);
  ASTRO_CHECK(options.noise_sigma >= 0, "--noise must be >= 0, got ", options.noise_sigma);
  lr_for_epoch(0);  // validates the schedule name
}

double Trainer::lr_for_epoch(int64_t epoch) const {
  const std::string& s = options_.schedule;
  if (s == "constant") return ConstantLr(options_.sgd.lr).lr_at(epoch);
  if (s == "step") return StepLr(options_.sgd.lr, options_.step_size).lr_at(epoch);
  if (s == "cosine") return CosineLr(options_.sgd.lr, options_.epochs).lr_at(epoch);
  throw Error("unknown learning-rate schedule '" + s + "' (known: constant, step, cosine)");
}

EpochMetrics Trainer::run_epoch(const Dataset& train, const Dataset& val, int64_t epoch) {
  ASTRO_CHECK(train.size() > 0, "the training set is empty");
  EpochMetrics m;
  m.epoch = epoch;
  m.lr = lr_for_epoch(epoch - 1);
  optimizer_.set_lr(m.lr);
  model_.train();

  // A new shuffle per epoch, reproducible from the run's seed.
  BatchIterator it(train, options_.batch_size, /*shuffle=*/true, options_.seed);
  it.reset(epoch);
  if (options_.noise_sigma > 0) it.set_noise(options_.noise_sigma);
  auto start = Clock::now();
  double loss_sum = 0;
  int64_t seen = 0;
  Tensor x, y;
  while (it.next(x, y)) {
    Tensor xd = x.to(options_.device), yd = y.to(options_.device);
    optimizer_.zero_grad();
    Tensor loss = compute_loss(options_.loss, model_.forward(xd), yd);
    loss.backward();
    optimizer_.step();
    double l = loss.item();
    check_finite(l, epoch);
    loss_sum += l * x.size(0);
    seen += x.size(0);
  }
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.train_loss = loss_sum / seen;
  m.images_per_second = seen / std::max(m.seconds, 1e-9);

  EvalResult v = evaluate(model_, val, options_.loss, options_.batch_size, options_.device);
  m.val_loss = v.loss;
  m.val_accuracy = v.accuracy;
  return m;
}

std::vector<EpochMetrics> Trainer::fit(const Dataset& train, const Dataset& val,
                                       const std::function<void(const EpochMetrics&)>& on_epoch) {
  std::vector<EpochMetrics> all;
  for (int64_t e = 1; e <= options_.epochs; ++e) {
    all.push_back(run_epoch(train, val, e));
    if (on_epoch) on_epoch(all.back());
  }
  return all;
}

std::string format_epoch(const EpochMetrics& m, int64_t epochs) {
  char buf[256];
  int n = std::snprintf(buf, sizeof buf, "epoch %lld/%lld  lr %.4g  train loss %.4f",
                        static_cast<long long>(m.epoch), static_cast<long long>(epochs), m.lr,
                        m.train_loss);
  if (!std::isnan(m.val_loss))
    n += std::snprintf(buf + n, sizeof buf - n, "  val loss %.4f", m.val_loss);
  if (!std::isnan(m.val_accuracy))
    n += std::snprintf(buf + n, sizeof buf - n, "  val acc %.1f%%", 100 * m.val_accuracy);
  std::snprintf(buf + n, sizeof buf - n, "  %.1f s", m.seconds);
  return buf;
}

std::string format_throughput(const EpochMetrics& m, int workers) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "[Performance] Epoch %lld takes %.2f seconds. Throughput: %.2f images/sec (per "
                "worker), %.2f images/sec (total)",
                static_cast<long long>(m.epoch), m.seconds, m.images_per_second,
                m.images_per_second * workers);
  return buf;
}

}  // namespace astrocnn
