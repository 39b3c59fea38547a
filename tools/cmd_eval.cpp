// `astrocnn eval`: a checkpoint's loss, RMSE and accuracy on a data file,
// with per-class precision and recall and the confusion matrix when the
// labels name classes (class ids, or vote fractions through their argmax).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "tools/checkpoint_model.h"
#include "tools/commands.h"
#include "tools/data_source.h"

namespace astrocnn::cli {
namespace {

struct EvalArgs {
  std::string checkpoint;
  std::string file;
  std::string loss;  // empty: the loss the run trained with
  int64_t batch_size = 64;
  std::string device = "cpu";
  int threads = 0;
};

// The class names: the file's, else the run's, else "class <i>".
std::vector<std::string> class_names(const DataInfo& data, const json& config, size_t classes) {
  std::vector<std::string> names = data.label_names;
  if (names.size() != classes && config.contains("data"))
    names = config["data"].value("label_names", std::vector<std::string>{});
  if (names.size() != classes) {
    names.clear();
    for (size_t c = 0; c < classes; ++c) names.push_back("class " + std::to_string(c));
  }
  return names;
}

// "0.412", or "-" when nothing was predicted (precision) or present (recall).
std::string ratio(int64_t part, int64_t whole) {
  if (whole == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(part) / whole);
  return buf;
}

void print_classes(const Metrics& m, const std::vector<std::string>& names) {
  const size_t k = m.confusion.size();
  int width = 5;
  for (size_t c = 0; c < k; ++c)
    width = std::max(width, static_cast<int>((std::to_string(c) + " " + names[c]).size()));
  std::printf("\nper class:\n  %-*s  precision  recall  support\n", width, "class");
  for (size_t c = 0; c < k; ++c) {
    int64_t support = 0, predicted = 0;
    for (size_t j = 0; j < k; ++j) support += m.confusion[c][j], predicted += m.confusion[j][c];
    const int64_t hits = m.confusion[c][c];
    std::printf("  %-*s  %9s  %6s  %7lld\n", width, (std::to_string(c) + " " + names[c]).c_str(),
                ratio(hits, predicted).c_str(), ratio(hits, support).c_str(),
                static_cast<long long>(support));
  }
  std::printf("\nconfusion matrix (rows: true class, columns: predicted class):\n  %-*s", width, "");
  for (size_t j = 0; j < k; ++j) std::printf(" %7zu", j);
  std::printf("\n");
  for (size_t c = 0; c < k; ++c) {
    std::printf("  %-*s", width, (std::to_string(c) + " " + names[c]).c_str());
    for (size_t j = 0; j < k; ++j) std::printf(" %7lld", static_cast<long long>(m.confusion[c][j]));
    std::printf("\n");
  }
}

int run_eval(const EvalArgs& a) {
  apply_threads(a.threads);
  Device device = parse_device(a.device);
  ASTRO_CHECK(a.batch_size > 0, "--batch-size must be positive, got ", a.batch_size);
  json config = read_run_config(a.checkpoint);
  std::unique_ptr<DataSource> data = DataSource::file(a.file);
  const DataInfo& info = data->info();
  const std::string source = "checkpoint '" + a.checkpoint + "'";
  ModelSpec spec = model_from_json(config["model"]);
  check_images_fit(info, spec, source);
  check_labels_fit(info, spec, source);
  std::string loss_text = a.loss.empty() ? config.value("loss", std::string("rmse")) : a.loss;
  LossKind loss = parse_option("--loss", [&] { return parse_loss(loss_text); });
  check_loss_fits(loss, info);

  RestoredModel restored = restore_model(a.checkpoint, device);
  auto batches = data->batches(data->all_rows(), a.batch_size, /*shuffle=*/false, 0, 0);
  Metrics m = evaluate(*restored.model, *batches, loss, device);

  std::printf("checkpoint: %s (model %s, %lld parameters, epoch %lld)\n", a.checkpoint.c_str(),
              spec.name.c_str(), static_cast<long long>(restored.model->parameter_count()),
              static_cast<long long>(restored.epoch));
  std::printf("data: %s: %s\n", info.name.c_str(), info.describe().c_str());
  std::printf("images: %lld (%.1f images/sec)\n", static_cast<long long>(m.samples), m.images_per_second);
  std::printf("loss (%s): %.6f\n", loss_name(loss), m.loss);
  std::printf("rmse: %.6f%s\n", m.rmse,
              info.class_labels ? " (softmax probabilities against one-hot labels)" : "");
  if (std::isnan(m.accuracy)) {
    std::printf("accuracy: not defined (the labels are not classes or vote fractions)\n");
    return 0;
  }
  int64_t correct = 0;
  for (size_t c = 0; c < m.confusion.size(); ++c) correct += m.confusion[c][c];
  std::printf("accuracy: %.2f%% (%lld of %lld)%s\n", 100 * m.accuracy, static_cast<long long>(correct),
              static_cast<long long>(m.samples),
              info.class_labels ? "" : " (argmax of the outputs against argmax of the vote fractions)");
  print_classes(m, class_names(info, config, m.confusion.size()));
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  EvalArgs& a = *args;
  CLI::App* sub = app.add_subcommand(
      "eval", "Loss, RMSE, accuracy, per-class precision/recall and confusion matrix of a checkpoint on a data file");
  sub->add_option("--checkpoint", a.checkpoint, "checkpoint written by astrocnn train (checkpoint.h5 or best.h5)")
      ->required();
  sub->add_option("-f,--file", a.file, "HDF5 data set in the native layout (docs/DATA.md)")->required();
  sub->add_option("--loss", a.loss, "xent, rmse, mse or cosine (default: the loss the run trained with)");
  sub->add_option("--batch-size", a.batch_size, "images per forward pass")->capture_default_str();
  sub->add_option("--device", a.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--threads", a.threads, "CPU threads (0: OMP_NUM_THREADS or all cores)")->capture_default_str();
  return {sub, [args] { return run_eval(*args); }};
}

}  // namespace astrocnn::cli
