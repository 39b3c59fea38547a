// H5DatasetReader and load_dataset: the native HDF5 layout -> tensors (io/hdf5/h5_dataset.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "io/hdf5/h5_attributes.h"
#include "io/hdf5/h5_dataset.h"
#include "io/hdf5/h5_handle.h"

namespace astrocnn {

namespace {

std::string dims_str(const std::vector<hsize_t>& dims) {
  return shape_str(Shape(dims.begin(), dims.end()));
}

// A run of consecutive rows [start, start + count).
struct Run {
  hsize_t start, count;
};

// Runs covering `rows` (sorted, unique).
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

// Reads the rows of `runs` (whole rows, every other dimension complete) of a
// dataset into `buffer`, in row order, converting to `memory_type` (of
// `element_bytes` bytes). One H5Dread per run: HDF5 (1.10) reads a union of
// many hyperslabs through a slow general path, about 50x slower than reading
// the same rows as separate simple blocks.
void read_rows(hid_t dataset, const std::vector<Run>& runs, hid_t memory_type, size_t element_bytes,
               void* buffer, const h5::Where& where) {
  h5::DataSpace file_space(h5::check(H5Dget_space(dataset), where, "cannot read the dataspace"));
  const int rank = H5Sget_simple_extent_ndims(file_space);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  h5::check_status(H5Sget_simple_extent_dims(file_space, dims.data(), nullptr), where,
                   "cannot read the dataspace");
  size_t row_bytes = element_bytes;
  for (size_t d = 1; d < dims.size(); ++d) row_bytes *= dims[d];

  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  char* out = static_cast<char*>(buffer);
  for (const Run& run : runs) {
    start[0] = run.start;
    count[0] = run.count;
    h5::check_status(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr,
                                         count.data(), nullptr),
                     where, "cannot select rows");
    h5::DataSpace memory_space(h5::check(H5Screate_simple(rank, count.data(), nullptr), where,
                                         "cannot create a dataspace"));
    h5::check_status(H5Dread(dataset, memory_type, memory_space, file_space, H5P_DEFAULT, out),
                     where,
                     "cannot read rows " + std::to_string(run.start) + " to " +
                         std::to_string(run.start + run.count - 1));
    out += run.count * row_bytes;
  }
}

}  // namespace

struct H5DatasetReader::Impl {
  std::string path;
  h5::File file;
  h5::DataSet images, labels;
  int64_t n = 0;
  Shape image_shape;  // [C, H, W]
  std::string image_type;
  bool uint8_images = false;
  bool class_ids = false;
  int64_t label_width = 1;  // K; 1 for class ids
  std::string task;
  std::vector<std::string> label_names;

  h5::DataSet open_dataset(const char* name, hid_t access);
  void inspect_images();
  void inspect_labels();
  void read_attributes();
  void check_label_rows(const std::vector<int64_t>& rows, const Tensor& labels) const;
};

h5::DataSet H5DatasetReader::Impl::open_dataset(const char* name, hid_t access) {
  const h5::Where where{path, std::string("/") + name};
  const bool exists =
      h5::check_bool(H5Lexists(file, name, H5P_DEFAULT), where, "cannot look up the object");
  if (!exists) h5::fail(where, "missing: a data set file needs /images and /labels");
  return h5::DataSet(h5::check(H5Dopen2(file, name, access), where,
                               "cannot open it as a dataset (is it a group?)"));
}

void H5DatasetReader::Impl::inspect_images() {
  const h5::Where where{path, "/images"};
  const std::vector<hsize_t> dims = h5::dataset_dims(images, where);
  if (dims.size() != 4) h5::fail(where, "images must be 4-D [N, C, H, W], got " + dims_str(dims));
  n = static_cast<int64_t>(dims[0]);
  image_shape = {static_cast<int64_t>(dims[1]), static_cast<int64_t>(dims[2]),
                 static_cast<int64_t>(dims[3])};
  if (n == 0) h5::fail(where, "the data set is empty (N = 0)");
  if (shape_numel(image_shape) == 0) h5::fail(where, "images have no pixels: " + dims_str(dims));

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
  const h5::Where where{path, "/labels"};
  const std::vector<hsize_t> dims = h5::dataset_dims(labels, where);
  h5::DataType type(h5::check(H5Dget_type(labels), where, "cannot read the element type"));
  const H5T_class_t kind = H5Tget_class(type);
  if (kind == H5T_INTEGER) {
    class_ids = true;
    if (dims.size() != 1)
      h5::fail(where, "integer labels are class ids and must be 1-D [N], got " + dims_str(dims));
  } else if (kind == H5T_FLOAT) {
    if (dims.size() != 2 || dims[1] == 0)
      h5::fail(where, "float labels must be 2-D [N, K] with K >= 1, got " + dims_str(dims) +
                          " (store a single target as [N, 1])");
    label_width = static_cast<int64_t>(dims[1]);
  } else {
    h5::fail(where, "unsupported element type " + h5::type_name(type) +
                        " (labels must be float32 [N, K] or int64 [N])");
  }
  if (static_cast<int64_t>(dims[0]) != n)
    h5::fail(where, "/images has " + std::to_string(n) + " rows but /labels has " +
                        std::to_string(dims[0]) + " (N must match)");
}

void H5DatasetReader::Impl::read_attributes() {
  const h5::Where where{path, "/"};
  if (h5::has_attribute(file, "astrocnn_format", where)) {
    const int64_t format = h5::read_int_attribute(file, "astrocnn_format", where);
    if (format < 1 || format > kH5DatasetFormat)
      h5::fail(where, "astrocnn_format " + std::to_string(format) +
                          " is not supported (this build reads formats 1 to " +
                          std::to_string(kH5DatasetFormat) + ")");
  }
  const std::string inferred = class_ids ? "classification" : "regression";
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
  if (!class_ids && !label_names.empty() && static_cast<int64_t>(label_names.size()) != label_width)
    h5::fail(where, std::to_string(label_names.size()) + " label_names for " +
                        std::to_string(label_width) + " label columns");
}

// Labels must be usable targets: finite, and class ids among the classes.
void H5DatasetReader::Impl::check_label_rows(const std::vector<int64_t>& rows,
                                             const Tensor& values) const {
  const h5::Where where{path, "/labels"};
  if (class_ids) {
    const int64_t classes = static_cast<int64_t>(label_names.size());
    const int64_t* ids = values.data<int64_t>();
    for (size_t i = 0; i < rows.size(); ++i)
      if (ids[i] < 0 || (classes > 0 && ids[i] >= classes))
        h5::fail(where, "row " + std::to_string(rows[i]) + " has class id " +
                            std::to_string(ids[i]) + ", outside [0, " +
                            (classes > 0 ? std::to_string(classes) : "inf") + ")");
    return;
  }
  const float* v = values.data<float>();
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t k = 0; k < label_width; ++k)
      if (!std::isfinite(v[i * label_width + k]))
        h5::fail(where, "row " + std::to_string(rows[i]) + " holds a non-finite label (" +
                            std::to_string(v[i * label_width + k]) + " in column " +
                            std::to_string(k) + ")");
}

H5DatasetReader::H5DatasetReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  h5::Guard guard;
  try {
    impl_->path = path;
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
    impl_->labels = impl_->open_dataset("labels", H5P_DEFAULT);
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

const std::string& H5DatasetReader::path() const { return impl_->path; }
int64_t H5DatasetReader::size() const { return impl_->n; }
const Shape& H5DatasetReader::image_shape() const { return impl_->image_shape; }
bool H5DatasetReader::class_labels() const { return impl_->class_ids; }
const std::string& H5DatasetReader::stored_image_type() const { return impl_->image_type; }
const std::string& H5DatasetReader::task() const { return impl_->task; }
const std::vector<std::string>& H5DatasetReader::label_names() const { return impl_->label_names; }

Shape H5DatasetReader::images_shape() const {
  Shape s{impl_->n};
  s.insert(s.end(), impl_->image_shape.begin(), impl_->image_shape.end());
  return s;
}

Shape H5DatasetReader::labels_shape() const {
  return impl_->class_ids ? Shape{impl_->n} : Shape{impl_->n, impl_->label_width};
}

void H5DatasetReader::read(const std::vector<int64_t>& indices, Tensor& images,
                           Tensor& labels) const {
  const Impl& d = *impl_;
  for (int64_t i : indices)
    ASTRO_CHECK(i >= 0 && i < d.n, "H5DatasetReader '", d.path, "': row index ", i,
                " is outside [0, ", d.n, ")");

  // Read each distinct row once, in file order (locality), then scatter.
  std::vector<int64_t> rows = indices;
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  const auto unique = static_cast<int64_t>(rows.size());
  Shape image_rows_shape{unique};
  image_rows_shape.insert(image_rows_shape.end(), d.image_shape.begin(), d.image_shape.end());
  const Shape label_rows_shape = d.class_ids ? Shape{unique} : Shape{unique, d.label_width};
  Tensor x = Tensor::empty(image_rows_shape, DType::F32);
  Tensor y = Tensor::empty(label_rows_shape, d.class_ids ? DType::I64 : DType::F32);
  if (unique > 0) {
    h5::Guard guard;
    const h5::Where images_at{d.path, "/images"}, labels_at{d.path, "/labels"};
    const std::vector<Run> runs = runs_of(rows);
    if (d.uint8_images) {
      std::vector<uint8_t> bytes(static_cast<size_t>(x.numel()));
      read_rows(d.images, runs, H5T_NATIVE_UINT8, 1, bytes.data(), images_at);
      float* out = x.data<float>();
      for (size_t i = 0; i < bytes.size(); ++i) out[i] = static_cast<float>(bytes[i]) / 255.0f;
    } else {
      read_rows(d.images, runs, H5T_NATIVE_FLOAT, 4, x.raw(), images_at);
    }
    read_rows(d.labels, runs, d.class_ids ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT,
              dtype_size(y.dtype()), y.raw(), labels_at);
    d.check_label_rows(rows, y);
  }

  const auto batch = static_cast<int64_t>(indices.size());
  if (unique == batch && std::is_sorted(indices.begin(), indices.end())) {
    images = x;  // already in the requested order
    labels = y;
    return;
  }
  Shape image_batch_shape = x.shape(), label_batch_shape = y.shape();
  image_batch_shape[0] = label_batch_shape[0] = batch;
  images = Tensor::empty(image_batch_shape, DType::F32);
  labels = Tensor::empty(label_batch_shape, y.dtype());
  const size_t image_bytes = x.nbytes() / static_cast<size_t>(unique);
  const size_t label_bytes = y.nbytes() / static_cast<size_t>(unique);
  const char* src_x = static_cast<const char*>(x.raw());
  const char* src_y = static_cast<const char*>(y.raw());
  char* dst_x = static_cast<char*>(images.raw());
  char* dst_y = static_cast<char*>(labels.raw());
  for (int64_t b = 0; b < batch; ++b) {
    const auto at =
        static_cast<size_t>(std::lower_bound(rows.begin(), rows.end(), indices[b]) - rows.begin());
    std::memcpy(dst_x + b * image_bytes, src_x + at * image_bytes, image_bytes);
    std::memcpy(dst_y + b * label_bytes, src_y + at * label_bytes, label_bytes);
  }
}

Dataset load_dataset(const std::string& path) {
  H5DatasetReader reader(path);
  std::vector<int64_t> all(static_cast<size_t>(reader.size()));
  std::iota(all.begin(), all.end(), int64_t{0});
  Dataset data;
  reader.read(all, data.images, data.labels);
  data.label_names = reader.label_names();
  data.task = reader.task();
  data.validate();
  return data;
}

}  // namespace astrocnn
