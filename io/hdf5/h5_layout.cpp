// Telling the HDF5 data-set layouts apart (io/hdf5/h5_layout.h).
#include "io/hdf5/h5_layout.h"

#include "io/hdf5/h5_handle.h"
#include "io/hdf5/h5_read.h"

namespace astrocnn {

namespace {

bool has_link(hid_t location, const std::string& name, const h5::Where& where) {
  return h5::check_bool(H5Lexists(location, name.c_str(), H5P_DEFAULT), where,
                        "cannot look up the object");
}

}  // namespace

H5Layout detect_h5_layout(const std::string& path) {
  h5::Guard guard;
  h5::File file = h5::open_read_only(path, "dataset");
  const h5::Where root{path, "/"};
  // Either native dataset present: the native reader then says what is missing.
  if (has_link(file, "images", root) || has_link(file, "labels", root)) return H5Layout::Native;
  for (const std::string& name : h5::member_names(file, root)) {
    if (!h5::is_group(file, name, root)) continue;
    if (has_link(file, name + "/images_camera_00", root)) return H5Layout::DeepGalaxy;
    if (has_link(file, name + "/img", root) && has_link(file, name + "/ivar", root))
      return H5Layout::ObiwanCutouts;
  }
  return H5Layout::Unknown;
}

}  // namespace astrocnn
