// Data sources of the command line (tools/options/data_source.h).
#include "tools/options/data_source.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/tensor/error.h"
#include "io/batches/dataset.h"
#include "io/batches/streaming_iterator.h"
#include "tools/options/option_values.h"

namespace astrocnn::cli {

std::string DataInfo::describe() const {
  std::ostringstream s;
  s << images << " images " << channels << "x" << height << "x" << width << ", ";
  if (class_labels) s << "class ids";
  else s << label_width << " float label" << (label_width == 1 ? "" : "s");
  if (!label_names.empty()) {
    // DeepGalaxy has hundreds of classes: name the first few.
    const size_t shown = std::min<size_t>(label_names.size(), 12);
    s << " (";
    if (shown < label_names.size()) s << label_names.size() << " classes: ";
    for (size_t i = 0; i < shown; ++i) s << (i ? ", " : "") << label_names[i];
    s << (shown < label_names.size() ? ", ...)" : ")");
  }
  if (!format.empty()) s << "; " << format;
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

// ---- A data set on disk, streamed ----

// A reader whose class ids must also lie below a model's number of outputs.
class ClassLimitedReader final : public RowReader {
 public:
  ClassLimitedReader(std::shared_ptr<const RowReader> inner, int64_t classes, std::string model)
      : inner_(std::move(inner)), classes_(classes), model_(std::move(model)) {}

  const RowSetInfo& info() const override { return inner_->info(); }

 protected:
  void read_sorted(const std::vector<int64_t>& rows, Tensor& images, Tensor& labels) const override {
    inner_->read(rows, images, labels);
    const int64_t* ids = labels.data<int64_t>();
    for (size_t i = 0; i < rows.size(); ++i)
      ASTRO_CHECK(ids[i] < classes_, "'", info().source, "': row ", rows[i], " has class id ",
                  ids[i], " but ", model_, " has ", classes_, " outputs (classes 0 to ",
                  classes_ - 1, ")");
  }

 private:
  std::shared_ptr<const RowReader> inner_;
  int64_t classes_;
  std::string model_;
};

class FileSource final : public DataSource {
 public:
  FileSource(const std::string& path, const DataFileOptions& options)
      : reader_(open_data_files(path, options)) {
    const RowSetInfo& r = reader_->info();
    info_.name = "'" + path + "'";
    info_.format = r.format;
    info_.images = r.rows;
    info_.channels = r.image_shape[0];
    info_.height = r.image_shape[1];
    info_.width = r.image_shape[2];
    info_.class_labels = r.class_labels;
    info_.label_width = r.label_width;
    info_.label_names = r.label_names;
    info_.task = r.task;
  }

  const DataInfo& info() const override { return info_; }

  Tensor first_labels(int64_t n) const override {
    std::vector<int64_t> rows(static_cast<size_t>(std::min(n, info_.images)));
    std::iota(rows.begin(), rows.end(), int64_t{0});
    return reader_->read_labels(rows);
  }

  void limit_class_ids(int64_t classes, const std::string& model) override {
    if (info_.class_labels)
      reader_ = std::make_shared<ClassLimitedReader>(reader_, classes, model);
  }

  std::unique_ptr<BatchSource> batches(std::vector<int64_t> rows, int64_t batch_size, bool shuffle,
                                       uint64_t seed, double noise) const override {
    const auto samples = static_cast<int64_t>(rows.size());
    auto it = std::make_unique<StreamingBatchIterator>(reader_, std::move(rows), batch_size, shuffle,
                                                       seed);
    if (noise > 0) it->set_noise(noise);
    return std::make_unique<IteratorSource<StreamingBatchIterator>>(std::move(it), samples);
  }

 private:
  std::shared_ptr<const RowReader> reader_;
  DataInfo info_;
};

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

std::unique_ptr<DataSource> DataSource::file(const std::string& path,
                                             const DataFileOptions& options) {
  return std::make_unique<FileSource>(path, options);
}

DataFileOptions test_split() {
  DataFileOptions o;
  o.default_split = "test";
  return o;
}

void add_data_options(CLI::App* sub, DataFileOptions& o) {
  sub->add_option("-d,--datasets", o.datasets, "DeepGalaxy files: the simulations to use, a glob "
                  "over the group names (s_1.5_* for size ratio 1.5)")->capture_default_str();
  sub->add_option("--num-camera", o.num_camera, "DeepGalaxy files: cameras 0 .. n-1 (1 to 14)")
      ->capture_default_str();
  sub->add_option("--dg-labels", o.dg_labels, "DeepGalaxy files: time-camera (classes of "
                  "time bin and camera, as dg_train.py with Horovod) or time (time bin only)")
      ->capture_default_str();
  sub->add_option("--split", o.split, "obiwan shard directories: train (xtrain_N.npy) or test "
                  "(xtest_N.npy); default " + o.default_split)
      ->check(CLI::IsMember({"train", "test"}));
  sub->add_option("--fake", o.fake, "obiwan cutout files: the simulated galaxies' file of the "
                  "brick whose real galaxies -f names (labels 0 real, 1 fake)");
  sub->add_option("--labels", o.labels, "a directory of FITS images: its labels CSV (default "
                  "DIR/labels.csv; docs/DATA.md)");
  sub->add_option("--labels-dataset", o.labels_dataset, "native HDF5 files: the dataset to use as "
                  "labels instead of /labels, e.g. einstein_radius of synth --kind lens");
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
