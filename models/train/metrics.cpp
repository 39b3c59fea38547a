#include "models/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/tensor/error.h"

namespace astrocnn {

namespace {

double sq(double v) { return v * v; }

int64_t argmax(const double* v, int64_t k) {
  return std::max_element(v, v + k) - v;  // the first maximum wins ties
}

std::vector<double> softmax(const double* row, int64_t k) {
  double top = *std::max_element(row, row + k), sum = 0;
  std::vector<double> p(static_cast<size_t>(k));
  for (int64_t j = 0; j < k; ++j) sum += p[j] = std::exp(row[j] - top);
  for (double& v : p) v /= sum;
  return p;
}

// Vote fractions: at least two non-negative columns summing to 1.
bool vote_fractions(const double* row, int64_t k) {
  if (k < 2) return false;
  double sum = 0;
  for (int64_t j = 0; j < k; ++j) {
    if (row[j] < 0) return false;
    sum += row[j];
  }
  return std::abs(sum - 1) <= 1e-3;
}

}  // namespace

// ---- MetricsAccumulator ----

void MetricsAccumulator::add(const Tensor& outputs, const Tensor& labels) {
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

// First what every rank must agree on (whether the labels name classes, and
// how many), then the sums.
void MetricsAccumulator::reduce(Communicator& workers) {
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

std::vector<double> MetricsAccumulator::to_numbers() const {
  std::vector<double> v = {classes_ ? 1.0 : 0.0, static_cast<double>(samples_),
                           static_cast<double>(values_), loss_sum_, squared_error_,
                           static_cast<double>(confusion_.size())};
  for (const auto& row : confusion_) v.insert(v.end(), row.begin(), row.end());
  return v;
}

size_t MetricsAccumulator::from_numbers(const std::vector<double>& v, size_t at) {
  ASTRO_CHECK(v.size() >= at + 6, "the saved sums of an unfinished epoch are cut short");
  classes_ = v[at] != 0;
  samples_ = static_cast<int64_t>(v[at + 1]);
  values_ = static_cast<int64_t>(v[at + 2]);
  loss_sum_ = v[at + 3];
  squared_error_ = v[at + 4];
  const size_t k = static_cast<size_t>(v[at + 5]);
  at += 6;
  ASTRO_CHECK(v.size() >= at + k * k, "the saved sums of an unfinished epoch are cut short");
  confusion_.assign(k, std::vector<int64_t>(k, 0));
  for (auto& row : confusion_)
    for (int64_t& c : row) c = static_cast<int64_t>(v[at++]);
  return at;
}

void MetricsAccumulator::merge(const MetricsAccumulator& other) {
  classes_ = classes_ && other.classes_;
  samples_ += other.samples_;
  values_ += other.values_;
  loss_sum_ += other.loss_sum_;
  squared_error_ += other.squared_error_;
  const size_t k = classes_ ? std::max(confusion_.size(), other.confusion_.size()) : 0;
  confusion_.resize(k);
  for (auto& row : confusion_) row.resize(k, 0);
  if (!classes_) return;
  for (size_t i = 0; i < other.confusion_.size(); ++i)
    for (size_t j = 0; j < other.confusion_[i].size(); ++j) confusion_[i][j] += other.confusion_[i][j];
}

Metrics MetricsAccumulator::finish(double seconds, bool loss_is_summed_mse) const {
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

void MetricsAccumulator::count(int64_t truth, int64_t predicted, int64_t k) {
  if (!classes_) return;
  if (static_cast<int64_t>(confusion_.size()) < k) {
    confusion_.resize(static_cast<size_t>(k));
    for (auto& row : confusion_) row.resize(static_cast<size_t>(k), 0);
  }
  confusion_[truth][predicted] += 1;
}

// ---- The lines a run prints ----

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
