#include "tools/data_source.h"

#include <cmath>
#include <numeric>
#include <sstream>

#include "core/error.h"
#include "io/dataset.h"
#include "tools/commands.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/h5_dataset.h"
#include "io/hdf5/streaming_iterator.h"
#endif

namespace astrocnn::cli {

std::string DataInfo::describe() const {
  std::ostringstream s;
  s << images << " images " << channels << "x" << height << "x" << width << ", ";
  if (class_labels) s << "class ids";
  else s << label_width << " float label" << (label_width == 1 ? "" : "s");
  if (!label_names.empty()) {
    s << " (";
    for (size_t i = 0; i < label_names.size(); ++i) s << (i ? ", " : "") << label_names[i];
    s << ")";
  }
  return s.str();
}

std::vector<int64_t> DataSource::all_rows() const {
  std::vector<int64_t> rows(static_cast<size_t>(info().images));
  std::iota(rows.begin(), rows.end(), int64_t{0});
  return rows;
}

namespace {

// ---- The built-in generator, in memory ----

class BuiltinSource final : public DataSource {
 public:
  explicit BuiltinSource(const synth::SynthOptions& options) : data_(synth::generate(options)) {
    info_.name = std::string("the built-in ") + synth::kind_name(options.kind) + " set";
    info_.images = data_.size();
    info_.channels = data_.images.size(1);
    info_.height = data_.images.size(2);
    info_.width = data_.images.size(3);
    info_.class_labels = data_.labels.dtype() == DType::I64;
    info_.label_width = info_.class_labels ? 1 : data_.labels.size(1);
    info_.label_names = data_.label_names;
    info_.task = data_.task;
  }

  const DataInfo& info() const override { return info_; }

  Tensor first_labels(int64_t n) const override {
    std::vector<int64_t> rows(static_cast<size_t>(std::min(n, info_.images)));
    std::iota(rows.begin(), rows.end(), int64_t{0});
    return subset(data_, rows).labels;
  }

  std::unique_ptr<BatchSource> batches(std::vector<int64_t> rows, int64_t batch_size, bool shuffle,
                                       uint64_t seed, double noise) const override {
    Dataset part = subset(data_, rows);
    auto it = std::make_unique<BatchIterator>(part, batch_size, shuffle, seed);
    if (noise > 0) it->set_noise(noise);
    return std::make_unique<IteratorSource<BatchIterator>>(std::move(it), part.size());
  }

 private:
  Dataset data_;
  DataInfo info_;
};

// ---- An HDF5 file, streamed ----

#if defined(ASTROCNN_HAVE_HDF5)
class FileSource final : public DataSource {
 public:
  explicit FileSource(const std::string& path) : reader_(std::make_shared<H5DatasetReader>(path)) {
    info_.name = "'" + path + "'";
    const Shape& image = reader_->image_shape();
    info_.images = reader_->size();
    info_.channels = image[0];
    info_.height = image[1];
    info_.width = image[2];
    info_.class_labels = reader_->class_labels();
    info_.label_width = info_.class_labels ? 1 : reader_->labels_shape()[1];
    info_.label_names = reader_->label_names();
    info_.task = reader_->task();
  }

  const DataInfo& info() const override { return info_; }

  Tensor first_labels(int64_t n) const override {
    std::vector<int64_t> rows(static_cast<size_t>(std::min(n, info_.images)));
    std::iota(rows.begin(), rows.end(), int64_t{0});
    Tensor images, labels;
    reader_->read(rows, images, labels);
    return labels;
  }

  std::unique_ptr<BatchSource> batches(std::vector<int64_t> rows, int64_t batch_size, bool shuffle,
                                       uint64_t seed, double noise) const override {
    int64_t samples = static_cast<int64_t>(rows.size());
    auto it = std::make_unique<StreamingBatchIterator>(reader_, std::move(rows), batch_size, shuffle, seed);
    if (noise > 0) it->set_noise(noise);
    return std::make_unique<IteratorSource<StreamingBatchIterator>>(std::move(it), samples);
  }

 private:
  std::shared_ptr<H5DatasetReader> reader_;
  DataInfo info_;
};
#endif

bool all_vote_fractions(const Tensor& labels) {
  const int64_t k = labels.size(1);
  if (k < 2) return false;
  std::vector<double> v = labels.to(DType::F64).to_vector<double>();
  for (size_t row = 0; row < v.size(); row += static_cast<size_t>(k)) {
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (v[row + j] < 0) return false;
      sum += v[row + j];
    }
    if (std::abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<DataSource> DataSource::builtin(const synth::SynthOptions& options) {
  return std::make_unique<BuiltinSource>(options);
}

std::unique_ptr<DataSource> DataSource::file(const std::string& path) {
  require_hdf5("-f " + path);
#if defined(ASTROCNN_HAVE_HDF5)
  return std::make_unique<FileSource>(path);
#else
  return nullptr;
#endif
}

std::string default_loss(const DataInfo& info, const Tensor& first_labels) {
  if (info.class_labels) return "xent";
  if (info.label_width == 1 || all_vote_fractions(first_labels)) return "rmse";
  return "cosine";
}

void check_loss_fits(LossKind loss, const DataInfo& d) {
  if (loss == LossKind::CrossEntropy)
    ASTRO_CHECK(d.class_labels, "--loss xent needs integer class labels [N], but ", d.name, " has ",
                d.label_width, " float label columns (use --loss rmse, mse or cosine)");
  else
    ASTRO_CHECK(!d.class_labels, "--loss ", loss_name(loss), " needs real-valued labels [N,K], but ",
                d.name, " has class ids (use --loss xent)");
}

}  // namespace astrocnn::cli
