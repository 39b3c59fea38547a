// One run at a time in a run directory: `astrocnn train --out RUN_DIR` (new
// or --resume) holds an exclusive lock on RUN_DIR/.lock for as long as it
// runs. The lock is flock(2) on that file, which holds the holder's process
// id as text; the kernel releases it when the process ends in any way
// (kill -9 included), so a lock is never stale: the file may stay behind,
// but nobody holds it. A second run on the same directory fails with one
// error naming the holder's PID, before writing anything.
//
// Only writers lock: `eval` and `predict` read checkpoints that are replaced
// by atomic renames, so they never see a partial file.
#pragma once
#include <string>

namespace astrocnn::cli {

class RunLock {
 public:
  RunLock() = default;  // holds nothing
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  // Locks `dir`/.lock (creating the file; `dir` must exist) and writes this
  // process's PID into it. Throws an Error naming --out and the holder's PID
  // when another process holds it.
  static RunLock acquire(const std::string& dir);
  // Throws as acquire() does when another process holds `dir`/.lock; changes
  // nothing (no file is created or written). Lets a run fail at once instead
  // of after loading its data.
  static void check_free(const std::string& dir);

  bool held() const { return fd_ >= 0; }

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace astrocnn::cli
