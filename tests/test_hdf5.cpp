// HDF5 data sets: write_dataset, H5DatasetReader, load_dataset, atomic writes
// and StreamingBatchIterator.
#if defined(ASTROCNN_HAVE_HDF5)
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "reader_checks.h"
#include "temp_dir.h"
#include "io/batches/dataset.h"
#include "io/output_file.h"
#include "io/hdf5/h5_dataset.h"
#include "io/batches/streaming_iterator.h"

using namespace astrocnn;
namespace fs = std::filesystem;

namespace {

using testing::TempDir;
using testing::require_same_epochs;
using testing::run_epoch;
using testing::same_bytes;

// n images [c, h, w] whose pixels in image i are i + channel / 10 + k / 1000
// (k the pixel), labels [i, -i / 2] (regression) or i % 3 (classification):
// every row can be traced back to its index.
Dataset numbered(int64_t n, bool classification = false, int64_t c = 2, int64_t h = 3,
                 int64_t w = 2) {
  Dataset d;
  std::vector<float> px(static_cast<size_t>(n * c * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < h * w; ++k)
        px[(i * c + ch) * h * w + k] = static_cast<float>(i + ch / 10.0 + k / 1000.0);
  d.images = Tensor::from_vector(px, {n, c, h, w});
  if (classification) {
    std::vector<int64_t> ids(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ids[i] = i % 3;
    d.labels = Tensor::from_vector(ids, {n});
    d.label_names = {"spheroid", "disk", "irregular"};
    d.task = "classification";
  } else {
    std::vector<float> y(static_cast<size_t>(2 * n));
    for (int64_t i = 0; i < n; ++i) {
      y[2 * i] = static_cast<float>(i);
      y[2 * i + 1] = static_cast<float>(-i) / 2;
    }
    d.labels = Tensor::from_vector(y, {n, 2});
    d.label_names = {"f_disk", "f_bulge"};
    d.task = "regression";
  }
  return d;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---- hand-made files, written with the HDF5 C API ----------------------------------

struct RawFile {
  hid_t id;
  explicit RawFile(const std::string& path)
      : id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {
    REQUIRE(id >= 0);
  }
  ~RawFile() { H5Fclose(id); }

  void dataset(const char* name, hid_t file_type, const std::vector<hsize_t>& dims,
               hid_t memory_type = -1, const void* data = nullptr) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(id, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(d >= 0);
    if (data != nullptr)
      REQUIRE(H5Dwrite(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(space);
  }
  void floats(const char* name, const std::vector<hsize_t>& dims, const std::vector<float>& v) {
    dataset(name, H5T_IEEE_F32LE, dims, H5T_NATIVE_FLOAT, v.data());
  }
  void string_attribute(const char* name, const std::string& value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, value.size() + 1);  // fixed length, as numpy bytes
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(id, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Awrite(a, type, value.c_str()) >= 0);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
  }
  void int_attribute(const char* name, int64_t value) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(id, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Awrite(a, H5T_NATIVE_INT64, &value) >= 0);
    H5Aclose(a);
    H5Sclose(space);
  }
};

std::vector<float> ramp(size_t n, float start = 0) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i) / 8;
  return v;
}

// A minimal valid file: 4 images [1, 2, 2], regression labels [4, 1], whose
// label rows are `labels`.
void write_small(const std::string& path, const std::vector<float>& labels = {0, 1, 2, 3}) {
  RawFile f(path);
  f.floats("images", {4, 1, 2, 2}, ramp(16));
  f.floats("labels", {4, 1}, labels);
}

// HDF5 objects (files, datasets, ...) still open anywhere in the process:
// every path through the library, error paths included, must close its own.
ssize_t open_hdf5_objects() {
  return H5Fget_obj_count(static_cast<hid_t>(H5F_OBJ_ALL), H5F_OBJ_ALL);
}

}  // namespace

// ---- round trips ----------------------------------------------------------------------

TEST_CASE("write_dataset and load_dataset round-trip float32 images and float labels", "[hdf5]") {
  TempDir dir;
  const Dataset data = numbered(37, false, 2, 5, 3);
  const std::string path = dir.file("reg.h5");
  write_dataset(data, path);
  CHECK_FALSE(fs::exists(path + ".tmp"));

  const Dataset back = load_dataset(path);
  CHECK(same_bytes(back.images, data.images));
  CHECK(same_bytes(back.labels, data.labels));
  CHECK(back.label_names == data.label_names);
  CHECK(back.task == "regression");

  H5DatasetReader reader(path);
  CHECK(reader.size() == 37);
  CHECK(reader.image_shape() == Shape{2, 5, 3});
  CHECK(reader.images_shape() == Shape{37, 2, 5, 3});
  CHECK(reader.labels_shape() == Shape{37, 2});
  CHECK_FALSE(reader.class_labels());
  CHECK(reader.stored_image_type() == "float32");
  CHECK(reader.path() == path);

  // The layout itself, as another program sees it: chunks of a few whole images.
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "images", H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(d);
  REQUIRE(H5Pget_layout(dcpl) == H5D_CHUNKED);
  hsize_t chunk[4];
  REQUIRE(H5Pget_chunk(dcpl, 4, chunk) == 4);
  CHECK(chunk[0] >= 1);
  CHECK(chunk[0] <= 16);
  CHECK((chunk[1] == 2 && chunk[2] == 5 && chunk[3] == 3));
  hid_t type = H5Dget_type(d);
  CHECK(H5Tequal(type, H5T_IEEE_F32LE) > 0);
  int64_t format = 0;
  hid_t a = H5Aopen(f, "astrocnn_format", H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_INT64, &format);
  CHECK(format == 1);
  H5Aclose(a);
  H5Tclose(type);
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
}

TEST_CASE("load_dataset reads the auxiliary columns back, and only those", "[hdf5]") {
  TempDir dir;
  Dataset data = numbered(9, true, 1, 3, 3);
  std::vector<float> radius(9), pair(18);
  for (size_t i = 0; i < radius.size(); ++i) radius[i] = 0.5f + 0.25f * static_cast<float>(i);
  for (size_t i = 0; i < pair.size(); ++i) pair[i] = -static_cast<float>(i) / 3.0f;
  data.aux = {{"einstein_radius", Tensor::from_vector(radius, {9, 1})},
              {"pair", Tensor::from_vector(pair, {9, 2})}};
  const std::string path = dir.file("aux.h5");
  write_dataset(data, path);
  // Members that are not columns of the rows: a group, integer ids, a float
  // dataset of another length. load_dataset must leave them out.
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Gclose(H5Gcreate2(f, "meta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    const hsize_t ids_dims[1] = {9}, short_dims[2] = {4, 1};
    const int64_t ids[9] = {};
    const float short_values[4] = {};
    hid_t space = H5Screate_simple(1, ids_dims, nullptr);
    hid_t d = H5Dcreate2(f, "ids", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids);
    H5Dclose(d);
    H5Sclose(space);
    space = H5Screate_simple(2, short_dims, nullptr);
    d = H5Dcreate2(f, "short", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, short_values);
    H5Dclose(d);
    H5Sclose(space);
    H5Fclose(f);
  }

  const Dataset back = load_dataset(path);
  CHECK(same_bytes(back.images, data.images));
  CHECK(same_bytes(back.labels, data.labels));
  REQUIRE(back.aux.size() == 2);
  std::set<std::string> names;
  for (const Dataset::Column& c : back.aux) {
    names.insert(c.name);
    const Dataset::Column& written = c.name == "pair" ? data.aux[1] : data.aux[0];
    CHECK(c.values.shape() == written.values.shape());
    CHECK(same_bytes(c.values, written.values));
  }
  CHECK(names == std::set<std::string>{"einstein_radius", "pair"});
  // A subset keeps them row by row, as training's split does.
  const Dataset part = subset(back, {8, 0});
  for (const Dataset::Column& c : part.aux)
    if (c.name == "einstein_radius") CHECK(c.values.to_vector<float>() == std::vector<float>{2.5f, 0.5f});
}

TEST_CASE("write_dataset stores uint8 images and int64 class ids exactly", "[hdf5]") {
  TempDir dir;
  Dataset data = numbered(300, true, 1, 2, 2);
  // Pixel values k / 255 for every k in 0..255 (cycled).
  std::vector<float> px(static_cast<size_t>(data.images.numel()));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<float>(i % 256) / 255.0f;
  data.images = Tensor::from_vector(px, data.images.shape());
  const std::string path = dir.file("cls.h5");
  write_dataset(data, path, {ImageStorage::UInt8, 7});

  const Dataset back = load_dataset(path);
  CHECK(same_bytes(back.images, data.images));
  CHECK(same_bytes(back.labels, data.labels));
  CHECK(back.labels.dtype() == DType::I64);
  CHECK(back.label_names == data.label_names);
  CHECK(back.task == "classification");
  H5DatasetReader reader(path);
  CHECK(reader.stored_image_type() == "uint8");
  CHECK(reader.class_labels());
  CHECK(reader.labels_shape() == Shape{300});

  // On disk: the bytes k, in chunks of the 7 images asked for.
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "images", H5P_DEFAULT);
  std::vector<uint8_t> bytes(px.size());
  REQUIRE(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) >= 0);
  for (size_t i = 0; i < bytes.size(); ++i) REQUIRE(bytes[i] == i % 256);
  hid_t dcpl = H5Dget_create_plist(d);
  hsize_t chunk[4];
  H5Pget_chunk(dcpl, 4, chunk);
  CHECK(chunk[0] == 7);
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
}

TEST_CASE("write_dataset stores float64 as float32 and rejects what it cannot store", "[hdf5]") {
  TempDir dir;
  Dataset data = numbered(5, false);
  data.images = data.images.to(DType::F64);
  data.labels = data.labels.to(DType::F64);
  const std::string path = dir.file("f64.h5");
  write_dataset(data, path);
  const Dataset back = load_dataset(path);
  CHECK(same_bytes(back.images, data.images.to(DType::F32)));
  CHECK(same_bytes(back.labels, data.labels.to(DType::F32)));

  Dataset bright = numbered(3, false);  // pixels up to 2.x: not in [0, 1]
  CHECK_THROWS_WITH(write_dataset(bright, dir.file("u8.h5"), {ImageStorage::UInt8, 0}),
                    Catch::Contains("uint8 storage needs pixel values in [0, 1]"));
  Dataset nan_label = numbered(3, false);
  nan_label.labels.data<float>()[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(write_dataset(nan_label, dir.file("nan.h5")),
                    Catch::Contains("label row 1") && Catch::Contains("must be finite"));
  Dataset bad_task = numbered(3, false);
  bad_task.task = "segmentation";
  CHECK_THROWS_WITH(write_dataset(bad_task, dir.file("task.h5")), Catch::Contains("task"));
  CHECK_THROWS_WITH(write_dataset(numbered(3), dir.file("c.h5"), {ImageStorage::Float32, -1}),
                    Catch::Contains("chunk_images must be >= 0"));
  // Nothing was created by the failed calls.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);
}

TEST_CASE("H5DatasetReader::read returns arbitrary rows in the requested order", "[hdf5]") {
  TempDir dir;
  const Dataset data = numbered(23, false, 3, 2, 2);
  const std::string path = dir.file("rows.h5");
  write_dataset(data, path, {ImageStorage::Float32, 4});
  H5DatasetReader reader(path);

  const std::vector<std::vector<int64_t>> lists = {
      {0}, {22}, {5, 6, 7, 8}, {17, 3, 9, 0, 22, 4}, {4, 4, 1, 4, 20, 1}, {21, 20, 19, 2, 1, 0}};
  for (const auto& rows : lists) {
    Tensor x, y;
    reader.read(rows, x, y);
    const Dataset expected = subset(data, rows);
    CHECK(same_bytes(x, expected.images));
    CHECK(same_bytes(y, expected.labels));
  }
  // A random permutation of everything, with a repeat.
  std::vector<int64_t> all = permutation(23, 5);
  all.push_back(all[3]);
  Tensor x, y;
  reader.read(all, x, y);
  CHECK(same_bytes(x, subset(data, all).images));
  CHECK(same_bytes(y, subset(data, all).labels));

  reader.read({}, x, y);
  CHECK(x.shape() == Shape{0, 3, 2, 2});
  CHECK(y.shape() == Shape{0, 2});
  CHECK_THROWS_WITH(reader.read({1, 23}, x, y), Catch::Contains("row index 23 is outside [0, 23)"));
  CHECK_THROWS_WITH(reader.read({-1}, x, y), Catch::Contains("row index -1"));
}

TEST_CASE("H5DatasetReader reads files written by other programs", "[hdf5]") {
  TempDir dir;
  SECTION("float64 images, no attributes: the task follows from the labels") {
    const std::string path = dir.file("plain.h5");
    {
      RawFile f(path);
      std::vector<double> px(3 * 1 * 2 * 2);
      for (size_t i = 0; i < px.size(); ++i) px[i] = 0.25 * static_cast<double>(i);
      f.dataset("images", H5T_IEEE_F64LE, {3, 1, 2, 2}, H5T_NATIVE_DOUBLE, px.data());
      const std::vector<int32_t> ids = {2, 0, 1};
      f.dataset("labels", H5T_STD_I32LE, {3}, H5T_NATIVE_INT32, ids.data());
    }
    H5DatasetReader reader(path);
    CHECK(reader.task() == "classification");
    CHECK(reader.label_names().empty());
    CHECK(reader.stored_image_type() == "float64");
    Tensor x, y;
    reader.read({2, 0}, x, y);
    CHECK(x.dtype() == DType::F32);
    CHECK(x.to_vector<float>() == std::vector<float>{2, 2.25f, 2.5f, 2.75f, 0, 0.25f, 0.5f, 0.75f});
    CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{1, 2});
  }
  SECTION("uint8 images are scaled by 1 / 255; fixed-length string attributes") {
    const std::string path = dir.file("u8.h5");
    {
      RawFile f(path);
      const std::vector<uint8_t> px = {0, 51, 255, 1, 128, 254, 2, 3};
      f.dataset("images", H5T_STD_U8LE, {2, 1, 2, 2}, H5T_NATIVE_UINT8, px.data());
      f.floats("labels", {2, 1}, {0.5f, -1});
      f.string_attribute("task", "regression");
      f.int_attribute("astrocnn_format", 1);
    }
    const Dataset d = load_dataset(path);
    CHECK(d.task == "regression");
    CHECK(d.images.to_vector<float>() == std::vector<float>{0, 51 / 255.0f, 1, 1 / 255.0f,
                                                            128 / 255.0f, 254 / 255.0f, 2 / 255.0f,
                                                            3 / 255.0f});
    CHECK(d.labels.to_vector<float>() == std::vector<float>{0.5f, -1});
  }
}

// ---- bad files --------------------------------------------------------------------------

TEST_CASE("H5DatasetReader rejects bad files with clear errors", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("bad.h5");
  auto opening = [&] { H5DatasetReader reader(path); };

  SECTION("missing file") {
    CHECK_THROWS_WITH(opening(), Catch::Contains("bad.h5' does not exist"));
  }
  SECTION("a directory") {
    fs::create_directory(path);
    CHECK_THROWS_WITH(opening(), Catch::Contains("is a directory"));
  }
  SECTION("not an HDF5 file") {
    std::ofstream(path) << "P6\n2 2\n255\nthese are not the bytes of an HDF5 file";
    CHECK_THROWS_WITH(opening(), Catch::Contains("bad.h5' is not an HDF5 file"));
  }
  SECTION("truncated file") {
    write_dataset(numbered(50), dir.file("good.h5"));
    const std::string bytes = file_bytes(dir.file("good.h5"));
    std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size() / 2);
    CHECK_THROWS_WITH(opening(), Catch::Contains("bad.h5'") && Catch::Contains("truncated"));
  }
  SECTION("missing /images") {
    {
      RawFile f(path);
      f.floats("labels", {4, 1}, ramp(4));
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("object '/images'") && Catch::Contains("missing"));
  }
  SECTION("missing /labels") {
    {
      RawFile f(path);
      f.floats("images", {4, 1, 2, 2}, ramp(16));
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("object '/labels'") && Catch::Contains("missing"));
  }
  SECTION("/images is a group") {
    {
      RawFile f(path);
      H5Gclose(H5Gcreate2(f.id, "images", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      f.floats("labels", {4, 1}, ramp(4));
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("object '/images'") && Catch::Contains("group"));
  }
  SECTION("images of rank 3") {
    {
      RawFile f(path);
      f.floats("images", {4, 2, 2}, ramp(16));
      f.floats("labels", {4, 1}, ramp(4));
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("images must be 4-D [N, C, H, W], got [4,2,2]"));
  }
  SECTION("N differs between images and labels") {
    {
      RawFile f(path);
      f.floats("images", {4, 1, 2, 2}, ramp(16));
      f.floats("labels", {3, 1}, ramp(3));
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("/images has 4 rows but /labels has 3"));
  }
  SECTION("empty data set") {
    {
      RawFile f(path);
      f.floats("images", {0, 1, 2, 2}, {});
      f.floats("labels", {0, 1}, {});
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("the data set is empty"));
  }
  SECTION("unsupported image type") {
    {
      RawFile f(path);
      const std::vector<int16_t> px(16, 7);
      f.dataset("images", H5T_STD_I16LE, {4, 1, 2, 2}, H5T_NATIVE_INT16, px.data());
      f.floats("labels", {4, 1}, ramp(4));
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("unsupported element type int16") &&
                                     Catch::Contains("float32, float64 or uint8"));
  }
  SECTION("unsupported label type") {
    {
      RawFile f(path);
      f.floats("images", {4, 1, 2, 2}, ramp(16));
      hid_t str = H5Tcopy(H5T_C_S1);
      H5Tset_size(str, 4);
      f.dataset("labels", str, {4});
      H5Tclose(str);
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("unsupported element type string"));
  }
  SECTION("float labels of rank 1") {
    {
      RawFile f(path);
      f.floats("images", {4, 1, 2, 2}, ramp(16));
      f.floats("labels", {4}, ramp(4));
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("float labels must be 2-D [N, K]"));
  }
  SECTION("a task that contradicts the labels") {
    {
      RawFile f(path);
      f.floats("images", {4, 1, 2, 2}, ramp(16));
      f.floats("labels", {4, 1}, ramp(4));
      f.string_attribute("task", "classification");
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("task \"classification\" does not match"));
  }
  SECTION("a format from a newer astrocnn") {
    {
      RawFile f(path);
      f.floats("images", {4, 1, 2, 2}, ramp(16));
      f.floats("labels", {4, 1}, ramp(4));
      f.int_attribute("astrocnn_format", 9);
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("astrocnn_format 9 is not supported"));
  }
  SECTION("label names that do not match the label columns") {
    {
      RawFile f(path);
      f.floats("images", {4, 1, 2, 2}, ramp(16));
      f.floats("labels", {4, 2}, ramp(8));
      hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, 8);
      const hsize_t one = 1;
      hid_t space = H5Screate_simple(1, &one, nullptr);
      hid_t a = H5Acreate2(f.id, "label_names", type, space, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, type, "only_one");
      H5Aclose(a);
      H5Sclose(space);
      H5Tclose(type);
    }
    CHECK_THROWS_WITH(opening(), Catch::Contains("1 label_names for 2 label columns"));
  }
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("A NaN label is reported with its file and row when that row is read", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("nan.h5");
  write_small(path, {0, 1, std::numeric_limits<float>::quiet_NaN(), 3});
  H5DatasetReader reader(path);  // opening does not read the labels
  Tensor x, y;
  reader.read({3, 0, 1}, x, y);
  CHECK(y.to_vector<float>() == std::vector<float>{3, 0, 1});
  CHECK_THROWS_WITH(
      reader.read({1, 2}, x, y),
      Catch::Contains("nan.h5'") && Catch::Contains("row 2 holds a non-finite label"));

  // Class ids outside the named classes, likewise.
  const std::string ids_path = dir.file("ids.h5");
  Dataset d = numbered(6, true);
  write_dataset(d, ids_path);
  {
    hid_t f = H5Fopen(ids_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, "labels", H5P_DEFAULT);
    const std::vector<int64_t> ids = {0, 1, 2, 0, 7, 2};
    H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data());
    H5Dclose(ds);
    H5Fclose(f);
  }
  H5DatasetReader ids_reader(ids_path);
  ids_reader.read({0, 5}, x, y);
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{0, 2});
  CHECK_THROWS_WITH(ids_reader.read({4}, x, y),
                    Catch::Contains("row 4 has class id 7, outside [0, 3)"));
  CHECK_THROWS_WITH(load_dataset(ids_path), Catch::Contains("row 4 has class id 7"));
}

// ---- atomic writes --------------------------------------------------------------------

TEST_CASE("Failed writes leave the existing file untouched and no temporary", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("data.h5");
  write_dataset(numbered(10), path);
  const std::string before = file_bytes(path);
  auto untouched = [&] {
    CHECK(file_bytes(path) == before);
    CHECK_FALSE(fs::exists(path + ".tmp"));
  };

  SECTION("a failure while the temporary is being written") {
    CHECK_THROWS_WITH(([&] {
                        AtomicFile file(path);
                        file.write("the start of a new file");  // written, never committed
                        throw Error("simulated failure");
                      }()),
                      Catch::Contains("simulated failure"));
    untouched();
  }
  SECTION("a value that cannot be stored") {
    Dataset bad = numbered(4);
    bad.labels.data<float>()[0] = std::numeric_limits<float>::infinity();
    CHECK_THROWS(write_dataset(bad, path));
    untouched();
  }
  SECTION("a directory where the file should go is refused, not replaced") {
    const std::string target = dir.file("a_directory.h5");
    fs::create_directories(fs::path(target) / "inside");
    CHECK_THROWS_WITH(write_dataset(numbered(4), target), Catch::Contains("is a directory"));
    CHECK(fs::is_directory(fs::path(target) / "inside"));
    CHECK_FALSE(fs::exists(target + ".tmp"));
    untouched();
  }
  SECTION("a missing directory") {
    const std::string elsewhere = dir.file("no/such/dir/data.h5");
    CHECK_THROWS_WITH(
        write_dataset(numbered(4), elsewhere),
        Catch::Contains("no/such/dir") && Catch::Contains("does not exist"));
    CHECK_FALSE(fs::exists(elsewhere + ".tmp"));
    untouched();
  }
  SECTION("a stale temporary from a killed writer is replaced, a good write replaces the file") {
    std::ofstream(path + ".tmp") << "half a file";
    write_dataset(numbered(4, true), path);
    CHECK_FALSE(fs::exists(path + ".tmp"));
    CHECK(load_dataset(path).size() == 4);
  }
  CHECK(open_hdf5_objects() == 0);
}

// ---- StreamingBatchIterator -------------------------------------------------------------

TEST_CASE("StreamingBatchIterator gives BatchIterator's batches", "[hdf5]") {
  TempDir dir;
  const Dataset data = numbered(29, false, 2, 3, 3);
  const std::string path = dir.file("stream.h5");
  write_dataset(data, path, {ImageStorage::Float32, 3});
  auto reader = std::make_shared<const H5DatasetReader>(path);

  for (bool shuffle : {false, true})
    for (bool drop_last : {false, true})
      for (int64_t batch : {1, 4, 29, 40}) {
        INFO("shuffle " << shuffle << ", drop_last " << drop_last << ", batch " << batch);
        BatchIterator memory(data, batch, shuffle, 11, drop_last);
        StreamingBatchIterator stream(reader, batch, shuffle, 11, drop_last);
        CHECK(stream.batches_per_epoch() == memory.batches_per_epoch());
        for (int epoch = 0; epoch < 3; ++epoch) {
          CHECK(stream.order() == memory.order());
          require_same_epochs(run_epoch(stream), run_epoch(memory));
          CHECK(stream.epoch() == epoch + 1);
        }
      }

  SECTION("with noise") {
    BatchIterator memory(data, 8, true, 3);
    StreamingBatchIterator stream(std::make_shared<H5DatasetReader>(path), 8, true, 3);
    memory.set_noise(0.5, 1);
    stream.set_noise(0.5, 1);
    for (int epoch = 0; epoch < 2; ++epoch)
      require_same_epochs(run_epoch(stream), run_epoch(memory));
  }
  SECTION("over a subset of the rows, as for a train/validation split") {
    const std::vector<int64_t> rows = {3, 28, 0, 7, 7, 15, 22, 9, 1};
    BatchIterator memory(subset(data, rows), 4, true, 2);
    StreamingBatchIterator stream(reader, rows, 4, true, 2);
    CHECK(stream.size() == 9);
    for (int epoch = 0; epoch < 3; ++epoch)
      require_same_epochs(run_epoch(stream), run_epoch(memory));
  }
}

TEST_CASE("StreamingBatchIterator covers every sample once per epoch", "[hdf5]") {
  TempDir dir;
  const Dataset data = numbered(50, true, 1, 2, 2);
  const std::string path = dir.file("cover.h5");
  write_dataset(data, path);
  StreamingBatchIterator stream(std::make_shared<H5DatasetReader>(path), 7, true, 99);
  std::vector<int64_t> previous;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> seen;
    std::vector<int64_t> sizes;
    Tensor x, y;
    while (stream.next(x, y)) {
      sizes.push_back(x.size(0));
      const std::vector<float> px = x.to_vector<float>();
      const std::vector<int64_t> ids = y.to_vector<int64_t>();
      for (int64_t b = 0; b < x.size(0); ++b) {
        const int64_t sample = std::lround(px[b * 4]);  // pixel 0 of image i is i
        CHECK(ids[b] == sample % 3);                    // its label travelled with it
        seen.push_back(sample);
      }
    }
    CHECK(sizes == std::vector<int64_t>{7, 7, 7, 7, 7, 7, 7, 1});
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> expected(50);
    std::iota(expected.begin(), expected.end(), int64_t{0});
    CHECK(sorted == expected);
    CHECK(seen != previous);  // a new order each epoch
    previous = seen;
  }
}

TEST_CASE("StreamingBatchIterator stops cleanly and restarts", "[hdf5]") {
  TempDir dir;
  const Dataset data = numbered(40);
  const std::string path = dir.file("stop.h5");
  write_dataset(data, path);
  auto reader = std::make_shared<const H5DatasetReader>(path);
  Tensor x, y;
  { StreamingBatchIterator idle(reader, 4, true, 1); }  // destroyed while prefetching
  for (int i = 0; i < 3; ++i) {
    StreamingBatchIterator stream(reader, 2, false, 1);
    REQUIRE(stream.next(x, y));
    CHECK(same_bytes(x, subset(data, {0, 1}).images));
  }  // destroyed mid-epoch, with batches queued

  StreamingBatchIterator stream(reader, 5, false, 1);
  stream.next(x, y);
  stream.next(x, y);
  stream.reset(0);  // mid-epoch restart
  REQUIRE(stream.next(x, y));
  CHECK(same_bytes(y, subset(data, {0, 1, 2, 3, 4}).labels));
  stream.reset(4);
  CHECK(stream.epoch() == 4);
}

TEST_CASE("StreamingBatchIterator rethrows read errors from next()", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("broken.h5");
  std::vector<float> labels(12, 1.0f);
  labels[6] = std::numeric_limits<float>::quiet_NaN();
  {
    RawFile f(path);
    f.floats("images", {12, 1, 1, 2}, ramp(24));
    f.floats("labels", {12, 1}, labels);
  }
  StreamingBatchIterator stream(std::make_shared<H5DatasetReader>(path), 4, false, 0);
  Tensor x, y;
  REQUIRE(stream.next(x, y));  // rows 0-3
  CHECK(y.to_vector<float>() == std::vector<float>{1, 1, 1, 1});
  CHECK_THROWS_WITH(stream.next(x, y), Catch::Contains("broken.h5'") && Catch::Contains("row 6"));
  CHECK_THROWS_WITH(stream.next(x, y), Catch::Contains("row 6"));  // stays failed
  CHECK(y.to_vector<float>() == std::vector<float>{1, 1, 1, 1});   // outputs untouched
  stream.reset(0);
  REQUIRE(stream.next(x, y));  // the good rows read again
  CHECK(x.to_vector<float>()[0] == 0.0f);
}

TEST_CASE("HDF5 readers close everything they open", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("close.h5");
  write_small(path, {0, 1, std::numeric_limits<float>::quiet_NaN(), 3});
  {
    StreamingBatchIterator stream(std::make_shared<H5DatasetReader>(path), 2, false, 0);
    Tensor x, y;
    REQUIRE(stream.next(x, y));
    CHECK(open_hdf5_objects() > 0);  // the file is open while the iterator lives
    CHECK_THROWS(stream.next(x, y));
  }
  CHECK(open_hdf5_objects() == 0);
  CHECK_THROWS(load_dataset(path));  // the error leaves nothing open either
  CHECK(open_hdf5_objects() == 0);
}

TEST_CASE("StreamingBatchIterator rejects bad arguments", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("args.h5");
  write_small(path);
  auto reader = std::make_shared<const H5DatasetReader>(path);
  CHECK_THROWS_WITH(StreamingBatchIterator(reader, 0, false, 0),
                    Catch::Contains("batch_size must be >= 1, got 0"));
  CHECK_THROWS_WITH(StreamingBatchIterator(reader, std::vector<int64_t>{}, 2, false, 0),
                    Catch::Contains("the list of rows is empty"));
  CHECK_THROWS_WITH(StreamingBatchIterator(reader, std::vector<int64_t>{0, 4}, 2, false, 0),
                    Catch::Contains("row 4 is outside [0, 4)"));
  CHECK_THROWS_WITH(StreamingBatchIterator(std::shared_ptr<const H5DatasetReader>(), 2, false, 0),
                    Catch::Contains("reader is null"));
  CHECK_THROWS_WITH(
      StreamingBatchIterator(std::make_shared<H5DatasetReader>(dir.file("none.h5")), 2, false, 0),
      Catch::Contains("does not exist"));
  StreamingBatchIterator stream(reader, 2, false, 0);
  CHECK_THROWS_WITH(stream.set_noise(-1), Catch::Contains("sigma must be >= 0"));
  CHECK_THROWS_WITH(stream.set_noise(1, 2), Catch::Contains("noise channels 2 is outside [0, 1]"));
}

// ---- non-finite pixels (RowReader::read with H5DatasetReader::image_origin) ----

TEST_CASE("A NaN or infinite pixel is reported with its file, row, channel, y and x", "[hdf5]") {
  TempDir dir;
  const std::string path = dir.file("pixels.h5");
  std::vector<float> px = ramp(5 * 2 * 3 * 2);
  auto at = [](int64_t row, int64_t channel, int64_t y, int64_t x) {
    return static_cast<size_t>(((row * 2 + channel) * 3 + y) * 2 + x);
  };
  px[at(3, 1, 2, 0)] = std::numeric_limits<float>::quiet_NaN();
  px[at(4, 0, 0, 1)] = -std::numeric_limits<float>::infinity();
  px[at(1, 1, 1, 1)] = std::numeric_limits<float>::max();  // the largest finite pixels are read
  px[at(2, 0, 0, 0)] = -std::numeric_limits<float>::max();
  {
    RawFile f(path);
    f.floats("images", {5, 2, 3, 2}, px);
    f.floats("labels", {5, 1}, ramp(5));
  }
  {
    H5DatasetReader reader(path);  // opening reads no pixels
    Tensor x, y;
    reader.read({2, 0, 1}, x, y);
    CHECK(x.to_vector<float>()[0] == -std::numeric_limits<float>::max());
    CHECK_THROWS_WITH(reader.read({0, 3}, x, y),
                      Catch::StartsWith("HDF5 file '" + path + "', object '/images': row 3 holds a "
                                        "non-finite pixel (nan at channel 1, y 2, x 0)"));
    CHECK_THROWS_WITH(reader.read({4}, x, y),
                      Catch::StartsWith("HDF5 file '" + path + "', object '/images': row 4 holds a "
                                        "non-finite pixel (-inf at channel 0, y 0, x 1)"));
  }
  CHECK(open_hdf5_objects() == 0);
}

#endif  // ASTROCNN_HAVE_HDF5
