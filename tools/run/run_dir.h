// The run directory of `astrocnn train --out RUN_DIR`:
//
//   metrics.csv    one row per epoch and split:
//                  epoch,split,loss,accuracy,rmse,lr,seconds,images_per_second
//   train_log.txt  every line the run printed (appended to by --resume)
//   checkpoint.h5  the latest epoch (after a stop by a signal: the step
//                  reached inside the next one, tools/run/stop_signal.h);
//                  best.h5 the best validation loss
//   config.json    the run's options, model, data, version and commit (tools/run/run_config.h)
//   curves.png     loss and accuracy (or RMSE) against epoch, train and validation
//
//   .lock          the lock of the run using the directory (tools/run/run_lock.h)
//
// Every file astrocnn writes is a regular file (io/output_file.h): before a
// run starts (new or --resumed), each of the files above, .lock included,
// is checked, and a directory, device, FIFO or socket in its place (or a
// symlink to one) fails the run with one error naming --out and the file,
// before anything is written or opened. A symlink to a regular file (or a
// dangling one into a writable directory) is written through, as every
// output is: the link stays, its target gets the new content.
//
// Every file but the log is replaced atomically (temporary file NAME.tmp,
// fsync, rename), so a run killed or failing at any point leaves the previous
// complete version of each; a run that starts or resumes in the directory
// removes the *.tmp files an interrupted one left. checkpoint.h5 and
// metrics.csv are replaced together (RunDirectory::Update): both new
// versions are written and flushed to the disk in full before either is
// renamed into place, so a failed write (a full disk) leaves both at the
// same epoch, and the error names --out and the file, e.g.
//   --out 'run': cannot write 'run/checkpoint.h5': No space left on device
// checkpoint.h5 is the reference: its history is the run's, and --resume
// rewrites metrics.csv from it before going on (a process killed between
// the two renames leaves metrics.csv one epoch behind, no worse).
//
// Which directories hold a run: a directory holds a run when it holds
// checkpoint.h5 (in a build without HDF5, which writes no checkpoints:
// metrics.csv). A new `train --out` refuses such a directory, and --resume
// continues it. A directory without checkpoint.h5 holds nothing to resume
// (e.g. a run killed, or out of disk, during its first epoch): --resume says
// so, and a new `train --out` may use it. It then removes the stale
// metrics.csv, best.h5, curves.png and config.json that are regular files
// (it would write them anyway); a symlink among them stays, to be written
// through like any output. train_log.txt is appended to, so it keeps what
// happened there.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/output_file.h"
#include "models/train/metrics.h"
#include "tools/run/run_lock.h"

namespace astrocnn::cli {

// A run directory in use: the object holds the directory's lock
// (tools/run/run_lock.h) for as long as it lives.
class RunDirectory {
 public:
  // The files of a run directory, the lock included (see above).
  static const std::vector<std::string>& file_names();
  // Throws unless each of file_names() in `path` may be written (see above:
  // regular files, or symlinks to them, or nothing); no side effects, and
  // nothing is opened (a FIFO would block). A `path` not made yet passes.
  static void check_files(const std::string& path);

  // For a new run: creates `path` if needed, locks it, checks its files,
  // removes *.tmp, and checks that it holds no run (see above; an unfinished
  // run's files are removed: reused() says so). Errors name --out and the problem.
  static RunDirectory for_new_run(const std::string& path);
  // Throws unless `path` holds no run; no side effects.
  static void check_no_run(const std::string& path);
  // For --resume: locks `path`, which must hold checkpoint.h5, checks its
  // files and removes *.tmp.
  static RunDirectory for_resume(const std::string& path);
  // Throws unless `path` holds a run to resume; no side effects.
  static void check_resumable(const std::string& path);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;  // path/name
  // How errors name the directory: "--out 'path'".
  std::string place() const;
  // for_new_run() found the files of a run stopped before its first checkpoint.
  bool reused() const { return reused_; }

  // A new version of `name`, to write and commit(); its errors name --out.
  std::unique_ptr<AtomicFile> new_version(const std::string& name) const;
  // Replaces `name` by `text`, atomically.
  void write_text(const std::string& name, const std::string& text) const;
  // Rewrites metrics.csv from the whole history.
  void write_metrics(const std::vector<EpochMetrics>& history) const;

  // Files replaced together: stage() gives a new version of each (an
  // AtomicFile, written beside its file); commit() flushes them all to the
  // disk, then renames them into place in the order staged. Until the
  // renames every file is as it was: a failure to write or flush any of them
  // (a full disk) leaves them all unchanged. An Update destroyed
  // uncommitted (an Error while staging) removes what it staged.
  class Update {
   public:
    explicit Update(const RunDirectory& dir) : dir_(dir) {}

    // The new version of `name`, to fill before commit().
    AtomicFile& stage(const std::string& name);
    void stage_text(const std::string& name, const std::string& text);
    void commit();

   private:
    const RunDirectory& dir_;
    std::vector<std::unique_ptr<AtomicFile>> files_;
  };

 private:
  RunDirectory(std::string path, RunLock lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  static RunDirectory lock_and_tidy(const std::string& path);
  void remove_stale_files();
  std::string path_;
  RunLock lock_;
  bool reused_ = false;
};

// metrics.csv's text for a history.
std::string metrics_csv(const std::vector<EpochMetrics>& history);

// What a run prints: each line goes to stdout and to train_log.txt once that
// is open. On a terminal, progress() redraws one status line in place; it is
// not logged, and off a terminal it prints nothing. A log that does not
// print (`prints` false: the MPI ranks other than 0) stays silent unless a
// file is opened; one that may not `redraw` prints plain lines even on a
// terminal (mpirun hands its ranks a pseudo-terminal whatever the real output is).
class RunLog {
 public:
  explicit RunLog(bool prints = true, bool redraw = true);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;
  // Appends to `path`, which must be a regular file (or a symlink to one) or
  // not exist: anything else is an Error starting with `place` (e.g.
  // "--out 'run'"). Opening never blocks (a FIFO is refused, not waited on).
  void open(const std::string& path, const std::string& place);
  void line(const std::string& text);
  void note(const std::string& text);  // the log file only
  void progress(const std::string& text);
  bool on_terminal() const { return terminal_; }

 private:
  void clear_progress();
  int fd_ = -1;  // the log file, once open
  bool prints_ = true;
  bool terminal_ = false;
  bool progress_shown_ = false;
};

}  // namespace astrocnn::cli
