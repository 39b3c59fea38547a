#include "tools/run_config.h"

#include <cmath>
#include <filesystem>
#include <limits>

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

template <class T>
void read_if_present(const json& object, const char* key, T& value) {
  auto it = object.find(key);
  if (it != object.end() && !it->is_null()) value = json_get<T>(object, key, "the run's options");
}

double number_or_nan(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::numeric_limits<double>::quiet_NaN();
  return it->get<double>();
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

Metrics metrics_from_json(const json& j) {
  Metrics m;
  m.samples = j.value("samples", int64_t{0});
  m.loss = number_or_nan(j, "loss");
  m.accuracy = number_or_nan(j, "accuracy");
  m.rmse = number_or_nan(j, "rmse");
  m.seconds = number_or_nan(j, "seconds");
  m.images_per_second = number_or_nan(j, "images_per_second");
  return m;
}

}  // namespace

TrainArgs options_from_json(const json& o) {
  if (!o.is_object()) throw Error("the run's options are not a JSON object");
  TrainArgs a;
  read_if_present(o, "model", a.model);
  read_if_present(o, "small-stem", a.small_stem);
  read_if_present(o, "zero-init-residual", a.zero_init_residual);
  read_if_present(o, "outputs", a.outputs);
  read_if_present(o, "dropout", a.dropout);
  read_if_present(o, "file", a.file);
  read_if_present(o, "datasets", a.data.datasets);
  read_if_present(o, "num-camera", a.data.num_camera);
  read_if_present(o, "dg-labels", a.data.dg_labels);
  read_if_present(o, "split", a.data.split);
  // Runs made before --split could be told apart from its default stored
  // "train" for every format: for train, the same as not given.
  if (a.data.split == "train") a.data.split.clear();
  read_if_present(o, "fake", a.data.fake);
  read_if_present(o, "labels", a.data.labels);
  read_if_present(o, "labels-dataset", a.data.labels_dataset);
  read_if_present(o, "kind", a.kind);
  read_if_present(o, "images", a.images);
  read_if_present(o, "size", a.size);
  read_if_present(o, "loss", a.loss);
  read_if_present(o, "epochs", a.epochs);
  read_if_present(o, "batch-size", a.batch_size);
  read_if_present(o, "lr", a.lr);
  read_if_present(o, "momentum", a.momentum);
  read_if_present(o, "weight-decay", a.weight_decay);
  read_if_present(o, "nesterov", a.nesterov);
  read_if_present(o, "schedule", a.schedule);
  read_if_present(o, "step-size", a.step_size);
  read_if_present(o, "noise", a.noise);
  read_if_present(o, "seed", a.seed);
  read_if_present(o, "val-fraction", a.val_fraction);
  read_if_present(o, "device", a.device);
  read_if_present(o, "precision", a.precision);
  read_if_present(o, "threads", a.threads);
  read_if_present(o, "out", a.out);
  read_if_present(o, "shard-epochs", a.shard_epochs);
  read_if_present(o, "sync-bn", a.sync_bn);
  read_if_present(o, "flip", a.flip);
  read_if_present(o, "rot90", a.rot90);
  read_if_present(o, "rotate", a.rotate);
  read_if_present(o, "translate", a.translate);
  read_if_present(o, "zoom", a.zoom);
  read_if_present(o, "brightness", a.brightness);
  read_if_present(o, "fill", a.fill);
  read_if_present(o, "augment-validation", a.augment_validation);
  return a;
}

json model_to_json(const ModelSpec& spec, int64_t parameters) {
  const models::ModelOptions& o = spec.options;
  return json{{"name", spec.name},           {"in_channels", o.in_channels},
              {"outputs", o.outputs},        {"image_size", o.image_size},
              {"small_input_stem", o.small_input_stem},
              {"dropout", o.dropout},        {"parameters", parameters}};
}

ModelSpec model_from_json(const json& j) {
  const std::string what = "the checkpoint's model description";
  if (!j.is_object()) throw Error(what + " is not a JSON object");
  ModelSpec spec;
  spec.name = json_get<std::string>(j, "name", what);
  spec.options.in_channels = json_get<int64_t>(j, "in_channels", what);
  spec.options.outputs = json_get<int64_t>(j, "outputs", what);
  spec.options.image_size = json_get<int64_t>(j, "image_size", what);
  spec.options.small_input_stem = json_get<bool>(j, "small_input_stem", what);
  spec.options.dropout = json_get<double>(j, "dropout", what);
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

std::vector<EpochMetrics> history_from_json(const json& history) {
  if (!history.is_array()) throw Error("the checkpoint's history is not a JSON array");
  std::vector<EpochMetrics> all;
  for (const json& j : history) {
    EpochMetrics m;
    m.epoch = json_get<int64_t>(j, "epoch", "a history entry");
    m.lr = json_get<double>(j, "lr", "a history entry");
    m.train = metrics_from_json(j.value("train", json::object()));
    m.validation = metrics_from_json(j.value("validation", json::object()));
    all.push_back(m);
  }
  return all;
}

}  // namespace astrocnn::cli
