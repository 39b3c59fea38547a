#include "tools/run/run_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string_view>
#include <system_error>

#include "core/tensor/error.h"

namespace astrocnn::cli {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

void create_directory(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw Error("--out '" + path + "': exists and is not a directory");
  fs::create_directories(path, ec);
  if (ec) throw Error("--out '" + path + "': cannot create the run directory: " + ec.message());
}

std::string number(double v, const char* format) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

namespace {

// The files that show a directory holds a run (see run_dir.h).
#if defined(ASTROCNN_HAVE_HDF5)
const std::vector<std::string> kRunMarkers = {"checkpoint.h5"};
#else
const std::vector<std::string> kRunMarkers = {"metrics.csv"};
#endif

// What an unfinished run leaves that a new run writes anyway.
const std::vector<std::string> kStaleRunFiles = {"metrics.csv", "best.h5", "curves.png",
                                                 "config.json"};

std::string place_of(const std::string& dir) { return "--out '" + dir + "'"; }

// check_output_file for a file of the run directory `dir`: "--out 'dir': file
// 'dir/name': is a FIFO (named pipe); ...".
// Returns where the file's bytes go (its final target, through symlinks).
std::string check_run_file(const std::string& dir, const std::string& name) {
  try {
    return check_output_file((fs::path(dir) / name).string());
  } catch (const Error& e) {
    throw Error(place_of(dir) + ": " + e.what());
  }
}

// Two files of a run going to one file (symlinks or hard links) would
// overwrite each other.
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::absolute(a, ec).lexically_normal() == fs::absolute(b, ec).lexically_normal();
}

bool exists(const std::string& dir, const std::string& name) {
  std::error_code ec;
  return fs::exists(fs::path(dir) / name, ec);
}

// Removes what an interrupted atomic write left: NAME.tmp regular files
// (not symlinks, which were never ours).
void remove_temporaries(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() == ".tmp" && fs::is_regular_file(entry.symlink_status(ec)))
      fs::remove(p, ec);
  }
}

}  // namespace

void RunDirectory::check_no_run(const std::string& path) {
  ASTRO_CHECK(!path.empty(), "--out must name a directory");
  for (const std::string& marker : kRunMarkers)
    if (exists(path, marker))
      throw Error("--out '" + path + "' already holds a run (" + marker +
                  "); add --resume to continue it, or choose another --out");
}

void RunDirectory::check_resumable(const std::string& path) {
  ASTRO_CHECK(!path.empty(), "--resume needs --out RUN_DIR, the run to continue");
  if (exists(path, "checkpoint.h5")) return;
  const std::string missing = "--resume: '" + (fs::path(path) / "checkpoint.h5").string() +
                              "' does not exist";
  if (exists(path, "metrics.csv") || exists(path, "train_log.txt"))
    throw Error(missing + ": the run in --out '" + path + "' stopped before its first "
                "checkpoint, so there is nothing to resume; the same command without --resume "
                "starts it over");
  throw Error(missing + " (no run to continue in --out '" + path + "')");
}

const std::vector<std::string>& RunDirectory::file_names() {
  static const std::vector<std::string> names = {"train_log.txt", "metrics.csv", "config.json",
                                                 "checkpoint.h5", "best.h5",     "curves.png",
                                                 ".lock"};
  return names;
}

void RunDirectory::check_files(const std::string& path) {
  ASTRO_CHECK(!path.empty(), "--out must name a directory");
  std::error_code ec;
  if (!fs::exists(path, ec)) return;  // create_directory() makes it, or says why not
  if (!fs::is_directory(path, ec))
    throw Error(place_of(path) + ": exists and is not a directory");
  // access() sees permissions, ACLs and read-only mounts (EROFS even for
  // root). A full disk shows at the first write, with the file's name.
  if (::access(path.c_str(), W_OK | X_OK) != 0)
    throw Error(place_of(path) + ": the directory is not writable: " + errno_text());
  std::vector<std::string> targets;
  for (const std::string& name : file_names()) {
    targets.push_back(check_run_file(path, name));
    for (size_t i = 0; i + 1 < targets.size(); ++i)
      if (same_file(targets[i], targets.back()))
        throw Error(place_of(path) + ": '" + (fs::path(path) / file_names()[i]).string() +
                    "' and '" + (fs::path(path) / name).string() +
                    "' are the same file (through symbolic or hard links)");
  }
}

RunDirectory RunDirectory::lock_and_tidy(const std::string& path) {
  create_directory(path);
  check_files(path);  // before the lock file is opened: it may be a FIFO
  RunDirectory dir(path, RunLock::acquire(path));
  check_files(path);  // again, now that no other run can change them
  remove_temporaries(path);
  return dir;
}

// The files of a run stopped before its first checkpoint (see run_dir.h):
// regular files are removed; symlinks stay, to be written through.
// check_files() has refused anything else; should one have appeared since,
// it is refused here too, never removed.
void RunDirectory::remove_stale_files() {
  for (const std::string& name : kStaleRunFiles) {
    const std::string stale = file(name);
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(stale, ec);
    if (!fs::exists(status)) continue;
    reused_ = true;
    if (fs::is_symlink(status)) {
      check_run_file(path_, name);
      continue;
    }
    if (!fs::is_regular_file(status))
      throw Error(place() + ": '" + stale + "' is not a regular file; astrocnn removes and "
                  "replaces regular files only");
    if (!fs::remove(stale, ec) && ec)
      throw Error(place() + ": cannot remove '" + stale + "': " + ec.message());
  }
}

RunDirectory RunDirectory::for_new_run(const std::string& path) {
  check_no_run(path);  // before creating anything
  RunDirectory dir = lock_and_tidy(path);
  check_no_run(path);  // again, now that no other run can start here
  dir.remove_stale_files();
  return dir;
}

RunDirectory RunDirectory::for_resume(const std::string& path) {
  check_resumable(path);
  RunDirectory dir = lock_and_tidy(path);
  check_resumable(path);  // again, under the lock
  return dir;
}

std::string RunDirectory::file(const std::string& name) const {
  return (fs::path(path_) / name).string();
}

std::string RunDirectory::place() const { return place_of(path_); }

std::unique_ptr<AtomicFile> RunDirectory::new_version(const std::string& name) const {
  return std::make_unique<AtomicFile>(file(name), "", place());
}

void RunDirectory::write_text(const std::string& name, const std::string& text) const {
  std::unique_ptr<AtomicFile> out = new_version(name);
  out->write(text);
  out->commit();
}

std::string metrics_csv(const std::vector<EpochMetrics>& history) {
  std::ostringstream s;
  s << "epoch,split,loss,accuracy,rmse,lr,seconds,images_per_second\n";
  auto row = [&](const EpochMetrics& e, const char* split, const Metrics& m) {
    s << e.epoch << ',' << split << ',' << number(m.loss, "%.8g") << ','
      << number(m.accuracy, "%.6g") << ',' << number(m.rmse, "%.8g") << ',' << number(e.lr, "%.8g")
      << ',' << number(m.seconds, "%.3f") << ',' << number(m.images_per_second, "%.2f") << '\n';
  };
  for (const EpochMetrics& e : history) {
    row(e, "train", e.train);
    if (e.validation.samples > 0) row(e, "validation", e.validation);
  }
  return s.str();
}

void RunDirectory::write_metrics(const std::vector<EpochMetrics>& history) const {
  write_text("metrics.csv", metrics_csv(history));
}

// ---- RunDirectory::Update ----

AtomicFile& RunDirectory::Update::stage(const std::string& name) {
  files_.push_back(dir_.new_version(name));
  return *files_.back();
}

void RunDirectory::Update::stage_text(const std::string& name, const std::string& text) {
  stage(name).write(text);
}

void RunDirectory::Update::commit() {
  // Every file on the disk before any is renamed: a full disk (whose errors
  // may wait for the fsync) then changes none of them.
  for (const auto& f : files_) f->sync();
  for (const auto& f : files_) f->commit();
  files_.clear();
}

// ---- RunLog ----

RunLog::RunLog(bool prints, bool redraw)
    : prints_(prints), terminal_(prints && redraw && ::isatty(STDOUT_FILENO) == 1) {}

RunLog::~RunLog() {
  if (fd_ >= 0) ::close(fd_);
}

void RunLog::open(const std::string& path, const std::string& place) {
  // O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader
  // (forever, deaf to SIGTERM). check_files() refuses one beforehand; this
  // holds should one appear in between.
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) throw Error(place + ": cannot write '" + path + "': " + errno_text());
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(place + ": '" + path + "' is not a regular file; astrocnn writes regular files only");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void RunLog::clear_progress() {
  if (!progress_shown_) return;
  std::fputs("\r\033[K", stdout);  // carriage return, erase the line
  progress_shown_ = false;
}

void RunLog::line(const std::string& text) {
  if (prints_) {
    clear_progress();
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }
  note(text);
}

void RunLog::note(const std::string& text) {
  if (fd_ < 0) return;
  // Best effort: a log line lost to a full disk is not worth stopping a run
  // for (the checkpoint's write, which is, fails with its own error).
  const std::string line = text + '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

void RunLog::progress(const std::string& text) {
  if (!terminal_) return;
  std::printf("\r\033[K%s", text.c_str());
  std::fflush(stdout);
  progress_shown_ = true;
}

}  // namespace astrocnn::cli
