// .npy header parsing, row reads and writing (io/readers/npy.h).
#include "io/readers/npy.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace astrocnn {

// The elements are copied as they lie in the file.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "io/readers/npy.cpp assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error("npy file '" + path + "': " + problem);
}

NpyType parse_descr(const std::string& path, const std::string& descr) {
  if (descr == "<f4") return NpyType::F32;
  if (descr == "<f8") return NpyType::F64;
  if (descr == "<i8") return NpyType::I64;
  if (descr == "<i4") return NpyType::I32;
  if (descr == "|u1" || descr == "<u1") return NpyType::U8;
  if (!descr.empty() && descr[0] == '>')
    fail(path, "dtype '" + descr +
                   "' is big-endian; only little-endian data are read "
                   "(in numpy: np.save(name, a.astype(a.dtype.newbyteorder('<'))))");
  fail(path, "dtype '" + descr +
                 "' is not supported (float32 '<f4', float64 '<f8', int64 '<i8', "
                 "int32 '<i4' or uint8 '|u1')");
}

// The text after "'key':" in the header dict, with leading spaces skipped.
std::string value_of(const std::string& path, const std::string& header, const std::string& key) {
  const size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) fail(path, "the header has no '" + key + "' entry: " + header);
  size_t colon = header.find(':', at);
  if (colon == std::string::npos) fail(path, "malformed header: " + header);
  size_t start = header.find_first_not_of(' ', colon + 1);
  return start == std::string::npos ? std::string() : header.substr(start);
}

std::string parse_quoted(const std::string& path, const std::string& text) {
  if (text.empty() || (text[0] != '\'' && text[0] != '"')) fail(path, "malformed dtype: " + text);
  const size_t end = text.find(text[0], 1);
  if (end == std::string::npos) fail(path, "malformed dtype: " + text);
  return text.substr(1, end - 1);
}

Shape parse_shape(const std::string& path, const std::string& text) {
  if (text.empty() || text[0] != '(') fail(path, "malformed shape: " + text);
  const size_t end = text.find(')');
  if (end == std::string::npos) fail(path, "malformed shape: " + text);
  Shape shape;
  std::stringstream items(text.substr(1, end - 1));
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t first = item.find_first_not_of(' ');
    if (first == std::string::npos) continue;  // the empty item after a trailing comma
    char* rest = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str() + first, &rest, 10);
    if (errno == ERANGE) fail(path, "malformed shape (a dimension beyond int64): " + text.substr(0, end + 1));
    const bool digits = rest != item.c_str() + first &&
                        item.find_first_not_of(' ', rest - item.c_str()) == std::string::npos;
    if (!digits || v < 0) fail(path, "malformed shape: " + text.substr(0, end + 1));
    shape.push_back(v);
  }
  return shape;
}

template <class T>
void convert(const char* bytes, NpyType type, int64_t n, T* out) {
  auto copy = [&](auto sample) {
    using S = decltype(sample);
    for (int64_t i = 0; i < n; ++i) {
      S v;
      std::memcpy(&v, bytes + i * sizeof(S), sizeof(S));
      out[i] = static_cast<T>(v);
    }
  };
  switch (type) {
    case NpyType::F32:
      copy(float{});
      break;
    case NpyType::F64:
      copy(double{});
      break;
    case NpyType::I64:
      copy(int64_t{});
      break;
    case NpyType::I32:
      copy(int32_t{});
      break;
    case NpyType::U8:
      copy(uint8_t{});
      break;
  }
}

template <class T>
void read_rows_as(const NpyHeader& npy, int64_t begin, int64_t count, T* out) {
  ASTRO_CHECK(begin >= 0 && count >= 0 && begin + count <= npy.rows(), "npy file '", npy.path,
              "': rows ", begin, " to ", begin + count - 1, " are outside [0, ", npy.rows(), ")");
  const int64_t n = count * npy.row_elements();
  if (n == 0) return;
  const auto item = static_cast<int64_t>(npy_type_size(npy.type));
  std::vector<char> bytes(static_cast<size_t>(n * item));
  std::ifstream in(npy.path, std::ios::binary);
  if (!in) fail(npy.path, "cannot be opened for reading");
  in.seekg(npy.data_offset + begin * npy.row_elements() * item);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    fail(npy.path, "cannot read rows " + std::to_string(begin) + " to " +
                       std::to_string(begin + count - 1) + " (file truncated?)");
  convert(bytes.data(), npy.type, n, out);
}

// The bytes a header's shape declares; a product past 2^63 (a damaged or
// hostile header) is an error rather than a wrapped-around small number.
// An array with a zero dimension holds no bytes, whatever the others declare.
uintmax_t declared_bytes(const std::string& path, const Shape& shape, size_t item) {
  if (std::find(shape.begin(), shape.end(), int64_t{0}) != shape.end()) return 0;
  int64_t bytes = static_cast<int64_t>(item);
  for (int64_t d : shape)
    if (__builtin_mul_overflow(bytes, d, &bytes))
      fail(path, "its header declares the shape " + shape_str(shape) +
                     ", larger than any file (the header is damaged)");
  return static_cast<uintmax_t>(bytes);
}

std::string shape_tuple(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += std::to_string(shape[i]) + (i + 1 < shape.size() ? ", " : "");
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

const char* npy_descr(NpyType type) {
  switch (type) {
    case NpyType::F32:
      return "<f4";
    case NpyType::F64:
      return "<f8";
    case NpyType::I64:
      return "<i8";
    case NpyType::I32:
      return "<i4";
    case NpyType::U8:
      return "|u1";
  }
  return "?";
}

size_t npy_type_size(NpyType type) {
  switch (type) {
    case NpyType::F32:
    case NpyType::I32:
      return 4;
    case NpyType::F64:
    case NpyType::I64:
      return 8;
    case NpyType::U8:
      return 1;
  }
  return 0;
}

// (Within range: read_npy_header checked the whole shape's bytes, and an
// empty array has no rows to read.)
int64_t NpyHeader::row_elements() const {
  if (shape.empty()) return 1;
  const Shape row(shape.begin() + 1, shape.end());
  if (std::find(row.begin(), row.end(), int64_t{0}) != row.end()) return 0;
  return shape_numel(row);
}

NpyHeader read_npy_header(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path, "does not exist");
  if (fs::is_directory(path, ec)) fail(path, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot be opened for reading");
  char start[12] = {};
  in.read(start, 10);
  if (!in || std::memcmp(start, kMagic, kMagicBytes) != 0)
    fail(path, "is not a .npy file (no \\x93NUMPY signature)");
  const auto major = static_cast<unsigned char>(start[6]);
  if (major < 1 || major > 3)
    fail(path, "npy format version " + std::to_string(major) + " is not supported");
  uint32_t header_bytes = 0;
  int64_t prefix = 10;
  if (major == 1) {
    header_bytes = static_cast<unsigned char>(start[8]) | static_cast<unsigned char>(start[9]) << 8;
  } else {
    in.read(start + 10, 2);
    for (int i = 3; i >= 0; --i)
      header_bytes = header_bytes << 8 | static_cast<unsigned char>(start[8 + i]);
    prefix = 12;
  }
  // The header length comes from the file: check it against the file's
  // size before allocating it (a damaged length would ask for gigabytes).
  const uintmax_t file_bytes = fs::file_size(path, ec);
  if (ec || static_cast<uintmax_t>(prefix) + header_bytes > file_bytes)
    fail(path, "the header is truncated (it declares " + std::to_string(header_bytes) +
                   " bytes, the file has " + std::to_string(ec ? 0 : file_bytes) + ")");
  std::string header(header_bytes, '\0');
  if (!in.read(header.data(), header_bytes)) fail(path, "the header is truncated");

  NpyHeader h;
  h.path = path;
  h.type = parse_descr(path, parse_quoted(path, value_of(path, header, "descr")));
  const std::string fortran = value_of(path, header, "fortran_order");
  if (fortran.rfind("True", 0) == 0)
    fail(path, "is stored in Fortran order; only C order is read (in numpy: np.ascontiguousarray)");
  if (fortran.rfind("False", 0) != 0) fail(path, "malformed fortran_order: " + header);
  h.shape = parse_shape(path, value_of(path, header, "shape"));
  h.data_offset = prefix + header_bytes;

  const uintmax_t data_bytes = declared_bytes(path, h.shape, npy_type_size(h.type));
  const uintmax_t size = file_bytes;
  if (ec || size < static_cast<uintmax_t>(h.data_offset) + data_bytes)
    fail(path, "is truncated: its header promises " + shape_str(h.shape) + " " + npy_descr(h.type) +
                   " (" + std::to_string(data_bytes) + " bytes of data) but the file has " +
                   std::to_string(size - std::min<uintmax_t>(size, h.data_offset)));
  return h;
}

void read_npy_rows(const NpyHeader& npy, int64_t begin, int64_t count, float* out) {
  read_rows_as(npy, begin, count, out);
}

void read_npy_rows(const NpyHeader& npy, int64_t begin, int64_t count, double* out) {
  read_rows_as(npy, begin, count, out);
}

void write_npy(const std::string& path, NpyType type, const Shape& shape, const void* data) {
  std::string header = std::string("{'descr': '") + npy_descr(type) +
                       "', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
  // numpy pads the header with spaces and a newline so that the data start at
  // a multiple of 64 bytes.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASTRO_CHECK(out.good(), "npy file '", path, "': cannot be opened for writing");
  const auto n = static_cast<uint16_t>(header.size());
  const char prefix[10] = {'\x93',
                           'N',
                           'U',
                           'M',
                           'P',
                           'Y',
                           1,
                           0,
                           static_cast<char>(n & 0xff),
                           static_cast<char>(n >> 8)};
  out.write(prefix, 10);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(data),
            static_cast<std::streamsize>(shape_numel(shape) * npy_type_size(type)));
  out.close();
  ASTRO_CHECK(!out.fail(), "npy file '", path, "': writing failed");
}

void write_npy(const std::string& path, const Tensor& tensor) {
  ASTRO_CHECK(tensor.device() == Device::CPU, "write_npy: the tensor must be on the CPU");
  const NpyType type = tensor.dtype() == DType::F32   ? NpyType::F32
                       : tensor.dtype() == DType::F64 ? NpyType::F64
                                                      : NpyType::I64;
  write_npy(path, type, tensor.shape(), tensor.raw());
}

}  // namespace astrocnn
