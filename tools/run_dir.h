// The run directory of `astrocnn train --out RUN_DIR`:
//
//   metrics.csv    one row per epoch and split:
//                  epoch,split,loss,accuracy,rmse,lr,seconds,images_per_second
//   train_log.txt  every line the run printed (appended to by --resume)
//   checkpoint.h5  the latest epoch; best.h5 the best validation loss
//   config.json    the run's options, model, data, version and commit (tools/run_config.h)
//   curves.png     loss and accuracy (or RMSE) against epoch, train and validation
//
// Every file but the log is replaced atomically (temporary file, fsync,
// rename), so a run killed or failing at any point leaves the previous
// complete version of each.
#pragma once
#include <fstream>
#include <string>
#include <vector>

#include "models/trainer.h"

namespace astrocnn::cli {

class RunDirectory {
 public:
  // For a new run: creates `path` if needed, checks it is writable and that
  // it does not hold a run already (checkpoint.h5 or metrics.csv). Errors
  // name --out and the problem.
  static RunDirectory for_new_run(const std::string& path);
  // Throws unless `path` holds no run (checkpoint.h5 or metrics.csv); no side effects.
  static void check_no_run(const std::string& path);
  // For --resume: `path` must hold checkpoint.h5.
  static RunDirectory for_resume(const std::string& path);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;  // path/name

  // Replaces `name` by `text`, atomically.
  void write_text(const std::string& name, const std::string& text) const;
  // Rewrites metrics.csv from the whole history.
  void write_metrics(const std::vector<EpochMetrics>& history) const;

 private:
  explicit RunDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// metrics.csv's text for a history.
std::string metrics_csv(const std::vector<EpochMetrics>& history);

// Writes `text` to `path` atomically (path.tmp, fsync, rename); throws an
// Error naming the file when it cannot.
void write_file_atomically(const std::string& path, const std::string& text);
// The second half of that for a temporary written some other way (e.g. a
// stream): fsync `tmp`, rename it over `path`, fsync the directory. On an
// Error `tmp` is removed and `path` is untouched.
void replace_file(const std::string& tmp, const std::string& path);

// What a run prints: each line goes to stdout and to train_log.txt once that
// is open. On a terminal, progress() redraws one status line in place; it is
// not logged, and off a terminal it prints nothing. A log that does not
// print (`prints` false: the MPI ranks other than 0) stays silent unless a
// file is opened; one that may not `redraw` prints plain lines even on a
// terminal (mpirun hands its ranks a pseudo-terminal whatever the real output is).
class RunLog {
 public:
  explicit RunLog(bool prints = true, bool redraw = true);
  void open(const std::string& path);  // appends
  void line(const std::string& text);
  void note(const std::string& text);  // the log file only
  void progress(const std::string& text);
  bool on_terminal() const { return terminal_; }

 private:
  void clear_progress();
  std::ofstream file_;
  bool prints_ = true;
  bool terminal_ = false;
  bool progress_shown_ = false;
};

}  // namespace astrocnn::cli
