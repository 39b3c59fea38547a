#include "io/batches/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/tensor/philox.h"

namespace astrocnn {

namespace {

using philox::mix64;

void check_cpu(const char* what, const Tensor& t) {
  ASTRO_CHECK(t.device() == Device::CPU, what, ": data set tensors must be on the CPU, got ",
              t.str(), " (move batches to the GPU after iterating)");
}

// The rows `indices[0..count)` of t, copied into a new tensor.
Tensor gather_rows(const Tensor& t, const int64_t* indices, int64_t count) {
  Shape shape = t.shape();
  const int64_t rows = shape[0];
  shape[0] = count;
  Tensor out = Tensor::empty(shape, t.dtype());
  const size_t row_bytes = rows > 0 ? t.nbytes() / static_cast<size_t>(rows) : 0;
  const char* src = static_cast<const char*>(t.raw());
  char* dst = static_cast<char*>(out.raw());
  for (int64_t i = 0; i < count; ++i)
    std::memcpy(dst + i * row_bytes, src + indices[i] * row_bytes, row_bytes);
  return out;
}

template <class T>
void add_noise(T* data, int64_t batch, int64_t channels, int64_t noisy_channels, int64_t plane,
               double sigma, Rng& rng) {
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < noisy_channels; ++c) {
      T* p = data + (b * channels + c) * plane;
      for (int64_t i = 0; i < plane; ++i) {
        // Box-Muller on two uniforms of this stream (see Rng::normal's position layout).
        double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
        p[i] += static_cast<T>(sigma * std::sqrt(-2.0 * std::log(u1)) *
                               std::cos(6.283185307179586 * u2));
      }
    }
}

}  // namespace

void Dataset::validate() const {
  ASTRO_CHECK(images.defined() && labels.defined(), "Dataset: images and labels must be defined");
  check_cpu("Dataset", images);
  check_cpu("Dataset", labels);
  ASTRO_CHECK(images.dim() == 4 && images.dtype() != DType::I64,
              "Dataset: images must be a float tensor [N, C, H, W], got ", images.str());
  ASTRO_CHECK(labels.dim() >= 1 && labels.size(0) == images.size(0), "Dataset: ", images.size(0),
              " images but labels ", labels.str(), " (labels need one row per image)");
  ASTRO_CHECK(task == "regression" || task == "classification",
              "Dataset: task must be \"regression\" or \"classification\", got \"", task, "\"");
  if (task == "classification") {
    ASTRO_CHECK(labels.dtype() == DType::I64 && labels.dim() == 1,
                "Dataset: classification labels must be int64 class ids [N], got ", labels.str());
    for (int64_t id : labels.to_vector<int64_t>())
      ASTRO_CHECK(id >= 0 && (label_names.empty() || id < static_cast<int64_t>(label_names.size())),
                  "Dataset: class id ", id, " is outside [0, ", label_names.size(), ")");
  } else {
    ASTRO_CHECK(labels.dtype() != DType::I64 && labels.dim() == 2,
                "Dataset: regression labels must be a float tensor [N, K], got ", labels.str());
    ASTRO_CHECK(label_names.empty() || static_cast<int64_t>(label_names.size()) == labels.size(1),
                "Dataset: ", label_names.size(), " label names for ", labels.size(1), " targets");
  }
  for (const Column& c : aux) {
    ASTRO_CHECK(!c.name.empty() && c.name != "images" && c.name != "labels" &&
                    c.name.find('/') == std::string::npos,
                "Dataset: an auxiliary column needs a name other than images and labels, "
                "without '/', got \"", c.name, "\"");
    ASTRO_CHECK(c.values.defined() && c.values.dtype() != DType::I64 && c.values.dim() == 2 &&
                    c.values.size(0) == images.size(0) && c.values.size(1) >= 1,
                "Dataset: auxiliary column ", c.name, " must be float [", images.size(0),
                ", K], got ", c.values.defined() ? c.values.str() : "nothing");
    check_cpu("Dataset", c.values);
  }
}

Dataset subset(const Dataset& data, const std::vector<int64_t>& indices) {
  check_cpu("subset", data.images);
  check_cpu("subset", data.labels);
  const int64_t n = data.size();
  for (int64_t i : indices)
    ASTRO_CHECK(i >= 0 && i < n, "subset: index ", i, " is outside the data set of ", n, " rows");
  Dataset out;
  out.images = gather_rows(data.images, indices.data(), static_cast<int64_t>(indices.size()));
  out.labels = gather_rows(data.labels, indices.data(), static_cast<int64_t>(indices.size()));
  out.label_names = data.label_names;
  out.task = data.task;
  for (const Dataset::Column& c : data.aux)
    out.aux.push_back({c.name, gather_rows(c.values, indices.data(), static_cast<int64_t>(indices.size()))});
  return out;
}

std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  ASTRO_CHECK(n >= 0, "permutation: n must be >= 0, got ", n);
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  Rng rng(seed);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
  return p;
}

SplitRows split_rows(int64_t n, double validation_fraction, uint64_t seed) {
  ASTRO_CHECK(validation_fraction >= 0 && validation_fraction < 1,
              "split: validation_fraction must be in [0, 1), got ", validation_fraction);
  int64_t n_val = std::llround(validation_fraction * static_cast<double>(n));
  if (validation_fraction > 0) {
    ASTRO_CHECK(n >= 2, "split: a data set of ", n, " rows cannot give both a training and a "
                "validation part");
    n_val = std::clamp<int64_t>(n_val, 1, n - 1);
  }
  std::vector<int64_t> order = permutation(n, seed);
  SplitRows rows;
  rows.validation.assign(order.begin(), order.begin() + n_val);
  rows.train.assign(order.begin() + n_val, order.end());
  std::sort(rows.validation.begin(), rows.validation.end());
  std::sort(rows.train.begin(), rows.train.end());
  return rows;
}

Split split(const Dataset& data, double validation_fraction, uint64_t seed) {
  SplitRows rows = split_rows(data.size(), validation_fraction, seed);
  return {subset(data, rows.train), subset(data, rows.validation)};
}

Tensor argmax_labels(const Tensor& labels) {
  ASTRO_CHECK(labels.defined(), "argmax_labels: labels are undefined");
  if (labels.dtype() == DType::I64) {
    ASTRO_CHECK(labels.dim() == 1, "argmax_labels: int64 labels must be [N], got ", labels.str());
    return labels.to(Device::CPU).clone();
  }
  ASTRO_CHECK(labels.dim() == 2 && labels.size(1) > 0,
              "argmax_labels: expected scores [N, K] with K >= 1, got ", labels.str());
  const int64_t n = labels.size(0), k = labels.size(1);
  std::vector<double> v = labels.to(DType::F64).to_vector<double>();
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    ids[i] = std::max_element(v.begin() + i * k, v.begin() + (i + 1) * k) - (v.begin() + i * k);
  return Tensor::from_vector(ids, {n});
}

// ---- BatchIterator ------------------------------------------------------------------

BatchIterator::BatchIterator(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed,
                             bool drop_last)
    : data_(data), batch_size_(batch_size), shuffle_(shuffle), drop_last_(drop_last), seed_(seed) {
  ASTRO_CHECK(batch_size >= 1, "BatchIterator: batch_size must be >= 1, got ", batch_size);
  ASTRO_CHECK(data.images.defined() && data.labels.defined(),
              "BatchIterator: the data set has no images or labels");
  check_cpu("BatchIterator", data.images);
  check_cpu("BatchIterator", data.labels);
  ASTRO_CHECK(data.images.dim() == 4 && data.images.dtype() != DType::I64,
              "BatchIterator: images must be a float tensor [N, C, H, W], got ", data.images.str());
  ASTRO_CHECK(data.labels.dim() >= 1 && data.labels.size(0) == data.size(), "BatchIterator: ",
              data.size(), " images but labels ", data.labels.str());
  reset(0);
}

void BatchIterator::set_noise(double sigma, int64_t channels) {
  ASTRO_CHECK(sigma >= 0 && std::isfinite(sigma), "BatchIterator: noise sigma must be >= 0, got ",
              sigma);
  const int64_t c = data_.images.size(1);
  ASTRO_CHECK(channels == -1 || (channels >= 0 && channels <= c), "BatchIterator: noise channels ",
              channels, " is outside [0, ", c, "] (or -1 for all)");
  noise_sigma_ = sigma;
  noise_channels_ = channels;
}

void BatchIterator::reset(int64_t epoch) {
  ASTRO_CHECK(epoch >= 0, "BatchIterator: epoch must be >= 0, got ", epoch);
  epoch_ = epoch;
  cursor_ = 0;
  batch_ = 0;
  const int64_t n = data_.size();
  if (shuffle_) {
    order_ = permutation(n, seed_ + static_cast<uint64_t>(epoch));
  } else {
    order_.resize(static_cast<size_t>(n));
    std::iota(order_.begin(), order_.end(), int64_t{0});
  }
}

int64_t BatchIterator::batches_per_epoch() const {
  const int64_t n = data_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

bool BatchIterator::next(Tensor& x, Tensor& y) {
  const int64_t n = data_.size();
  const int64_t count = std::min(batch_size_, n - cursor_);
  if (count <= 0 || (drop_last_ && count < batch_size_)) {
    reset(epoch_ + 1);
    return false;
  }
  const int64_t* rows = order_.data() + cursor_;
  x = gather_rows(data_.images, rows, count);
  y = gather_rows(data_.labels, rows, count);
  if (noise_sigma_ > 0) add_batch_noise(x, noise_sigma_, noise_channels_, seed_, epoch_, batch_);
  cursor_ += count;
  ++batch_;
  return true;
}

void add_batch_noise(Tensor& x, double sigma, int64_t noisy_channels, uint64_t seed, int64_t epoch,
                     int64_t batch) {
  const int64_t channels = x.size(1), plane = x.size(2) * x.size(3);
  const int64_t noisy = noisy_channels < 0 ? channels : noisy_channels;
  Rng rng(mix64(mix64(mix64(seed ^ 0x6E6F697365ull) + static_cast<uint64_t>(epoch)) +
                static_cast<uint64_t>(batch)));
  if (x.dtype() == DType::F32)
    add_noise(x.data<float>(), x.size(0), channels, noisy, plane, sigma, rng);
  else
    add_noise(x.data<double>(), x.size(0), channels, noisy, plane, sigma, rng);
}

}  // namespace astrocnn
