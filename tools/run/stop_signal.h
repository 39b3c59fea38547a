// Stopping a training run cleanly when asked to: batch schedulers (SLURM)
// send SIGTERM (or the signal chosen with sbatch --signal, e.g. SIGUSR1)
// some time before a job's limit, and Ctrl-C sends SIGINT.
//
// While a StopSignals object lives, SIGTERM, SIGINT and SIGUSR1 no longer
// kill the process: the handler only records the first signal in a
// sig_atomic_t, and the trainer looks at it between steps
// (Trainer::set_stop_check), finishes the step, saves a checkpoint and
// ends (tools/commands/cmd_train.cpp: exit status kStoppedBySignal); a signal that
// comes while the run is still loading its data stops it after its first
// step, so there is always a checkpoint to resume. Further signals
// while stopping are ignored, so they cannot cut the checkpoint short;
// SIGKILL still ends the process at once, and the atomic writes leave the
// previous checkpoint whole.
#pragma once

namespace astrocnn::cli {

// `astrocnn train`'s exit status after such a stop: the run is not finished,
// but its checkpoint is, and `astrocnn train --out DIR --resume` continues it.
// (0 is success, 1 an internal error, 2 bad input or a failed write.)
constexpr int kStoppedBySignal = 3;

class StopSignals {
 public:
  StopSignals();   // installs the handlers
  ~StopSignals();  // puts the previous ones back
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first signal received since the object was made, or 0.
  static int received();
  // "SIGTERM", "SIGINT", "SIGUSR1".
  static const char* name(int signal);
};

}  // namespace astrocnn::cli
