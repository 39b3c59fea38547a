// What `astrocnn eval` and `astrocnn predict` share: a checkpoint applied to
// a data file. Their common options, the checks that model and data fit, the
// model rebuilt from the checkpoint, the names of its outputs, and the pass
// over the data that collects those outputs (averaged over the 8 views of
// each image with --tta).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tools/run/checkpoint_model.h"
#include "tools/options/data_source.h"
#include "tools/run/run_config.h"

namespace CLI { class App; }

namespace astrocnn::cli {

struct CheckpointOnDataArgs {
  std::string checkpoint;
  std::string file;
  DataFileOptions data = test_split();  // -d, --split, ... (obiwan shards: the test ones)
  int64_t batch_size = 64;
  std::string device = "cpu";
  std::string precision = "fp32";
  int threads = 0;
};

// --checkpoint, -f and the data-format options, --batch-size, --device, --precision, --threads.
void add_checkpoint_on_data_options(CLI::App* sub, CheckpointOnDataArgs& a);

struct CheckpointOnData {
  std::string checkpoint;  // the file, as given
  json config;  // the run's (tools/run/run_config.h)
  ModelSpec spec;
  std::unique_ptr<DataSource> data;
  Device device = Device::CPU;
  RestoredModel restored;
  bool classifier = false;  // trained on class ids: the outputs are logits

  const DataInfo& info() const { return data->info(); }
  // The run's label names when there is one per output, else "output_<j>".
  std::vector<std::string> output_names() const;
  // Trained on orientations (cos 2θ, sin 2θ), which turn with the image.
  bool predicts_orientations() const;
  // `k` class names: the file's, else the run's, else "class <i>".
  std::vector<std::string> class_names(size_t k) const;
  // Trained with the cosine loss, which ignores the length of an output
  // vector: its outputs are compared with the labels as unit vectors.
  bool compares_directions() const { return config.value("loss", std::string()) == "cosine"; }
};

// Orientation data: float labels named (cos_2theta, sin_2theta), as the
// built-in orientation set writes them.
bool labels_are_orientations(const DataInfo& info);

// Scales each row of `k` values to unit length (a row of zeros stays zero),
// to show outputs of a cosine-loss model next to their labels.
void normalise_rows(std::vector<double>& values, int64_t k);

// Applies --threads and --device, reads the checkpoint's run description and
// the data, checks that the images fit the model, and restores the weights.
CheckpointOnData open_checkpoint_on_data(const CheckpointOnDataArgs& a);

// Throws an Error unless `value` (a metric of the whole pass, `what`, e.g.
// "the loss") is finite, naming the checkpoint and the data. The images and
// the weights are checked when read, so a NaN here is the model overflowing.
void check_finite_result(double value, const std::string& what, const CheckpointOnData& run);

// The outputs for a batch of images, on the host: softmax probabilities for a
// classifier, else the values; with `tta` their mean over the 8 dihedral
// views of each image (io/batches/augment.h), orientations turned back first.
Tensor predictions(CheckpointOnData& run, const Tensor& x, bool tta);
// The outputs as the metrics take them (evaluate_outputs, models/train/trainer.h):
// the model's own (logits for a classifier, on its device); with `tta` the
// mean over the views, a classifier's as log-probabilities in place of logits.
Tensor outputs_for_metrics(CheckpointOnData& run, const Tensor& x, bool tta);

// One pass over every image in order, `each` called per batch with its
// images, its labels and the model's outputs [B, K] on the host (softmax
// probabilities for a classifier), with `tta` the mean over the 8 dihedral
// views of each image (io/batches/augment.h).
using PredictionBatch =
    std::function<void(const Tensor& x, const Tensor& y, const std::vector<double>& outputs)>;
void for_each_prediction(CheckpointOnData& run, int64_t batch_size, bool tta,
                         const PredictionBatch& each);

}  // namespace astrocnn::cli
