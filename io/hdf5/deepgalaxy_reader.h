// DeepGalaxy's HDF5 files (maxwelltsai/DeepGalaxy; Cai et al. 2020): galaxy-
// merger simulations rendered every 5 Myr by 14 cameras, read as they are.
//
//   /s_1_m_0.5/images_camera_00   [T, H, W, 1] (or [T, H, W]) float16/float32, or uint8
//   /s_1_m_0.5/t_myr_camera_00    [T]  time of each snapshot, Myr
//   /s_1_m_0.5/images_camera_01 ... 13, t_myr_camera_01 ... 13
//   /s_1.5_m_1/...                one group per simulation: s_<size ratio>_m_<mass ratio>
//
// The rows are those DeepGalaxy's training script concatenates: for each
// group whose name matches `datasets` (in name order), for each camera
// 0 .. cameras-1, its T images. uint8 images are read as value / 255 as
// DeepGalaxy does; float images as they are. Labels are derived as its
// DataIO does (docs/DATA.md gives file and line):
//   - each camera's times become bins t_bin = int(t / 5) - min over that camera;
//   - TimeCamera (dg_train.py's default, Horovod): the class is the pair
//     "<t_bin>_<camera>", numbered in sorted order of those strings over the
//     selection (sklearn's LabelEncoder), so the class names are the strings;
//   - Time (single process, no Horovod): the class is t_bin, names "0", "1", ...
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/readers/row_reader.h"

namespace astrocnn {

enum class DeepGalaxyLabels { TimeCamera, Time };
DeepGalaxyLabels parse_deepgalaxy_labels(const std::string& name);  // "time-camera", "time"
const char* deepgalaxy_labels_name(DeepGalaxyLabels labels);

struct DeepGalaxyOptions {
  std::string datasets = "*";  // -d: shell glob over the group names, e.g. "s_1.5_*"
  int64_t cameras = 14;        // --num-camera: cameras 0 .. cameras-1, 1 to 14
  DeepGalaxyLabels labels = DeepGalaxyLabels::TimeCamera;
};

class DeepGalaxyReader final : public RowReader {
 public:
  // Opens the file, selects the groups and cameras, reads every camera's
  // times and derives the labels. An Error names the file and object for: no
  // group matching, a missing camera, images of another size than the
  // first's, times not matching the images in length, a non-finite time.
  DeepGalaxyReader(const std::string& path, const DeepGalaxyOptions& options = {});
  ~DeepGalaxyReader() override;

  const RowSetInfo& info() const override;
  Tensor read_labels(const std::vector<int64_t>& rows) const override;  // derived when opening
  const std::vector<std::string>& groups() const;  // the selected groups, in row order

 protected:
  void read_sorted(const std::vector<int64_t>& rows, Tensor& images, Tensor& labels) const override;
  std::string label_origin(int64_t row) const override;
  std::string image_origin(int64_t row) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrocnn
