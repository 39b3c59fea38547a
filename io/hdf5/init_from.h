// `astrocnn train --init-from CK.h5`: a new run that starts from the weights
// of a checkpoint (e.g. torchvision's ImageNet ResNet converted by
// tools/scripts/torch2h5.py), not from its optimiser, epoch or history (that is
// --resume).
//
// Every entry of the model must be in the file under its state_dict name,
// with its shape, batch-norm running statistics included. Two differences are
// expected when a model trained elsewhere meets new data, and only these two:
//
//   stem  the first convolution's weight ([out, in, kh, kw]; conv1.weight of
//         the ResNets, features.0.weight of AlexNet) differs in its input
//         channels alone: the data have other bands;
//   head  the last dense layer (fc.*, classifier.6.*, the last Dense of the
//         others) differs in its outputs alone: another task.
//
// Those entries keep the model's own initialisation ("re-initialised"), and
// each such part comes with a message for the log. Anything else that
// differs (a missing or unexpected entry, another shape, a checkpoint of
// another model) is an Error naming the file.
#pragma once
#include <string>
#include <vector>

#include "core/module.h"
#include "io/hdf5/checkpoint.h"

namespace astrocnn {

struct ReinitialisedPart {
  std::string part;                  // "stem" or "head"
  std::vector<std::string> entries;  // e.g. {"fc.weight", "fc.bias"}
  // "init-from: conv1.weight has 3 input channels in CK.h5, the model 1: re-initialised"
  std::string message;
};

// The parts of a model (its state_dict `model_state`) that keep their own
// initialisation when loaded from `stored`, the entries of the checkpoint
// `path`: the stem and the head above, when they differ from the file's as
// described there. Other differences are left to load_model_entries.
std::vector<ReinitialisedPart> parts_to_reinitialise(const NamedTensors& stored,
                                                     const NamedTensors& model_state,
                                                     const std::string& path);

struct InitFromResult {
  CheckpointMeta meta;  // the file's metadata (defaults for a plain state_dict)
  std::vector<ReinitialisedPart> reinitialised;
};

// Loads the weights of the checkpoint `path` into `model`, except the parts
// parts_to_reinitialise finds. `model_name` (e.g. "resnet18") must be the
// model the file's /meta names, when it names one. On an Error (naming
// `path`) the model is unchanged.
InitFromResult init_from_checkpoint(const std::string& path, const std::string& model_name,
                                    Module& model);

}  // namespace astrocnn
