// Every file astrocnn writes goes through here: data sets, checkpoints, CSV,
// PNG, JSON, the run directory's files.
//
// 1. Check first. Commands call check_output_file() on every output path
//    before they write anything (and before minutes of work), so that a bad
//    path fails at once and a failed command changes no file:
//      - a symlink is followed to its final target, and the write goes there
//        (the link stays a link and points at the fresh content);
//      - a directory, device, FIFO or socket is refused: astrocnn writes
//        regular files only and never replaces anything else;
//      - the target's directory must exist and be writable, and an existing
//        target must be writable.
// 2. Write atomically. AtomicFile writes a temporary next to the target
//    (TARGET.tmp, same directory, so the rename never crosses file systems),
//    checks every write, fsyncs it and renames it over the target, then
//    fsyncs the directory. A reader, or a process killed at any moment, sees
//    either the old complete file or the new complete one. On any error (a
//    full disk included) the temporary is removed, the target is untouched
//    and an Error says which file and why.
//
//   check_output_file(out, "-o");                 // before the work
//   ...
//   write_file_atomically(out, bytes, "-o");      // the whole file at once, or
//   AtomicFile file(out, "-o");                   // piece by piece:
//   file.write(header); file.write(rows); file.commit();
//
// Libraries that build a file with a path-based API (HDF5, cairo) build it in
// memory and hand the bytes here, so that no disk error ever reaches them.
#pragma once
#include <string>
#include <string_view>

#include "core/tensor/error.h"

namespace astrocnn {

// Checks that astrocnn may write a regular file at `path` and returns where
// the bytes will land: `path` itself, or the final target of the symlink(s)
// it names. Throws an Error naming `option` (e.g. "-o"; may be empty) and
// `path` otherwise. Changes nothing.
std::string check_output_file(const std::string& path, const std::string& option = "");

// Checks that `dir` can hold new files: an existing writable directory (or a
// symlink to one), or a path that create_directories() can make (its nearest
// existing ancestor is a writable directory). Changes nothing.
void check_output_directory(const std::string& dir, const std::string& option);

// Throws when `a` and `b` name the same file (through symlinks, "..", or
// hard links): an output must never replace an input of the same command,
// nor another of its outputs. Paths that do not exist yet are compared by
// their normalised absolute form.
void check_distinct_files(const std::string& a, const std::string& a_option, const std::string& b,
                          const std::string& b_option);

// One file being replaced atomically (see the top of this file). The
// constructor checks `path` (check_output_file) and creates the temporary;
// write() appends; commit() makes the new content the file's. Destroyed
// without commit() (an exception on the way), it removes the temporary and
// leaves the file as it was.
//
// Errors start with "`option` 'path'" (e.g. "-o 'out.h5': ..."), or with
// `place` when it is given: a file inside a directory that an option names,
// e.g. place "--out 'run'" for run/metrics.csv gives
//   --out 'run': cannot write 'run/metrics.csv': No space left on device
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path, const std::string& option = "",
                      const std::string& place = "");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  // Flushes the temporary to the disk, where delayed write errors (a full
  // disk) show; commit() does it when not done yet. Files replaced together
  // are all sync()ed first, so that a failure renames none of them.
  void sync();
  void commit();

  const std::string& path() const { return path_; }      // as given
  const std::string& target() const { return target_; }  // where the bytes go

 private:
  [[noreturn]] void fail(const std::string& what, int error);
  void discard() noexcept;

  std::string path_, label_, target_, tmp_;
  std::string shown_;  // the file errors say was not written: tmp_, or path_ with a `place`
  int fd_ = -1;
  bool synced_ = false, committed_ = false;
};

// `e`, from a writer that names its file "file 'PATH'" (it was given no
// option), as naming `option` instead: "-o 'PATH': ...". Other messages get
// "-o 'PATH': " in front, so that every error says which option failed.
Error naming_option(const Error& e, const std::string& path, const std::string& option);

// The whole of `bytes` as the new content of `path`, atomically.
void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::string& option = "");

}  // namespace astrocnn
