// Which kind of data-set file an HDF5 file is, from the objects it holds, so
// that `-f FILE` needs no option to say what FILE is.
#pragma once
#include <string>

namespace astrocnn {

enum class H5Layout {
  Native,         // /images and /labels (io/hdf5/h5_dataset.h)
  DeepGalaxy,     // groups holding images_camera_00, ... (io/hdf5/deepgalaxy_reader.h)
  ObiwanCutouts,  // groups named by tractor id holding img and ivar (io/hdf5/obiwan_cutouts.h)
  Unknown,
};

// Opens `path` (an Error for a missing file or one that is not HDF5) and
// looks at its root: /images or /labels means Native; otherwise the first
// group holding images_camera_00, or img and ivar, decides. Unknown when
// none of these fits.
H5Layout detect_h5_layout(const std::string& path);

}  // namespace astrocnn
