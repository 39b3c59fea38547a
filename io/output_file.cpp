// Checked, atomic output files (io/output_file.h).
#include "io/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/tensor/error.h"

namespace astrocnn {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxSymlinkHops = 40;  // as the kernel's ELOOP limit

// "-o 'out.h5'", or "file 'out.h5'" when no option names it.
std::string label_for(const std::string& path, const std::string& option) {
  return (option.empty() ? std::string("file") : option) + " '" + path + "'";
}

std::string directory_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// What a non-regular file is, in words, for "is a FIFO (named pipe)" errors.
const char* kind_of(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Follows `path` through any chain of symlinks to the name the bytes will
// really be written under (which may not exist yet: a dangling link's target).
std::string final_target(const std::string& path, const std::string& label) {
  fs::path p = path;
  for (int hops = 0;; ++hops) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p.string();
    if (hops == kMaxSymlinkHops) throw Error(label + ": too many levels of symbolic links");
    std::error_code ec;
    const fs::path next = fs::read_symlink(p, ec);
    if (ec) throw Error(label + ": cannot read the symbolic link: " + ec.message());
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
}

// The directory that will hold the file must exist and take new entries.
void check_directory_writable(const std::string& dir, const std::string& label) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    throw Error(label + ": the directory '" + dir + "' does not exist");
  if (!S_ISDIR(st.st_mode)) throw Error(label + ": '" + dir + "' is not a directory");
  // access() sees permissions, ACLs and read-only mounts (EROFS even for root).
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw Error(label + ": cannot create files in the directory '" + dir +
                "': " + std::strerror(errno));
}

// Flushes a directory's entries (a rename) to the disk. Best effort: some
// file systems cannot fsync a directory, and the rename has happened anyway.
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// `path` made absolute and normalised, resolving the symlinks of the part that exists.
fs::path normalised(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

}  // namespace

std::string check_output_file(const std::string& path, const std::string& option) {
  std::string label = label_for(path, option);
  if (path.empty()) throw Error(label + ": the file name is empty");
  const std::string target = final_target(path, label);
  if (target != path) label += " (a symlink to '" + target + "')";
  const std::string name = fs::path(target).filename().string();
  if (name.empty() || name == "." || name == "..")
    throw Error(label + ": names a directory, not a file");

  struct stat st;
  if (::stat(target.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      throw Error(label + ": is " + kind_of(st.st_mode) +
                  "; astrocnn writes regular files only and replaces nothing else");
    if (::access(target.c_str(), W_OK) != 0)
      throw Error(label + ": the file is not writable: " + std::strerror(errno));
  } else if (errno != ENOENT && errno != ENOTDIR) {
    throw Error(label + ": " + std::strerror(errno));
  }
  check_directory_writable(directory_of(target), label);
  return target;
}

void check_output_directory(const std::string& dir, const std::string& option) {
  const std::string label = label_for(dir, option);
  if (dir.empty()) throw Error(label + ": the directory name is empty");
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {  // it exists (a symlink is followed)
    if (!S_ISDIR(st.st_mode)) throw Error(label + ": is " + kind_of(st.st_mode) + ", not a directory");
    check_directory_writable(dir, label);
    return;
  }
  if (::lstat(dir.c_str(), &st) == 0) throw Error(label + ": is a dangling symbolic link");
  // It will be made: its nearest existing ancestor must take new entries.
  fs::path made = fs::absolute(dir).lexically_normal();
  if (!made.has_filename()) made = made.parent_path();  // "plots/" -> "plots"
  fs::path ancestor = made.parent_path();
  while (::stat(ancestor.c_str(), &st) != 0 && ancestor.has_relative_path())
    ancestor = ancestor.parent_path();
  check_directory_writable(ancestor.string(), label);
}

void check_distinct_files(const std::string& a, const std::string& a_option, const std::string& b,
                          const std::string& b_option) {
  if (a.empty() || b.empty()) return;
  std::error_code ec;
  const bool same = fs::exists(a, ec) && fs::exists(b, ec) ? fs::equivalent(a, b, ec)
                                                           : normalised(a) == normalised(b);
  if (same)
    throw Error(label_for(a, a_option) + " and " + label_for(b, b_option) +
                " are the same file; choose another " + a_option);
}

// ---- AtomicFile ----

AtomicFile::AtomicFile(const std::string& path, const std::string& option,
                       const std::string& place)
    : path_(path), label_(place.empty() ? label_for(path, option) : place) {
  try {
    target_ = check_output_file(path, option);
  } catch (const Error& e) {
    if (place.empty()) throw;
    throw Error(place + ": " + e.what());
  }
  tmp_ = target_ + ".tmp";
  shown_ = place.empty() ? tmp_ : path_;
  // A temporary left by a killed writer is replaced; anything else there is not ours.
  struct stat st;
  if (::lstat(tmp_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      throw Error(label_ + ": cannot create the temporary '" + tmp_ + "': it is a directory");
    ::unlink(tmp_.c_str());  // a symlink is removed, never followed
  }
  // O_EXCL: the temporary is a new regular file of ours, whatever raced us to the name.
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int error = errno;
    throw Error(label_ + ": cannot create the temporary '" + tmp_ + "': " + std::strerror(error));
  }
  // Replacing a file keeps its permissions.
  if (::stat(target_.c_str(), &st) == 0) ::fchmod(fd_, st.st_mode & 07777);
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
}

void AtomicFile::fail(const std::string& what, int error) {
  discard();
  throw Error(label_ + ": " + what + ": " + std::strerror(error));
}

void AtomicFile::write(std::string_view bytes) {
  ASTRO_CHECK(fd_ >= 0 && !committed_, label_, ": write after commit");
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write '" + shown_ + "'", n < 0 ? errno : ENOSPC);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void AtomicFile::sync() {
  if (synced_) return;
  ASTRO_CHECK(fd_ >= 0 && !committed_, label_, ": sync after commit");
  // fsync and close report the errors of delayed writes (full disks, NFS).
  if (::fsync(fd_) != 0) fail("cannot write '" + shown_ + "' to the disk", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("cannot write '" + shown_ + "' to the disk", errno);
  synced_ = true;
}

void AtomicFile::commit() {
  ASTRO_CHECK(!committed_, label_, ": committed twice");
  sync();
  if (std::rename(tmp_.c_str(), target_.c_str()) != 0)
    fail("cannot rename '" + tmp_ + "' to '" + target_ + "'", errno);
  committed_ = true;
  sync_directory(directory_of(target_));
}

Error naming_option(const Error& e, const std::string& path, const std::string& option) {
  const std::string message = e.what();
  const std::string unnamed = label_for(path, ""), named = label_for(path, option);
  if (message.rfind(unnamed, 0) == 0) return Error(named + message.substr(unnamed.size()));
  if (message.rfind(named, 0) == 0) return e;
  return Error(named + ": " + message);
}

void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::string& option) {
  AtomicFile file(path, option);
  file.write(bytes);
  file.commit();
}

}  // namespace astrocnn
