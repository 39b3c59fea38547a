// A network rebuilt from an `astrocnn train` checkpoint: the model's name and
// ModelOptions are in the /meta "config" JSON (tools/run/run_config.h), the
// weights in the state_dict datasets. Used by eval, predict and --resume.
#pragma once
#include <memory>
#include <string>

#include "core/module.h"
#include "tools/options/data_source.h"
#include "tools/run/run_config.h"

namespace astrocnn::cli {

struct RestoredModel {
  ModelSpec spec;
  json config;  // the run's config JSON, with "state"
  std::shared_ptr<Module> model;
  int64_t epoch = 0;  // epochs the checkpoint had completed
};

// The run's config JSON stored in `checkpoint`; an Error naming the file when
// it is not an astrocnn checkpoint, was not written by `astrocnn train`, or
// its /meta/config is broken: not JSON, a model description that cannot be
// read, or a field the commands read of the wrong type.
json read_run_config(const std::string& checkpoint);

// How errors name a part of a checkpoint's run description, file first (the
// `what` of the readers of tools/run/run_config.h):
//   checkpoint_config_part("runs/x/best.h5", "the model description")
//   -> "checkpoint 'runs/x/best.h5': the model description in /meta/config"
std::string checkpoint_config_part(const std::string& checkpoint, const std::string& part);

// The model description of a run config read by read_run_config, errors
// naming `checkpoint` and /meta/config.
ModelSpec checkpoint_model_spec(const json& config, const std::string& checkpoint);

// Builds the model `checkpoint` describes, on `device`, with its weights;
// `config` is its read_run_config(), when the caller has already read it.
RestoredModel restore_model(const std::string& checkpoint, Device device);
RestoredModel restore_model(const std::string& checkpoint, const json& config, Device device);

// The model `spec` describes (its name is known: checked with the options or
// by model_from_json). Errors start with `subject`, where the spec came from
// ("--model huertas", or a checkpoint's model description), and name `data`,
// the images the model is built for, if given.
std::shared_ptr<Module> build_model(const ModelSpec& spec, const std::string& subject,
                                    const DataInfo* data = nullptr);

// Throws unless `data` has square images of the spec's size and channels.
// `model_source` names where the model came from in the message (e.g.
// "checkpoint 'run/best.h5'").
void check_images_fit(const DataInfo& data, const ModelSpec& spec, const std::string& model_source);
// Throws unless the labels match the outputs: class ids need no more class
// names than outputs, float labels one column per output.
void check_labels_fit(const DataInfo& data, const ModelSpec& spec, const std::string& model_source);

}  // namespace astrocnn::cli
