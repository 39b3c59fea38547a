#include "tools/checkpoint_on_data.h"

#include <CLI/CLI.hpp>

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "io/augment.h"
#include "tools/commands.h"

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
  ASTRO_CHECK(a.batch_size > 0, "--batch-size must be positive, got ", a.batch_size);
  run.config = read_run_config(a.checkpoint);
  run.data = DataSource::file(a.file, a.data);
  run.spec = model_from_json(run.config["model"]);
  check_images_fit(run.info(), run.spec, "checkpoint '" + a.checkpoint + "'");
  run.classifier = run.config.contains("data") && run.config["data"].value("class_labels", false);
  run.restored = restore_model(a.checkpoint, run.device);
  run.restored.model->eval();
  return run;
}

void for_each_prediction(CheckpointOnData& run, int64_t batch_size, bool tta,
                         const PredictionBatch& each) {
  NoGradGuard no_grad;
  Module& model = *run.restored.model;
  auto predict = [&](const Tensor& x) {
    Tensor out = model.forward(x.to(run.device));
    return (run.classifier ? ops::softmax(out) : out).to(Device::CPU);
  };
  auto batches = run.data->batches(run.data->all_rows(), batch_size, /*shuffle=*/false, 0, 0);
  batches->start_epoch(0);
  Tensor x, y;
  while (batches->next(x, y)) {
    Tensor out = tta ? augment::mean_over_dihedral_views(x, predict) : predict(x);
    each(x, y, out.to(DType::F64).to_vector<double>());
  }
}

}  // namespace astrocnn::cli
