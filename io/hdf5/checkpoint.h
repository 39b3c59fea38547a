// Checkpoints: a model's state_dict, the optimiser's state and some metadata
// in one HDF5 file that PyTorch users can read with h5py (docs/DATA.md):
//
//   /<state_dict name>     one dataset per entry, named exactly like the
//                          state_dict ("conv1.weight", "layer1.0.bn1.running_mean":
//                          the dots are part of the name, not groups), in
//                          PyTorch's layouts and the tensor's own dtype
//                          (float32 for a float32 model; num_batches_tracked int64)
//   /optimizer/<name>      SGD::state(): "<param>.momentum_buffer", "step";
//                          attributes: type "SGD", lr, momentum, dampening,
//                          weight_decay, nesterov
//   /meta                  attributes: epoch, model, config (JSON text),
//                          astrocnn_version, best_metric
//   root attribute         astrocnn_format (1)
//
// Files are written atomically (io/output_file.h): killing the process
// at any moment leaves the previous complete checkpoint loadable.
#pragma once
#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "core/module.h"
#include "core/optim.h"
#include "io/output_file.h"

namespace astrocnn {

constexpr int64_t kCheckpointFormat = 1;

struct CheckpointMeta {
  int64_t epoch = 0;        // epochs completed when the checkpoint was taken
  std::string model;        // the model's name, e.g. "resnet18"
  std::string config_json;  // the run's configuration, as JSON text
  // Ignored by save_checkpoint, which always records the running build's
  // version; filled in by load_checkpoint / read_checkpoint_meta.
  std::string astrocnn_version;
  double best_metric = std::numeric_limits<double>::quiet_NaN();  // NaN: none yet
};

// Writes `model`'s state_dict (copied to the host from any device), the
// optimiser's state when `optimizer` is not null, and `meta`.
void save_checkpoint(const std::string& path, const Module& model, const SGD* optimizer,
                     const CheckpointMeta& meta);
// The same into `out`, which the caller commits (files replaced together).
void save_checkpoint(AtomicFile& out, const Module& model, const SGD* optimizer,
                     const CheckpointMeta& meta);

// Restores `model` (names and shapes must match exactly: an Error lists the
// missing and unexpected entries) and, when `optimizer` is not null, its
// state and learning rate (the checkpoint must then hold one). Either both
// are restored or, on an Error, neither changes. Returns the metadata.
CheckpointMeta load_checkpoint(const std::string& path, Module& model, SGD* optimizer);

// The metadata alone, and the model's entries alone (e.g. to inspect a file).
CheckpointMeta read_checkpoint_meta(const std::string& path);
NamedTensors read_checkpoint_state(const std::string& path);

// Copies `stored`, the entries read from the checkpoint `path`
// (read_checkpoint_state), into `model` with load_checkpoint's checks (names,
// shapes, integer or floating point, finite values), except the entries named
// in `keep`: those keep the model's own values, whatever `stored` holds for
// them or whether it holds them at all (`train --init-from` keeps a head
// initialised for another number of outputs, io/hdf5/init_from.h). On an
// Error, which names `path`, the model is unchanged.
void load_model_entries(Module& model, const NamedTensors& stored, const std::string& path,
                        const std::set<std::string>& keep = {});

}  // namespace astrocnn
