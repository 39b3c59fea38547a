#include "tools/run/train_state.h"

#include <filesystem>

#include "core/tensor/error.h"
#include "core/tensor/philox.h"
#include "models/train/sharding.h"
#include "tools/run/checkpoint_model.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/checkpoint.h"
#include "io/hdf5/init_from.h"
#endif

namespace astrocnn::cli {

namespace fs = std::filesystem;

namespace {

#if defined(ASTROCNN_HAVE_HDF5)
// The "epoch_in_progress" a checkpoint taken inside an epoch holds.
std::optional<EpochInProgress> in_progress_from_json(const json& state, int64_t epochs_done,
                                                     const std::string& checkpoint) {
  if (!state.contains("epoch_in_progress")) return std::nullopt;
  const json& j = state["epoch_in_progress"];
  const std::string what = checkpoint_config_part(checkpoint, "the unfinished epoch");
  EpochInProgress p;
  p.epoch = json_get<int64_t>(j, "epoch", what);
  p.steps = json_get<int64_t>(j, "steps", what);
  p.workers = json_get<std::vector<std::vector<double>>>(j, "workers", what);
  ASTRO_CHECK(p.epoch == epochs_done + 1 && p.steps > 0, "--resume: ", checkpoint,
              " is inconsistent (", epochs_done, " epochs done, but stopped in epoch ", p.epoch,
              " after step ", p.steps, ")");
  return p;
}
#endif

}  // namespace

json RunState::to_json(int64_t epoch, const std::optional<EpochInProgress>& partial) const {
  json j = {{"epoch", epoch},
            {"rng_seed", global_rng().seed()},
            {"rng_offset", global_rng().offset()},
            {"best_loss", best_loss},
            {"best_epoch", best_epoch},
            {"history", history_to_json(history)}};
  if (partial && partial->steps > 0)
    j["epoch_in_progress"] = {{"epoch", partial->epoch}, {"steps", partial->steps},
                              {"workers", partial->workers}};
  return j;
}

RunState restore_state(const std::string& checkpoint, const json& stored, Module& model, SGD& sgd,
                       int64_t epochs) {
  RunState s;
#if defined(ASTROCNN_HAVE_HDF5)
  CheckpointMeta meta = load_checkpoint(checkpoint, model, &sgd);
  const json& state = stored["state"];
  const std::string what = checkpoint_config_part(checkpoint, "the training state");
  global_rng().set_offset(json_get<uint64_t>(state, "rng_offset", what));
  s.history = history_from_json(json_get<json>(state, "history", what),
                                checkpoint_config_part(checkpoint, "the history"));
  s.best_epoch = state.value("best_epoch", int64_t{0});
  s.best_loss = state.contains("best_loss") && state["best_loss"].is_number()
                    ? state["best_loss"].get<double>()
                    : std::numeric_limits<double>::quiet_NaN();
  s.first_epoch = meta.epoch + 1;
  s.in_progress = in_progress_from_json(state, meta.epoch, checkpoint);
  ASTRO_CHECK(meta.epoch < epochs, "--resume: the run in '",
              fs::path(checkpoint).parent_path().string(), "' has already trained ", meta.epoch,
              " of --epochs ", epochs, "; give a larger --epochs to continue it");
  ASTRO_CHECK(static_cast<int64_t>(s.history.size()) == meta.epoch, "--resume: ", checkpoint,
              " is inconsistent (epoch ", meta.epoch, ", ", s.history.size(), " epochs of history)");
#else
  (void)checkpoint, (void)stored, (void)model, (void)sgd, (void)epochs;
#endif
  return s;
}

json init_weights_from(const std::string& checkpoint, const std::string& model_name, Module& model) {
#if defined(ASTROCNN_HAVE_HDF5)
  const InitFromResult result = init_from_checkpoint(checkpoint, model_name, model);
  json parts = json::array();
  for (const ReinitialisedPart& p : result.reinitialised)
    parts.push_back({{"part", p.part}, {"entries", p.entries}, {"message", p.message}});
  return json{{"path", fs::absolute(checkpoint).lexically_normal().string()},
              {"model", result.meta.model},
              {"epoch", result.meta.epoch},
              {"reinitialised", parts}};
#else
  (void)model_name, (void)model;
  throw Error("--init-from " + checkpoint + ": this astrocnn was built without HDF5");
#endif
}

json gather_rng_offsets(Communicator& ranks) {
  std::vector<int64_t> slots(static_cast<size_t>(ranks.size()), 0);
  slots[ranks.rank()] = static_cast<int64_t>(global_rng().offset());
  Tensor gathered = Tensor::from_vector(slots, {ranks.size()});
  ranks.allreduce({gathered}, ReduceOp::Sum);
  return gathered.to_vector<int64_t>();
}

void use_worker_random_stream(const Communicator& ranks, uint64_t seed, const json& stored) {
  if (ranks.size() == 1) return;
  uint64_t offset = global_rng().offset();
  const json* offsets = stored.contains("state") ? &stored["state"] : nullptr;
  if (offsets && offsets->contains("rng_offsets") &&
      (*offsets)["rng_offsets"].size() == static_cast<size_t>(ranks.size()))
    offset = (*offsets)["rng_offsets"][ranks.rank()].get<uint64_t>();
  global_rng() = Rng(worker_seed(seed, ranks.rank()), offset);
}

}  // namespace astrocnn::cli
