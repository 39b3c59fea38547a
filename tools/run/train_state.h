// Where a training run stands, as its checkpoint stores it: the history of
// epochs, the best one, the epoch to start from and, for a run stopped by a
// signal, the unfinished epoch; and the random streams of several ranks
// (tools/commands/cmd_train.cpp).
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/distributed.h"
#include "core/module.h"
#include "core/optim.h"
#include "models/train/trainer.h"
#include "tools/run/run_config.h"

namespace astrocnn::cli {

struct RunState {
  std::vector<EpochMetrics> history;
  // The validation loss (the training loss without a validation split).
  double best_loss = std::numeric_limits<double>::quiet_NaN();
  int64_t best_epoch = 0;
  int64_t first_epoch = 1;
  // A run stopped inside epoch first_epoch: where, and the sums so far.
  std::optional<EpochInProgress> in_progress;

  // The state after `epoch` complete epochs, and `partial` steps of the next.
  json to_json(int64_t epoch, const std::optional<EpochInProgress>& partial = {}) const;
};

// --resume: the model, the optimiser and the global random stream as the
// checkpoint left them, and the history so far. Checks that the run has
// epochs left before --epochs and that the checkpoint agrees with itself.
RunState restore_state(const std::string& checkpoint, const json& stored, Module& model, SGD& sgd,
                       int64_t epochs);

// --init-from: the weights of `checkpoint` in `model`, a `model_name` built
// for this run's data, except a stem or head that must differ
// (io/hdf5/init_from.h). Returns config.json's "init_from" record:
// {"path": absolute path, "model": the file's model, "epoch": its epochs,
//  "reinitialised": [{"part": "head", "entries": [...], "message": "..."}]}.
json init_weights_from(const std::string& checkpoint, const std::string& model_name, Module& model);

// Every rank's position in its dropout stream (a collective: every rank calls
// it), stored as "rng_offsets" so that each rank resumes its own stream.
json gather_rng_offsets(Communicator& ranks);

// Several ranks: each draws its dropout masks from a stream of its own
// (worker_seed; rank 0 keeps the single-process stream), continued from the
// position it had in the checkpoint when resuming.
void use_worker_random_stream(const Communicator& ranks, uint64_t seed, const json& stored);

}  // namespace astrocnn::cli
