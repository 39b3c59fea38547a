// A network rebuilt from an `astrocnn train` checkpoint: the model's name and
// ModelOptions are in the /meta "config" JSON (tools/run_config.h), the
// weights in the state_dict datasets. Used by eval, predict and --resume.
#pragma once
#include <memory>
#include <string>

#include "core/module.h"
#include "tools/data_source.h"
#include "tools/run_config.h"

namespace astrocnn::cli {

struct RestoredModel {
  ModelSpec spec;
  json config;  // the run's config JSON, with "state"
  std::shared_ptr<Module> model;
  int64_t epoch = 0;  // epochs the checkpoint had completed
};

// The run's config JSON stored in `checkpoint`; an Error when the file is not
// an astrocnn checkpoint or was not written by `astrocnn train`.
json read_run_config(const std::string& checkpoint);

// Builds the model `checkpoint` describes, on `device`, with its weights.
RestoredModel restore_model(const std::string& checkpoint, Device device);

// The model built for `data` by name: the image size and channels come from
// the data. Errors name the data and the model.
std::shared_ptr<Module> build_model(const ModelSpec& spec, const DataInfo& data);

// Throws unless `data` has square images of the spec's size and channels.
// `model_source` names where the model came from in the message (e.g.
// "checkpoint 'run/best.h5'").
void check_images_fit(const DataInfo& data, const ModelSpec& spec, const std::string& model_source);
// Throws unless the labels match the outputs: class ids need no more class
// names than outputs, float labels one column per output.
void check_labels_fit(const DataInfo& data, const ModelSpec& spec, const std::string& model_source);

}  // namespace astrocnn::cli
