// What readers refuse in what a file declares or holds, and what they still
// take at the edge of each limit:
// - RowReader::read (io/readers/row_reader.h): a NaN or infinite pixel is an Error
//   naming the file, the object, the row, the channel, y and x;
// - open_data_files (io/readers/data_files.h): at most 2^26 values per image, 2^31
//   images, kMaxClasses classes and label columns; --split only for obiwan
//   shards, and never against a shard's own name;
// - DeepGalaxy's times (io/hdf5/deepgalaxy_reader.h): finite, within
//   +-1e12 Myr, and at most kMaxClasses time bins for --dg-labels time.
// The hostile files are written here, small: declared HDF5 data sets are
// chunked and never written, so they take a few kilobytes on disk.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "io/readers/data_files.h"
#include "io/batches/dataset.h"
#include "io/readers/npy.h"
#include "io/readers/obiwan_shards.h"
#include "io/readers/row_reader.h"
#include "temp_dir.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include <hdf5.h>

#include "io/hdf5/deepgalaxy_reader.h"
#endif

using namespace astrocnn;
using testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A data set held in memory as a RowReader, source "memory": the smallest
// format, to check what RowReader::read itself does with the rows it is given.
class MemoryReader final : public RowReader {
 public:
  explicit MemoryReader(Dataset data) : data_(std::move(data)) {
    info_.source = "memory";
    info_.format = "test";
    info_.rows = data_.size();
    const Shape& s = data_.images.shape();
    info_.image_shape = {s[1], s[2], s[3]};
    info_.class_labels = true;
    info_.label_names = data_.label_names;
    info_.task = "classification";
  }
  const RowSetInfo& info() const override { return info_; }

 protected:
  void read_sorted(const std::vector<int64_t>& rows, Tensor& images, Tensor& labels) const override {
    const Dataset part = subset(data_, rows);
    images.copy_from(part.images);
    labels.copy_from(part.labels);
  }

 private:
  Dataset data_;
  RowSetInfo info_;
};

// Three images [2, 3, 4] of zeros, class 0, with `pixels` set: {row, channel, y, x, value}.
struct Pixel {
  int64_t row, channel, y, x;
  float value;
};
MemoryReader memory_images(const std::vector<Pixel>& pixels) {
  std::vector<float> px(3 * 2 * 3 * 4, 0.0f);
  for (const Pixel& p : pixels) px[((p.row * 2 + p.channel) * 3 + p.y) * 4 + p.x] = p.value;
  Dataset d;
  d.images = Tensor::from_vector(px, {3, 2, 3, 4});
  d.labels = Tensor::from_vector(std::vector<int64_t>{0, 0, 0}, {3});
  d.label_names = {"only"};
  d.task = "classification";
  return MemoryReader(std::move(d));
}

std::string read_error(const RowReader& reader, const std::vector<int64_t>& rows) {
  Tensor x, y;
  try {
    reader.read(rows, x, y);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

// ---- non-finite pixels -------------------------------------------------------------

TEST_CASE("RowReader::read names the row, channel, y and x of a non-finite pixel",
          "[reader_limits]") {
  const MemoryReader nan = memory_images({{1, 1, 2, 3, kNaN}});
  // The rows read are checked, and only those.
  CHECK(read_error(nan, {0, 2, 0}) == "no error");
  CHECK_THAT(read_error(nan, {2, 1}),
             Catch::StartsWith("'memory': row 1 holds a non-finite pixel (nan at channel 1, y 2, "
                               "x 3); replace NaN or masked pixels (e.g. by 0)"));
  CHECK_THAT(read_error(memory_images({{0, 0, 0, 0, kInf}}), {0}),
             Catch::StartsWith("'memory': row 0 holds a non-finite pixel (inf at channel 0, y 0, x 0)"));
  CHECK_THAT(read_error(memory_images({{2, 0, 1, 0, -kInf}}), {0, 1, 2}),
             Catch::StartsWith("'memory': row 2 holds a non-finite pixel (-inf at channel 0, y 1, x 0)"));
  // Through read_labels too: it reads the rows to give their labels.
  CHECK_THROWS_WITH(nan.read_labels({1}), Catch::Contains("'memory': row 1 holds a non-finite pixel"));
}

TEST_CASE("RowReader::read takes the extreme finite pixels", "[reader_limits]") {
  const float largest = std::numeric_limits<float>::max();
  const float tiniest = std::numeric_limits<float>::denorm_min();
  const MemoryReader reader =
      memory_images({{0, 0, 0, 0, largest}, {0, 1, 2, 3, -largest}, {1, 0, 1, 1, tiniest}});
  Tensor x, y;
  reader.read({0, 1, 2}, x, y);
  const std::vector<float> px = x.to_vector<float>();
  CHECK(px[0] == largest);
  CHECK(px[23] == -largest);
  CHECK(px[24 + 5] == tiniest);
}

TEST_CASE("obiwan shards: a non-finite pixel is named in its shard, channels as read",
          "[reader_limits]") {
  TempDir dir;
  // Two shards of 3 cutouts [h 2, w 3, c 4], channels last as obiwan stores them.
  for (int shard : {1, 2}) {
    std::vector<float> x(3 * 2 * 3 * 4, 0.5f);
    if (shard == 2) x[((1 * 2 + 0) * 3 + 2) * 4 + 3] = kNaN;  // row 1, h 0, w 2, c 3
    const std::vector<double> y = {0, 1, 0};
    const std::string tail = "train_" + std::to_string(shard) + ".npy";
    write_npy(dir.file("x" + tail), NpyType::F32, {3, 2, 3, 4}, x.data());
    write_npy(dir.file("y" + tail), NpyType::F64, {3}, y.data());
  }
  ObiwanShardReader reader(dir.path.string());
  CHECK(read_error(reader, {0, 1, 2, 3, 5}) == "no error");
  CHECK_THAT(read_error(reader, {4}),
             Catch::StartsWith("npy file '" + dir.file("xtrain_2.npy") +
                               "': row 1 (row 4 of the data set) holds a non-finite pixel "
                               "(nan at channel 3, y 0, x 2)"));
}

// ---- --split, only for obiwan shards --------------------------------------------------

TEST_CASE("Data files: --split is refused for formats that do not take it", "[reader_limits]") {
  TempDir dir;
  DataFileOptions test;
  test.split = "test";
  // A FITS directory and a labels CSV: refused before any image is opened.
  std::ofstream(dir.file("labels.csv")) << "filename,class\na.fits,0\n";
  CHECK_THROWS_WITH(open_data_files(dir.path.string(), test),
                    Catch::Contains("--split applies to obiwan shards, but '" + dir.path.string() +
                                    "' is a directory of FITS images"));
  CHECK_THROWS_WITH(open_data_files(dir.file("labels.csv"), test),
                    Catch::Contains("--split applies to obiwan shards, but '" +
                                    dir.file("labels.csv") + "' is a labels CSV"));
  // The command's default split is not --split: it is no error with another format.
  DataFileOptions eval_defaults;
  eval_defaults.default_split = "test";
  CHECK_THROWS_WITH(open_data_files(dir.file("labels.csv"), eval_defaults),
                    !Catch::Contains("--split"));
}

TEST_CASE("Data files: --split selects obiwan shards, and may only repeat a shard's own split",
          "[reader_limits]") {
  TempDir dir;
  const std::vector<float> x(2 * 2 * 2 * 1, 0.25f), x3(3 * 2 * 2 * 1, 0.25f);
  const std::vector<double> y = {0, 1}, y3 = {1, 0, 1};
  write_npy(dir.file("xtrain_1.npy"), NpyType::F32, {2, 2, 2, 1}, x.data());
  write_npy(dir.file("ytrain_1.npy"), NpyType::F64, {2}, y.data());
  write_npy(dir.file("xtest_1.npy"), NpyType::F32, {3, 2, 2, 1}, x3.data());
  write_npy(dir.file("ytest_1.npy"), NpyType::F64, {3}, y3.data());
  const std::string shards = dir.path.string(), train = dir.file("xtrain_1.npy");

  DataFileOptions o;
  CHECK(open_data_files(shards, o)->size() == 2);  // the default split: train
  o.default_split = "test";                         // eval's and predict's default
  CHECK(open_data_files(shards, o)->size() == 3);
  o.split = "train";  // --split overrides the default
  CHECK(open_data_files(shards, o)->size() == 2);

  // One shard is of the split its name says: --split may repeat it, not contradict it.
  CHECK(open_data_files(train, o)->size() == 2);
  o.split.clear();
  CHECK(open_data_files(train, o)->size() == 2);  // a default of test does not contradict it
  o.split = "test";
  CHECK_THROWS_WITH(open_data_files(train, o),
                    Catch::Contains("--split test contradicts the shard '" + train +
                                    "' (its name says its split)"));
  o.split = "train";
  CHECK_THROWS_WITH(open_data_files(dir.file("ytest_1.npy"), o),
                    Catch::Contains("--split train contradicts the shard '" + dir.file("ytest_1.npy")));
}

#if defined(ASTROCNN_HAVE_HDF5)

namespace {

// An HDF5 file written with the C API, closed at the end of its scope.
struct H5Writer {
  hid_t id;
  explicit H5Writer(const std::string& path)
      : id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {
    REQUIRE(id >= 0);
  }
  ~H5Writer() { H5Fclose(id); }

  void write(hid_t where, const std::string& name, hid_t file_type, hid_t memory_type,
             const std::vector<hsize_t>& dims, const void* data) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(where, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    REQUIRE(d >= 0);
    REQUIRE(H5Dwrite(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(space);
  }
  // A data set that declares `dims` (none 0) but is never written: chunked,
  // so the file holds no data whatever it declares.
  void declare(const char* name, hid_t file_type, const std::vector<hsize_t>& dims) {
    declare(id, name, file_type, dims);
  }
  void declare(hid_t where, const char* name, hid_t file_type, const std::vector<hsize_t>& dims) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    REQUIRE(space >= 0);
    std::vector<hsize_t> chunk;
    for (hsize_t d : dims) chunk.push_back(std::min<hsize_t>(d, 64));
    hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    REQUIRE(H5Pset_chunk(create, static_cast<int>(chunk.size()), chunk.data()) >= 0);
    hid_t d = H5Dcreate2(where, name, file_type, space, H5P_DEFAULT, create, H5P_DEFAULT);
    REQUIRE(d >= 0);
    H5Dclose(d);
    H5Pclose(create);
    H5Sclose(space);
  }
};

// A native file declaring images [N, C, H, W] float32 and float labels [N, K].
void declare_native(const std::string& path, const std::vector<hsize_t>& images,
                    hsize_t label_columns = 1) {
  H5Writer f(path);
  f.declare("images", H5T_IEEE_F32LE, images);
  f.declare("labels", H5T_IEEE_F32LE, {images[0], label_columns});
}

// A DeepGalaxy file with one simulation, s_1_m_1, and one camera per entry
// of `times` (float64, Myr): images_camera_NN float32 [T, 1, 2] of 0.5,
// except the pixels `nan_at` {camera, snapshot, x} which are NaN.
void write_deepgalaxy(const std::string& path, const std::vector<std::vector<double>>& times,
                      const std::vector<std::vector<int64_t>>& nan_at = {}) {
  H5Writer f(path);
  hid_t group = H5Gcreate2(f.id, "s_1_m_1", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(group >= 0);
  for (size_t c = 0; c < times.size(); ++c) {
    const hsize_t t = times[c].size();
    std::vector<float> px(t * 2, 0.5f);
    for (const auto& at : nan_at)
      if (at[0] == static_cast<int64_t>(c)) px[at[1] * 2 + at[2]] = kNaN;
    const std::string camera = (c < 10 ? "0" : "") + std::to_string(c);
    f.write(group, "images_camera_" + camera, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {t, 1, 2},
            px.data());
    f.write(group, "t_myr_camera_" + camera, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {t},
            times[c].data());
  }
  H5Gclose(group);
}

DataFileOptions dg_options(const std::string& labels, int64_t cameras = 1) {
  DataFileOptions o;
  o.dg_labels = labels;
  o.num_camera = cameras;
  return o;
}

// Times 0, 5, 10, ... Myr: one 5-Myr bin each.
std::vector<double> every_5_myr(size_t n) {
  std::vector<double> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = 5.0 * static_cast<double>(i);
  return t;
}

}  // namespace

TEST_CASE("A DeepGalaxy non-finite pixel is named with its camera's object and snapshot",
          "[reader_limits]") {
  TempDir dir;
  const std::string path = dir.file("dg.hdf5");
  write_deepgalaxy(path, {every_5_myr(3), every_5_myr(3)}, {{1, 2, 1}});
  auto reader = open_data_files(path, dg_options("time-camera", 2));
  REQUIRE(reader->size() == 6);
  CHECK(read_error(*reader, {0, 1, 2, 3, 4}) == "no error");
  CHECK_THAT(read_error(*reader, {5}),
             Catch::StartsWith("HDF5 file '" + path + "', object '/s_1_m_1/images_camera_01': "
                               "row 2 holds a non-finite pixel (nan at channel 0, y 0, x 1)"));
}

TEST_CASE("Data files: --split is refused for HDF5 files", "[reader_limits]") {
  TempDir dir;
  const std::string native = dir.file("native.h5"), dg = dir.file("dg.hdf5");
  declare_native(native, {2, 1, 2, 2});
  write_deepgalaxy(dg, {every_5_myr(2)});
  DataFileOptions native_options, dg_split = dg_options("time-camera");
  native_options.split = dg_split.split = "train";
  CHECK_THROWS_WITH(open_data_files(native, native_options),
                    Catch::Contains("--split applies to obiwan shards, but '" + native +
                                    "' is a native astrocnn HDF5 file"));
  CHECK_THROWS_WITH(open_data_files(dg, dg_split),
                    Catch::Contains("--split applies to obiwan shards, but '" + dg +
                                    "' is a DeepGalaxy file"));
  // The command's default split alone is no error.
  native_options.split.clear();
  dg_split.split.clear();
  native_options.default_split = dg_split.default_split = "test";
  CHECK(open_data_files(native, native_options)->size() == 2);
  CHECK(open_data_files(dg, dg_split)->size() == 2);
}

// ---- declared sizes ------------------------------------------------------------------

TEST_CASE("Data sets may declare up to 2^26 values per image, not more", "[reader_limits]") {
  TempDir dir;
  const std::string edge = dir.file("edge.h5"), over = dir.file("over.h5");
  declare_native(edge, {2, 1, 8192, 8192});  // 2^26 values: 256 MiB of float32 per image
  CHECK(open_data_files(edge)->image_shape() == Shape{1, 8192, 8192});
  declare_native(over, {2, 1, 8192, 8193});
  CHECK_THROWS_WITH(open_data_files(over),
                    Catch::Contains("'" + over + "' (native HDF5) declares images of "
                                    "[1,8192,8193] (channels, height, width), more than the "
                                    "67108864 values astrocnn takes per image"));
  // The hostile file of tests/cli/hostile_inputs.sh: 2^40 images of 2^40 pixels.
  const std::string huge = dir.file("huge.h5");
  declare_native(huge, {hsize_t{1} << 40, 1, 1 << 20, 1 << 20});
  CHECK_THROWS_WITH(open_data_files(huge),
                    Catch::Contains("declares images of [1,1048576,1048576]"));
}

TEST_CASE("Data sets may declare up to 2^31 images, not more", "[reader_limits]") {
  TempDir dir;
  const std::string edge = dir.file("edge.h5"), over = dir.file("over.h5");
  declare_native(edge, {hsize_t{1} << 31, 1, 2, 2});
  CHECK(open_data_files(edge)->size() == int64_t{1} << 31);
  declare_native(over, {(hsize_t{1} << 31) + 1, 1, 2, 2});
  CHECK_THROWS_WITH(open_data_files(over),
                    Catch::Contains("'" + over + "' (native HDF5) declares 2147483649 images, "
                                    "more than the 2147483648 astrocnn reads from one data set"));
}

TEST_CASE("Data sets may have up to 65536 label columns, not more", "[reader_limits]") {
  TempDir dir;
  const std::string edge = dir.file("edge.h5"), over = dir.file("over.h5");
  declare_native(edge, {4, 1, 2, 2}, 65536);
  CHECK(open_data_files(edge)->labels_shape() == Shape{4, 65536});
  declare_native(over, {4, 1, 2, 2}, 65537);
  CHECK_THROWS_WITH(open_data_files(over),
                    Catch::Contains("'" + over + "' (native HDF5) has 65537 label columns "
                                    "(1 to 65536 are read)"));
}

TEST_CASE("Data sets may name up to 65536 classes, not more", "[reader_limits]") {
  TempDir dir;
  // DeepGalaxy's time-camera classes are the distinct "<bin>_<camera>" of its
  // snapshots: one class per snapshot here.
  const std::string edge = dir.file("edge.hdf5"), over = dir.file("over.hdf5");
  write_deepgalaxy(edge, {every_5_myr(65536)});
  CHECK(open_data_files(edge, dg_options("time-camera"))->label_names().size() == 65536);
  write_deepgalaxy(over, {every_5_myr(65537)});
  CHECK_THROWS_WITH(open_data_files(over, dg_options("time-camera")),
                    Catch::Contains("'" + over + "' (DeepGalaxy HDF5) names 65537 classes, more "
                                    "than the 65536 astrocnn builds a model for"));
}

// ---- DeepGalaxy's times ---------------------------------------------------------------

TEST_CASE("DeepGalaxy times must be finite and within 1e12 Myr", "[reader_limits]") {
  TempDir dir;
  const std::string path = dir.file("dg.hdf5");
  // The edges are taken: each is one class of time-camera labels.
  write_deepgalaxy(path, {{-1e12, 0, 1e12}});
  CHECK(open_data_files(path, dg_options("time-camera"))->label_names().size() == 3);

  auto refused = [&](double time, const std::string& shown) {
    write_deepgalaxy(path, {{0, 5, time}});
    INFO("time " << time);
    CHECK_THROWS_WITH(open_data_files(path, dg_options("time-camera")),
                      Catch::Contains("HDF5 file '" + path + "', object '/s_1_m_1/t_myr_camera_00': "
                                      "row 2 holds the time " + shown +
                                      " Myr (times must be finite, within +-1e12 Myr)"));
  };
  refused(1.000001e12, "1000001000000.000000");
  refused(-1.000001e12, "-1000001000000.000000");
  refused(1e300, std::to_string(1e300));
  refused(-INFINITY, "-inf");
  refused(std::nan(""), "nan");
}

TEST_CASE("DeepGalaxy times are read whole only up to 2^24 snapshots a camera",
          "[reader_limits]") {
  TempDir dir;
  const std::string path = dir.file("dg.hdf5");
  const hsize_t snapshots = (hsize_t{1} << 24) + 1;
  {
    H5Writer f(path);
    hid_t group = H5Gcreate2(f.id, "s_1_m_1", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(group >= 0);
    f.declare(group, "images_camera_00", H5T_IEEE_F32LE, {snapshots, 1, 2});
    f.declare(group, "t_myr_camera_00", H5T_IEEE_F64LE, {snapshots});
    H5Gclose(group);
  }
  CHECK_THROWS_WITH(open_data_files(path, dg_options("time-camera")),
                    Catch::Contains("HDF5 file '" + path + "', object '/s_1_m_1/t_myr_camera_00': "
                                    "declares 16777217 snapshots, more than the 16777216 astrocnn "
                                    "reads per camera"));
}

TEST_CASE("DeepGalaxy --dg-labels time gives at most 65536 time bins", "[reader_limits]") {
  TempDir dir;
  const std::string edge = dir.file("edge.hdf5"), over = dir.file("over.hdf5"),
                    widest = dir.file("widest.hdf5");
  write_deepgalaxy(edge, {{0, 5 * 65535.0}});  // bins 0 and 65535: classes 0 .. 65535
  auto reader = open_data_files(edge, dg_options("time"));
  CHECK(reader->label_names().size() == 65536);
  CHECK(reader->read_labels({0, 1}).to_vector<int64_t>() == std::vector<int64_t>{0, 65535});

  write_deepgalaxy(over, {{0, 5 * 65536.0}});
  CHECK_THROWS_WITH(open_data_files(over, dg_options("time")),
                    Catch::Contains("DeepGalaxy file '" + over + "': --dg-labels time gives 65537 "
                                    "time bins (5 Myr each), more than the 65536 classes"));
  // The widest times taken: 4e11 bins apart, refused as classes, not allocated.
  write_deepgalaxy(widest, {{-1e12, 1e12}});
  CHECK_THROWS_WITH(open_data_files(widest, dg_options("time")),
                    Catch::Contains("gives 400000000001 time bins"));
}

#endif  // ASTROCNN_HAVE_HDF5
