// `astrocnn predict`: a checkpoint's outputs for every image of a data file,
// as CSV: index, the outputs (softmax probabilities for classifiers, raw
// values for regression), then the file's label(s).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "tools/checkpoint_model.h"
#include "tools/commands.h"
#include "tools/data_source.h"
#include "tools/run_dir.h"

namespace astrocnn::cli {
namespace {

struct PredictArgs {
  std::string checkpoint;
  std::string file;
  std::string out;
  int64_t batch_size = 64;
  std::string device = "cpu";
  int threads = 0;
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

// Softmax of one row, in double (outputs of a classifier are logits).
std::vector<double> softmax(const double* row, int64_t k) {
  double top = *std::max_element(row, row + k), sum = 0;
  std::vector<double> p(static_cast<size_t>(k));
  for (int64_t j = 0; j < k; ++j) sum += p[j] = std::exp(row[j] - top);
  for (double& v : p) v /= sum;
  return p;
}

int run_predict(const PredictArgs& a) {
  apply_threads(a.threads);
  Device device = parse_device(a.device);
  ASTRO_CHECK(a.batch_size > 0, "--batch-size must be positive, got ", a.batch_size);
  json config = read_run_config(a.checkpoint);
  std::unique_ptr<DataSource> data = DataSource::file(a.file);
  const DataInfo& info = data->info();
  ModelSpec spec = model_from_json(config["model"]);
  check_images_fit(info, spec, "checkpoint '" + a.checkpoint + "'");
  const bool classifier = config.contains("data") && config["data"].value("class_labels", false);
  std::vector<std::string> names = config.contains("data")
      ? config["data"].value("label_names", std::vector<std::string>{}) : std::vector<std::string>{};
  const int64_t k = spec.options.outputs;
  if (static_cast<int64_t>(names.size()) != k) {
    names.clear();
    for (int64_t j = 0; j < k; ++j) names.push_back("output_" + std::to_string(j));
  }

  RestoredModel restored = restore_model(a.checkpoint, device);
  restored.model->eval();
  NoGradGuard no_grad;

  const std::string tmp = a.out + ".tmp";
  std::ofstream csv(tmp);
  ASTRO_CHECK(csv.good(), "-o '", a.out, "': cannot write '", tmp, "'");
  csv << "index";
  for (const std::string& n : names) csv << ',' << (classifier ? "p_" : "") << cell(n);
  if (info.class_labels) {
    csv << ",label";
  } else {
    for (int64_t j = 0; j < info.label_width; ++j)
      csv << ",label_" << (static_cast<int64_t>(info.label_names.size()) == info.label_width
                               ? cell(info.label_names[j]) : std::to_string(j));
  }
  csv << '\n';

  int64_t index = 0;
  try {
    auto batches = data->batches(data->all_rows(), a.batch_size, /*shuffle=*/false, 0, 0);
    batches->start_epoch(0);
    Tensor x, y;
    while (batches->next(x, y)) {
      std::vector<double> out = restored.model->forward(x.to(device)).to(DType::F64).to_vector<double>();
      std::vector<int64_t> ids;
      std::vector<double> targets;
      if (info.class_labels) ids = y.to_vector<int64_t>();
      else targets = y.to(DType::F64).to_vector<double>();
      for (int64_t i = 0; i < x.size(0); ++i, ++index) {
        csv << index;
        std::vector<double> row(out.begin() + i * k, out.begin() + (i + 1) * k);
        if (classifier) row = softmax(row.data(), k);
        for (double v : row) csv << ',' << number(v);
        if (info.class_labels) csv << ',' << ids[i];
        else
          for (int64_t j = 0; j < info.label_width; ++j) csv << ',' << number(targets[i * info.label_width + j]);
        csv << '\n';
      }
    }
    csv.close();
    ASTRO_CHECK(!csv.fail(), "-o '", a.out, "': writing '", tmp, "' failed");
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  replace_file(tmp, a.out);
  std::printf("wrote %s: %lld rows (%s, %lld outputs%s)\n", a.out.c_str(), static_cast<long long>(index),
              spec.name.c_str(), static_cast<long long>(k), classifier ? ", softmax probabilities" : "");
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  PredictArgs& a = *args;
  CLI::App* sub = app.add_subcommand(
      "predict", "Write a checkpoint's outputs for every image of a data file to CSV (index, outputs, label)");
  sub->add_option("--checkpoint", a.checkpoint, "checkpoint written by astrocnn train (checkpoint.h5 or best.h5)")
      ->required();
  sub->add_option("-f,--file", a.file, "HDF5 data set in the native layout (docs/DATA.md)")->required();
  sub->add_option("-o,--output", a.out, "CSV file to write (replaced atomically)")->required();
  sub->add_option("--batch-size", a.batch_size, "images per forward pass")->capture_default_str();
  sub->add_option("--device", a.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--threads", a.threads, "CPU threads (0: OMP_NUM_THREADS or all cores)")->capture_default_str();
  return {sub, [args] { return run_predict(*args); }};
}

}  // namespace astrocnn::cli
