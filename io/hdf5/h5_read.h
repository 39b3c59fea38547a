// What the HDF5 data-set readers share: reading chosen rows (slices along
// the first axis) of a dataset, one hyperslab per run of consecutive rows
// (HDF5 1.10 reads a union of many hyperslabs through a slow general path,
// about 50x slower than reading the same rows as separate simple blocks),
// and listing a group's members in the order h5py lists them.
// The caller holds an h5::Guard.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5/h5_handle.h"

namespace astrocnn::h5 {

// A run of consecutive rows [start, start + count).
struct Run {
  hsize_t start, count;
};

// The runs covering `rows` (sorted, unique).
std::vector<Run> runs_of(const std::vector<int64_t>& rows);

// Reads the rows of `runs` (whole rows: every other dimension complete) of
// `dataset` into `buffer`, one after the other, converted to `memory_type`
// (of `element_bytes` bytes per element; HDF5 converts, e.g. float16 or
// float64 to float32).
void read_rows(hid_t dataset, const std::vector<Run>& runs, hid_t memory_type, size_t element_bytes,
               void* buffer, const Where& where);

// Image rows as float32: uint8 pixels become value / 255 (8-bit cutouts),
// float pixels of any precision are converted by HDF5. `count` is the number
// of pixels the runs hold.
void read_pixel_rows(hid_t dataset, const std::vector<Run>& runs, bool uint8, float* out,
                     size_t count, const Where& where);

// The names of the members of `group` (a group or a file: its root), in the
// order h5py's keys() gives: creation order where the group indexes it,
// else alphabetical.
std::vector<std::string> member_names(hid_t group, const Where& where);

// Whether member `name` of `location` is a group (not a dataset or a type).
bool is_group(hid_t location, const std::string& name, const Where& where);

// An HDF5 type for IEEE half precision (float16), as numpy and h5py store it;
// the caller closes it. Used to write test files in DeepGalaxy's layout.
hid_t float16_type();

}  // namespace astrocnn::h5
