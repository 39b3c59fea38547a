// numpy's .npy files (what np.save writes), as data sets in that format
// arrive: obiwan's xtrain_N.npy / ytrain_N.npy shards, for instance.
//
//   NpyHeader h = read_npy_header("xtrain_1.npy");    // dtype, shape; no data read
//   std::vector<float> rows(3 * h.row_elements());
//   read_npy_rows(h, 10, 3, rows.data());               // rows 10-12 only (seek + read)
//   write_npy("y.npy", Tensor::from_vector(ids, {n}));  // '<i8', shape (n,)
//
// The format (numpy.lib.format, versions 1.0-3.0): the magic "\x93NUMPY",
// two version bytes, a little-endian header length (2 bytes in 1.0, 4 in 2.0
// and 3.0), then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (512, 64, 64, 6), }
// padded with spaces to a multiple of 64 bytes, then the elements.
// Supported: C order, little-endian float32 ('<f4'), float64 ('<f8'),
// int64 ('<i8'), int32 ('<i4') and uint8 ('|u1'). Anything else (Fortran
// order, big-endian, other types, object arrays) is an Error naming the file
// and what it holds.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor/tensor.h"

namespace astrocnn {

enum class NpyType { F32, F64, I64, I32, U8 };
const char* npy_descr(NpyType type);  // "<f4", ...
size_t npy_type_size(NpyType type);

struct NpyHeader {
  std::string path;
  NpyType type = NpyType::F32;
  Shape shape;              // () for a scalar
  int64_t data_offset = 0;  // bytes before the first element

  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t row_elements() const;  // elements per row (product of shape[1:])
};

// Reads and checks the header only.
NpyHeader read_npy_header(const std::string& path);

// Reads rows [begin, begin + count) (along the first axis) and converts them
// to float or double into `out` (count * row_elements() values; integers
// keep their values, uint8 included). Only those bytes are read, with one
// seek; thread-safe (each call opens the file). Throws when the file is
// shorter than its header says.
void read_npy_rows(const NpyHeader& npy, int64_t begin, int64_t count, float* out);
void read_npy_rows(const NpyHeader& npy, int64_t begin, int64_t count, double* out);

// Writes `data` (shape `shape`, elements of `type`) as np.save would, in
// format 1.0. For tests and tools that hand data to Python.
void write_npy(const std::string& path, NpyType type, const Shape& shape, const void* data);
// A CPU tensor: float32 -> '<f4', float64 -> '<f8', int64 -> '<i8'.
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace astrocnn
