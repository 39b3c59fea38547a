// H5DatasetReader and load_dataset: the native HDF5 layout -> tensors (io/hdf5/h5_dataset.h).
#include <numeric>

#include "io/hdf5/h5_attributes.h"
#include "io/hdf5/h5_dataset.h"
#include "io/hdf5/h5_handle.h"
#include "io/hdf5/h5_read.h"

namespace astrocnn {

namespace {

std::string dims_str(const std::vector<hsize_t>& dims) {
  return shape_str(Shape(dims.begin(), dims.end()));
}

}  // namespace

struct H5DatasetReader::Impl {
  RowSetInfo info;  // source: the path
  h5::File file;
  h5::DataSet images, labels;
  std::string labels_name = "labels";  // the dataset read as the labels
  std::string image_type;
  bool uint8_images = false;

  const std::string& path() const { return info.source; }
  h5::DataSet open_dataset(const char* name, hid_t access);
  void inspect_images();
  void inspect_labels();
  void read_attributes();
};

h5::DataSet H5DatasetReader::Impl::open_dataset(const char* name, hid_t access) {
  const h5::Where where{path(), std::string("/") + name};
  const bool exists =
      h5::check_bool(H5Lexists(file, name, H5P_DEFAULT), where, "cannot look up the object");
  if (!exists && name == labels_name && labels_name != "labels")
    h5::fail(where, "missing: the file has no such dataset to read the labels from");
  if (!exists) h5::fail(where, "missing: a data set file needs /images and /labels");
  return h5::DataSet(h5::check(H5Dopen2(file, name, access), where,
                               "cannot open it as a dataset (is it a group?)"));
}

void H5DatasetReader::Impl::inspect_images() {
  const h5::Where where{path(), "/images"};
  const std::vector<hsize_t> dims = h5::dataset_dims(images, where);
  if (dims.size() != 4) h5::fail(where, "images must be 4-D [N, C, H, W], got " + dims_str(dims));
  info.rows = static_cast<int64_t>(dims[0]);
  info.image_shape = {static_cast<int64_t>(dims[1]), static_cast<int64_t>(dims[2]),
                      static_cast<int64_t>(dims[3])};
  if (info.rows == 0) h5::fail(where, "the data set is empty (N = 0)");
  // (A zero dimension, not a product: the product of huge dimensions may
  // wrap; io/readers/data_files.cpp refuses those with the size limit.)
  if (dims[1] == 0 || dims[2] == 0 || dims[3] == 0)
    h5::fail(where, "images have no pixels: " + dims_str(dims));

  h5::DataType type(h5::check(H5Dget_type(images), where, "cannot read the element type"));
  image_type = h5::type_name(type);
  const H5T_class_t kind = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  const bool float_ok = kind == H5T_FLOAT && (size == 4 || size == 8);
  uint8_images = kind == H5T_INTEGER && size == 1 && H5Tget_sign(type) == H5T_SGN_NONE;
  if (!float_ok && !uint8_images)
    h5::fail(where, "unsupported element type " + image_type +
                        " (images must be float32, float64 or uint8)");
}

void H5DatasetReader::Impl::inspect_labels() {
  const h5::Where where{path(), "/" + labels_name};
  const std::vector<hsize_t> dims = h5::dataset_dims(labels, where);
  h5::DataType type(h5::check(H5Dget_type(labels), where, "cannot read the element type"));
  const H5T_class_t kind = H5Tget_class(type);
  if (kind == H5T_INTEGER) {
    info.class_labels = true;
    if (dims.size() != 1)
      h5::fail(where, "integer labels are class ids and must be 1-D [N], got " + dims_str(dims));
  } else if (kind == H5T_FLOAT) {
    if (dims.size() != 2 || dims[1] == 0)
      h5::fail(where, "float labels must be 2-D [N, K] with K >= 1, got " + dims_str(dims) +
                          " (store a single target as [N, 1])");
    info.label_width = static_cast<int64_t>(dims[1]);
  } else {
    h5::fail(where, "unsupported element type " + h5::type_name(type) +
                        " (labels must be float32 [N, K] or int64 [N])");
  }
  if (static_cast<int64_t>(dims[0]) != info.rows)
    h5::fail(where, "/images has " + std::to_string(info.rows) + " rows but /" + labels_name + " has " +
                        std::to_string(dims[0]) + " (N must match)");
}

void H5DatasetReader::Impl::read_attributes() {
  const h5::Where where{path(), "/"};
  const bool class_ids = info.class_labels;
  std::string& task = info.task;
  std::vector<std::string>& label_names = info.label_names;
  if (h5::has_attribute(file, "astrocnn_format", where)) {
    const int64_t format = h5::read_int_attribute(file, "astrocnn_format", where);
    if (format < 1 || format > kH5DatasetFormat)
      h5::fail(where, "astrocnn_format " + std::to_string(format) +
                          " is not supported (this build reads formats 1 to " +
                          std::to_string(kH5DatasetFormat) + ")");
  }
  const std::string inferred = class_ids ? "classification" : "regression";
  if (labels_name != "labels") {  // the root attributes describe /labels, not this dataset
    task = inferred;
    if (!class_ids && info.label_width == 1) label_names = {labels_name};
    return;
  }
  task = h5::has_attribute(file, "task", where) ? h5::read_string_attribute(file, "task", where)
                                                : inferred;
  if (task != "regression" && task != "classification")
    h5::fail(where,
             "attribute task is \"" + task + "\", expected \"regression\" or \"classification\"");
  if (task != inferred)
    h5::fail(where, "task \"" + task + "\" does not match the labels (" +
                        (class_ids ? "int64 class ids mean classification"
                                   : "float targets mean regression") +
                        ")");
  if (h5::has_attribute(file, "label_names", where))
    label_names = h5::read_strings_attribute(file, "label_names", where);
  if (!class_ids && !label_names.empty() &&
      static_cast<int64_t>(label_names.size()) != info.label_width)
    h5::fail(where, std::to_string(label_names.size()) + " label_names for " +
                        std::to_string(info.label_width) + " label columns");
}

H5DatasetReader::H5DatasetReader(const std::string& path, const std::string& labels_dataset)
    : impl_(std::make_unique<Impl>()) {
  h5::Guard guard;
  try {
    impl_->info.source = path;
    ASTRO_CHECK(!labels_dataset.empty() && labels_dataset != "images" &&
                    labels_dataset.find('/') == std::string::npos,
                "HDF5 file '", path, "': the labels dataset must be a dataset name of the root "
                "group other than images (no '/'), got \"", labels_dataset, "\"");
    impl_->labels_name = labels_dataset;
    impl_->info.format = "native HDF5";
    impl_->file = h5::open_read_only(path, "dataset");
    // No chunk cache for images: uncompressed chunks are then read directly,
    // only the selected rows, instead of whole chunks (random batches would
    // otherwise read a few times more bytes than they use).
    const h5::Where where{path, "/images"};
    h5::PropList access(
        h5::check(H5Pcreate(H5P_DATASET_ACCESS), where, "cannot create a property list"));
    h5::check_status(H5Pset_chunk_cache(access, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT), where,
                     "cannot set the chunk cache");
    impl_->images = impl_->open_dataset("images", access);
    impl_->labels = impl_->open_dataset(impl_->labels_name.c_str(), H5P_DEFAULT);
    impl_->inspect_images();
    impl_->inspect_labels();
    impl_->read_attributes();
  } catch (...) {
    impl_.reset();  // closes the HDF5 objects while the guard is held
    throw;
  }
}

H5DatasetReader::~H5DatasetReader() {
  h5::Guard guard;
  impl_.reset();
}

const RowSetInfo& H5DatasetReader::info() const { return impl_->info; }
const std::string& H5DatasetReader::stored_image_type() const { return impl_->image_type; }

std::string H5DatasetReader::label_origin(int64_t row) const {
  return "HDF5 file '" + path() + "', object '/" + impl_->labels_name + "': row " + std::to_string(row);
}

std::string H5DatasetReader::image_origin(int64_t row) const {
  return "HDF5 file '" + path() + "', object '/images': row " + std::to_string(row);
}

void H5DatasetReader::read_sorted(const std::vector<int64_t>& rows, Tensor& images,
                                  Tensor& labels) const {
  const Impl& d = *impl_;
  h5::Guard guard;
  const h5::Where images_at{d.path(), "/images"}, labels_at{d.path(), "/" + d.labels_name};
  const std::vector<h5::Run> runs = h5::runs_of(rows);
  h5::read_pixel_rows(d.images, runs, d.uint8_images, images.data<float>(),
                      static_cast<size_t>(images.numel()), images_at);
  h5::read_rows(d.labels, runs, d.info.class_labels ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT,
                dtype_size(labels.dtype()), labels.raw(), labels_at);
}

namespace {

// The auxiliary columns of a native file (write_dataset's Dataset::aux): every
// float [N, K] dataset of the root group besides /images and /labels, in the
// order h5py lists them. Other members (groups, integer or other-shaped
// datasets) are not columns of the rows and are left alone.
std::vector<Dataset::Column> read_aux_columns(const std::string& path, int64_t rows) {
  h5::Guard guard;
  h5::File file = h5::open_read_only(path, "data set");
  std::vector<Dataset::Column> columns;
  for (const std::string& name : h5::member_names(file, {path, "/"})) {
    const h5::Where where{path, "/" + name};
    if (name == "images" || name == "labels" || h5::is_group(file, name, where)) continue;
    h5::DataSet dataset(h5::check(H5Dopen2(file, name.c_str(), H5P_DEFAULT), where, "cannot open it"));
    h5::DataType type(h5::check(H5Dget_type(dataset), where, "cannot read the element type"));
    const std::vector<hsize_t> dims = h5::dataset_dims(dataset, where);
    if (H5Tget_class(type) != H5T_FLOAT || dims.size() != 2 || static_cast<int64_t>(dims[0]) != rows ||
        dims[1] == 0)
      continue;
    Tensor values = Tensor::empty({rows, static_cast<int64_t>(dims[1])});
    h5::read_rows(dataset, {{0, dims[0]}}, H5T_NATIVE_FLOAT, sizeof(float), values.data<float>(), where);
    columns.push_back({name, std::move(values)});
  }
  return columns;
}

}  // namespace

Dataset load_dataset(const std::string& path) {
  H5DatasetReader reader(path);
  std::vector<int64_t> all(static_cast<size_t>(reader.size()));
  std::iota(all.begin(), all.end(), int64_t{0});
  Dataset data;
  reader.read(all, data.images, data.labels);
  data.label_names = reader.label_names();
  data.task = reader.task();
  data.aux = read_aux_columns(path, data.size());
  data.validate();
  return data;
}

}  // namespace astrocnn
