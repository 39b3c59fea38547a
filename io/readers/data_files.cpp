// Telling the data-set formats apart and opening the right reader (io/readers/data_files.h).
#include "io/readers/data_files.h"

#include <filesystem>

#include "io/readers/obiwan_shards.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/deepgalaxy_reader.h"
#include "io/hdf5/h5_dataset.h"
#include "io/hdf5/h5_layout.h"
#include "io/hdf5/obiwan_cutouts.h"
#endif
#if defined(ASTROCNN_HAVE_FITS)
#include "io/fits/fits_reader.h"
#endif

namespace astrocnn {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_fits_name(const std::string& name) {
  for (const char* tail : {".fits", ".fit", ".fts", ".fits.gz", ".fits.fz"})
    if (ends_with(name, tail)) return true;
  return false;
}

// The options a format does not take must keep their defaults.
void only_for(const char* format, const std::string& path, const DataFileOptions& o,
              bool deepgalaxy, bool cutouts, bool fits, bool shards = false, bool native = false) {
  const DataFileOptions defaults;
  auto refuse = [&](const char* option, const char* owner) {
    throw Error(std::string(option) + " applies to " + owner + ", but '" + path + "' is " + format);
  };
  if (!deepgalaxy && o.datasets != defaults.datasets) refuse("-d", "DeepGalaxy files");
  if (!deepgalaxy && o.num_camera != defaults.num_camera)
    refuse("--num-camera", "DeepGalaxy files");
  if (!deepgalaxy && o.dg_labels != defaults.dg_labels) refuse("--dg-labels", "DeepGalaxy files");
  if (!cutouts && !o.fake.empty()) refuse("--fake", "obiwan cutout files");
  if (!fits && !o.labels.empty()) refuse("--labels", "directories of FITS images");
  if (!shards && !o.split.empty()) refuse("--split", "obiwan shards");
  if (!native && !o.labels_dataset.empty()) refuse("--labels-dataset", "native astrocnn HDF5 files");
}

std::string split_of(const DataFileOptions& o) {
  return o.split.empty() ? o.default_split : o.split;
}

std::shared_ptr<const RowReader> open_fits(const std::string& csv, const std::string& dir) {
#if defined(ASTROCNN_HAVE_FITS)
  return std::make_shared<FitsDirectoryReader>(csv, dir);
#else
  (void)dir;
  throw Error("-f '" + csv +
              "': this astrocnn was built without cfitsio (install libcfitsio-dev "
              "and re-run cmake), so it cannot read FITS images");
#endif
}

std::shared_ptr<const RowReader> open_hdf5(const std::string& path, const DataFileOptions& o) {
#if defined(ASTROCNN_HAVE_HDF5)
  switch (detect_h5_layout(path)) {
    case H5Layout::Native:
      only_for("a native astrocnn HDF5 file", path, o, false, false, false, false, true);
      return std::make_shared<H5DatasetReader>(path, o.labels_dataset.empty() ? "labels" : o.labels_dataset);
    case H5Layout::DeepGalaxy: {
      only_for("a DeepGalaxy file", path, o, true, false, false);
      DeepGalaxyOptions dg;
      dg.datasets = o.datasets;
      dg.cameras = o.num_camera;
      dg.labels = parse_deepgalaxy_labels(o.dg_labels);
      return std::make_shared<DeepGalaxyReader>(path, dg);
    }
    case H5Layout::ObiwanCutouts:
      only_for("an obiwan cutout file", path, o, false, true, false);
      return std::make_shared<ObiwanCutoutReader>(path, o.fake);
    case H5Layout::Unknown:
      break;
  }
  throw Error("HDF5 file '" + path +
              "' holds none of the layouts astrocnn reads: /images and "
              "/labels (native), groups of images_camera_NN (DeepGalaxy), groups of img and ivar "
              "(obiwan cutouts); see docs/DATA.md");
#else
  (void)o;
  throw Error("-f " + path +
              ": this astrocnn was built without HDF5 (install libhdf5-dev and "
              "re-run cmake); HDF5 files cannot be read");
#endif
}

// The sizes a data set declares, checked before anything is sized by them:
// a damaged or hostile header (H = W = 2^20, N = 2^40) is an error naming the
// file, not an allocation that fails far from it. The bounds lie far above
// real data sets (DeepGalaxy's largest images are 2048 x 2048; the largest
// surveys hold a few 10^9 sources, not one data set of them).
constexpr int64_t kMaxRows = int64_t{1} << 31;
constexpr int64_t kMaxImageElements = int64_t{1} << 26;  // 256 MiB of float32 per image

std::shared_ptr<const RowReader> checked_sizes(std::shared_ptr<const RowReader> reader) {
  const RowSetInfo& d = reader->info();
  int64_t elements = 1;
  bool overflow = false;
  for (int64_t n : d.image_shape) overflow = overflow || __builtin_mul_overflow(elements, n, &elements);
  ASTRO_CHECK(!overflow && elements <= kMaxImageElements, "'", d.source, "' (", d.format,
              ") declares images of ", shape_str(d.image_shape), " (channels, height, width), ",
              "more than the ", kMaxImageElements, " values astrocnn takes per image");
  ASTRO_CHECK(elements > 0, "'", d.source, "' (", d.format, ") declares empty images of ",
              shape_str(d.image_shape), " (channels, height, width)");
  ASTRO_CHECK(d.rows > 0, "'", d.source, "' (", d.format, ") holds no images");
  ASTRO_CHECK(d.rows <= kMaxRows, "'", d.source, "' (", d.format, ") declares ", d.rows,
              " images, more than the ", kMaxRows, " astrocnn reads from one data set");
  ASTRO_CHECK(!d.class_labels || static_cast<int64_t>(d.label_names.size()) <= kMaxClasses, "'",
              d.source, "' (", d.format, ") names ", d.label_names.size(),
              " classes, more than the ", kMaxClasses, " astrocnn builds a model for");
  ASTRO_CHECK(d.class_labels || (d.label_width >= 1 && d.label_width <= kMaxClasses), "'",
              d.source, "' (", d.format, ") has ", d.label_width, " label columns (1 to ",
              kMaxClasses, " are read)");
  return reader;
}

std::shared_ptr<const RowReader> open_reader(const std::string& path, const DataFileOptions& o);

}  // namespace

std::shared_ptr<const RowReader> open_data_files(const std::string& path,
                                                 const DataFileOptions& o) {
  return checked_sizes(open_reader(path, o));
}

namespace {

std::shared_ptr<const RowReader> open_reader(const std::string& path, const DataFileOptions& o) {
  std::error_code ec;
  const std::string name = fs::path(path).filename().string();
  if (fs::is_directory(path, ec)) {
    const std::string csv = o.labels.empty() ? (fs::path(path) / "labels.csv").string() : o.labels;
    if (!o.labels.empty() || fs::exists(csv, ec)) {
      only_for("a directory of FITS images", path, o, false, false, true);
      return open_fits(csv, path);
    }
    if (holds_obiwan_shards(path)) {
      only_for("a directory of obiwan shards", path, o, false, false, false, true);
      return std::make_shared<ObiwanShardReader>(path, split_of(o));
    }
    throw Error("-f '" + path +
                "' is a directory without labels.csv (FITS images: give the "
                "table with --labels) and without obiwan shards (xtrain_N.npy, ytrain_N.npy)");
  }
  if (ends_with(name, ".csv")) {
    ASTRO_CHECK(o.labels.empty(), "-f '", path, "' is a labels CSV already: leave out --labels ",
                o.labels);
    only_for("a labels CSV", path, o, false, false, true);
    return open_fits(path, "");
  }
  if (is_obiwan_shard_name(name)) {
    only_for("an obiwan shard", path, o, false, false, false, true);
    // One shard is of the split its name says; --split may only repeat it.
    ASTRO_CHECK(o.split.empty() || name.rfind("x" + o.split, 0) == 0 ||
                    name.rfind("y" + o.split, 0) == 0,
                "--split ", o.split, " contradicts the shard '", path, "' (its name says its split)");
    return std::make_shared<ObiwanShardReader>(path, split_of(o));
  }
  ASTRO_CHECK(!ends_with(name, ".npy"), "-f '", path,
              "': a .npy file is read as an obiwan shard, "
              "named xtrain_N.npy or xtest_N.npy with its ytrain_N.npy / ytest_N.npy beside it");
  ASTRO_CHECK(!is_fits_name(name), "-f '", path,
              "': FITS images are read as a directory with a "
              "labels CSV (-f DIR, or -f DIR/labels.csv); see docs/DATA.md");
  return open_hdf5(path, o);
}

}  // namespace

}  // namespace astrocnn
