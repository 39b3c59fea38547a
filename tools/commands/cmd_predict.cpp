// `astrocnn predict`: a checkpoint's outputs for every image of a data file,
// as CSV: index, the outputs (softmax probabilities for classifiers, raw
// values for regression), then the file's label(s), with the angles of
// orientation outputs and labels. --tta averages the outputs over the 8 flips
// and quarter turns of each image (Dieleman et al. 2015), turning orientations
// back first; --gallery draws the first images with their labels and predictions.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/error.h"
#include "io/output_file.h"
#include "models/train/orientation_metrics.h"
#include "tools/run/checkpoint_on_data.h"
#include "tools/commands/commands.h"
#include "tools/plots/plot.h"

namespace astrocnn::cli {
namespace {

struct PredictArgs {
  CheckpointOnDataArgs run;
  std::string out;
  bool tta = false;
  std::string gallery;  // empty: no picture
  int64_t gallery_count = 16;
  std::vector<int64_t> bands;  // empty: 2,1,0 for 3 or more channels, else 0
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

// CSV cells hold names without commas or quotes.
std::string cell(std::string name) {
  std::replace_if(name.begin(), name.end(), [](char c) { return c == ',' || c == '"' || c == '\n'; }, '_');
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

// ---- The gallery ----

// What the lines under a cutout say, which depends on the labels.
enum class LabelStyle { Classes, VoteFractions, Values };

class Gallery {
 public:
  Gallery(const PredictArgs& a, const CheckpointOnData& run) : a_(a), run_(run) {
    const DataInfo& info = run.info();
    bands_ = a.bands;
    if (bands_.empty()) bands_ = info.channels >= 3 ? std::vector<int64_t>{2, 1, 0} : std::vector<int64_t>{0};
    ASTRO_CHECK(bands_.size() == 1 || bands_.size() == 3, "--bands takes one band (greyscale) or "
                "three (red, green, blue), got ", bands_.size());
    for (int64_t b : bands_)
      ASTRO_CHECK(b >= 0 && b < info.channels, "--bands: band ", b, " is not among the ",
                  info.channels, " channels of ", info.name);
    ASTRO_CHECK(a.gallery_count >= 1, "--gallery-count must be >= 1, got ", a.gallery_count);
    if (info.class_labels) style_ = LabelStyle::Classes;
    else if (info.label_width >= 2 && default_loss(info, run.data->first_labels(256)) == "rmse")
      style_ = LabelStyle::VoteFractions;
    else style_ = LabelStyle::Values;
    names_ = style_ == LabelStyle::Classes ? run.class_names(static_cast<size_t>(run.spec.options.outputs))
                                           : run.output_names();
  }

  bool full() const { return static_cast<int64_t>(images_.size()) >= a_.gallery_count; }

  // Takes image i of a batch, its labels and its outputs.
  void add(const Tensor& x, int64_t i, const Tensor& y, const double* outputs) {
    const int64_t c = x.size(1), h = x.size(2), w = x.size(3), k = run_.spec.options.outputs;
    GalleryImage g;
    g.band_count = static_cast<int64_t>(bands_.size());
    g.height = h;
    g.width = w;
    const float* pixels = x.data<float>() + i * c * h * w;
    for (int64_t b : bands_) g.bands.insert(g.bands.end(), pixels + b * h * w, pixels + (b + 1) * h * w);
    const int64_t predicted = std::max_element(outputs, outputs + k) - outputs;
    if (style_ == LabelStyle::Values) {
      std::vector<double> truth = y.to(DType::F64).to_vector<double>();
      const int64_t width = y.size(1);
      std::vector<double> row(truth.begin() + i * width, truth.begin() + (i + 1) * width);
      std::vector<double> predicted_row(outputs, outputs + k);
      if (run_.compares_directions()) normalise_rows(row, width), normalise_rows(predicted_row, k);
      g.truth = "true " + values(row.data(), width);
      g.prediction = "pred " + values(predicted_row.data(), k);
    } else if (style_ == LabelStyle::Classes) {
      const int64_t truth = y.to_vector<int64_t>()[i];
      g.truth = "true: " + name(truth);
      g.prediction = "pred: " + name(predicted) + " " + fixed(outputs[predicted]);
      g.verdict = truth == predicted ? 1 : -1;
    } else {
      std::vector<double> votes = y.to(DType::F64).to_vector<double>();
      const double* row = votes.data() + i * k;
      const int64_t truth = std::max_element(row, row + k) - row;
      g.truth = "true: " + name(truth) + " " + fixed(row[truth]);
      g.prediction = "pred: " + name(predicted) + " " + fixed(outputs[predicted]);
      g.verdict = truth == predicted ? 1 : -1;
    }
    images_.push_back(std::move(g));
  }

  // Draws the gallery into `out` (committed by the caller).
  void write(AtomicFile& out) const {
    std::string bands;
    for (int64_t b : bands_) bands += (bands.empty() ? "" : ",") + std::to_string(b);
    std::string subtitle = "the first " + std::to_string(images_.size()) + " images, each asinh-stretched; " +
                           (bands_.size() == 1 ? "band " + bands : "bands " + bands + " as red, green, blue");
    if (a_.tta) subtitle += "; predictions averaged over 8 views";
    if (style_ == LabelStyle::Values) {
      subtitle += run_.compares_directions() ? "\nas unit vectors (the cosine loss ignores length):\n"
                                             : "\nvalues: ";
      for (size_t j = 0; j < names_.size(); ++j) subtitle += (j ? ", " : "") + names_[j];
    }
    const std::string title = run_.spec.name + " (" + a_.run.checkpoint + ") on " + run_.info().name;
    plot_gallery(images_, title, subtitle, out);
  }

 private:
  std::string name(int64_t c) const {
    return c < static_cast<int64_t>(names_.size()) ? names_[c] : "class " + std::to_string(c);
  }
  static std::string fixed(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
  }
  static std::string values(const double* v, int64_t n) {
    std::string s;
    for (int64_t j = 0; j < std::min<int64_t>(n, 4); ++j) s += (j ? " " : "") + fixed(v[j]);
    return n > 4 ? s + " ..." : s;
  }

  const PredictArgs& a_;
  const CheckpointOnData& run_;
  std::vector<int64_t> bands_;
  LabelStyle style_;
  std::vector<std::string> names_;
  std::vector<GalleryImage> images_;
};

// ---- The command ----

// Every output is checked before any work, so that a bad one fails at once
// and a failed command leaves every file as it was. No output may be an
// input, nor the other output.
void check_outputs(const PredictArgs& a) {
  check_output_file(a.out, "-o");
  check_distinct_files(a.out, "-o", a.run.checkpoint, "--checkpoint");
  check_distinct_files(a.out, "-o", a.run.file, "-f");
  if (a.gallery.empty()) return;
  ASTRO_CHECK(plots_available(), "--gallery: this astrocnn was built without cairo (install "
              "libcairo2-dev and re-run cmake), so it draws no pictures");
  check_output_file(a.gallery, "--gallery");
  check_distinct_files(a.gallery, "--gallery", a.out, "-o");
  check_distinct_files(a.gallery, "--gallery", a.run.checkpoint, "--checkpoint");
  check_distinct_files(a.gallery, "--gallery", a.run.file, "-f");
}

// index, the outputs, [angle_deg,] the label(s)[, label_angle_deg]: an
// orientation model's outputs and labels are also given as the angle θ in
// degrees, [0, 180), that a reader would otherwise compute from them.
std::string csv_header(const CheckpointOnData& run) {
  const DataInfo& info = run.info();
  std::string header = "index";
  for (const std::string& n : run.output_names()) header += (run.classifier ? ",p_" : ",") + cell(n);
  if (run.predicts_orientations()) header += ",angle_deg";
  if (info.class_labels) return header + ",label\n";
  for (int64_t j = 0; j < info.label_width; ++j)
    header += ",label_" + (static_cast<int64_t>(info.label_names.size()) == info.label_width
                               ? cell(info.label_names[j]) : std::to_string(j));
  if (labels_are_orientations(info)) header += ",label_angle_deg";
  return header + '\n';
}

int run_predict(const PredictArgs& a) {
  check_outputs(a);
  CheckpointOnData run = open_checkpoint_on_data(a.run);
  const DataInfo& info = run.info();
  std::unique_ptr<Gallery> gallery;
  if (!a.gallery.empty()) gallery = std::make_unique<Gallery>(a, run);

  // The CSV goes to a temporary, committed with the gallery once both are complete.
  AtomicFile csv(a.out, "-o");
  csv.write(csv_header(run));
  const int64_t k = run.spec.options.outputs;
  const bool angles = run.predicts_orientations(), label_angles = labels_are_orientations(info);
  int64_t index = 0;
  for_each_prediction(run, a.run.batch_size, a.tta,
                      [&](const Tensor& x, const Tensor& y, const std::vector<double>& out) {
    std::vector<int64_t> ids;
    std::vector<double> targets;
    if (info.class_labels) ids = y.to_vector<int64_t>();
    else targets = y.to(DType::F64).to_vector<double>();
    std::string rows;
    for (int64_t i = 0; i < x.size(0); ++i, ++index) {
      rows += std::to_string(index);
      for (int64_t j = 0; j < k; ++j) rows += ',' + number(out[i * k + j]);
      if (angles) rows += ',' + number(orientation::angle_deg(out[i * k], out[i * k + 1]));
      if (info.class_labels) rows += ',' + std::to_string(ids[i]);
      else
        for (int64_t j = 0; j < info.label_width; ++j)
          rows += ',' + number(targets[i * info.label_width + j]);
      if (label_angles)
        rows += ',' + number(orientation::angle_deg(targets[i * 2], targets[i * 2 + 1]));
      rows += '\n';
      if (gallery && !gallery->full()) gallery->add(x, i, y, out.data() + i * k);
    }
    csv.write(rows);
  });
  std::unique_ptr<AtomicFile> png;
  if (gallery) {
    png = std::make_unique<AtomicFile>(a.gallery, "--gallery");
    gallery->write(*png);
  }
  csv.commit();
  std::printf("wrote %s: %lld rows (%s, %lld outputs%s%s)\n", a.out.c_str(),
              static_cast<long long>(index), run.spec.name.c_str(), static_cast<long long>(k),
              run.classifier ? ", softmax probabilities" : "", a.tta ? ", mean over 8 views" : "");
  if (png) {
    png->commit();
    std::printf("wrote %s\n", a.gallery.c_str());
  }
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  PredictArgs& a = *args;
  CLI::App* sub = app.add_subcommand(
      "predict", "Write a checkpoint's outputs for every image of a data file to CSV (index, "
      "outputs, label); --tta averages them over 8 views, --gallery draws the first images");
  add_checkpoint_on_data_options(sub, a.run);
  sub->add_option("-o,--output", a.out, "CSV file to write (replaced atomically; a symlink is written through)")->required();
  sub->add_flag("--tta", a.tta, "test-time augmentation: average the outputs (probabilities for "
                "classifiers) over the 8 flips and quarter turns of each image");
  sub->add_option("--gallery", a.gallery, "also draw the first images with their label and "
                  "prediction to this PNG")->type_name("PNG");
  sub->add_option("--gallery-count", a.gallery_count, "images in the --gallery")->capture_default_str();
  sub->add_option("--bands", a.bands, "--gallery: the channel to show in grey, or three as red, green, "
                  "blue (default 2,1,0 with 3 or more channels, else 0)")
      ->delimiter(',')->type_name("B or R,G,B");
  return {sub, [args] { return run_predict(*args); }};
}

}  // namespace astrocnn::cli
