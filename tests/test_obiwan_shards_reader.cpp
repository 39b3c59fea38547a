// obiwan's .npy shards (io/readers/obiwan_shards.h), written here in the layout of
// obiwan's split_testtrain.py: testtrain/<bri>/<brick>/xtrain_N.npy float32
// [n, H, W, C] channels last, ytrain_N.npy float64 [n] of 0 (real) / 1 (fake).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/readers/data_files.h"
#include "io/readers/npy.h"
#include "io/readers/obiwan_shards.h"
#include "reader_checks.h"
#include "temp_dir.h"

using namespace astrocnn;
using namespace astrocnn::testing;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kH = 3, kW = 2, kC = 6;  // tiny cutouts, obiwan's 6 channels

// Sample i has pixel (h, w, c) = i + c / 10 + (h * kW + w) / 1000 and label i % 2.
float pixel(int64_t i, int64_t h, int64_t w, int64_t c) {
  return static_cast<float>(i + c / 10.0 + (h * kW + w) / 1000.0);
}

// Writes samples [first, first + n) as shard `number` of `split` in `dir`.
void write_shard(const fs::path& dir, const std::string& split, int number, int64_t first,
                 int64_t n) {
  fs::create_directories(dir);
  std::vector<float> x;
  std::vector<double> y;
  for (int64_t i = first; i < first + n; ++i) {
    for (int64_t h = 0; h < kH; ++h)
      for (int64_t w = 0; w < kW; ++w)
        for (int64_t c = 0; c < kC; ++c) x.push_back(pixel(i, h, w, c));
    y.push_back(static_cast<double>(i % 2));
  }
  const std::string tail = split + "_" + std::to_string(number) + ".npy";
  write_npy((dir / ("x" + tail)).string(), NpyType::F32, {n, kH, kW, kC}, x.data());
  write_npy((dir / ("y" + tail)).string(), NpyType::F64, {n}, y.data());
}

// Samples [first, first + n) in memory, channels first, as the reader gives them.
Dataset expected(int64_t first, int64_t n) {
  std::vector<float> px;
  std::vector<int64_t> ids;
  for (int64_t i = first; i < first + n; ++i) {
    for (int64_t c = 0; c < kC; ++c)
      for (int64_t h = 0; h < kH; ++h)
        for (int64_t w = 0; w < kW; ++w) px.push_back(pixel(i, h, w, c));
    ids.push_back(i % 2);
  }
  return class_dataset(px, {n, kC, kH, kW}, ids, {"real", "fake"});
}

}  // namespace

TEST_CASE("obiwan shards: a directory of shards is one data set, channels first", "[obiwan]") {
  TempDir dir;
  // Two bricks, shards of 5, 4 and 3 examples, found at any depth and
  // ordered by directory, then shard number (10 after 2).
  const fs::path brick_a = dir.path / "testtrain" / "121" / "1211p060";
  const fs::path brick_b = dir.path / "testtrain" / "121" / "1211p077";
  write_shard(brick_a, "train", 1, 0, 5);
  write_shard(brick_a, "train", 2, 5, 4);
  write_shard(brick_a, "train", 10, 9, 3);
  write_shard(brick_b, "train", 1, 12, 2);
  write_shard(brick_a, "test", 1, 100, 3);
  write_shard(brick_b, "test", 1, 103, 1);

  auto train = std::make_shared<ObiwanShardReader>(dir.path.string());
  CHECK(train->shards().size() == 4);
  CHECK(train->info().format == "obiwan .npy shards (train)");
  check_reads_like(*train, expected(0, 14));
  check_streams_like(train, expected(0, 14));

  auto test = std::make_shared<ObiwanShardReader>(dir.path.string(), "test");
  check_reads_like(*test, expected(100, 4));

  // One shard alone.
  ObiwanShardReader one((brick_a / "xtrain_2.npy").string());
  check_reads_like(one, expected(5, 4));

  // What -f finds: the directory, a shard; --split picks the test shards.
  CHECK(open_data_files(dir.path.string())->info().format == "obiwan .npy shards (train)");
  DataFileOptions o;
  o.split = "test";
  CHECK(open_data_files(dir.path.string(), o)->size() == 4);
  CHECK(open_data_files((brick_b / "xtest_1.npy").string())->info().format ==
        "obiwan .npy shard (test)");
  o.num_camera = 3;
  CHECK_THROWS_WITH(open_data_files(dir.path.string(), o),
                    Catch::Contains("--num-camera applies to DeepGalaxy files") &&
                        Catch::Contains("is a directory of obiwan shards"));
  CHECK_THROWS_WITH(open_data_files((brick_b / "ytest_1.npy").string()),
                    Catch::Contains("is not a shard (xtrain_N.npy or xtest_N.npy)"));
  fs::create_directories(dir.path / "empty");
  CHECK_THROWS_WITH(open_data_files((dir.path / "empty").string()),
                    Catch::Contains("is a directory without labels.csv") &&
                        Catch::Contains("without obiwan shards"));
}

TEST_CASE("obiwan shards: only the shards holding the requested rows are read", "[obiwan]") {
  TempDir dir;
  // 40 shards of 3 examples: a data set streamed shard by shard.
  for (int s = 0; s < 40; ++s) write_shard(dir.path, "train", s + 1, 3 * s, 3);
  auto reader = std::make_shared<ObiwanShardReader>(dir.path.string());
  REQUIRE(reader->size() == 120);
  check_streams_like(reader, expected(0, 120));

  // Remove every shard but shard 3 (rows 6-8): its rows still read, and a
  // row elsewhere fails naming the shard that holds it.
  for (int s = 0; s < 40; ++s)
    if (s + 1 != 3) {
      fs::remove(dir.path / ("xtrain_" + std::to_string(s + 1) + ".npy"));
      fs::remove(dir.path / ("ytrain_" + std::to_string(s + 1) + ".npy"));
    }
  Tensor x, y;
  reader->read({8, 6, 7}, x, y);
  const Dataset want = subset(expected(0, 120), {8, 6, 7});
  CHECK(same_bytes(x, want.images));
  CHECK(same_bytes(y, want.labels));
  CHECK_THROWS_WITH(reader->read({5}, x, y), Catch::Contains("xtrain_2.npy"));
}

TEST_CASE("obiwan shards: uint8 shards and obiwan's empty last shard", "[obiwan]") {
  TempDir dir;
  const std::vector<uint8_t> x = {0, 51, 255, 102, 0, 0, 0, 0};  // [2, 2, 1, 2]
  const std::vector<int64_t> y = {1, 0};
  write_npy(dir.file("xtrain_1.npy"), NpyType::U8, {2, 2, 1, 2}, x.data());
  write_npy(dir.file("ytrain_1.npy"), Tensor::from_vector(y, {2}));
  // split_testtrain.py writes a shape (0,) shard when the examples divide evenly.
  write_npy(dir.file("xtrain_2.npy"), NpyType::F32, {0}, nullptr);
  write_npy(dir.file("ytrain_2.npy"), NpyType::F64, {0}, nullptr);
  ObiwanShardReader reader(dir.path.string());
  REQUIRE(reader.size() == 2);
  CHECK(reader.image_shape() == Shape{2, 2, 1});
  Tensor images, labels;
  reader.read({0, 1}, images, labels);
  // [h, w, c] = [2, 1, 2] -> channel 0: 0, 255; channel 1: 51, 102 (as value / 255).
  CHECK(images.to_vector<float>() == std::vector<float>{0, 1, 0.2f, 0.4f, 0, 0, 0, 0});
  CHECK(labels.to_vector<int64_t>() == y);
}

TEST_CASE("obiwan shards: bad shards give one clear error naming the file", "[obiwan]") {
  TempDir dir;
  auto opening = [&](const fs::path& path, const std::string& split = "train") {
    ObiwanShardReader reader(path.string(), split);
  };
  SECTION("x without y, y without x") {
    write_shard(dir.path, "train", 1, 0, 2);
    fs::remove(dir.path / "ytrain_1.npy");
    CHECK_THROWS_WITH(opening(dir.path),
                      Catch::Contains("xtrain_1.npy' has no matching 'ytrain_1.npy'"));
    write_shard(dir.path, "train", 1, 0, 2);
    fs::remove(dir.path / "xtrain_1.npy");
    CHECK_THROWS_WITH(opening(dir.path),
                      Catch::Contains("ytrain_1.npy' has no matching 'xtrain_1.npy'"));
  }
  SECTION("x and y of different lengths, images of another shape") {
    write_shard(dir.path, "train", 1, 0, 3);
    const std::vector<double> two = {0, 1};
    write_npy((dir.path / "ytrain_1.npy").string(), NpyType::F64, {2}, two.data());
    CHECK_THROWS_WITH(opening(dir.path),
                      Catch::Contains("holds 3 images but") && Catch::Contains("holds 2 labels"));
    write_shard(dir.path, "train", 1, 0, 3);
    const std::vector<float> other(2 * 4 * 4 * 6);
    write_npy((dir.path / "xtrain_2.npy").string(), NpyType::F32, {2, 4, 4, 6}, other.data());
    write_npy((dir.path / "ytrain_2.npy").string(), NpyType::F64, {2}, two.data());
    CHECK_THROWS_WITH(opening(dir.path), Catch::Contains("xtrain_2.npy': images of [4,4,6]") &&
                                             Catch::Contains("differ from the [3,2,6]"));
  }
  SECTION("wrong ranks and types") {
    const std::vector<float> flat(12);
    const std::vector<double> y = {0, 1};
    write_npy((dir.path / "xtrain_1.npy").string(), NpyType::F32, {2, 6}, flat.data());
    write_npy((dir.path / "ytrain_1.npy").string(), NpyType::F64, {2}, y.data());
    CHECK_THROWS_WITH(opening(dir.path),
                      Catch::Contains("images must be 4-D [n, height, width, channels]"));
    write_shard(dir.path, "train", 1, 0, 2);
    const std::vector<double> one_hot = {1, 0, 0, 1};
    write_npy((dir.path / "ytrain_1.npy").string(), NpyType::F64, {2, 2}, one_hot.data());
    CHECK_THROWS_WITH(opening(dir.path),
                      Catch::Contains("labels must be 1-D [n] (0 real, 1 fake), got [2,2]"));
  }
  SECTION("no shards, or only the other split") {
    CHECK_THROWS_WITH(opening(dir.path), Catch::Contains("no xtrain_N.npy files under"));
    write_shard(dir.path, "train", 1, 0, 2);
    CHECK_THROWS_WITH(opening(dir.path, "test"),
                      Catch::Contains("no xtest_N.npy files") && Catch::Contains("--split"));
    CHECK_THROWS_WITH(opening(dir.path / "missing"), Catch::Contains("does not exist"));
    CHECK_THROWS_WITH(opening(dir.path, "validation"), Catch::Contains("train or test"));
  }
  SECTION("labels that are not class ids fail when their row is read") {
    write_shard(dir.path, "train", 1, 0, 4);
    std::vector<double> y = {0, 1, std::nan(""), 0};
    write_npy((dir.path / "ytrain_1.npy").string(), NpyType::F64, {4}, y.data());
    ObiwanShardReader reader(dir.path.string());
    Tensor x, labels;
    reader.read({0, 1}, x, labels);  // the good rows read
    CHECK_THROWS_WITH(reader.read({3, 2}, x, labels), Catch::Contains("ytrain_1.npy': row 2") &&
                                                          Catch::Contains("non-finite label"));
    y = {0, 0.5, 2, 1};
    write_npy((dir.path / "ytrain_1.npy").string(), NpyType::F64, {4}, y.data());
    CHECK_THROWS_WITH(reader.read({1}, x, labels),
                      Catch::Contains("row 1") && Catch::Contains("not a class id"));
    CHECK_THROWS_WITH(reader.read({2}, x, labels), Catch::Contains("class id 2, outside [0, 2)"));
  }
}
