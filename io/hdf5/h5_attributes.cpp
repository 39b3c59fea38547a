#include "io/hdf5/h5_attributes.h"

#include <cstring>

namespace astrocnn::h5 {

namespace {

Where at(const Where& where, const std::string& attribute) {
  const std::string object = where.object.empty() ? "/" : where.object;
  return {where.file, object + " (attribute '" + attribute + "')"};
}

// A variable-length UTF-8 string type, as h5py uses for str.
DataType utf8_string_type(const Where& where) {
  DataType type(check(H5Tcopy(H5T_C_S1), where, "cannot create a string type"));
  check_status(H5Tset_size(type, H5T_VARIABLE), where, "cannot create a string type");
  check_status(H5Tset_cset(type, H5T_CSET_UTF8), where, "cannot create a string type");
  return type;
}

bool exists(hid_t object, const std::string& name, const Where& where) {
  return check_bool(H5Aexists(object, name.c_str()), where, "cannot look up the attribute");
}

// Creates (or replaces, so that attributes can be updated) a scalar or 1-D attribute.
void write_attribute(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type,
                     hid_t space, const void* data, const Where& where) {
  if (exists(object, name, where))
    check_status(H5Adelete(object, name.c_str()), where, "cannot replace the attribute");
  Attribute attr(check(H5Acreate2(object, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT),
                       where, "cannot create the attribute"));
  check_status(H5Awrite(attr, memory_type, data), where, "cannot write the attribute");
}

void write_scalar(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type,
                  const void* data, const Where& where) {
  DataSpace space(check(H5Screate(H5S_SCALAR), where, "cannot create a dataspace"));
  write_attribute(object, name, file_type, memory_type, space, data, where);
}

Attribute open_attribute(hid_t object, const std::string& name, const Where& where) {
  if (!exists(object, name, where)) fail(where, "the attribute is missing");
  return Attribute(
      check(H5Aopen(object, name.c_str(), H5P_DEFAULT), where, "cannot open the attribute"));
}

hssize_t point_count(hid_t attr, const Where& where) {
  DataSpace space(check(H5Aget_space(attr), where, "cannot read the dataspace"));
  hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) fail(where, "cannot read the dataspace");
  return n;
}

// The strings of a string attribute (scalar or 1-D), variable or fixed length.
std::vector<std::string> read_strings(hid_t object, const std::string& name, const Where& where) {
  Attribute attr = open_attribute(object, name, where);
  DataType file_type(check(H5Aget_type(attr), where, "cannot read the attribute's type"));
  if (H5Tget_class(file_type) != H5T_STRING) fail(where, "expected a string attribute");
  const size_t n = static_cast<size_t>(point_count(attr, where));
  std::vector<std::string> out;
  if (check_bool(H5Tis_variable_str(file_type), where, "cannot read the attribute's type")) {
    DataType mem_type(check(H5Tcopy(H5T_C_S1), where, "cannot create a string type"));
    check_status(H5Tset_size(mem_type, H5T_VARIABLE), where, "cannot create a string type");
    check_status(H5Tset_cset(mem_type, H5Tget_cset(file_type)), where,
                 "cannot create a string type");
    std::vector<char*> pointers(n, nullptr);
    check_status(H5Aread(attr, mem_type, pointers.data()), where, "cannot read the attribute");
    for (char* p : pointers) {
      out.emplace_back(p != nullptr ? p : "");
      H5free_memory(p);  // HDF5 allocated each string
    }
  } else {
    const size_t width = H5Tget_size(file_type);
    const bool space_padded = H5Tget_strpad(file_type) == H5T_STR_SPACEPAD;
    std::vector<char> buffer(n * width + 1, '\0');
    check_status(H5Aread(attr, file_type, buffer.data()), where, "cannot read the attribute");
    for (size_t i = 0; i < n; ++i) {
      const char* s = buffer.data() + i * width;
      std::string value(s, strnlen(s, width));
      if (space_padded)
        value.erase(value.find_last_not_of(' ') + 1);  // npos + 1 == 0 clears all-space strings
      out.push_back(value);
    }
  }
  return out;
}

DataType file_type_for(DType dtype) {
  switch (dtype) {
    case DType::F32: return DataType(H5Tcopy(H5T_IEEE_F32LE));
    case DType::F64: return DataType(H5Tcopy(H5T_IEEE_F64LE));
    case DType::I64: return DataType(H5Tcopy(H5T_STD_I64LE));
  }
  return DataType();
}

hid_t memory_type_for(DType dtype) {
  switch (dtype) {
    case DType::F32: return H5T_NATIVE_FLOAT;
    case DType::F64: return H5T_NATIVE_DOUBLE;
    case DType::I64: return H5T_NATIVE_INT64;
  }
  return H5I_INVALID_HID;
}

}  // namespace

bool has_attribute(hid_t object, const std::string& name, const Where& where) {
  return exists(object, name, at(where, name));
}

void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const Where& where) {
  const Where w = at(where, name);
  DataType type = utf8_string_type(w);
  const char* p = value.c_str();
  write_scalar(object, name, type, type, &p, w);
}

void write_strings_attribute(hid_t object, const std::string& name,
                             const std::vector<std::string>& values, const Where& where) {
  const Where w = at(where, name);
  DataType type = utf8_string_type(w);
  const hsize_t n = values.size();
  DataSpace space(check(H5Screate_simple(1, &n, nullptr), w, "cannot create a dataspace"));
  std::vector<const char*> pointers;
  for (const std::string& v : values) pointers.push_back(v.c_str());
  write_attribute(object, name, type, type, space, pointers.data(), w);
}

void write_int_attribute(hid_t object, const std::string& name, int64_t value, const Where& where) {
  write_scalar(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, at(where, name));
}

void write_double_attribute(hid_t object, const std::string& name, double value,
                            const Where& where) {
  write_scalar(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, at(where, name));
}

std::string read_string_attribute(hid_t object, const std::string& name, const Where& where) {
  const Where w = at(where, name);
  std::vector<std::string> values = read_strings(object, name, w);
  if (values.size() != 1) fail(w, "expected one string, got " + std::to_string(values.size()));
  return values[0];
}

std::vector<std::string> read_strings_attribute(hid_t object, const std::string& name,
                                                const Where& where) {
  return read_strings(object, name, at(where, name));
}

int64_t read_int_attribute(hid_t object, const std::string& name, const Where& where) {
  const Where w = at(where, name);
  Attribute attr = open_attribute(object, name, w);
  DataType type(check(H5Aget_type(attr), w, "cannot read the attribute's type"));
  if (H5Tget_class(type) != H5T_INTEGER || point_count(attr, w) != 1)
    fail(w, "expected one integer");
  int64_t value = 0;
  check_status(H5Aread(attr, H5T_NATIVE_INT64, &value), w, "cannot read the attribute");
  return value;
}

double read_double_attribute(hid_t object, const std::string& name, const Where& where) {
  const Where w = at(where, name);
  Attribute attr = open_attribute(object, name, w);
  DataType type(check(H5Aget_type(attr), w, "cannot read the attribute's type"));
  const H5T_class_t kind = H5Tget_class(type);
  if ((kind != H5T_FLOAT && kind != H5T_INTEGER) || point_count(attr, w) != 1)
    fail(w, "expected one number");
  double value = 0;
  check_status(H5Aread(attr, H5T_NATIVE_DOUBLE, &value), w, "cannot read the attribute");
  return value;
}

std::string type_name(hid_t type) {
  const std::string bits = std::to_string(8 * H5Tget_size(type));
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: return "float" + bits;
    case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum (e.g. bool)";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "variable-length sequence";
    default: return "unsupported type class";
  }
}

std::vector<hsize_t> dataset_dims(hid_t dataset, const Where& where) {
  DataSpace space(check(H5Dget_space(dataset), where, "cannot read the dataspace"));
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail(where, "cannot read the dataspace (not a simple or scalar dataspace)");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0)
    check_status(H5Sget_simple_extent_dims(space, dims.data(), nullptr), where,
                 "cannot read the dataspace");
  return dims;
}

void write_tensor(hid_t location, const std::string& name, const Tensor& tensor,
                  const Where& where) {
  const Tensor host = tensor.to(Device::CPU);
  std::vector<hsize_t> dims(host.shape().begin(), host.shape().end());
  DataSpace space(check(dims.empty()
                            ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                        where, "cannot create a dataspace"));
  DataType file_type = file_type_for(host.dtype());
  DataSet dataset(check(
      H5Dcreate2(location, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      where, "cannot create the dataset"));
  if (host.numel() > 0)
    check_status(
        H5Dwrite(dataset, memory_type_for(host.dtype()), H5S_ALL, H5S_ALL, H5P_DEFAULT, host.raw()),
        where, "cannot write the dataset");
}

Tensor read_tensor(hid_t dataset, const Where& where) {
  DataType type(check(H5Dget_type(dataset), where, "cannot read the dataset's type"));
  const H5T_class_t kind = H5Tget_class(type);
  DType dtype;
  if (kind == H5T_FLOAT)
    dtype = H5Tget_size(type) <= 4 ? DType::F32 : DType::F64;
  else if (kind == H5T_INTEGER)
    dtype = DType::I64;
  else
    fail(where, "unsupported element type (expected floating point or integer numbers)");
  const std::vector<hsize_t> dims = dataset_dims(dataset, where);
  Tensor out = Tensor::empty(Shape(dims.begin(), dims.end()), dtype);
  if (out.numel() > 0)
    check_status(H5Dread(dataset, memory_type_for(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.raw()),
                 where, "cannot read the dataset");
  return out;
}

}  // namespace astrocnn::h5
