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
// train through StreamingBatchIterator (io/batches/streaming_iterator.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"
#include "io/batches/dataset.h"
#include "io/readers/row_reader.h"

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
// finite) to `path` atomically (io/output_file.h). float64 images and
// labels are stored as float32.
void write_dataset(const Dataset& data, const std::string& path,
                   const H5WriteOptions& options = {});

// Reads a whole file into memory (for files that fit; see H5DatasetReader),
// with its auxiliary columns: the other float [N, K] datasets of the root
// group, such as synth --kind lens's /einstein_radius.
Dataset load_dataset(const std::string& path);

// An open data set file. Construction validates the layout and throws an
// Error naming the file and the problem (missing file, not HDF5, missing or
// misshapen /images or /labels, unsupported element types, N mismatch,
// empty data set, bad attributes). Rows are read by RowReader::read (any
// rows, in file order, one hyperslab per run of consecutive rows); reading is
// thread-safe (HDF5 calls are serialised by h5::Guard).
//
// `labels_dataset` names the dataset read as the labels: "labels" (/labels),
// or another float [N, K] or integer [N] dataset of the root group, such as
// an auxiliary column (Dataset::aux); its task then follows from its type,
// and its label_names are {its name} for one float column (none otherwise).
class H5DatasetReader final : public RowReader {
 public:
  explicit H5DatasetReader(const std::string& path, const std::string& labels_dataset = "labels");
  ~H5DatasetReader() override;

  const RowSetInfo& info() const override;
  const std::string& path() const { return info().source; }
  const std::string& stored_image_type() const;  // "float32", "float64" or "uint8"
  // task() and label_names() (RowReader) come from the attributes; task is
  // inferred from the labels when the file has none (class ids:
  // "classification", floats: "regression"), and label_names is empty when
  // the file has none.

 protected:
  void read_sorted(const std::vector<int64_t>& rows, Tensor& images, Tensor& labels) const override;
  std::string label_origin(int64_t row) const override;  // "HDF5 file 'f', object '/labels': row r"
  std::string image_origin(int64_t row) const override;  // "HDF5 file 'f', object '/images': row r"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrocnn
