#include "io/hdf5/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace astrocnn {

namespace {

// Flushes a file's (or a directory's) data and metadata to the disk.
void fsync_path(const std::string& path, bool is_directory) {
  const int fd = ::open(path.c_str(), is_directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  ASTRO_CHECK(fd >= 0, "cannot open '", path, "' to flush it to disk: ", std::strerror(errno));
  const int status = ::fsync(fd);
  const int fsync_errno = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory (EINVAL); the rename itself is
  // still atomic there, only its durability across a power cut is not promised.
  if (status != 0 && !(is_directory && fsync_errno == EINVAL))
    throw Error("cannot flush '" + path + "' to disk: " + std::strerror(fsync_errno));
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

std::string temporary_path_for(const std::string& path) { return path + ".tmp"; }

void write_atomically(const std::string& path,
                      const std::function<void(const std::string& tmp_path)>& write) {
  ASTRO_CHECK(!path.empty(), "cannot write a file with an empty path");
  const std::string tmp = temporary_path_for(path);
  try {
    write(tmp);
    fsync_path(tmp, false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw Error("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
  } catch (...) {
    std::error_code ignored;  // best effort: the original error is the one to report
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  fsync_path(directory_of(path), true);
}

}  // namespace astrocnn
