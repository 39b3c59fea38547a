// obiwan's per-brick HDF5 cutouts -> rows of 2B channels (io/hdf5/obiwan_cutouts.h).
#include "io/hdf5/obiwan_cutouts.h"

#include <algorithm>
#include <cstdlib>

#include "io/hdf5/h5_attributes.h"
#include "io/hdf5/h5_handle.h"
#include "io/hdf5/h5_read.h"

namespace astrocnn {

namespace {

// Tractor ids are integers; sorted as numbers (obiwan sorts the simulated
// ids with astype(int32)), names that are not numbers after them.
bool by_id(const std::string& a, const std::string& b) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  const long long ia = std::strtoll(a.c_str(), &end_a, 10),
                  ib = std::strtoll(b.c_str(), &end_b, 10);
  const bool na = !a.empty() && *end_a == '\0', nb = !b.empty() && *end_b == '\0';
  if (na != nb) return na;
  return na && ia != ib ? ia < ib : a < b;
}

// One file: its groups, each holding img and ivar of one shape.
struct CutoutFile {
  std::string path;
  h5::File file;
  std::vector<std::string> ids;
};

}  // namespace

struct ObiwanCutoutReader::Impl {
  RowSetInfo info;
  std::vector<CutoutFile> files;                // real, then fake
  std::vector<std::pair<size_t, size_t>> rows;  // (file, id index) of each row
  std::vector<hsize_t> dims;                    // [X, Y, B] of every img and ivar

  void open(const std::string& path);
  void check_cutout(const CutoutFile& f, const std::string& id);
};

void ObiwanCutoutReader::Impl::check_cutout(const CutoutFile& f, const std::string& id) {
  if (!h5::is_group(f.file, id, {f.path, "/" + id}))
    h5::fail({f.path, "/" + id},
             "is not a cutout group (a group per tractor id holding img and ivar)");
  for (const char* part : {"img", "ivar"}) {
    const std::string object = "/" + id + "/" + part;
    const h5::Where where{f.path, object};
    if (!h5::check_bool(H5Lexists(f.file, object.c_str(), H5P_DEFAULT), where,
                        "cannot look up the object"))
      h5::fail(where, "missing: every cutout group holds img and ivar");
    h5::DataSet d(
        h5::check(H5Dopen2(f.file, object.c_str(), H5P_DEFAULT), where, "cannot open it"));
    const std::vector<hsize_t> here = h5::dataset_dims(d, where);
    if (here.size() != 3)
      h5::fail(where, "a cutout must be 3-D [64, 64, bands], got " +
                          shape_str(Shape(here.begin(), here.end())));
    if (dims.empty()) dims = here;
    if (here != dims)
      h5::fail(where, "a cutout of " + shape_str(Shape(here.begin(), here.end())) +
                          " differs from the first one's " +
                          shape_str(Shape(dims.begin(), dims.end())));
  }
}

void ObiwanCutoutReader::Impl::open(const std::string& path) {
  CutoutFile f;
  f.path = path;
  f.file = h5::open_read_only(path, "obiwan cutout");
  f.ids = h5::member_names(f.file, {path, "/"});
  std::sort(f.ids.begin(), f.ids.end(), by_id);
  if (f.ids.empty()) h5::fail({path, "/"}, "the file holds no cutouts");
  for (const std::string& id : f.ids) check_cutout(f, id);
  files.push_back(std::move(f));
}

ObiwanCutoutReader::ObiwanCutoutReader(const std::string& real, const std::string& fake)
    : impl_(std::make_unique<Impl>()) {
  h5::Guard guard;
  try {
    Impl& d = *impl_;
    d.info.source = fake.empty() ? real : real + " + " + fake;
    d.info.format = "obiwan HDF5 cutouts";
    d.open(real);
    if (!fake.empty()) d.open(fake);
    // As many real as fake galaxies (split_testtrain.py): the first n of each.
    size_t n = d.files[0].ids.size();
    for (const CutoutFile& f : d.files) n = std::min(n, f.ids.size());
    for (size_t f = 0; f < d.files.size(); ++f)
      for (size_t i = 0; i < n; ++i) d.rows.push_back({f, i});
    d.info.rows = static_cast<int64_t>(d.rows.size());
    const auto x = static_cast<int64_t>(d.dims[0]), y = static_cast<int64_t>(d.dims[1]);
    d.info.image_shape = {2 * static_cast<int64_t>(d.dims[2]), x, y};
    d.info.class_labels = true;
    d.info.label_names = {"real", "fake"};
    d.info.task = "classification";
  } catch (...) {
    impl_.reset();
    throw;
  }
}

ObiwanCutoutReader::~ObiwanCutoutReader() {
  h5::Guard guard;
  impl_.reset();
}

const RowSetInfo& ObiwanCutoutReader::info() const { return impl_->info; }

void ObiwanCutoutReader::read_sorted(const std::vector<int64_t>& rows, Tensor& images,
                                     Tensor& labels) const {
  const Impl& d = *impl_;
  const auto bands = static_cast<int64_t>(d.dims[2]);
  const auto x = static_cast<int64_t>(d.dims[0]), y = static_cast<int64_t>(d.dims[1]);
  const int64_t plane = x * y, pixels = 2 * bands * plane;
  std::vector<float> img(static_cast<size_t>(plane * bands)), ivar(img.size()),
      stacked(2 * img.size());
  float* out = images.data<float>();
  int64_t* ids = labels.data<int64_t>();
  h5::Guard guard;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto [file, index] = d.rows[static_cast<size_t>(rows[i])];
    const CutoutFile& f = d.files[file];
    const std::string& id = f.ids[index];
    for (auto [part, buffer] :
         {std::pair<const char*, float*>{"img", img.data()}, {"ivar", ivar.data()}}) {
      const std::string object = "/" + id + "/" + part;
      const h5::Where where{f.path, object};
      h5::DataSet data(
          h5::check(H5Dopen2(f.file, object.c_str(), H5P_DEFAULT), where, "cannot open it"));
      h5::check_status(H5Dread(data, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer),
                       where, "cannot read the cutout");
    }
    // np.stack([img, ivar], axis=-1).reshape(X, Y, 2B): channel 2b is band b, 2b + 1 its ivar.
    for (int64_t p = 0; p < plane * bands; ++p) {
      stacked[2 * p] = img[p];
      stacked[2 * p + 1] = ivar[p];
    }
    channels_last_to_first(stacked.data(), 1, x, y, 2 * bands,
                           out + static_cast<int64_t>(i) * pixels);
    ids[i] = static_cast<int64_t>(file);  // 0 real, 1 fake
  }
}

}  // namespace astrocnn
