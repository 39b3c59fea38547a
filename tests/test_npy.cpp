// .npy files (io/readers/npy.h): headers as numpy writes them, row reads, and clear
// errors for what is not read (Fortran order, big-endian, other dtypes, short files).
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/readers/npy.h"
#include "temp_dir.h"

using namespace astrocnn;
using testing::TempDir;

namespace {

// A file with the given header dict text (padded as numpy pads it) and data
// bytes, in format version `major` (1: 2-byte header length, 2: 4-byte).
void write_raw(const std::string& path, std::string dict, const std::string& data, int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::string bytes = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const size_t n = dict.size();
  for (size_t i = 0; i < prefix - 8; ++i) bytes += static_cast<char>(n >> (8 * i) & 0xff);
  std::ofstream(path, std::ios::binary) << bytes << dict << data;
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

TEST_CASE("npy: write_npy output is what numpy writes, and reads back", "[npy]") {
  TempDir dir;
  const std::string path = dir.file("a.npy");
  std::vector<float> v(2 * 3 * 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) / 4;
  write_npy(path, Tensor::from_vector(v, {2, 3, 4}));

  std::ifstream in(path, std::ios::binary);
  std::string head(128, '\0');
  in.read(&head[0], 128);
  // np.save(path, np.zeros((2, 3, 4), np.float32)) writes this header, data at byte 128.
  CHECK(head.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(head.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }") == 10);

  const NpyHeader h = read_npy_header(path);
  CHECK(h.type == NpyType::F32);
  CHECK(h.shape == Shape{2, 3, 4});
  CHECK(h.data_offset == 128);
  CHECK(h.rows() == 2);
  CHECK(h.row_elements() == 12);
  std::vector<float> row(12);
  read_npy_rows(h, 1, 1, row.data());
  CHECK(row == std::vector<float>(v.begin() + 12, v.end()));
}

TEST_CASE("npy: every supported dtype converts to float and double", "[npy]") {
  TempDir dir;
  const std::vector<double> want = {0, 1, 2, 255};
  const std::string f8 = dir.file("f8.npy"), i8 = dir.file("i8.npy"), i4 = dir.file("i4.npy"),
                    u1 = dir.file("u1.npy");
  write_npy(f8, NpyType::F64, {4}, want.data());
  const std::vector<int64_t> i64 = {0, 1, 2, 255};
  write_npy(i8, Tensor::from_vector(i64, {4}));
  const std::vector<int32_t> i32 = {0, 1, 2, 255};
  write_npy(i4, NpyType::I32, {4}, i32.data());
  const std::vector<uint8_t> u8 = {0, 1, 2, 255};
  write_npy(u1, NpyType::U8, {4}, u8.data());
  for (const std::string& path : {f8, i8, i4, u1}) {
    INFO(path);
    const NpyHeader h = read_npy_header(path);
    CHECK(h.shape == Shape{4});
    std::vector<double> d(4);
    std::vector<float> f(4);
    read_npy_rows(h, 0, 4, d.data());
    read_npy_rows(h, 0, 4, f.data());
    CHECK(d == want);
    CHECK(f == std::vector<float>{0, 1, 2, 255});
  }
  CHECK(read_npy_header(u1).type == NpyType::U8);
}

TEST_CASE("npy: headers of format 2.0, 1-D shapes and extra spaces parse", "[npy]") {
  TempDir dir;
  const std::vector<double> v = {1.5, -2};
  write_raw(dir.file("v2.npy"), "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            bytes_of(v), 2);
  NpyHeader h = read_npy_header(dir.file("v2.npy"));
  CHECK(h.shape == Shape{2});
  CHECK(h.data_offset % 64 == 0);
  std::vector<double> back(2);
  read_npy_rows(h, 0, 2, back.data());
  CHECK(back == v);
  write_raw(dir.file("sp.npy"), "{'shape':(1 , 2),'fortran_order':False,'descr':'<f8'}",
            bytes_of(v));
  CHECK(read_npy_header(dir.file("sp.npy")).shape == Shape{1, 2});
}

TEST_CASE("npy: reading rows reads only those bytes", "[npy]") {
  TempDir dir;
  const std::string path = dir.file("rows.npy");
  std::vector<float> v(10 * 3);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  write_npy(path, Tensor::from_vector(v, {10, 3}));
  const NpyHeader h = read_npy_header(path);
  // Damage every row but 4-5: reading rows 4-5 still gives their values.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const std::string junk(4 * 3 * 4, '\xff');
    f.seekp(h.data_offset);
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  std::vector<float> rows(6);
  read_npy_rows(h, 4, 2, rows.data());
  CHECK(rows == std::vector<float>(v.begin() + 12, v.begin() + 18));
  CHECK_THROWS_WITH(read_npy_rows(h, 9, 2, rows.data()), Catch::Contains("outside [0, 10)"));
}

TEST_CASE("npy: what is not read gives one clear error naming the file", "[npy]") {
  TempDir dir;
  const std::string data(64, '\0');
  auto header_error = [&](const std::string& name, const std::string& dict) {
    write_raw(dir.file(name), dict, data);
    try {
      read_npy_header(dir.file(name));
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("npy file '" + dir.file(name) + "'") == 0);
      return std::string(e.what());
    }
    FAIL("no error for " << name);
    return std::string();
  };
  CHECK_THAT(header_error("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"),
             Catch::Contains("Fortran order"));
  CHECK_THAT(header_error("b.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }"),
             Catch::Contains("big-endian"));
  CHECK_THAT(header_error("c.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }"),
             Catch::Contains("dtype '<c8' is not supported"));
  CHECK_THAT(header_error("o.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"),
             Catch::Contains("dtype '|O' is not supported"));
  CHECK_THAT(header_error("s.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }"),
             Catch::Contains("malformed shape"));
  CHECK_THAT(header_error("n.npy", "{'descr': '<f4', 'fortran_order': False}"),
             Catch::Contains("no 'shape' entry"));
  CHECK_THAT(header_error("t.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }"),
             Catch::Contains("truncated") && Catch::Contains("800 bytes of data"));

  std::ofstream(dir.file("text.npy")) << "not numpy at all, just some text";
  CHECK_THROWS_WITH(read_npy_header(dir.file("text.npy")), Catch::Contains("is not a .npy file"));
  CHECK_THROWS_WITH(read_npy_header(dir.file("none.npy")),
                    Catch::Contains("'" + dir.file("none.npy") + "': does not exist"));
  CHECK_THROWS_WITH(read_npy_header(dir.path.string()), Catch::Contains("is a directory"));
}

// ---- headers that would size allocations: damaged or hostile files ----

namespace {

// The bytes of a .npy file whose header-length field says `declared` (in
// format version `major`) whatever the header that follows really holds.
void write_with_header_length(const std::string& path, int major, uint32_t declared,
                              const std::string& rest) {
  std::string bytes = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) bytes += static_cast<char>(declared >> (8 * i) & 0xff);
  std::ofstream(path, std::ios::binary) << bytes << rest;
}

}  // namespace

TEST_CASE("npy: a header length beyond the file is refused before it is allocated", "[npy]") {
  TempDir dir;
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }\n";
  const std::string v1 = dir.file("v1.npy"), v2 = dir.file("v2.npy");
  write_with_header_length(v1, 1, 0xffff, dict);
  CHECK_THROWS_WITH(read_npy_header(v1),
                    Catch::StartsWith("npy file '" + v1 + "'") &&
                        Catch::Contains("the header is truncated (it declares 65535 bytes, the file has " +
                                        std::to_string(10 + dict.size()) + ")"));
  // Format 2.0's 4-byte length: 4 GiB asked for by a file of 70 bytes.
  write_with_header_length(v2, 2, 0xfffffff0u, dict);
  CHECK_THROWS_WITH(read_npy_header(v2),
                    Catch::Contains("npy file '" + v2 + "'") &&
                        Catch::Contains("it declares 4294967280 bytes, the file has " +
                                        std::to_string(12 + dict.size()) + ")"));
  // One byte past the end is refused; a header ending exactly at the end of
  // the file (an empty array: no data bytes) is read.
  write_with_header_length(v1, 1, static_cast<uint32_t>(dict.size() + 1), dict);
  CHECK_THROWS_WITH(read_npy_header(v1), Catch::Contains("the header is truncated"));
  write_with_header_length(v1, 1, static_cast<uint32_t>(dict.size()), dict);
  const NpyHeader h = read_npy_header(v1);
  CHECK(h.shape == Shape{0});
  CHECK(h.data_offset == static_cast<int64_t>(10 + dict.size()));
}

TEST_CASE("npy: shapes beyond int64 or whose byte count overflows are refused", "[npy]") {
  TempDir dir;
  auto error_of = [&](const std::string& descr, const std::string& shape) {
    const std::string path = dir.file("s.npy");
    write_raw(path, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }",
              std::string(64, '\0'));
    try {
      read_npy_header(path);
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("npy file '" + path + "'") == 0);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // obiwan's shape with a hostile first dimension: 2^62 * 16 * 16 * 6 * 4 bytes.
  CHECK_THAT(error_of("<f4", "(4611686018427387904, 16, 16, 6)"),
             Catch::Contains("its header declares the shape [4611686018427387904,16,16,6], "
                             "larger than any file (the header is damaged)"));
  // The element size counts: 2^61 float32 are 2^63 bytes, past int64; 2^60 float64 likewise.
  CHECK_THAT(error_of("<f4", "(2305843009213693952,)"), Catch::Contains("larger than any file"));
  CHECK_THAT(error_of("<f8", "(1152921504606846976,)"), Catch::Contains("larger than any file"));
  // 2^60 float32 are 2^62 bytes: no overflow, and the file is simply too short for them.
  CHECK_THAT(error_of("<f4", "(1152921504606846976,)"),
             Catch::Contains("is truncated: its header promises [1152921504606846976] <f4 "
                             "(4611686018427387904 bytes of data) but the file has 64"));
  CHECK_THAT(error_of("<f4", "(99999999999999999999, 2)"),
             Catch::Contains("malformed shape (a dimension beyond int64): (99999999999999999999, 2)"));
  CHECK_THAT(error_of("<f4", "(9223372036854775808,)"),
             Catch::Contains("a dimension beyond int64"));  // 2^63, one past the largest
  CHECK_THAT(error_of("<f4", "(-1, 2)"), Catch::Contains("malformed shape: (-1, 2)"));
  // int64's largest dimension parses, and is then too large for any file.
  CHECK_THAT(error_of("|u1", "(9223372036854775807,)"),
             Catch::Contains("is truncated: its header promises [9223372036854775807]"));
}

TEST_CASE("npy: arrays with a zero-length dimension hold no data and read as such", "[npy]") {
  TempDir dir;
  // obiwan's empty last shard, an empty stack of cutouts, and rows of nothing.
  const std::string empty = dir.file("empty.npy"), cutouts = dir.file("cutouts.npy"),
                    hollow = dir.file("hollow.npy");
  write_npy(empty, NpyType::F32, {0}, nullptr);
  write_npy(cutouts, NpyType::F32, {0, 3, 2, 6}, nullptr);
  write_npy(hollow, NpyType::F64, {2, 0}, nullptr);

  const NpyHeader e = read_npy_header(empty);
  CHECK(e.rows() == 0);
  CHECK(e.data_offset == static_cast<int64_t>(std::filesystem::file_size(empty)));
  const NpyHeader c = read_npy_header(cutouts);
  CHECK(c.shape == Shape{0, 3, 2, 6});
  CHECK(c.rows() == 0);
  CHECK(c.row_elements() == 36);
  std::vector<float> none(36, -1);
  read_npy_rows(c, 0, 0, none.data());  // zero rows: nothing read, nothing written
  CHECK(none == std::vector<float>(36, -1));
  CHECK_THROWS_WITH(read_npy_rows(c, 0, 1, none.data()), Catch::Contains("outside [0, 0)"));

  const NpyHeader h = read_npy_header(hollow);
  CHECK(h.rows() == 2);
  CHECK(h.row_elements() == 0);
  double untouched = 7;
  read_npy_rows(h, 0, 2, &untouched);
  CHECK(untouched == 7);
}
