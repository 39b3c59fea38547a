// What a training run is: its options (every `astrocnn train` option), the
// model it builds and the per-epoch history, as the JSON that config.json and
// the checkpoints' /meta "config" attribute hold:
//
//   {
//     "astrocnn_version": "0.1.0", "git_commit": "14787c0...", "command": "astrocnn train ...",
//     "options": { "model": "small", "epochs": 8, ... },   // keyed by long option name
//     "model":   { "name": "small", "in_channels": 1, "outputs": 5, "image_size": 32,
//                  "small_input_stem": false, "dropout": 0.5, "activation": "relu",
//                  "parameters": 52389 },   // no "activation" (older runs): "relu"
//     "loss": "rmse",
//     "data":    { "source": ..., "images": N, "channels": C, "height": H, "width": W,
//                  "class_labels": false, "label_width": 5, "label_names": [...],
//                  "task": ..., "train_images": ..., "validation_images": ... },
//     "backend": "cpu-onednn", "cpu_threads": 2,
//     // checkpoints only: where the run stands
//     "state":   { "epoch": 3, "rng_seed": 1, "rng_offset": 123456,
//                  "best_validation_loss": 0.21, "best_epoch": 2, "history": [ ... ] }
//   }
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "io/readers/data_files.h"
#include "models/models.h"
#include "models/train/metrics.h"

namespace astrocnn::cli {

using nlohmann::json;

// Every option of `astrocnn train`, named as on the command line.
struct TrainArgs {
  // The defaults are `make demo`: the Huertas-Company net on 1000 built-in
  // 64x64 morphology images for 6 epochs (under a minute on 2 cores).
  std::string model = "huertas";
  std::string activation = "relu";  // models::ModelOptions::activation
  bool small_stem = false;
  bool zero_init_residual = false;  // ResNets: each block starts as its shortcut
  int64_t outputs = 0;     // 0: from the data
  double dropout = 0.5;
  std::string file;        // empty: the built-in synthetic set below
  DataFileOptions data;    // -d, --num-camera, --dg-labels, --split, --fake, --labels (io/readers/data_files.h)
  std::string kind = "morphology";
  int64_t images = 1000;
  int64_t size = 64;
  std::string loss;         // empty: from the data (default_loss)
  int64_t epochs = 6;
  int64_t batch_size = 32;
  double lr = 0.1;
  double momentum = 0.9;
  double weight_decay = 0;
  bool nesterov = false;
  std::string schedule = "constant";
  int64_t step_size = 10;
  double noise = 0;
  uint64_t seed = 1;
  double val_fraction = 0.2;
  std::string device = "cpu";
  // What convolutions and dense layers compute in (kernels/precision.h);
  // may change on --resume: checkpoints are float32 whatever it is.
  std::string precision = "fp32";
  int threads = 0;
  std::string out;  // empty: runs/<model>-<date>-<time>
  bool resume = false;
  // A new run's initial weights (io/hdf5/init_from.h); not an option of the
  // run (not in "options"): config.json records it as "init_from".
  std::string init_from;
  // Augmentation of the training images (io/batches/augment.h, tools/run/batch_options.h).
  bool flip = false, rot90 = false;
  double rotate = 0;  // degrees; 180 = any angle
  double translate = 0;
  std::vector<double> zoom{1, 1};  // MIN, MAX
  double brightness = 0;
  std::string fill = "zero";
  bool augment_validation = false;
  // One traced training step; not options of the run (not in "options", may change on --resume).
  std::string trace;
  int64_t trace_step = 2;
  // Data-parallel runs (mpirun/srun, models/train/sharding.h): -m, and --sync-bn.
  int64_t shard_epochs = -1;
  bool sync_bn = false;
};

// The readers below take `what`, how their errors name the JSON they read,
// file first, e.g. "checkpoint 'runs/x/best.h5': the model description in
// /meta/config": a broken file is found by its name, not by a guess.

// "options": every TrainArgs field under its long option name ("batch-size").
// -f (and --fake, --labels) are stored as absolute paths, so a run resumes
// from any directory.
json options_to_json(const TrainArgs& args);
// The inverse; keys that are missing keep their defaults. A number outside
// the range its option takes on the command line (tools/options/option_checks.h) is
// an Error: an edited file must not pass what the command line refuses.
TrainArgs options_from_json(const json& options, const std::string& what);

struct ModelSpec {
  std::string name;
  models::ModelOptions options;
};
json model_to_json(const ModelSpec& spec, int64_t parameters);
// Also checks what the model description gives: a model astrocnn has, image
// sizes a data file may hold, --outputs' and --dropout's ranges, an
// activation the model takes. A description without "activation" (written
// before --activation existed) is of a ReLU network: "relu".
ModelSpec model_from_json(const json& model, const std::string& what);
// Throws unless models::make_model knows `name`, the error naming `what`
// ("--model") and listing the models.
void check_model_name(const std::string& name, const std::string& what);
// Throws unless `activation` is a known activation that `model` takes
// (models::check_activation: the ResNets take only "relu"), the error naming
// `what` ("--activation") and listing the activations.
void check_model_activation(const std::string& model, const std::string& activation,
                            const std::string& what);

// Per-epoch metrics and back; NaN is stored as null.
json history_to_json(const std::vector<EpochMetrics>& history);
std::vector<EpochMetrics> history_from_json(const json& history, const std::string& what);

// The commit the binary was configured from ("unknown" outside a git checkout);
// taken by CMake at configure time (`git describe --always --dirty`).
std::string git_commit();

// A JSON value as errors quote it: at most 60 characters of it, so that a
// hostile file cannot make the one error line a megabyte long.
std::string json_excerpt(const json& value);

// Reads `key` of an object as T, or throws an Error naming `what` and the key.
template <class T>
T json_get(const json& object, const std::string& key, const std::string& what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null())
    throw Error(what + " has no \"" + key + "\"");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw Error(what + ": \"" + key + "\" has the wrong type (" + json_excerpt(*it) + ")");
  }
}

}  // namespace astrocnn::cli
