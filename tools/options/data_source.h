// The images a command works on: the built-in synthetic generator (kept in
// memory) or a data set on disk in any format astrocnn reads (io/readers/data_files.h:
// native HDF5, DeepGalaxy, obiwan shards or cutouts, FITS + labels CSV),
// read in batches while the work runs, never loaded whole. Both hand out the
// same batches for the same rows (see io/batches/streaming_iterator.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"
#include "io/readers/data_files.h"
#include "io/synth/synthetic.h"
#include "io/batches/batch_source.h"
#include "models/train/loss.h"

namespace CLI { class App; }

namespace astrocnn::cli {

struct DataInfo {
  std::string name;    // the file as given, or "the built-in morphology set"
  std::string format;  // "DeepGalaxy HDF5", ...; empty for the built-in set
  int64_t images = 0, channels = 0, height = 0, width = 0;
  bool class_labels = false;  // int64 class ids [N] (else float [N, K])
  int64_t label_width = 0;    // K of float labels; 1 for class ids
  std::vector<std::string> label_names;  // the K targets or the class names (may be empty)
  std::string task;
  // "1x32x32 images, 5 float labels (spheroid, ...)"
  std::string describe() const;
};

class DataSource {
 public:
  // The built-in generator's images 0..n-1.
  static std::unique_ptr<DataSource> builtin(const synth::SynthOptions& options);
  // A data set on disk, its format found from what `path` is; its layout is
  // checked now (an Error names the file and the problem).
  static std::unique_ptr<DataSource> file(const std::string& path,
                                          const DataFileOptions& options = {});

  virtual ~DataSource() = default;
  virtual const DataInfo& info() const = 0;
  // The labels of rows 0..min(n, N)-1 (e.g. to tell vote fractions from other targets).
  virtual Tensor first_labels(int64_t n) const = 0;
  // Batches over `rows`: shuffled anew each epoch from `seed` with `noise`
  // Gaussian noise, or in the given order without shuffling.
  virtual std::unique_ptr<BatchSource> batches(std::vector<int64_t> rows, int64_t batch_size,
                                               bool shuffle, uint64_t seed, double noise) const = 0;
  std::vector<int64_t> all_rows() const;
  // From now on, a class id >= `classes` read from the file is an Error
  // naming the file, the row and `model` (e.g. "the model of checkpoint
  // 'best.h5'"), not a failure deep in the loss. Files that name their
  // classes are checked against the model when opened; this catches the rest.
  virtual void limit_class_ids(int64_t classes, const std::string& model) {
    (void)classes, (void)model;  // the built-in sets' ids are their names'
  }
};

// Registers -d, --num-camera, --dg-labels, --split, --fake, --labels and
// --labels-dataset (the options some data formats need) on a subcommand.
void add_data_options(CLI::App* sub, DataFileOptions& options);
// The defaults of eval and predict: obiwan's test shards.
DataFileOptions test_split();

// The loss that suits the labels when --loss is not given: xent for class
// ids; rmse for vote fractions and for a single target; cosine for other
// vectors of targets (physical parameters, as DeepGalaxy's merger regression).
std::string default_loss(const DataInfo& info, const Tensor& first_labels);

// Throws unless `loss` suits the labels: xent needs class ids, the others
// real-valued labels.
void check_loss_fits(LossKind loss, const DataInfo& info);

}  // namespace astrocnn::cli
