// Data sets in astrocnn's native HDF5 layout (docs/DATA.md):
//
//   /images  [N, C, H, W]  float32 (read as is) or uint8 (read as value / 255)
//   /labels  [N, K] float32 (regression targets, vote fractions) or
//            [N]    int64   (class ids)
//   root attributes: task ("regression" | "classification"), label_names
//                    (string array), astrocnn_format (integer, 1)
//
// write_dataset() writes a whole in-memory Dataset; H5DatasetReader reads
// any rows of a file without loading the rest, so files larger than memory
// train through StreamingBatchIterator (io/hdf5/streaming_iterator.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/dataset.h"

namespace astrocnn {

// The layout version this build writes and the newest it reads.
constexpr int64_t kH5DatasetFormat = 1;

enum class ImageStorage {
  Float32,  // exact
  UInt8,    // round(value * 255): 4x smaller; values must lie in [0, 1]
};

struct H5WriteOptions {
  ImageStorage images = ImageStorage::Float32;
  // Images per HDF5 chunk; 0 chooses a few (at most 16, about 1 MiB at most).
  int64_t chunk_images = 0;
};

// Writes `data` (validated first: see Dataset::validate; labels must be
// finite) to `path` atomically (io/hdf5/atomic_write.h). float64 images and
// labels are stored as float32.
void write_dataset(const Dataset& data, const std::string& path,
                   const H5WriteOptions& options = {});

// Reads a whole file into memory (for files that fit; see H5DatasetReader).
Dataset load_dataset(const std::string& path);

// An open data set file. Construction validates the layout and throws an
// Error naming the file and the problem (missing file, not HDF5, missing or
// misshapen /images or /labels, unsupported element types, N mismatch,
// empty data set, bad attributes). Thread-safe: read() may be called from
// several threads (calls are serialised).
class H5DatasetReader {
 public:
  explicit H5DatasetReader(const std::string& path);
  ~H5DatasetReader();
  H5DatasetReader(const H5DatasetReader&) = delete;
  H5DatasetReader& operator=(const H5DatasetReader&) = delete;

  const std::string& path() const;
  int64_t size() const;                          // N
  const Shape& image_shape() const;              // [C, H, W]
  Shape images_shape() const;                    // [N, C, H, W]
  Shape labels_shape() const;                    // [N, K] or [N]
  bool class_labels() const;                     // int64 [N] class ids (else float [N, K])
  const std::string& stored_image_type() const;  // "float32", "float64" or "uint8"
  // From the attributes; task is inferred from the labels when the file has
  // none (class ids: "classification", floats: "regression"), and
  // label_names is empty when the file has none.
  const std::string& task() const;
  const std::vector<std::string>& label_names() const;

  // Reads the rows `indices` (any order, repeats allowed, each in [0, N))
  // into new tensors: images float32 [B, C, H, W] and labels float32 [B, K]
  // or int64 [B], row b holding sample indices[b]. Only those rows are read,
  // in file order (one hyperslab per run of consecutive rows), then put in
  // the requested order. A label that is NaN or infinite, or
  // a class id outside [0, number of label names), throws an Error naming the
  // file and the row.
  void read(const std::vector<int64_t>& indices, Tensor& images, Tensor& labels) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrocnn
