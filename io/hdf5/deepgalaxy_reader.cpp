// DeepGalaxy's HDF5 layout -> rows and labels (io/hdf5/deepgalaxy_reader.h).
#include "io/hdf5/deepgalaxy_reader.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "io/hdf5/h5_attributes.h"
#include "io/hdf5/h5_handle.h"
#include "io/hdf5/h5_read.h"

namespace astrocnn {

DeepGalaxyLabels parse_deepgalaxy_labels(const std::string& name) {
  if (name == "time-camera") return DeepGalaxyLabels::TimeCamera;
  if (name == "time") return DeepGalaxyLabels::Time;
  throw Error("unknown DeepGalaxy labels '" + name + "' (known: time-camera, time)");
}

const char* deepgalaxy_labels_name(DeepGalaxyLabels labels) {
  return labels == DeepGalaxyLabels::Time ? "time" : "time-camera";
}

namespace {

// "07"
std::string two_digits(int64_t camera) {
  char text[24];
  std::snprintf(text, sizeof text, "%02lld", static_cast<long long>(camera));
  return text;
}

// "images_camera_07", "t_myr_camera_07"
std::string camera_object(const std::string& prefix, int64_t camera) {
  return prefix + "_camera_" + two_digits(camera);
}

// One camera of one simulation: T consecutive rows of the data set.
struct Block {
  std::string group;
  int64_t camera = 0;
  int64_t first_row = 0, rows = 0;
  h5::DataSet images;
  bool uint8 = false;
};

// t_bin = int(t / 5), computed in the stored precision as numpy does
// (float32 times divide in float32) and truncated toward zero as astype(int).
std::vector<int64_t> time_bins(hid_t dataset, int64_t rows, const h5::Where& where) {
  const std::vector<hsize_t> dims = h5::dataset_dims(dataset, where);
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  if (dims.empty() || static_cast<int64_t>(n) != rows)
    h5::fail(where, "holds " + std::to_string(n) + " times for " + std::to_string(rows) +
                        " images (one time per image expected)");
  h5::DataType type(h5::check(H5Dget_type(dataset), where, "cannot read the element type"));
  const H5T_class_t kind = H5Tget_class(type);
  if (kind != H5T_FLOAT && kind != H5T_INTEGER)
    h5::fail(where, "times must be numbers, got " + h5::type_name(type));
  // The times are read whole: a declared length beyond any simulation's
  // (DeepGalaxy's have 71 snapshots) is a damaged file, not a reason to
  // allocate gigabytes.
  constexpr hsize_t kMaxSnapshots = hsize_t{1} << 24;
  if (n > kMaxSnapshots)
    h5::fail(where, "declares " + std::to_string(n) + " snapshots, more than the " +
                        std::to_string(kMaxSnapshots) + " astrocnn reads per camera");
  const bool single = kind == H5T_FLOAT && H5Tget_size(type) <= 4;
  std::vector<double> t(n);
  h5::check_status(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()),
                   where, "cannot read the times");
  std::vector<int64_t> bins(n);
  for (size_t i = 0; i < n; ++i) {
    // Times past 1e12 Myr (a hundred times the age of the universe) would
    // make bins beyond int64 and classes beyond counting.
    if (!std::isfinite(t[i]) || std::abs(t[i]) > 1e12)
      h5::fail(where, "row " + std::to_string(i) + " holds the time " + std::to_string(t[i]) +
                          " Myr (times must be finite, within +-1e12 Myr)");
    bins[i] = single ? static_cast<int64_t>(static_cast<float>(t[i]) / 5.0f)
                     : static_cast<int64_t>(t[i] / 5.0);
  }
  const int64_t first = *std::min_element(bins.begin(), bins.end());
  for (int64_t& b : bins) b -= first;
  return bins;
}

}  // namespace

struct DeepGalaxyReader::Impl {
  RowSetInfo info;
  h5::File file;
  std::vector<std::string> groups;
  std::vector<Block> blocks;
  std::vector<int64_t> class_ids;  // per row
  int64_t channels_last = 1;       // C of the stored [T, H, W, C]; 1 for [T, H, W]
  int64_t cameras = 14;

  const Block& block_of(int64_t row) const {
    auto after = std::upper_bound(blocks.begin(), blocks.end(), row,
                                  [](int64_t r, const Block& b) { return r < b.first_row; });
    return *(after - 1);
  }
  void select_groups(const std::string& pattern);
  void open_camera(const std::string& group, int64_t camera, std::vector<std::string>& pair_labels,
                   std::vector<int64_t>& bins);
  void derive_labels(DeepGalaxyLabels mode, const std::vector<std::string>& pair_labels,
                     const std::vector<int64_t>& bins);
};

void DeepGalaxyReader::Impl::select_groups(const std::string& pattern) {
  const h5::Where where{info.source, "/"};
  std::vector<std::string> all = h5::member_names(file, where);
  for (const std::string& name : all)  // simulations are groups; other members are not rows
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0 && h5::is_group(file, name, where))
      groups.push_back(name);
  if (groups.empty()) {
    std::string known;
    for (size_t i = 0; i < all.size() && i < 8; ++i) known += (i ? ", " : "") + all[i];
    if (all.size() > 8) known += ", ...";
    h5::fail(where, "no group matches -d '" + pattern + "' (the file has " +
                        std::to_string(all.size()) + ": " + known + ")");
  }
}

void DeepGalaxyReader::Impl::open_camera(const std::string& group, int64_t camera,
                                         std::vector<std::string>& pair_labels,
                                         std::vector<int64_t>& bins) {
  const std::string images_name = "/" + group + "/" + camera_object("images", camera);
  const std::string times_name = "/" + group + "/" + camera_object("t_myr", camera);
  const h5::Where images_at{info.source, images_name}, times_at{info.source, times_name};
  for (const h5::Where* at : {&images_at, &times_at}) {
    const bool exists = h5::check_bool(H5Lexists(file, at->object.c_str() + 1, H5P_DEFAULT), *at,
                                       "cannot look up the object");
    if (!exists)
      h5::fail(*at, "missing (--num-camera " + std::to_string(cameras) + " needs cameras 00 to " +
                        two_digits(cameras - 1) + " in every group)");
  }
  Block b;
  b.group = group;
  b.camera = camera;
  b.images = h5::DataSet(
      h5::check(H5Dopen2(file, images_name.c_str(), H5P_DEFAULT), images_at, "cannot open it"));
  const std::vector<hsize_t> dims = h5::dataset_dims(b.images, images_at);
  if (dims.size() != 3 && dims.size() != 4)
    h5::fail(images_at, "images must be [T, H, W] or [T, H, W, C], got " +
                            shape_str(Shape(dims.begin(), dims.end())));
  h5::DataType type(h5::check(H5Dget_type(b.images), images_at, "cannot read the element type"));
  b.uint8 = H5Tget_class(type) == H5T_INTEGER && H5Tget_size(type) == 1 &&
            H5Tget_sign(type) == H5T_SGN_NONE;
  if (!b.uint8 && H5Tget_class(type) != H5T_FLOAT)
    h5::fail(images_at, "unsupported element type " + h5::type_name(type) +
                            " (images must be float16, float32, float64 or uint8)");
  const int64_t c = dims.size() == 4 ? static_cast<int64_t>(dims[3]) : 1;
  const Shape image{c, static_cast<int64_t>(dims[1]), static_cast<int64_t>(dims[2])};
  if (blocks.empty()) {
    info.image_shape = image;
    channels_last = c;
  } else if (image != info.image_shape) {
    h5::fail(images_at, "images of " + shape_str(image) + " (C, H, W) differ from the " +
                            shape_str(info.image_shape) + " of '/" + blocks.front().group + "/" +
                            camera_object("images", blocks.front().camera) + "'");
  }
  b.rows = static_cast<int64_t>(dims[0]);
  b.first_row = info.rows;
  info.rows += b.rows;

  h5::DataSet times(
      h5::check(H5Dopen2(file, times_name.c_str(), H5P_DEFAULT), times_at, "cannot open it"));
  for (int64_t bin : time_bins(times, b.rows, times_at)) {
    bins.push_back(bin);
    pair_labels.push_back(std::to_string(bin) + "_" + std::to_string(camera));
  }
  blocks.push_back(std::move(b));
}

void DeepGalaxyReader::Impl::derive_labels(DeepGalaxyLabels mode,
                                           const std::vector<std::string>& pair_labels,
                                           const std::vector<int64_t>& bins) {
  info.class_labels = true;
  info.label_width = 1;
  info.task = "classification";
  if (mode == DeepGalaxyLabels::Time) {
    class_ids = bins;
    const int64_t classes = bins.empty() ? 0 : *std::max_element(bins.begin(), bins.end()) + 1;
    ASTRO_CHECK(classes <= kMaxClasses, "DeepGalaxy file '", info.source, "': --dg-labels time ",
                "gives ", classes, " time bins (5 Myr each), more than the ", kMaxClasses,
                " classes astrocnn builds a model for (are the times in Myr?)");
    for (int64_t k = 0; k < classes; ++k) info.label_names.push_back(std::to_string(k));
    return;
  }
  // sklearn's LabelEncoder: the sorted distinct strings, each row its index.
  std::vector<std::string> names = pair_labels;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  class_ids.reserve(pair_labels.size());
  for (const std::string& s : pair_labels)
    class_ids.push_back(std::lower_bound(names.begin(), names.end(), s) - names.begin());
  info.label_names = std::move(names);
}

DeepGalaxyReader::DeepGalaxyReader(const std::string& path, const DeepGalaxyOptions& options)
    : impl_(std::make_unique<Impl>()) {
  ASTRO_CHECK(options.cameras >= 1 && options.cameras <= 14, "--num-camera must be 1 to 14, got ",
              options.cameras);
  h5::Guard guard;
  try {
    Impl& d = *impl_;
    d.info.source = path;
    d.info.format = "DeepGalaxy HDF5";
    d.cameras = options.cameras;
    d.file = h5::open_read_only(path, "DeepGalaxy");
    d.select_groups(options.datasets);
    std::vector<std::string> pair_labels;
    std::vector<int64_t> bins;
    for (const std::string& group : d.groups)
      for (int64_t camera = 0; camera < options.cameras; ++camera)
        d.open_camera(group, camera, pair_labels, bins);
    if (d.info.rows == 0) h5::fail({path, "/"}, "the selected groups hold no images");
    d.derive_labels(options.labels, pair_labels, bins);
  } catch (...) {
    impl_.reset();  // closes the HDF5 objects while the guard is held
    throw;
  }
}

DeepGalaxyReader::~DeepGalaxyReader() {
  h5::Guard guard;
  impl_.reset();
}

const RowSetInfo& DeepGalaxyReader::info() const { return impl_->info; }
const std::vector<std::string>& DeepGalaxyReader::groups() const { return impl_->groups; }

Tensor DeepGalaxyReader::read_labels(const std::vector<int64_t>& rows) const {
  check_indices(rows);
  std::vector<int64_t> ids;
  for (int64_t row : rows) ids.push_back(impl_->class_ids[static_cast<size_t>(row)]);
  return Tensor::from_vector(ids, {static_cast<int64_t>(ids.size())});
}

std::string DeepGalaxyReader::label_origin(int64_t row) const {
  const Block& b = impl_->block_of(row);
  return "HDF5 file '" + impl_->info.source + "', object '/" + b.group + "/" +
         camera_object("t_myr", b.camera) + "': row " + std::to_string(row - b.first_row);
}

std::string DeepGalaxyReader::image_origin(int64_t row) const {
  const Block& b = impl_->block_of(row);
  return "HDF5 file '" + impl_->info.source + "', object '/" + b.group + "/" +
         camera_object("images", b.camera) + "': row " + std::to_string(row - b.first_row);
}

void DeepGalaxyReader::read_sorted(const std::vector<int64_t>& rows, Tensor& images,
                                   Tensor& labels) const {
  const Impl& d = *impl_;
  const int64_t c = d.info.image_shape[0], h = d.info.image_shape[1], w = d.info.image_shape[2];
  const int64_t pixels = c * h * w;
  float* out = images.data<float>();
  int64_t* ids = labels.data<int64_t>();
  std::vector<float> hwc;
  h5::Guard guard;
  for (size_t i = 0; i < rows.size();) {
    // The rows of one camera: a run of runs within one dataset.
    const Block& b = d.block_of(rows[i]);
    size_t end = i;
    std::vector<int64_t> local;
    while (end < rows.size() && rows[end] < b.first_row + b.rows)
      local.push_back(rows[end++] - b.first_row);
    const h5::Where where{d.info.source, "/" + b.group + "/" + camera_object("images", b.camera)};
    const auto count = static_cast<int64_t>(local.size());
    float* dst = out + static_cast<int64_t>(i) * pixels;
    if (d.channels_last == 1) {  // [T, H, W(, 1)] is already [T, 1, H, W]
      h5::read_pixel_rows(b.images, h5::runs_of(local), b.uint8, dst,
                          static_cast<size_t>(count * pixels), where);
    } else {
      hwc.resize(static_cast<size_t>(count * pixels));
      h5::read_pixel_rows(b.images, h5::runs_of(local), b.uint8, hwc.data(), hwc.size(), where);
      channels_last_to_first(hwc.data(), count, h, w, c, dst);
    }
    for (size_t k = i; k < end; ++k) ids[k] = d.class_ids[static_cast<size_t>(rows[k])];
    i = end;
  }
}

}  // namespace astrocnn
