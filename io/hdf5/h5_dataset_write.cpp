// write_dataset: an in-memory Dataset -> the native HDF5 layout (io/hdf5/h5_dataset.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include "io/hdf5/h5_attributes.h"
#include "io/hdf5/h5_dataset.h"
#include "io/hdf5/h5_handle.h"
#include "io/output_file.h"

namespace astrocnn {

namespace {

constexpr int64_t kMaxChunkBytes = 1 << 20;  // about 1 MiB of images per chunk
constexpr int64_t kMaxChunkImages = 16;
constexpr int64_t kLabelChunkBytes = 64 << 10;

// A few whole images per chunk: a batch of random rows then touches few bytes
// it does not need, and sequential reading stays efficient.
int64_t images_per_chunk(int64_t n, int64_t image_bytes, int64_t requested) {
  const int64_t automatic = std::clamp<int64_t>(kMaxChunkBytes / image_bytes, 1, kMaxChunkImages);
  return std::min(n, requested > 0 ? requested : automatic);
}

// The pixel values as uint8 (round(value * 255)); values must lie in [0, 1].
std::vector<uint8_t> quantise(const Tensor& images, const std::string& path) {
  const std::vector<double> values = images.to(DType::F64).to_vector<double>();
  std::vector<uint8_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    ASTRO_CHECK(values[i] >= 0 && values[i] <= 1, "write_dataset '", path,
                "': uint8 storage needs pixel values in [0, 1], but element ", i, " is ", values[i],
                " (rescale the images or store them as float32)");
    out[i] = static_cast<uint8_t>(std::lround(values[i] * 255));
  }
  return out;
}

void check_finite_labels(const Tensor& labels, const std::string& path) {
  if (labels.dtype() == DType::I64) return;
  const std::vector<double> v = labels.to(DType::F64).to_vector<double>();
  const int64_t k = labels.size(1);
  for (size_t i = 0; i < v.size(); ++i)
    ASTRO_CHECK(std::isfinite(v[i]), "write_dataset '", path, "': label row ",
                static_cast<int64_t>(i) / k, " holds ", v[i], " (labels must be finite)");
}

// Creates a chunked dataset `name` of `file_type` and writes all of `data`
// (in `memory_type`) into it.
void write_chunked(hid_t file, const char* name, const std::vector<hsize_t>& dims,
                   const std::vector<hsize_t>& chunk, hid_t file_type, hid_t memory_type,
                   const void* data, const h5::Where& where) {
  const int rank = static_cast<int>(dims.size());
  h5::DataSpace space(
      h5::check(H5Screate_simple(rank, dims.data(), nullptr), where, "cannot create a dataspace"));
  h5::PropList create(
      h5::check(H5Pcreate(H5P_DATASET_CREATE), where, "cannot create a property list"));
  h5::check_status(H5Pset_chunk(create, rank, chunk.data()), where, "cannot set the chunk shape");
  h5::DataSet dataset(
      h5::check(H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, create, H5P_DEFAULT), where,
                "cannot create the dataset"));
  h5::check_status(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), where,
                   "cannot write the dataset");
}

// A per-image table, the labels or an auxiliary column, [N, K]: int64 class
// ids or float32 values, in chunks of whole rows, about kLabelChunkBytes each.
void write_table(hid_t file, const std::string& name, const Tensor& table, int64_t n,
                 const h5::Where& where) {
  const std::vector<hsize_t> dims(table.shape().begin(), table.shape().end());
  const int64_t row_bytes = static_cast<int64_t>(table.nbytes()) / n;
  std::vector<hsize_t> chunk = dims;
  chunk[0] = static_cast<hsize_t>(std::clamp<int64_t>(kLabelChunkBytes / row_bytes, 1, n));
  if (table.dtype() == DType::I64)
    write_chunked(file, name.c_str(), dims, chunk, H5T_STD_I64LE, H5T_NATIVE_INT64, table.raw(), where);
  else
    write_chunked(file, name.c_str(), dims, chunk, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, table.raw(), where);
}

}  // namespace

void write_dataset(const Dataset& data, const std::string& path, const H5WriteOptions& options) {
  data.validate();
  const int64_t n = data.size();
  ASTRO_CHECK(n > 0, "write_dataset '", path, "': the data set is empty");
  ASTRO_CHECK(options.chunk_images >= 0, "write_dataset '", path,
              "': chunk_images must be >= 0 (0: automatic), got ", options.chunk_images);
  check_finite_labels(data.labels, path);
  for (const Dataset::Column& c : data.aux) check_finite_labels(c.values, path);
  check_output_file(path);  // before any work: a bad path fails at once

  // Everything converted before the file is created, so that bad values
  // never leave a temporary behind.
  const bool as_uint8 = options.images == ImageStorage::UInt8;
  std::vector<uint8_t> pixels_u8;
  Tensor pixels_f32;
  if (as_uint8)
    pixels_u8 = quantise(data.images, path);
  else
    pixels_f32 = data.images.to(DType::F32);
  const bool class_ids = data.labels.dtype() == DType::I64;
  const Tensor labels = class_ids ? data.labels : data.labels.to(DType::F32);
  std::vector<Tensor> aux;
  for (const Dataset::Column& c : data.aux) aux.push_back(c.values.to(DType::F32));

  const Shape& shape = data.images.shape();
  const std::vector<hsize_t> image_dims(shape.begin(), shape.end());
  const int64_t image_bytes = data.images.numel() / n * (as_uint8 ? 1 : 4);
  std::vector<hsize_t> image_chunk = image_dims;
  image_chunk[0] = static_cast<hsize_t>(images_per_chunk(n, image_bytes, options.chunk_images));

  h5::write_new_file(path, [&](hid_t file) {
    const h5::Where where{path, ""}, images_at{path, "/images"};
    if (as_uint8)
      write_chunked(file, "images", image_dims, image_chunk, H5T_STD_U8LE, H5T_NATIVE_UINT8,
                    pixels_u8.data(), images_at);
    else
      write_chunked(file, "images", image_dims, image_chunk, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                    pixels_f32.raw(), images_at);
    write_table(file, "labels", labels, n, h5::Where{path, "/labels"});
    // Auxiliary columns: float32 [N, K] datasets beside /labels, chunked like them.
    for (size_t a = 0; a < aux.size(); ++a)
      write_table(file, data.aux[a].name, aux[a], n, h5::Where{path, "/" + data.aux[a].name});

    h5::write_int_attribute(file, "astrocnn_format", kH5DatasetFormat, where);
    h5::write_string_attribute(file, "task", data.task, where);
    if (!data.label_names.empty())
      h5::write_strings_attribute(file, "label_names", data.label_names, where);
  });
}

}  // namespace astrocnn
