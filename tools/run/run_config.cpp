#include "tools/run/run_config.h"

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/tensor/error.h"
#include "tools/options/option_checks.h"

#ifndef ASTROCNN_GIT_COMMIT
#define ASTROCNN_GIT_COMMIT "unknown"
#endif

namespace astrocnn::cli {

namespace fs = std::filesystem;

std::string git_commit() { return ASTROCNN_GIT_COMMIT; }

json options_to_json(const TrainArgs& a) {
  auto absolute = [](const std::string& path) {
    return path.empty() ? path : fs::absolute(path).lexically_normal().string();
  };
  return json{
      {"model", a.model},       {"small-stem", a.small_stem}, {"outputs", a.outputs},
      {"activation", a.activation},
      {"zero-init-residual", a.zero_init_residual},
      {"dropout", a.dropout},   {"file", absolute(a.file)},   {"kind", a.kind},
      {"datasets", a.data.datasets}, {"num-camera", a.data.num_camera},
      {"dg-labels", a.data.dg_labels}, {"split", a.data.split},
      {"fake", absolute(a.data.fake)}, {"labels", absolute(a.data.labels)},
      {"labels-dataset", a.data.labels_dataset},
      {"images", a.images},     {"size", a.size},             {"loss", a.loss},
      {"epochs", a.epochs},     {"batch-size", a.batch_size}, {"lr", a.lr},
      {"momentum", a.momentum}, {"weight-decay", a.weight_decay},
      {"nesterov", a.nesterov}, {"schedule", a.schedule},     {"step-size", a.step_size},
      {"noise", a.noise},       {"seed", a.seed},             {"val-fraction", a.val_fraction},
      {"device", a.device},     {"precision", a.precision},   {"threads", a.threads},       {"out", a.out},
      {"shard-epochs", a.shard_epochs}, {"sync-bn", a.sync_bn},
      {"flip", a.flip},         {"rot90", a.rot90},           {"rotate", a.rotate},
      {"translate", a.translate}, {"zoom", a.zoom},           {"brightness", a.brightness},
      {"fill", a.fill},         {"augment-validation", a.augment_validation},
  };
}

namespace {

// At most 60 characters of `text`, cut between UTF-8 characters.
std::string excerpt(const std::string& text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return text;
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

template <class T>
void read_if_present(const json& object, const char* key, T& value, const std::string& what) {
  auto it = object.find(key);
  if (it != object.end() && !it->is_null()) value = json_get<T>(object, key, what);
}

// Every stored number (and number in an array, --zoom) inside the range of
// its option; a default passes as it is, since it stands for an option not
// given and may lie outside what can be typed (--outputs 0: from the data).
void check_option_ranges(const json& options, const std::string& what) {
  const json defaults = options_to_json(TrainArgs{});
  for (const auto& [key, value] : options.items()) {
    if (defaults.contains(key) && value == defaults[key]) continue;
    for (const json& v : value.is_array() ? value : json::array({value})) {
      if (!v.is_number()) continue;
      const std::string problem = option_range_problem(key, v.dump());
      if (!problem.empty())
        throw Error(what + ": \"" + key + "\" " + problem + ", got " + v.dump());
    }
  }
}

double number_or_nan(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::numeric_limits<double>::quiet_NaN();
  return it->get<double>();
}

// The sizes a model description may give, those of an image a data file may
// hold (io/readers/data_files.cpp reads at most 2^26 values per image): a
// damaged file then fails naming itself, not as an allocation far from it.
void check_model_sizes(const ModelSpec& spec, const std::string& what) {
  constexpr int64_t kMaxImageElements = int64_t{1} << 26;
  const models::ModelOptions& o = spec.options;
  const bool fits = o.in_channels >= 1 && o.image_size >= 1 && o.in_channels <= kMaxImageElements &&
                    o.image_size <= kMaxImageElements / o.in_channels / o.image_size;
  ASTRO_CHECK(fits, what, " describes ", o.in_channels, "x", o.image_size, "x", o.image_size,
              " images (channels, height, width): not an image astrocnn reads (1 to ",
              kMaxImageElements, " values)");
  // The ranges of the options that set them (--outputs, --dropout).
  auto check = [&](const char* key, const json& value) {
    const std::string problem = option_range_problem(key, value.dump());
    ASTRO_CHECK(problem.empty(), what, ": \"", key, "\" ", problem, ", got ", value.dump());
  };
  check("outputs", o.outputs);
  check("dropout", o.dropout);
}

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json metrics_to_json(const Metrics& m) {
  return json{{"samples", m.samples},
              {"loss", number_or_null(m.loss)},
              {"accuracy", number_or_null(m.accuracy)},
              {"rmse", number_or_null(m.rmse)},
              {"seconds", m.seconds},
              {"images_per_second", m.images_per_second}};
}

Metrics metrics_from_json(const json& j, const std::string& what) {
  if (!j.is_object()) throw Error(what + " is not a JSON object (" + json_excerpt(j) + ")");
  Metrics m;
  read_if_present(j, "samples", m.samples, what);
  m.loss = number_or_nan(j, "loss");
  m.accuracy = number_or_nan(j, "accuracy");
  m.rmse = number_or_nan(j, "rmse");
  m.seconds = number_or_nan(j, "seconds");
  m.images_per_second = number_or_nan(j, "images_per_second");
  return m;
}

}  // namespace

TrainArgs options_from_json(const json& o, const std::string& what) {
  if (!o.is_object()) throw Error(what + " is not a JSON object (" + json_excerpt(o) + ")");
  check_option_ranges(o, what);
  TrainArgs a;
  auto read = [&](const char* key, auto& value) { read_if_present(o, key, value, what); };
  read("model", a.model);
  read("activation", a.activation);
  read("small-stem", a.small_stem);
  read("zero-init-residual", a.zero_init_residual);
  read("outputs", a.outputs);
  read("dropout", a.dropout);
  read("file", a.file);
  read("datasets", a.data.datasets);
  read("num-camera", a.data.num_camera);
  read("dg-labels", a.data.dg_labels);
  read("split", a.data.split);
  // Runs made before --split could be told apart from its default stored
  // "train" for every format: for train, the same as not given.
  if (a.data.split == "train") a.data.split.clear();
  read("fake", a.data.fake);
  read("labels", a.data.labels);
  read("labels-dataset", a.data.labels_dataset);
  read("kind", a.kind);
  read("images", a.images);
  read("size", a.size);
  read("loss", a.loss);
  read("epochs", a.epochs);
  read("batch-size", a.batch_size);
  read("lr", a.lr);
  read("momentum", a.momentum);
  read("weight-decay", a.weight_decay);
  read("nesterov", a.nesterov);
  read("schedule", a.schedule);
  read("step-size", a.step_size);
  read("noise", a.noise);
  read("seed", a.seed);
  read("val-fraction", a.val_fraction);
  read("device", a.device);
  read("precision", a.precision);
  read("threads", a.threads);
  read("out", a.out);
  read("shard-epochs", a.shard_epochs);
  read("sync-bn", a.sync_bn);
  read("flip", a.flip);
  read("rot90", a.rot90);
  read("rotate", a.rotate);
  read("translate", a.translate);
  read("zoom", a.zoom);
  read("brightness", a.brightness);
  read("fill", a.fill);
  read("augment-validation", a.augment_validation);
  return a;
}

void check_model_name(const std::string& name, const std::string& what) {
  std::string known;
  for (const std::string& n : models::model_names()) {
    if (n == name) return;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw Error(what + ": unknown model '" + excerpt(name) + "' (known: " + known + ")");
}

void check_model_activation(const std::string& model, const std::string& activation,
                            const std::string& what) {
  try {
    // An excerpt keeps the message of a hostile name short; a name longer
    // than one is unknown either way.
    models::check_activation(model, excerpt(activation));
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
}

json model_to_json(const ModelSpec& spec, int64_t parameters) {
  const models::ModelOptions& o = spec.options;
  return json{{"name", spec.name},           {"in_channels", o.in_channels},
              {"outputs", o.outputs},        {"image_size", o.image_size},
              {"small_input_stem", o.small_input_stem},
              {"dropout", o.dropout},        {"activation", o.activation},
              {"parameters", parameters}};
}

ModelSpec model_from_json(const json& j, const std::string& what) {
  if (!j.is_object()) throw Error(what + " is not a JSON object (" + json_excerpt(j) + ")");
  ModelSpec spec;
  spec.name = json_get<std::string>(j, "name", what);
  check_model_name(spec.name, what);
  spec.options.in_channels = json_get<int64_t>(j, "in_channels", what);
  spec.options.outputs = json_get<int64_t>(j, "outputs", what);
  spec.options.image_size = json_get<int64_t>(j, "image_size", what);
  spec.options.small_input_stem = json_get<bool>(j, "small_input_stem", what);
  spec.options.dropout = json_get<double>(j, "dropout", what);
  // Absent in runs made before --activation: they were built with ReLU.
  read_if_present(j, "activation", spec.options.activation, what);
  check_model_activation(spec.name, spec.options.activation, what);
  check_model_sizes(spec, what);
  return spec;
}

json history_to_json(const std::vector<EpochMetrics>& history) {
  json all = json::array();
  for (const EpochMetrics& m : history)
    all.push_back({{"epoch", m.epoch},
                   {"lr", m.lr},
                   {"train", metrics_to_json(m.train)},
                   {"validation", metrics_to_json(m.validation)}});
  return all;
}

std::vector<EpochMetrics> history_from_json(const json& history, const std::string& what) {
  if (!history.is_array())
    throw Error(what + " is not a JSON array (" + json_excerpt(history) + ")");
  std::vector<EpochMetrics> all;
  for (size_t i = 0; i < history.size(); ++i) {
    const json& j = history[i];
    const std::string entry = what + ": entry " + std::to_string(i + 1);
    if (!j.is_object()) throw Error(entry + " is not a JSON object (" + json_excerpt(j) + ")");
    EpochMetrics m;
    m.epoch = json_get<int64_t>(j, "epoch", entry);
    m.lr = json_get<double>(j, "lr", entry);
    m.train = metrics_from_json(j.value("train", json::object()), entry + ", \"train\"");
    m.validation =
        metrics_from_json(j.value("validation", json::object()), entry + ", \"validation\"");
    all.push_back(m);
  }
  return all;
}

std::string json_excerpt(const json& value) { return excerpt(value.dump()); }

}  // namespace astrocnn::cli
