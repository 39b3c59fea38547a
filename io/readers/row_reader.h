// RowReader: what every data-set reader offers the training loop, whatever the
// files look like on disk: the shape of an image and of its label, and "read
// these rows". StreamingBatchIterator (io/batches/streaming_iterator.h) streams any
// RowReader, so a data set larger than memory trains through the same batches
// whatever its format:
//
//   native HDF5 file            H5DatasetReader      io/hdf5/h5_dataset.h
//   DeepGalaxy HDF5 file        DeepGalaxyReader     io/hdf5/deepgalaxy_reader.h
//   obiwan per-brick cutouts    ObiwanCutoutReader   io/hdf5/obiwan_cutouts.h
//   obiwan .npy shards          ObiwanShardReader    io/readers/obiwan_shards.h
//   FITS images + labels CSV    FitsDirectoryReader  io/fits/fits_reader.h
//
// A reader opens (and checks) its files when constructed and reads pixels
// only when asked. read() is the same for every reader: it checks the row
// indices, asks the format for the distinct rows in increasing order (so a
// reader walks its files front to back), checks the labels, and hands the
// rows back in the order asked for.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"

namespace astrocnn {

// The most classes a data set may have: class ids lie in [0, kMaxClasses).
// Formats that number classes from the values in a file (a labels CSV's
// integer ids, DeepGalaxy's time bins) check it, so that one wrong number
// cannot make a name, and a model output, for every id up to a billion.
// DeepGalaxy's published model has 994 classes.
constexpr int64_t kMaxClasses = 65536;

// What a data set holds.
struct RowSetInfo {
  std::string source;  // the file or directory, as given (for messages)
  std::string format;  // "native HDF5", "DeepGalaxy HDF5", "obiwan shards", ...
  int64_t rows = 0;    // N
  Shape image_shape;   // [C, H, W]
  // int64 class ids [N] (label_width 1), else float32 targets [N, K].
  bool class_labels = false;
  int64_t label_width = 1;
  // The class names, or the K target names; may be empty for a file without
  // names. Class ids must lie in [0, label_names.size()) when names are given.
  std::vector<std::string> label_names;
  std::string task;  // "classification" (class ids) or "regression"
};

class RowReader {
 public:
  virtual ~RowReader() = default;
  RowReader() = default;
  RowReader(const RowReader&) = delete;
  RowReader& operator=(const RowReader&) = delete;

  virtual const RowSetInfo& info() const = 0;

  // Reads the rows `indices` (any order, repeats allowed, each in [0, N))
  // into new tensors: images float32 [B, C, H, W] and labels float32 [B, K]
  // or int64 [B], row b holding sample indices[b]. Throws an Error naming
  // the file and the row for a label that is NaN or infinite, a class id
  // outside [0, number of class names), or an image with a NaN or infinite
  // pixel (a network's outputs on it would be NaN). Safe to call from several threads at
  // once (the training and validation iterators each read in a thread).
  void read(const std::vector<int64_t>& indices, Tensor& images, Tensor& labels) const;

  // The labels of `rows` alone, as read() gives them (e.g. to choose a loss
  // from the first rows). The default reads the rows a few at a time, so that
  // memory holds a few images however large they are; formats that keep their
  // labels apart from the pixels return them without reading pixels.
  virtual Tensor read_labels(const std::vector<int64_t>& rows) const;

  int64_t size() const { return info().rows; }
  const Shape& image_shape() const { return info().image_shape; }
  Shape images_shape() const;  // [N, C, H, W]
  Shape labels_shape() const;  // [N, K] or [N]
  bool class_labels() const { return info().class_labels; }
  const std::string& task() const { return info().task; }
  const std::vector<std::string>& label_names() const { return info().label_names; }

 protected:
  // The format's part of read(): fills `images` (float32 [n, C, H, W],
  // allocated) and `labels` (float32 [n, K] or int64 [n], allocated) with the
  // rows `rows`, which are distinct, increasing and in range.
  virtual void read_sorted(const std::vector<int64_t>& rows, Tensor& images,
                           Tensor& labels) const = 0;
  // Where row `row`'s label comes from, for error messages; the default is
  // "'<source>': row <row>". E.g. "HDF5 file 'train.h5', object '/labels': row 6".
  virtual std::string label_origin(int64_t row) const;
  // Where row `row`'s image comes from, for error messages; the default is
  // "'<source>': row <row>". E.g. "HDF5 file 'train.h5', object '/images': row 6".
  virtual std::string image_origin(int64_t row) const;
  // Throws an Error naming the data set unless every index is in [0, N).
  void check_indices(const std::vector<int64_t>& indices) const;
};

// Images stored channels last, as numpy/TensorFlow code writes them:
// `in` [n, h, w, c] -> `out` [n, c, h, w].
void channels_last_to_first(const float* in, int64_t n, int64_t h, int64_t w, int64_t c,
                            float* out);

}  // namespace astrocnn
