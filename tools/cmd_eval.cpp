// `astrocnn eval`: a checkpoint's loss, RMSE and accuracy on a data file,
// with per-class precision and recall and the confusion matrix when the
// labels name classes (class ids, or vote fractions through their argmax).
// --plots DIR draws them: confusion.png for classes, predicted_vs_true.png
// for real-valued labels (vote fractions get both).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/output_file.h"
#include "models/train/trainer.h"
#include "tools/checkpoint_on_data.h"
#include "tools/commands.h"
#include "tools/plot.h"

namespace astrocnn::cli {
namespace {

struct EvalArgs {
  CheckpointOnDataArgs run;
  std::string loss;   // empty: the loss the run trained with
  std::string plots;  // empty: no pictures
};

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

// ---- --plots DIR ----

const char kConfusionPng[] = "confusion.png";
const char kPredictedPng[] = "predicted_vs_true.png";

std::string plot_path(const EvalArgs& a, const char* name) {
  return (std::filesystem::path(a.plots) / name).string();
}

// Checked before the work, without creating anything yet: a bad directory,
// or a picture's name taken by something that is not a regular file, fails
// at once and a failed command leaves no trace.
void check_plot_outputs(const EvalArgs& a) {
  ASTRO_CHECK(plots_available(), "--plots: this astrocnn was built without cairo (install "
              "libcairo2-dev and re-run cmake), so it draws no pictures");
  check_output_directory(a.plots, "--plots");
  std::error_code ec;
  const bool exists = std::filesystem::is_directory(a.plots, ec);
  for (const char* name : {kConfusionPng, kPredictedPng}) {
    const std::string path = plot_path(a, name);
    if (exists) check_output_file(path, "--plots");
    check_distinct_files(path, "--plots", a.run.checkpoint, "--checkpoint");
    check_distinct_files(path, "--plots", a.run.file, "-f");
  }
}

// The directories that making `dir` will create, deepest first, so that a
// failed command can remove them again.
std::vector<std::filesystem::path> missing_directories(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> missing;
  fs::path p = fs::absolute(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "plots/" -> "plots"
  std::error_code ec;
  for (; p != p.parent_path() && !fs::exists(p, ec); p = p.parent_path()) missing.push_back(p);
  return missing;
}

// Every prediction and label of the data (real-valued labels), for predicted_vs_true.png.
void collect_predictions(CheckpointOnData& run, int64_t batch_size, LossKind loss,
                         std::vector<double>& predicted, std::vector<double>& truth) {
  for_each_prediction(run, batch_size, /*tta=*/false,
                      [&](const Tensor&, const Tensor& y, const std::vector<double>& outputs) {
                        predicted.insert(predicted.end(), outputs.begin(), outputs.end());
                        std::vector<double> labels = y.to(DType::F64).to_vector<double>();
                        truth.insert(truth.end(), labels.begin(), labels.end());
                      });
  if (loss == LossKind::Cosine) {  // the loss ignores length: compare directions
    const int64_t k = run.spec.options.outputs;
    normalise_rows(predicted, k);
    normalise_rows(truth, k);
  }
}

// The pictures of the metrics: confusion.png from the confusion matrix, and
// for real-valued labels predicted_vs_true.png from a second pass. Both are
// drawn in full before either replaces a file.
void draw_plots(const EvalArgs& a, CheckpointOnData& run, const Metrics& m, LossKind loss) {
  namespace fs = std::filesystem;
  const std::string title = run.spec.name + " on " + run.info().name + " (" + a.run.checkpoint + ")";
  const bool confusion = !m.confusion.empty(), scatter = !run.info().class_labels;
  std::vector<double> predicted, truth;
  if (scatter) collect_predictions(run, a.run.batch_size, loss, predicted, truth);

  std::error_code ec;
  const std::vector<fs::path> made = missing_directories(a.plots);
  try {
    fs::create_directories(a.plots, ec);
    ASTRO_CHECK(fs::is_directory(a.plots, ec), "--plots '", a.plots, "': cannot create the directory",
                ec ? " (" + ec.message() + ")" : std::string());
    std::unique_ptr<AtomicFile> confusion_png, scatter_png;
    if (confusion) {
      confusion_png = std::make_unique<AtomicFile>(plot_path(a, kConfusionPng), "--plots");
      plot_confusion(m.confusion, run.class_names(m.confusion.size()), "confusion matrix: " + title,
                     *confusion_png);
    }
    if (scatter) {
      const std::string what = loss == LossKind::Cosine
          ? "unit vectors (the cosine loss ignores length), predicted against true: "
          : "predicted against true: ";
      scatter_png = std::make_unique<AtomicFile>(plot_path(a, kPredictedPng), "--plots");
      plot_predicted_vs_true(predicted, truth, run.output_names(), what + title, *scatter_png);
    }
    for (AtomicFile* png : {confusion_png.get(), scatter_png.get()}) {
      if (!png) continue;
      png->commit();
      std::printf("wrote %s\n", png->path().c_str());
    }
  } catch (...) {
    for (const fs::path& p : made) fs::remove(p, ec);  // what this command made, if still empty
    throw;
  }
}

int run_eval(const EvalArgs& a) {
  if (!a.plots.empty()) check_plot_outputs(a);
  CheckpointOnData run = open_checkpoint_on_data(a.run);
  const DataInfo& info = run.info();
  check_labels_fit(info, run.spec, "checkpoint '" + a.run.checkpoint + "'");
  std::string loss_text = a.loss.empty() ? run.config.value("loss", std::string("rmse")) : a.loss;
  LossKind loss = parse_option("--loss", [&] { return parse_loss(loss_text); });
  check_loss_fits(loss, info);

  auto batches = run.data->batches(run.data->all_rows(), a.run.batch_size, /*shuffle=*/false, 0, 0);
  Metrics m = evaluate(*run.restored.model, *batches, loss, run.device);
  check_finite_result(m.loss, std::string("the ") + loss_name(loss) + " loss", run);

  std::printf("checkpoint: %s (model %s, %lld parameters, epoch %lld)\n", a.run.checkpoint.c_str(),
              run.spec.name.c_str(), static_cast<long long>(run.restored.model->parameter_count()),
              static_cast<long long>(run.restored.epoch));
  std::printf("data: %s: %s\n", info.name.c_str(), info.describe().c_str());
  std::printf("images: %lld (%.1f images/sec)\n", static_cast<long long>(m.samples), m.images_per_second);
  std::printf("loss (%s): %.6f\n", loss_name(loss), m.loss);
  std::printf("rmse: %.6f%s\n", m.rmse,
              info.class_labels ? " (softmax probabilities against one-hot labels)" : "");
  if (std::isnan(m.accuracy)) {
    std::printf("accuracy: not defined (the labels are not classes or vote fractions)\n");
  } else {
    int64_t correct = 0;
    for (size_t c = 0; c < m.confusion.size(); ++c) correct += m.confusion[c][c];
    std::printf("accuracy: %.2f%% (%lld of %lld)%s\n", 100 * m.accuracy, static_cast<long long>(correct),
                static_cast<long long>(m.samples),
                info.class_labels ? "" : " (argmax of the outputs against argmax of the vote fractions)");
    print_classes(m, run.class_names(m.confusion.size()));
  }
  if (!a.plots.empty()) draw_plots(a, run, m, loss);
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  EvalArgs& a = *args;
  CLI::App* sub = app.add_subcommand(
      "eval", "Loss, RMSE, accuracy, per-class precision/recall and confusion matrix of a "
      "checkpoint on a data file, and with --plots their pictures");
  add_checkpoint_on_data_options(sub, a.run);
  sub->add_option("--loss", a.loss, "xent, rmse, mse or cosine (default: the loss the run trained with)");
  sub->add_option("--plots", a.plots, "directory (made if missing) for confusion.png (classes) and "
                  "predicted_vs_true.png (real-valued labels)")->type_name("DIR");
  return {sub, [args] { return run_eval(*args); }};
}

}  // namespace astrocnn::cli
