// io/output_file.h: what astrocnn refuses to write over, where a symlink's
// bytes go, and that a failed write leaves the old file and no temporary.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/tensor/error.h"
#include "io/output_file.h"
#include "temp_dir.h"

using namespace astrocnn;
using astrocnn::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void put(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

bool no_temporaries(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".tmp") return false;
  return true;
}

}  // namespace

TEST_CASE("write_file_atomically replaces a regular file and leaves no temporary", "[output]") {
  TempDir dir;
  const std::string path = dir.file("out.csv");
  write_file_atomically(path, "first\n");
  write_file_atomically(path, "second\n");
  CHECK(contents(path) == "second\n");
  CHECK(no_temporaries(dir.path));
}

TEST_CASE("A symlink is written through: the target changes, the link stays", "[output]") {
  TempDir dir;
  fs::create_directories(dir.path / "data");
  const std::string target = dir.file("data/real.csv"), link = dir.file("link.csv");
  put(target, "old\n");
  fs::create_symlink("data/real.csv", link);  // relative to the link's directory
  CHECK(check_output_file(link, "-o") == (dir.path / "data/real.csv").string());
  write_file_atomically(link, "new\n", "-o");
  CHECK(fs::is_symlink(link));
  CHECK(contents(target) == "new\n");
  CHECK(no_temporaries(dir.path / "data"));

  SECTION("a dangling link creates its target, as a shell redirection would") {
    const std::string dangling = dir.file("dangling.csv");
    fs::create_symlink("data/new.csv", dangling);
    write_file_atomically(dangling, "made\n", "-o");
    CHECK(fs::is_symlink(dangling));
    CHECK(contents(dir.file("data/new.csv")) == "made\n");
  }
  SECTION("a link whose target's directory is missing is refused") {
    fs::create_symlink("nowhere/x.csv", dir.file("lost.csv"));
    CHECK_THROWS_WITH(check_output_file(dir.file("lost.csv"), "-o"),
                      Catch::Contains("-o '") && Catch::Contains("nowhere") &&
                          Catch::Contains("does not exist"));
  }
  SECTION("a loop of links is refused") {
    fs::create_symlink("b", dir.file("a"));
    fs::create_symlink("a", dir.file("b"));
    CHECK_THROWS_WITH(check_output_file(dir.file("a"), "-o"),
                      Catch::Contains("too many levels of symbolic links"));
  }
}

TEST_CASE("Directories, devices, FIFOs and sockets are refused, never replaced", "[output]") {
  TempDir dir;
  SECTION("a directory, directly or through a link") {
    fs::create_directories(dir.path / "d");
    fs::create_symlink("d", dir.file("to_d"));
    CHECK_THROWS_WITH(check_output_file(dir.file("d"), "-o"), Catch::Contains("is a directory"));
    CHECK_THROWS_WITH(write_file_atomically(dir.file("to_d"), "x"), Catch::Contains("is a directory"));
    CHECK(fs::is_directory(dir.path / "d"));
    CHECK(fs::is_symlink(dir.path / "to_d"));
    CHECK_THROWS_WITH(check_output_file(dir.file("d") + "/", "-o"),
                      Catch::Contains("names a directory"));
  }
  SECTION("a character device") {
    CHECK_THROWS_WITH(check_output_file("/dev/null", "--gallery"),
                      Catch::Contains("--gallery '/dev/null'") &&
                          Catch::Contains("is a character device"));
  }
  SECTION("a FIFO: refused without opening it (which would block)") {
    const std::string fifo = dir.file("pipe");
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK_THROWS_WITH(write_file_atomically(fifo, "x", "-o"), Catch::Contains("is a FIFO"));
    CHECK(fs::is_fifo(fifo));
  }
  CHECK(no_temporaries(dir.path));
}

TEST_CASE("The directory must exist and be writable", "[output]") {
  TempDir dir;
  CHECK_THROWS_WITH(check_output_file(dir.file("no/such/out.csv"), "-o"),
                    Catch::Contains("no/such") && Catch::Contains("does not exist"));
  put(dir.file("plain"), "x");
  CHECK_THROWS_WITH(check_output_file(dir.file("plain/out.csv"), "-o"),
                    Catch::Contains("is not a directory"));
  CHECK_THROWS_WITH(check_output_file("", "-o"), Catch::Contains("empty"));
  if (::geteuid() != 0) {  // root ignores permissions
    fs::create_directories(dir.path / "locked");
    fs::permissions(dir.path / "locked", fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_WITH(check_output_file(dir.file("locked/out.csv"), "-o"),
                      Catch::Contains("cannot create files in the directory"));
    fs::permissions(dir.path / "locked", fs::perms::owner_all);
  }
}

TEST_CASE("check_output_directory changes nothing and refuses non-directories", "[output]") {
  TempDir dir;
  check_output_directory(dir.file("plots/deeper"), "--plots");  // may be made later
  CHECK_FALSE(fs::exists(dir.path / "plots"));
  put(dir.file("file"), "x");
  CHECK_THROWS_WITH(check_output_directory(dir.file("file"), "--plots"),
                    Catch::Contains("--plots") && Catch::Contains("not a directory"));
  CHECK_THROWS_WITH(check_output_directory(dir.file("file/sub"), "--plots"),
                    Catch::Contains("is not a directory"));
}

TEST_CASE("An output may not be an input or another output", "[output]") {
  TempDir dir;
  put(dir.file("model.h5"), "x");
  fs::create_symlink("model.h5", dir.file("alias.h5"));
  CHECK_THROWS_WITH(check_distinct_files(dir.file("alias.h5"), "-o", dir.file("model.h5"), "--checkpoint"),
                    Catch::Contains("are the same file"));
  CHECK_THROWS_WITH(check_distinct_files(dir.file("new.png"), "--gallery",
                                         dir.file("sub/../new.png"), "-o"),
                    Catch::Contains("are the same file"));
  check_distinct_files(dir.file("a.csv"), "-o", dir.file("b.png"), "--gallery");
}

TEST_CASE("An AtomicFile not committed leaves the old file and no temporary", "[output]") {
  TempDir dir;
  const std::string path = dir.file("out.csv");
  put(path, "old\n");
  {
    AtomicFile file(path, "-o");
    file.write("half of the new");
  }  // an exception on the way: destroyed without commit()
  CHECK(contents(path) == "old\n");
  CHECK(no_temporaries(dir.path));

  SECTION("a stale temporary symlink is removed, not followed") {
    put(dir.file("precious"), "keep\n");
    fs::create_symlink("precious", path + ".tmp");
    write_file_atomically(path, "new\n");
    CHECK(contents(dir.file("precious")) == "keep\n");
    CHECK(contents(path) == "new\n");
  }
  SECTION("replacing a file keeps its permissions") {
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    write_file_atomically(path, "new\n");
    CHECK((fs::status(path).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  }
}
