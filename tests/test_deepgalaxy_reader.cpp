// DeepGalaxy files (io/hdf5/deepgalaxy_reader.h), written here in
// DeepGalaxy's layout: one group per simulation (s_<size>_m_<mass>) holding
// images_camera_NN [T, H, W, 1] (float16, as the published files, or uint8)
// and t_myr_camera_NN [T], for cameras 00, 01, 02.
#if defined(ASTROCNN_HAVE_HDF5)
#include <hdf5.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "io/readers/data_files.h"
#include "io/hdf5/deepgalaxy_reader.h"
#include "io/hdf5/h5_dataset.h"
#include "io/hdf5/h5_read.h"
#include "reader_checks.h"
#include "temp_dir.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

constexpr int64_t kT = 12, kH = 2, kW = 3, kCameras = 3;

// Created in this order; read in name order: s_0.5_m_1, s_1.5_m_1, s_1_m_1.
const std::vector<std::string> kGroups = {"s_1_m_1", "s_1.5_m_1", "s_0.5_m_1"};

// The pixel values written, exact in float16: group g (creation index),
// camera c, snapshot k, pixel p. The uint8 group stores c * 16 + k + p.
float stored(size_t g, int64_t c, int64_t k, int64_t p) {
  return g == 1 ? static_cast<float>(c * 16 + k + p)
                : static_cast<float>(g * 64 + c * 16 + k) + p / 8.0f;
}
float read_value(size_t g, int64_t c, int64_t k, int64_t p) {
  return g == 1 ? stored(g, c, k, p) / 255.0f : stored(g, c, k, p);
}

void write(hid_t where, const std::string& name, hid_t file_type, hid_t memory_type,
           const std::vector<hsize_t>& dims, const void* data) {
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t d =
      H5Dcreate2(where, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(d >= 0);
  REQUIRE(H5Dwrite(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  H5Dclose(d);
  H5Sclose(space);
}

std::string two_digits(int64_t c) { return (c < 10 ? "0" : "") + std::to_string(c); }

// The test file; `times` gives camera c's time of snapshot k (Myr).
void write_file(const std::string& path, float (*times)(int64_t c, int64_t k)) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(file >= 0);
  hid_t half = h5::float16_type();
  for (size_t g = 0; g < kGroups.size(); ++g) {
    hid_t group = H5Gcreate2(file, kGroups[g].c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int64_t c = 0; c < kCameras; ++c) {
      std::vector<float> px;
      std::vector<uint8_t> bytes;
      std::vector<float> t;
      for (int64_t k = 0; k < kT; ++k) {
        for (int64_t p = 0; p < kH * kW; ++p) {
          px.push_back(stored(g, c, k, p));
          bytes.push_back(static_cast<uint8_t>(stored(g, c, k, p)));
        }
        t.push_back(times(c, k));
      }
      const std::vector<hsize_t> dims = {kT, kH, kW, 1};
      if (g == 1)
        write(group, "images_camera_" + two_digits(c), H5T_STD_U8LE, H5T_NATIVE_UINT8, dims,
              bytes.data());
      else
        write(group, "images_camera_" + two_digits(c), half, H5T_NATIVE_FLOAT, dims, px.data());
      write(group, "t_myr_camera_" + two_digits(c), H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {kT},
            t.data());
    }
    H5Gclose(group);
  }
  H5Tclose(half);
  H5Fclose(file);
}

// Snapshots every 5 Myr from a start that differs per camera: each camera's
// time bins are then 0 .. 11 after subtracting its first.
float every_5_myr(int64_t c, int64_t k) { return 1000.0f + 5.0f * k + static_cast<float>(c); }

// The rows DeepGalaxy's DataIO concatenates for `groups` (creation indices,
// in name order) and `cameras`, labelled by `label(camera, bin)`.
Dataset expected(const std::vector<size_t>& groups, int64_t cameras,
                 int64_t (*label)(int64_t c, int64_t k), std::vector<std::string> names) {
  std::vector<float> px;
  std::vector<int64_t> ids;
  for (size_t g : groups)
    for (int64_t c = 0; c < cameras; ++c)
      for (int64_t k = 0; k < kT; ++k) {
        for (int64_t p = 0; p < kH * kW; ++p) px.push_back(read_value(g, c, k, p));
        ids.push_back(label(c, k));
      }
  const auto n = static_cast<int64_t>(ids.size());
  return class_dataset(px, {n, 1, kH, kW}, ids, std::move(names));
}

// sklearn's LabelEncoder over the strings "<bin>_<camera>" for bins 0-11 and
// cameras 0-1: sorted as strings, so "10_0" comes before "1_0".
const std::vector<int64_t> kStringOrder = {0, 10, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9};
std::vector<std::string> encoder_classes() {
  std::vector<std::string> names;
  for (int64_t bin : kStringOrder)
    for (int64_t c = 0; c < 2; ++c) names.push_back(std::to_string(bin) + "_" + std::to_string(c));
  return names;
}
int64_t encoded(int64_t c, int64_t k) {
  int64_t position = 0;
  while (kStringOrder[position] != k) ++position;
  return 2 * position + c;
}

ssize_t open_hdf5_objects() {
  return H5Fget_obj_count(static_cast<hid_t>(H5F_OBJ_ALL), H5F_OBJ_ALL);
}

}  // namespace

TEST_CASE("DeepGalaxy: -d and --num-camera select rows, labels as dg_train.py", "[deepgalaxy]") {
  TempDir dir;
  const std::string path = dir.file("output_bw_512.hdf5");
  write_file(path, every_5_myr);

  SECTION("time-camera classes (LabelEncoder of bin_camera), groups in name order") {
    DeepGalaxyOptions o;
    o.datasets = "s_1*";  // s_1.5_m_1 and s_1_m_1
    o.cameras = 2;
    auto reader = std::make_shared<DeepGalaxyReader>(path, o);
    CHECK(reader->groups() == std::vector<std::string>{"s_1.5_m_1", "s_1_m_1"});
    CHECK(reader->info().label_names.size() == 24);
    CHECK(reader->info().label_names[2] == "10_0");  // string order, as LabelEncoder
    const Dataset want = expected({1, 0}, 2, encoded, encoder_classes());
    check_reads_like(*reader, want);
    check_streams_like(reader, want);
  }
  SECTION("time classes only") {
    DeepGalaxyOptions o;
    o.datasets = "s_0.5_*";
    o.cameras = 3;
    o.labels = DeepGalaxyLabels::Time;
    DeepGalaxyReader reader(path, o);
    std::vector<std::string> bins;
    for (int64_t k = 0; k < kT; ++k) bins.push_back(std::to_string(k));
    check_reads_like(reader, expected(
                                 {2}, 3, [](int64_t, int64_t k) { return k; }, bins));
  }
  SECTION("-f finds the format; -d, --num-camera and --dg-labels pass through") {
    DataFileOptions o;
    o.datasets = "s_1_*";
    o.num_camera = 2;
    o.dg_labels = "time";
    auto reader = open_data_files(path, o);
    CHECK(reader->info().format == "DeepGalaxy HDF5");
    CHECK(reader->size() == 2 * kT);
    CHECK(reader->info().label_names.size() == static_cast<size_t>(kT));
    o.dg_labels = "camera";
    CHECK_THROWS_WITH(open_data_files(path, o),
                      Catch::Contains("unknown DeepGalaxy labels 'camera'"));
    // A native file refuses DeepGalaxy's options.
    const std::string native = dir.file("native.h5");
    write_dataset(expected({0}, 1, encoded, encoder_classes()), native);
    o.dg_labels = "time";
    CHECK_THROWS_WITH(open_data_files(native, o),
                      Catch::Contains("-d applies to DeepGalaxy files, but '" + native +
                                      "' is a native astrocnn HDF5 file"));
    CHECK(open_data_files(native)->info().format == "native HDF5");
  }
  SECTION("all groups by default") {
    DeepGalaxyOptions o;
    o.cameras = kCameras;  // the default, 14, would find cameras 03-13 missing
    DeepGalaxyReader reader(path, o);
    CHECK(reader.groups() == std::vector<std::string>{"s_0.5_m_1", "s_1.5_m_1", "s_1_m_1"});
    CHECK(reader.size() == 3 * kCameras * kT);
    CHECK(reader.info().label_names.size() == static_cast<size_t>(kCameras * kT));
  }
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("DeepGalaxy: time bins truncate t / 5 in float32 as numpy does", "[deepgalaxy]") {
  TempDir dir;
  const std::string path = dir.file("bins.hdf5");
  // 12.5, 17.5, ... Myr: bins int(2.5) = 2, 3, ...; camera 1 starts at 14.9: bins 2, 3, ...
  write_file(path, [](int64_t c, int64_t k) { return (c == 1 ? 14.9f : 12.5f) + 5.0f * k; });
  DeepGalaxyOptions o;
  o.datasets = "s_1_m_1";
  o.cameras = 2;
  o.labels = DeepGalaxyLabels::Time;
  DeepGalaxyReader reader(path, o);
  Tensor x, y;
  reader.read({0, 1, 11, 12, 13}, x, y);
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 11, 0, 1});
}

TEST_CASE("DeepGalaxy: channels-last colour images become channels first", "[deepgalaxy]") {
  TempDir dir;
  const std::string path = dir.file("rgb.hdf5");
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t group = H5Gcreate2(file, "s_1_m_1", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<float> hwc(2 * 2 * 2 * 3);  // [T=2, H=2, W=2, C=3]
  for (size_t i = 0; i < hwc.size(); ++i) hwc[i] = static_cast<float>(i);
  write(group, "images_camera_00", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 2, 2, 3}, hwc.data());
  const std::vector<double> t = {0, 5};
  write(group, "t_myr_camera_00", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {2}, t.data());
  H5Gclose(group);
  H5Fclose(file);
  DeepGalaxyOptions o;
  o.cameras = 1;
  DeepGalaxyReader reader(path, o);
  CHECK(reader.image_shape() == Shape{3, 2, 2});
  Tensor x, y;
  reader.read({1}, x, y);
  // Image 1 holds 12 .. 23 as [h][w][c]: channel 0 is 12, 15, 18, 21.
  CHECK(x.to_vector<float>() == std::vector<float>{12, 15, 18, 21, 13, 16, 19, 22, 14, 17, 20, 23});
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{1});
  CHECK(reader.info().label_names == std::vector<std::string>{"0_0", "1_0"});
}

TEST_CASE("DeepGalaxy: bad files and options give one clear error", "[deepgalaxy]") {
  TempDir dir;
  const std::string path = dir.file("dg.hdf5");
  write_file(path, every_5_myr);
  auto opening = [&](const std::string& datasets, int64_t cameras) {
    DeepGalaxyOptions o;
    o.datasets = datasets;
    o.cameras = cameras;
    DeepGalaxyReader reader(path, o);
  };
  CHECK_THROWS_WITH(opening("s_2_*", 1), Catch::Contains("no group matches -d 's_2_*'") &&
                                             Catch::Contains("s_0.5_m_1, s_1.5_m_1, s_1_m_1"));
  CHECK_THROWS_WITH(opening("*", 4),
                    Catch::Contains("object '/s_0.5_m_1/images_camera_03': missing") &&
                        Catch::Contains("--num-camera 4 needs cameras 00 to 03"));
  CHECK_THROWS_WITH(opening("*", 0), Catch::Contains("--num-camera must be 1 to 14, got 0"));
  CHECK_THROWS_WITH(opening("*", 15), Catch::Contains("--num-camera must be 1 to 14, got 15"));
  CHECK_THROWS_WITH(DeepGalaxyReader(dir.file("none.hdf5")), Catch::Contains("does not exist"));

  // A second file whose groups disagree: other sizes, short or NaN times.
  const std::string bad = dir.file("bad.hdf5");
  hid_t file = H5Fcreate(bad.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const std::vector<float> px(2 * 4 * 4), t2 = {0, 5}, t1 = {0}, tnan = {0, std::nanf("")};
  for (const char* name : {"a_size", "b_short", "c_nan", "d_int16"}) {
    hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::string n = name;
    const std::vector<hsize_t> dims =
        n == "a_size" ? std::vector<hsize_t>{2, 2, 2} : std::vector<hsize_t>{2, 4, 4};
    write(g, "images_camera_00", n == "d_int16" ? H5T_STD_I16LE : H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
          dims, px.data());
    const std::vector<float>& t = n == "b_short" ? t1 : n == "c_nan" ? tnan : t2;
    write(g, "t_myr_camera_00", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {t.size()}, t.data());
    H5Gclose(g);
  }
  H5Fclose(file);
  auto bad_opening = [&](const std::string& datasets) {
    DeepGalaxyOptions o;
    o.datasets = datasets;
    o.cameras = 1;
    DeepGalaxyReader reader(bad, o);
  };
  CHECK_THROWS_WITH(bad_opening("[ab]_*"),
                    Catch::Contains("'/b_short/images_camera_00'") &&
                        Catch::Contains("differ from the [1,2,2] of '/a_size/images_camera_00'"));
  CHECK_THROWS_WITH(bad_opening("b_*"),
                    Catch::Contains("'/b_short/t_myr_camera_00': holds 1 times for 2 images"));
  CHECK_THROWS_WITH(bad_opening("c_*"),
                    Catch::Contains("'/c_nan/t_myr_camera_00': row 1 holds the time nan Myr (times must be finite"));
  CHECK_THROWS_WITH(bad_opening("d_*"), Catch::Contains("unsupported element type int16"));
  CHECK(open_hdf5_objects() == 0);
}

#endif  // ASTROCNN_HAVE_HDF5
