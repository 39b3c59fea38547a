// Atomic file replacement, used for every data set and checkpoint astrocnn writes.
//
//   write_atomically("run/model.h5", [&](const std::string& tmp) { ...create and fill tmp... });
//
// 1. `write` creates and fills `path + ".tmp"` (same directory, so that the
//    final rename never crosses file systems) and closes it;
// 2. the temporary's data are flushed to the disk (fsync);
// 3. it is renamed over `path` (atomic on POSIX) and the directory entry is
//    flushed too.
// A reader, or a process killed at any moment, thus sees either the old
// complete file or the new complete one, never a partial file. When any step
// throws, the temporary is removed, `path` is left untouched and the
// exception propagates.
#pragma once
#include <functional>
#include <string>

namespace astrocnn {

std::string temporary_path_for(const std::string& path);  // path + ".tmp"

void write_atomically(const std::string& path,
                      const std::function<void(const std::string& tmp_path)>& write);

}  // namespace astrocnn
