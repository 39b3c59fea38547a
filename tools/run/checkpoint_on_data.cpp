#include "tools/run/checkpoint_on_data.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/autograd.h"
#include "core/tensor/error.h"
#include "core/ops.h"
#include "io/batches/augment.h"
#include "models/train/orientation_metrics.h"
#include "tools/options/option_values.h"

namespace astrocnn::cli {

void add_checkpoint_on_data_options(CLI::App* sub, CheckpointOnDataArgs& a) {
  sub->add_option("--checkpoint", a.checkpoint, "checkpoint written by astrocnn train "
                  "(checkpoint.h5 or best.h5)")
      ->required();
  sub->add_option("-f,--file", a.file, "data set: an HDF5 file (native, DeepGalaxy, obiwan cutouts), "
                  "a directory of obiwan shards or of FITS images (docs/DATA.md)")->required();
  add_data_options(sub, a.data);
  sub->add_option("--batch-size", a.batch_size, "images per forward pass")->capture_default_str();
  sub->add_option("--device", a.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--precision", a.precision, "what convolutions and dense layers compute in: "
                  "fp32, bf16 or tf32 (GPU); any checkpoint works in any")->capture_default_str();
  sub->add_option("--threads", a.threads, "CPU threads (0: OMP_NUM_THREADS or all cores)")
      ->capture_default_str();
}

std::vector<std::string> CheckpointOnData::output_names() const {
  std::vector<std::string> names = config.contains("data")
      ? config["data"].value("label_names", std::vector<std::string>{}) : std::vector<std::string>{};
  const int64_t k = spec.options.outputs;
  if (static_cast<int64_t>(names.size()) != k) {
    names.clear();
    for (int64_t j = 0; j < k; ++j) names.push_back("output_" + std::to_string(j));
  }
  return names;
}

bool labels_are_orientations(const DataInfo& info) {
  return !info.class_labels && orientation::is_orientation_labels(info.label_names);
}

bool CheckpointOnData::predicts_orientations() const {
  return !classifier && orientation::is_orientation_labels(output_names());
}

std::vector<std::string> CheckpointOnData::class_names(size_t k) const {
  std::vector<std::string> names = info().label_names;
  if (names.size() != k && config.contains("data"))
    names = config["data"].value("label_names", std::vector<std::string>{});
  if (names.size() != k) {
    names.clear();
    for (size_t c = 0; c < k; ++c) names.push_back("class " + std::to_string(c));
  }
  return names;
}

void normalise_rows(std::vector<double>& values, int64_t k) {
  for (size_t row = 0; row + k <= values.size(); row += static_cast<size_t>(k)) {
    double norm = 0;
    for (int64_t j = 0; j < k; ++j) norm += values[row + j] * values[row + j];
    norm = std::sqrt(norm);
    if (norm > 0)
      for (int64_t j = 0; j < k; ++j) values[row + j] /= norm;
  }
}

CheckpointOnData open_checkpoint_on_data(const CheckpointOnDataArgs& a) {
  apply_threads(a.threads);
  CheckpointOnData run;
  run.device = parse_device(a.device);
  apply_precision(a.precision, run.device);
  ASTRO_CHECK(a.batch_size > 0, "--batch-size must be positive, got ", a.batch_size);
  run.checkpoint = a.checkpoint;
  run.config = read_run_config(a.checkpoint);
  run.data = DataSource::file(a.file, a.data);
  run.spec = checkpoint_model_spec(run.config, a.checkpoint);
  check_images_fit(run.info(), run.spec, "checkpoint '" + a.checkpoint + "'");
  run.classifier = run.config.contains("data") && run.config["data"].value("class_labels", false);
  run.restored = restore_model(a.checkpoint, run.config, run.device);
  run.restored.model->eval();
  if (run.classifier)
    run.data->limit_class_ids(run.spec.options.outputs,
                              "the model '" + run.spec.name + "' of checkpoint '" + a.checkpoint + "'");
  return run;
}

void check_finite_result(double value, const std::string& what, const CheckpointOnData& run) {
  ASTRO_CHECK(std::isfinite(value), what, " of checkpoint '", run.checkpoint, "' on ",
              run.info().name, " is ", value, ": the model overflows on these images (their ",
              "pixels and the weights are finite); check the images' scale against the training data");
}

Tensor predictions(CheckpointOnData& run, const Tensor& x, bool tta) {
  NoGradGuard no_grad;
  auto predict = [&](const Tensor& batch) {
    Tensor out = run.restored.model->forward(batch.to(run.device));
    return (run.classifier ? ops::softmax(out) : out).to(Device::CPU);
  };
  if (!tta) return predict(x);
  // An orientation turns with the image: each view's prediction is turned
  // back before the views are averaged. Other outputs are invariant.
  augment::ViewToImageFrame to_image_frame;
  if (run.predicts_orientations())
    to_image_frame = [](int view, double* row, int64_t) { orientation::to_dihedral_view(view, row[0], row[1]); };
  return augment::mean_over_dihedral_views(x, predict, to_image_frame);
}

Tensor outputs_for_metrics(CheckpointOnData& run, const Tensor& x, bool tta) {
  if (!tta) {
    NoGradGuard no_grad;
    return run.restored.model->forward(x.to(run.device));  // logits, on the device
  }
  Tensor out = predictions(run, x, tta);
  if (!run.classifier) return out;
  // log p: its softmax is p again, so the cross-entropy is -log p[class].
  // A probability that underflowed to 0 counts as the smallest float.
  std::vector<float> p = out.to_vector<float>();
  for (float& v : p) v = std::log(std::max(v, std::numeric_limits<float>::min()));
  return Tensor::from_vector(p, out.shape());
}

void for_each_prediction(CheckpointOnData& run, int64_t batch_size, bool tta,
                         const PredictionBatch& each) {
  auto batches = run.data->batches(run.data->all_rows(), batch_size, /*shuffle=*/false, 0, 0);
  batches->start_epoch(0);
  Tensor x, y;
  int64_t first_row = 0;  // the rows come in order
  while (batches->next(x, y)) {
    Tensor out = predictions(run, x, tta);
    std::vector<double> outputs = out.to(DType::F64).to_vector<double>();
    const int64_t k = out.size(1);
    for (size_t i = 0; i < outputs.size(); ++i)
      ASTRO_CHECK(std::isfinite(outputs[i]), "the model of checkpoint '", run.checkpoint,
                  "' gives ", outputs[i], " as output ", static_cast<int64_t>(i) % k, " for row ",
                  first_row + static_cast<int64_t>(i) / k, " of ", run.info().name,
                  ": it overflows on this image (its pixels and the weights are finite)");
    first_row += x.size(0);
    each(x, y, outputs);
  }
}

}  // namespace astrocnn::cli
