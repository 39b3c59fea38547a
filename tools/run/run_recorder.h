// Stage 3 of `astrocnn train`, what a run leaves behind: rank 0's run
// directory (locked for the run), its log and config.json, and what every
// epoch, a stop by signal and the end write and print. The other ranks
// only take part in the collectives (tools/commands/cmd_train.cpp).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/distributed.h"
#include "core/module.h"
#include "io/batches/batch_source.h"
#include "models/train/trainer.h"
#include "tools/run/run_config.h"
#include "tools/run/run_dir.h"
#include "tools/run/train_setup.h"
#include "tools/run/train_state.h"

namespace astrocnn::cli {

class RunRecorder {
 public:
  // On rank 0: locks and prepares the run directory of `plan` (a new run's,
  // or the resumed one's, whose metrics.csv is rewritten from the
  // checkpoint's history) and opens its log. Everything passed must outlive
  // the recorder.
  RunRecorder(const TrainingPlan& plan, RunState& state, Module& model, Trainer& trainer,
              Communicator& ranks, const Communicator& workers, const BatchSource& train_batches,
              const json& resumes);

  // config.json of a new run, and the lines that open the log: the command,
  // the data, the model, the optimiser, `augmentation` when not empty.
  void start(const std::string& augmentation);
  // The trainer's batch callback: a progress bar, or lines off a terminal.
  std::function<void(const BatchProgress&)> progress_reporter();
  // After each epoch (every rank): checkpoint.h5, best.h5 when better and
  // metrics.csv together (all written, then all renamed: they never
  // disagree), then config.json (when resumed) and curves.png.
  void on_epoch(const EpochMetrics& m);
  // Stopped by a signal (every rank): inside an epoch, a checkpoint of the
  // steps taken; then the line that says how to resume.
  void stopped(const EpochInProgress& where);
  // The last lines of a run that ran to its end.
  void finished(const std::string& trace_report);
  // An error about to end the run, for the log file (main() prints it).
  void note_error(const Error& e) { log_.note(std::string("error: ") + e.what()); }

 private:
  void log_header();
  // The checkpoint after `epochs_done` epochs (and `partial` steps of the
  // next), staged in `update` as checkpoint.h5 and, when `best`, best.h5.
  void stage_checkpoint(RunDirectory::Update& update, int64_t epochs_done, const json& rng_offsets,
                        const std::optional<EpochInProgress>& partial, bool best);
  void write_config_if_resumed();

  const TrainingPlan& plan_;
  const TrainArgs& a_;
  RunState& state_;
  Module& model_;
  Trainer& trainer_;
  Communicator& ranks_;
  const Communicator& workers_;
  const BatchSource& train_batches_;
  const bool leader_;
  std::optional<RunDirectory> dir_;
  RunLog log_;
  json config_;
  std::string title_;
};

}  // namespace astrocnn::cli
