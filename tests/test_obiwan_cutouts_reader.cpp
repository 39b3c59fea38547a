// obiwan's per-brick cutout files (io/hdf5/obiwan_cutouts.h), written here in
// the layout of obiwan's create_training.py: one group per source, named by
// its tractor id, holding img and ivar [X, Y, bands] float32.
#if defined(ASTROCNN_HAVE_HDF5)
#include <hdf5.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "io/readers/data_files.h"
#include "io/hdf5/obiwan_cutouts.h"
#include "reader_checks.h"
#include "temp_dir.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

constexpr int64_t kX = 3, kY = 2, kBands = 3;

// Source `id` of file `fake` (0 real, 1 fake): img pixel (x, y, b) and its ivar.
float value(int fake, int64_t id, int64_t x, int64_t y, int64_t b, bool ivar) {
  return static_cast<float>(fake * 1000 + id * 10 + (ivar ? 5 : 0) + b) + (x * kY + y) / 100.0f;
}

void write_part(hid_t group, const char* name, const std::vector<float>& v,
                const std::vector<hsize_t>& dims = {kX, kY, kBands}) {
  hid_t space = H5Screate_simple(3, dims.data(), nullptr);
  hid_t d = H5Dcreate2(group, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
  H5Dclose(d);
  H5Sclose(space);
}

void write_cutouts(const std::string& path, int fake, const std::vector<int64_t>& ids) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(file >= 0);
  for (int64_t id : ids) {
    hid_t group =
        H5Gcreate2(file, std::to_string(id).c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (bool ivar : {false, true}) {
      std::vector<float> v;
      for (int64_t x = 0; x < kX; ++x)
        for (int64_t y = 0; y < kY; ++y)
          for (int64_t b = 0; b < kBands; ++b) v.push_back(value(fake, id, x, y, b, ivar));
      write_part(group, ivar ? "ivar" : "img", v);
    }
    H5Gclose(group);
  }
  H5Fclose(file);
}

// What split_testtrain.py makes of cutouts (file, id): channels g, g ivar,
// r, r ivar, z, z ivar, each an [X, Y] image.
Dataset expected(const std::vector<std::pair<int, int64_t>>& rows) {
  std::vector<float> px;
  std::vector<int64_t> labels;
  for (auto [fake, id] : rows) {
    for (int64_t b = 0; b < kBands; ++b)
      for (bool ivar : {false, true})
        for (int64_t x = 0; x < kX; ++x)
          for (int64_t y = 0; y < kY; ++y) px.push_back(value(fake, id, x, y, b, ivar));
    labels.push_back(fake);
  }
  const auto n = static_cast<int64_t>(rows.size());
  return class_dataset(px, {n, 2 * kBands, kX, kY}, labels, {"real", "fake"});
}

}  // namespace

TEST_CASE("obiwan cutouts: real and fake files of a brick, balanced, 6 channels", "[obiwan]") {
  TempDir dir;
  const std::string real = dir.file("dr5_img_ivar_grz.hdf5"),
                    fake = dir.file("sim_img_ivar_grz.hdf5");
  write_cutouts(real, 0, {12, 3, 7, 150, 20});
  write_cutouts(fake, 1, {5, 100, 40});
  // 3 of each (the fewer), by increasing tractor id; real first.
  auto reader = std::make_shared<ObiwanCutoutReader>(real, fake);
  CHECK(reader->info().format == "obiwan HDF5 cutouts");
  const Dataset want = expected({{0, 3}, {0, 7}, {0, 12}, {1, 5}, {1, 40}, {1, 100}});
  check_reads_like(*reader, want);
  check_streams_like(reader, want);

  ObiwanCutoutReader real_only(real);
  check_reads_like(real_only, expected({{0, 3}, {0, 7}, {0, 12}, {0, 20}, {0, 150}}));

  // -f finds the layout; --fake adds the simulated galaxies.
  DataFileOptions o;
  o.fake = fake;
  CHECK(open_data_files(real, o)->size() == 6);
  CHECK(open_data_files(real)->info().format == "obiwan HDF5 cutouts");
}

TEST_CASE("obiwan cutouts: an HDF5 file of no known layout is refused", "[obiwan]") {
  TempDir dir;
  const std::string path = dir.file("other.h5");
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t group = H5Gcreate2(file, "catalogue", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  write_part(group, "flux", std::vector<float>(kX * kY * kBands));
  H5Gclose(group);
  H5Fclose(file);
  CHECK_THROWS_WITH(open_data_files(path),
                    Catch::Contains("'" + path + "' holds none of the layouts"));
  DataFileOptions o;
  o.fake = path;
  CHECK_THROWS_WITH(open_data_files(path, o), Catch::Contains("none of the layouts"));
}

TEST_CASE("obiwan cutouts: malformed cutouts name the file and group", "[obiwan]") {
  TempDir dir;
  const std::string path = dir.file("bad.hdf5");
  write_cutouts(path, 0, {1, 2});
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t group = H5Gcreate2(file, "3", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  write_part(group, "img", std::vector<float>(kX * kY * kBands));
  H5Gclose(group);
  H5Fclose(file);
  CHECK_THROWS_WITH(ObiwanCutoutReader(path),
                    Catch::Contains("'" + path + "', object '/3/ivar': missing"));

  write_cutouts(path, 0, {1, 2});
  file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  group = H5Gcreate2(file, "9", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  write_part(group, "img", std::vector<float>(4 * 4 * kBands), {4, 4, kBands});
  write_part(group, "ivar", std::vector<float>(4 * 4 * kBands), {4, 4, kBands});
  H5Gclose(group);
  H5Fclose(file);
  CHECK_THROWS_WITH(ObiwanCutoutReader(path),
                    Catch::Contains("object '/9/img': a cutout of [4,4,3] differs"));
  CHECK_THROWS_WITH(ObiwanCutoutReader(dir.file("none.hdf5")), Catch::Contains("does not exist"));
}

#endif  // ASTROCNN_HAVE_HDF5
