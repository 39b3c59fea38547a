// `astrocnn eval`: a checkpoint's loss, RMSE and accuracy on a data file,
// with per-class precision and recall and the confusion matrix when the
// labels name classes (class ids, or vote fractions through their argmax).
// On orientation labels (cos_2theta, sin_2theta) also the mean and median
// error of the position angle, next to a constant guess (chance). With two
// classes (a lens finder) also the ROC AUC of the probability of class 1,
// next to chance (0.5), and the images per class (the base rate).
// --plots DIR draws them: confusion.png for classes, predicted_vs_true.png
// for real-valued labels (vote fractions get both), orientation.png for
// orientation labels, roc.png for two classes.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor/error.h"
#include "core/ops.h"
#include "io/output_file.h"
#include "models/train/orientation_metrics.h"
#include "models/train/roc.h"
#include "models/train/trainer.h"
#include "tools/run/checkpoint_on_data.h"
#include "tools/commands/commands.h"
#include "tools/plots/plot.h"

namespace astrocnn::cli {
namespace {

struct EvalArgs {
  CheckpointOnDataArgs run;
  std::string loss;   // empty: the loss the run trained with
  std::string plots;  // empty: no pictures
  bool tta = false;   // metrics of the mean over the 8 flips and quarter turns
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

// The images of each class, and the accuracy of always answering the most
// common one: what a classifier must beat on unbalanced classes.
void print_base_rate(const Metrics& m, const std::vector<std::string>& names) {
  std::string counts;
  int64_t most = -1;
  size_t most_common = 0;
  for (size_t c = 0; c < m.confusion.size(); ++c) {
    int64_t support = 0;
    for (int64_t n : m.confusion[c]) support += n;
    counts += (c ? ", " : "") + std::to_string(support) + " " + names[c];
    if (support > most) most = support, most_common = c;
  }
  std::printf("images per class: %s; always answering the most common class (%zu %s) scores "
              "%.2f%% (the accuracy baseline)\n", counts.c_str(), most_common, names[most_common].c_str(),
              m.samples ? 100.0 * most / m.samples : 0.0);
}

// ---- two classes: the ROC curve of the probability of class 1 ----

bool two_classes(const DataInfo& info, const CheckpointOnData& run, const Metrics& m) {
  return info.class_labels && run.spec.options.outputs == 2 && m.confusion.size() == 2;
}

// The curve from the softmax probabilities (2 per image) and the class ids,
// or nothing when only one class is present (the AUC is then not defined).
std::optional<roc::Curve> roc_of_class_1(const Metrics& m, const std::vector<double>& probabilities,
                                         const std::vector<double>& classes) {
  for (const std::vector<int64_t>& row : m.confusion)
    if (row[0] + row[1] == 0) return std::nullopt;
  ASTRO_CHECK(probabilities.size() == 2 * classes.size(), "eval: ", probabilities.size(),
              " probabilities for ", classes.size(), " images of two classes");
  std::vector<double> scores(classes.size());
  std::vector<int> positive(classes.size());
  for (size_t i = 0; i < classes.size(); ++i) {
    scores[i] = probabilities[2 * i + 1];
    positive[i] = classes[i] == 1;
  }
  return roc::roc_curve(scores, positive);
}

void print_roc(const std::optional<roc::Curve>& curve, const Metrics& m,
               const std::vector<std::string>& names) {
  if (!curve) {
    const int only = m.confusion[0][0] + m.confusion[0][1] > 0 ? 0 : 1;
    std::printf("ROC AUC: not defined (every image is of class %d %s; it needs both classes)\n", only,
                names[only].c_str());
    return;
  }
  std::printf("ROC AUC: %.4f (chance: 0.5), ranking the images by the probability of class 1 %s\n",
              curve->auc, names[1].c_str());
}

// ---- --plots DIR ----

const char kConfusionPng[] = "confusion.png";
const char kPredictedPng[] = "predicted_vs_true.png";
const char kOrientationPng[] = "orientation.png";
const char kRocPng[] = "roc.png";

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
  for (const char* name : {kConfusionPng, kPredictedPng, kOrientationPng, kRocPng}) {
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

// Every prediction and label of the data, as predict writes them (softmax
// probabilities for a classifier), for the angle errors, the ROC curve and
// the pictures: gathered batch by batch in the metrics' own pass.
struct Predictions {
  std::vector<double> predicted, truth;

  void add(const CheckpointOnData& run, const Tensor& outputs, const Tensor& labels) {
    Tensor shown = (run.classifier ? ops::softmax(outputs) : outputs).to(Device::CPU);
    std::vector<double> p = shown.to(DType::F64).to_vector<double>();
    std::vector<double> y = labels.to(DType::F64).to_vector<double>();
    predicted.insert(predicted.end(), p.begin(), p.end());
    truth.insert(truth.end(), y.begin(), y.end());
  }
  // The cosine loss ignores length: compare directions.
  void finish(const CheckpointOnData& run, LossKind loss) {
    if (loss != LossKind::Cosine) return;
    normalise_rows(predicted, run.spec.options.outputs);
    normalise_rows(truth, run.spec.options.outputs);
  }
};

// The pictures of the metrics: confusion.png from the confusion matrix, and
// for real-valued labels predicted_vs_true.png from `predicted` and `truth`
// (collect_predictions), orientation.png from `angles` and roc.png from
// `curve` when not null. All are drawn in full before any replaces a file.
void draw_plots(const EvalArgs& a, CheckpointOnData& run, const Metrics& m, LossKind loss,
                const std::vector<double>& predicted, const std::vector<double>& truth,
                const orientation::OrientationErrors* angles, const roc::Curve* curve) {
  namespace fs = std::filesystem;
  const std::string title = run.spec.name + " on " + run.info().name + " (" + a.run.checkpoint + ")";
  const bool confusion = !m.confusion.empty(), scatter = !run.info().class_labels;

  std::error_code ec;
  const std::vector<fs::path> made = missing_directories(a.plots);
  try {
    fs::create_directories(a.plots, ec);
    ASTRO_CHECK(fs::is_directory(a.plots, ec), "--plots '", a.plots, "': cannot create the directory",
                ec ? " (" + ec.message() + ")" : std::string());
    std::unique_ptr<AtomicFile> confusion_png, scatter_png, orientation_png, roc_png;
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
    if (angles) {
      orientation_png = std::make_unique<AtomicFile>(plot_path(a, kOrientationPng), "--plots");
      plot_orientation(*angles, "orientation: " + title, *orientation_png);
    }
    if (curve) {
      roc_png = std::make_unique<AtomicFile>(plot_path(a, kRocPng), "--plots");
      plot_roc(*curve, "1 " + run.class_names(2)[1], "ROC: " + title, *roc_png);
    }
    for (AtomicFile* png : {confusion_png.get(), scatter_png.get(), orientation_png.get(), roc_png.get()}) {
      if (!png) continue;
      png->commit();
      std::printf("wrote %s\n", png->path().c_str());
    }
  } catch (...) {
    for (const fs::path& p : made) fs::remove(p, ec);  // what this command made, if still empty
    throw;
  }
}


void print_angle_errors(const orientation::OrientationErrors& e) {
  std::printf("angle error: mean %.2f deg, median %.2f deg (theta = atan2(sin_2theta, cos_2theta) / 2, "
              "error folded into [0, 90] deg)\n", e.model.mean_deg, e.model.median_deg);
  std::printf("angle error of a constant guess (chance): mean %.2f deg, median %.2f deg (every image "
              "%.1f deg, the labels' mean direction; 45 deg mean for uniform angles)\n",
              e.constant.mean_deg, e.constant.median_deg, e.constant_deg);
}

// The accuracy, the base rate and the per-class figures (when the labels
// are classes or vote fractions), and with two classes (`ranked`) the ROC
// curve of the kept predictions, which it returns for the plots.
std::optional<roc::Curve> print_class_metrics(const Metrics& m, const CheckpointOnData& run, bool ranked,
                                              const std::vector<double>& predicted,
                                              const std::vector<double>& truth) {
  if (std::isnan(m.accuracy)) {
    std::printf("accuracy: not defined (the labels are not classes or vote fractions)\n");
    return std::nullopt;
  }
  int64_t correct = 0;
  for (size_t c = 0; c < m.confusion.size(); ++c) correct += m.confusion[c][c];
  std::printf("accuracy: %.2f%% (%lld of %lld)%s\n", 100 * m.accuracy, static_cast<long long>(correct),
              static_cast<long long>(m.samples),
              run.info().class_labels ? "" : " (argmax of the outputs against argmax of the vote fractions)");
  const std::vector<std::string> names = run.class_names(m.confusion.size());
  print_base_rate(m, names);
  std::optional<roc::Curve> curve;
  if (ranked) {
    curve = roc_of_class_1(m, predicted, truth);
    print_roc(curve, m, names);
  }
  print_classes(m, names);
  return curve;
}

int run_eval(const EvalArgs& a) {
  if (!a.plots.empty()) check_plot_outputs(a);
  CheckpointOnData run = open_checkpoint_on_data(a.run);
  const DataInfo& info = run.info();
  check_labels_fit(info, run.spec, "checkpoint '" + a.run.checkpoint + "'");
  std::string loss_text = a.loss.empty() ? run.config.value("loss", std::string("rmse")) : a.loss;
  LossKind loss = parse_option("--loss", [&] { return parse_loss(loss_text); });
  check_loss_fits(loss, info);

  // One pass: the metrics, and every prediction when the angle errors, the
  // ROC curve (two classes) or the scatter plots need them.
  const bool angles = labels_are_orientations(info), scatter = !a.plots.empty() && !info.class_labels;
  const bool keep = angles || scatter || (info.class_labels && run.spec.options.outputs == 2);
  Predictions kept;
  auto batches = run.data->batches(run.data->all_rows(), a.run.batch_size, /*shuffle=*/false, 0, 0);
  Metrics m = evaluate_outputs(
      *batches, loss, [&](const Tensor& x) { return outputs_for_metrics(run, x, a.tta); },
      keep ? [&](const Tensor& out, const Tensor& y) { kept.add(run, out, y); } : OutputsObserver());
  check_finite_result(m.loss, std::string("the ") + loss_name(loss) + " loss", run);
  kept.finish(run, loss);
  const bool ranked = two_classes(info, run, m);
  const std::vector<double>& predicted = kept.predicted;
  const std::vector<double>& truth = kept.truth;

  std::printf("checkpoint: %s (model %s, %lld parameters, epoch %lld)\n", a.run.checkpoint.c_str(),
              run.spec.name.c_str(), static_cast<long long>(run.restored.model->parameter_count()),
              static_cast<long long>(run.restored.epoch));
  std::printf("data: %s: %s\n", info.name.c_str(), info.describe().c_str());
  std::printf("images: %lld (%.1f images/sec)\n", static_cast<long long>(m.samples), m.images_per_second);
  if (a.tta)
    std::printf("test-time augmentation: every figure below is of the mean output over the 8 flips "
                "and quarter turns of each image%s\n", run.classifier ? " (of the probabilities)" : "");
  std::printf("loss (%s): %.6f\n", loss_name(loss), m.loss);
  std::printf("rmse: %.6f%s\n", m.rmse,
              info.class_labels ? " (softmax probabilities against one-hot labels)" : "");
  const std::optional<roc::Curve> curve = print_class_metrics(m, run, ranked, predicted, truth);
  std::optional<orientation::OrientationErrors> angle_errors;
  if (angles) {
    angle_errors = orientation::orientation_errors(predicted, truth);
    print_angle_errors(*angle_errors);
  }
  if (!a.plots.empty())
    draw_plots(a, run, m, loss, predicted, truth, angle_errors ? &*angle_errors : nullptr,
               curve ? &*curve : nullptr);
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  EvalArgs& a = *args;
  CLI::App* sub = app.add_subcommand(
      "eval", "Loss, RMSE, accuracy, per-class precision/recall and confusion matrix of a "
      "checkpoint on a data file (on orientation labels also the angle errors, with two classes "
      "the ROC AUC), and with "
      "--plots their pictures");
  add_checkpoint_on_data_options(sub, a.run);
  sub->add_flag("--tta", a.tta, "test-time augmentation: the metrics of the outputs averaged over "
                "the 8 flips and quarter turns of each image (probabilities for classifiers; "
                "orientations turned back first), as predict --tta writes them");
  sub->add_option("--loss", a.loss, "xent, rmse, mse or cosine (default: the loss the run trained with)");
  sub->add_option("--plots", a.plots, "directory (made if missing) for confusion.png (classes), "
                  "predicted_vs_true.png (real-valued labels), orientation.png (labels "
                  "cos_2theta, sin_2theta) and roc.png (two classes)")->type_name("DIR");
  return {sub, [args] { return run_eval(*args); }};
}

}  // namespace astrocnn::cli
