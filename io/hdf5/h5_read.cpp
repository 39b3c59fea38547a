// Rows of an HDF5 dataset, one hyperslab per run (io/hdf5/h5_read.h).
#include "io/hdf5/h5_read.h"

#include <string>

namespace astrocnn::h5 {

std::vector<Run> runs_of(const std::vector<int64_t>& rows) {
  std::vector<Run> runs;
  for (int64_t r : rows) {
    const auto row = static_cast<hsize_t>(r);
    if (!runs.empty() && runs.back().start + runs.back().count == row)
      ++runs.back().count;
    else
      runs.push_back({row, 1});
  }
  return runs;
}

void read_rows(hid_t dataset, const std::vector<Run>& runs, hid_t memory_type, size_t element_bytes,
               void* buffer, const Where& where) {
  DataSpace file_space(check(H5Dget_space(dataset), where, "cannot read the dataspace"));
  const int rank = H5Sget_simple_extent_ndims(file_space);
  if (rank < 1) fail(where, "cannot read rows of a scalar or unreadable dataspace");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  check_status(H5Sget_simple_extent_dims(file_space, dims.data(), nullptr), where,
               "cannot read the dataspace");
  size_t row_bytes = element_bytes;
  for (size_t d = 1; d < dims.size(); ++d) row_bytes *= dims[d];

  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  char* out = static_cast<char*>(buffer);
  for (const Run& run : runs) {
    start[0] = run.start;
    count[0] = run.count;
    check_status(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr,
                                     count.data(), nullptr),
                 where, "cannot select rows");
    DataSpace memory_space(
        check(H5Screate_simple(rank, count.data(), nullptr), where, "cannot create a dataspace"));
    check_status(H5Dread(dataset, memory_type, memory_space, file_space, H5P_DEFAULT, out), where,
                 "cannot read rows " + std::to_string(run.start) + " to " +
                     std::to_string(run.start + run.count - 1));
    out += run.count * row_bytes;
  }
}

void read_pixel_rows(hid_t dataset, const std::vector<Run>& runs, bool uint8, float* out,
                     size_t count, const Where& where) {
  if (!uint8) {
    read_rows(dataset, runs, H5T_NATIVE_FLOAT, sizeof(float), out, where);
    return;
  }
  std::vector<uint8_t> bytes(count);
  read_rows(dataset, runs, H5T_NATIVE_UINT8, 1, bytes.data(), where);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(bytes[i]) / 255.0f;
}

std::vector<std::string> member_names(hid_t location, const Where& where) {
  Group group(check(H5Gopen2(location, ".", H5P_DEFAULT), where, "cannot open the group"));
  PropList creation(check(H5Gget_create_plist(group), where, "cannot inspect the group"));
  unsigned flags = 0;
  check_status(H5Pget_link_creation_order(creation, &flags), where, "cannot inspect the group");
  const H5_index_t order = (flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<std::string> names;
  H5L_iterate_t visit = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  check_status(H5Literate(group, order, H5_ITER_INC, nullptr, visit, &names), where,
               "cannot list the members");
  return names;
}

bool is_group(hid_t location, const std::string& name, const Where& where) {
  Object object(
      check(H5Oopen(location, name.c_str(), H5P_DEFAULT), where, "cannot open '" + name + "'"));
  return H5Iget_type(object) == H5I_GROUP;
}

hid_t float16_type() {
  // h5py's layout: sign bit 15, exponent bits 10-14 (bias 15), mantissa bits 0-9.
  hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);
  H5Tset_size(t, 2);
  H5Tset_ebias(t, 15);
  return t;
}

}  // namespace astrocnn::h5
