// The integer class ids of a labels CSV (io/readers/labels_csv.h): they number the
// classes 0 .. K-1 with K at most kMaxClasses (io/readers/row_reader.h), so that one
// wrong id cannot make a class name, and a model output, for every id below
// it. A bad id is an Error naming the CSV and the line it is on.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "core/tensor/error.h"
#include "io/readers/labels_csv.h"
#include "io/readers/row_reader.h"
#include "temp_dir.h"

using namespace astrocnn;
using testing::TempDir;

namespace {

// A labels CSV with the header `filename,class` and one row per id, image
// names a.fits, b.fits, ...; an empty line after the header, so that the
// rows lie on lines 3, 4, ... of the file.
std::string write_ids(const TempDir& dir, const std::vector<std::string>& ids) {
  const std::string path = dir.file("labels.csv");
  std::ofstream csv(path);
  csv << "filename,class\n\n";
  for (size_t i = 0; i < ids.size(); ++i)
    csv << static_cast<char>('a' + i) << ".fits," << ids[i] << "\n";
  return path;
}

}  // namespace

TEST_CASE("labels CSV: integer class ids from 0 to 65535 are read as ids", "[labels_csv]") {
  TempDir dir;
  REQUIRE(kMaxClasses == 65536);
  const LabelTable t = read_labels_csv(write_ids(dir, {"65535", "0", "+3", " 7 ", "\"2\""}));
  CHECK(t.class_labels);
  CHECK(t.class_ids == std::vector<int64_t>{65535, 0, 3, 7, 2});
  CHECK(t.lines == std::vector<int64_t>{3, 4, 5, 6, 7});
  REQUIRE(t.label_names.size() == 65536);  // "0" .. the largest id
  CHECK(t.label_names.front() == "0");
  CHECK(t.label_names.back() == "65535");
}

TEST_CASE("labels CSV: a class id outside 0 to 65535 is refused naming the file and line",
          "[labels_csv]") {
  TempDir dir;
  auto refused = [&](const std::string& bad_id) {
    const std::string path = write_ids(dir, {"0", "1", bad_id});
    INFO("class id " << bad_id);
    CHECK_THROWS_WITH(read_labels_csv(path),
                      Catch::Contains("labels CSV '" + path + "', line 5: class id " + bad_id +
                                      " is outside [0, 65536)"));
  };
  refused("65536");  // one past the last id taken
  refused("1000000000");
  refused("-1");
  refused("-0000000000000000000001");
  refused("9223372036854775807");                     // int64's largest
  refused("99999999999999999999999999999999999999");  // beyond int64: strtoll's ERANGE
  refused("-99999999999999999999999999999999999999");
}

TEST_CASE("labels CSV: a class column that is not all integers holds names, not ids",
          "[labels_csv]") {
  TempDir dir;
  // "-1" beside a name is a name too; so are numbers written otherwise than as integers.
  const LabelTable t = read_labels_csv(write_ids(dir, {"-1", "spiral", "1e3", "+-2", "-"}));
  CHECK(t.class_labels);
  CHECK(t.label_names == std::vector<std::string>{"+-2", "-", "-1", "1e3", "spiral"});
  CHECK(t.class_ids == std::vector<int64_t>{2, 4, 3, 0, 1});
}
