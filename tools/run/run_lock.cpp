#include "tools/run/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "core/tensor/error.h"

namespace astrocnn::cli {

namespace fs = std::filesystem;

namespace {

std::string lock_path(const std::string& dir) { return (fs::path(dir) / ".lock").string(); }

// The PID the holder wrote into the lock file. The holder writes it just
// after taking the lock, so an empty file is read again for a moment.
std::string holder_pid(int fd) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string text = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (!text.empty()) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return "unknown";
}

[[noreturn]] void throw_held(const std::string& dir, int fd) {
  const std::string pid = holder_pid(fd);
  ::close(fd);
  throw Error("--out '" + dir + "' is in use by another astrocnn train (PID " + pid +
              ", holding " + lock_path(dir) + "); wait for it to end or choose another --out");
}

// Takes the lock on an open lock file without waiting; false when another
// process holds it.
bool try_lock(int fd, const std::string& dir) {
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return false;
    std::string why = std::strerror(errno);
    ::close(fd);
    throw Error("--out '" + dir + "': cannot lock " + lock_path(dir) + ": " + why);
  }
  return true;
}

}  // namespace

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RunLock RunLock::acquire(const std::string& dir) {
  const std::string path = lock_path(dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw Error("--out '" + dir + "': cannot create " + path + ": " + std::strerror(errno));
  if (!try_lock(fd, dir)) throw_held(dir, fd);
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) !=
                                     static_cast<ssize_t>(pid.size())) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw Error("--out '" + dir + "': cannot write " + path + ": " + why);
  }
  return RunLock(fd);
}

void RunLock::check_free(const std::string& dir) {
  // O_NONBLOCK: a FIFO in the lock file's place must not block the open.
  int fd = ::open(lock_path(dir).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;  // no lock file: nobody has run here since it was made
  if (!try_lock(fd, dir)) throw_held(dir, fd);
  ::close(fd);  // free: let go again; acquire() takes it for real
}

}  // namespace astrocnn::cli
