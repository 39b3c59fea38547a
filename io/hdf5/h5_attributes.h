// Reading and writing the attributes astrocnn files carry (strings, string
// arrays, integers, doubles) and whole tensors as HDF5 datasets.
//
// Strings are written as variable-length UTF-8, as h5py writes Python str;
// both variable- and fixed-length strings (numpy bytes) are read.
// All functions expect the caller to hold an h5::Guard.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"
#include "io/hdf5/h5_handle.h"

namespace astrocnn::h5 {

bool has_attribute(hid_t object, const std::string& name, const Where& where);

void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const Where& where);
void write_strings_attribute(hid_t object, const std::string& name,
                             const std::vector<std::string>& values, const Where& where);
void write_int_attribute(hid_t object, const std::string& name, int64_t value, const Where& where);
void write_double_attribute(hid_t object, const std::string& name, double value,
                            const Where& where);

// Readers fail (naming the attribute) when it is missing or of another kind.
std::string read_string_attribute(hid_t object, const std::string& name, const Where& where);
std::vector<std::string> read_strings_attribute(hid_t object, const std::string& name,
                                                const Where& where);
int64_t read_int_attribute(hid_t object, const std::string& name, const Where& where);
double read_double_attribute(hid_t object, const std::string& name, const Where& where);

// A whole tensor as dataset `name` under `location`, contiguous, in its own
// dtype (float32, float64 or int64), copied to the host first; a 0-d tensor
// becomes a scalar dataspace.
void write_tensor(hid_t location, const std::string& name, const Tensor& tensor,
                  const Where& where);
// Reads a whole dataset: floats of 4 bytes or fewer as float32, 8-byte floats
// as float64, integers as int64; other types fail.
Tensor read_tensor(hid_t dataset, const Where& where);

// "float32", "uint8", "int64", "string", ...: a type for error messages.
std::string type_name(hid_t type);

// The dimensions of a dataset's (simple or scalar) dataspace.
std::vector<hsize_t> dataset_dims(hid_t dataset, const Where& where);

}  // namespace astrocnn::h5
