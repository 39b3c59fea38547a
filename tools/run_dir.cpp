#include "tools/run_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "core/error.h"

namespace astrocnn::cli {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// Opens, writes and fsyncs `path`; false with errno set on failure.
bool write_and_sync(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return false;
  }
  return ::close(fd) == 0;
}

void check_writable_directory(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw Error("--out '" + path + "': exists and is not a directory");
  fs::create_directories(path, ec);
  if (ec) throw Error("--out '" + path + "': cannot create the run directory: " + ec.message());
  // A probe file: permissions, read-only mounts and full disks all show here.
  std::string probe = (fs::path(path) / ".astrocnn-write-test").string();
  if (!write_and_sync(probe, "astrocnn\n"))
    throw Error("--out '" + path + "': the directory is not writable: " + errno_text());
  fs::remove(probe, ec);
}

std::string number(double v, const char* format) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

void replace_file(const std::string& tmp, const std::string& path) {
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  bool synced = fd >= 0 && ::fsync(fd) == 0;
  std::string why = errno_text();
  if (fd >= 0) ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (synced) why = errno_text();
    ::unlink(tmp.c_str());
    throw Error("cannot write '" + path + "': " + why);
  }
  // Make the rename itself durable.
  std::string dir = fs::path(path).parent_path().string();
  fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  if (!write_and_sync(tmp, text)) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error("cannot write '" + path + "': " + why);
  }
  replace_file(tmp, path);
}

void RunDirectory::check_no_run(const std::string& path) {
  ASTRO_CHECK(!path.empty(), "--out must name a directory");
  for (const char* existing : {"checkpoint.h5", "metrics.csv"}) {
    std::error_code ec;
    if (fs::exists(fs::path(path) / existing, ec))
      throw Error("--out '" + path + "' already holds a run (" + existing +
                  "); add --resume to continue it, or choose another --out");
  }
}

RunDirectory RunDirectory::for_new_run(const std::string& path) {
  check_no_run(path);
  check_writable_directory(path);
  return RunDirectory(path);
}

RunDirectory RunDirectory::for_resume(const std::string& path) {
  ASTRO_CHECK(!path.empty(), "--resume needs --out RUN_DIR, the run to continue");
  std::error_code ec;
  if (!fs::exists(fs::path(path) / "checkpoint.h5", ec))
    throw Error("--resume: '" + (fs::path(path) / "checkpoint.h5").string() +
                "' does not exist (no run to continue in --out '" + path + "')");
  check_writable_directory(path);
  return RunDirectory(path);
}

std::string RunDirectory::file(const std::string& name) const {
  return (fs::path(path_) / name).string();
}

void RunDirectory::write_text(const std::string& name, const std::string& text) const {
  write_file_atomically(file(name), text);
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

// ---- RunLog ----

RunLog::RunLog(bool prints, bool redraw)
    : prints_(prints), terminal_(prints && redraw && ::isatty(STDOUT_FILENO) == 1) {}

void RunLog::open(const std::string& path) {
  file_.open(path, std::ios::app);
  ASTRO_CHECK(file_.good(), "cannot write '", path, "': ", errno_text());
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
  if (file_.is_open()) file_ << text << '\n' << std::flush;
}

void RunLog::progress(const std::string& text) {
  if (!terminal_) return;
  std::printf("\r\033[K%s", text.c_str());
  std::fflush(stdout);
  progress_shown_ = true;
}

}  // namespace astrocnn::cli
