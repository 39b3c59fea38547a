// FITS images + labels CSV -> rows (io/fits/fits_reader.h).
#include "io/fits/fits_reader.h"

#include <fitsio.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>

namespace astrocnn {

namespace fs = std::filesystem;

namespace {

std::mutex& cfitsio_mutex() {
  static std::mutex m;
  return m;
}

// Throws "FITS file '<path>': <problem> (<cfitsio's message>)" when status is set.
void check(int status, const std::string& path, const std::string& problem) {
  if (status == 0) return;
  char text[FLEN_STATUS] = {};
  fits_get_errstatus(status, text);
  throw Error("FITS file '" + path + "': " + problem + " (" + text + ")");
}

// An open FITS file, closed when it goes.
class FitsFile {
 public:
  FitsFile(const std::string& path, int mode) : path_(path) {
    int status = 0;
    if (mode == READONLY)
      fits_open_file(&f_, path.c_str(), READONLY, &status);
    else  // "!": replace an existing file
      fits_create_file(&f_, ("!" + path).c_str(), &status);
    check(status, path, mode == READONLY ? "cannot open it" : "cannot create it");
  }
  ~FitsFile() {
    int status = 0;
    if (f_ != nullptr) fits_close_file(f_, &status);
  }
  FitsFile(const FitsFile&) = delete;
  FitsFile& operator=(const FitsFile&) = delete;
  fitsfile* get() { return f_; }
  // Closes now and reports a failure (a writer's last data reach the disk here).
  void close() {
    int status = 0;
    fits_close_file(f_, &status);
    f_ = nullptr;
    check(status, path_, "cannot close it");
  }

 private:
  std::string path_;
  fitsfile* f_ = nullptr;
};

}  // namespace

FitsLayout read_fits_layout(const std::string& path) {
  std::lock_guard<std::mutex> lock(cfitsio_mutex());
  FitsFile f(path, READONLY);
  int status = 0, count = 0;
  fits_get_num_hdus(f.get(), &count, &status);
  check(status, path, "cannot count its HDUs");
  FitsLayout layout;
  int64_t height = 0, width = 0;
  for (int hdu = 1; hdu <= count; ++hdu) {
    int type = 0, naxis = 0;
    fits_movabs_hdu(f.get(), hdu, &type, &status);
    check(status, path, "cannot read HDU " + std::to_string(hdu));
    if (type != IMAGE_HDU) continue;
    long naxes[4] = {0, 0, 0, 0};
    fits_get_img_dim(f.get(), &naxis, &status);
    if (naxis == 0) continue;  // no data: the primary HDU of a multi-extension file
    ASTRO_CHECK(naxis == 2 || naxis == 3, "FITS file '", path, "', HDU ", hdu, ": ", naxis,
                "-D images are not read (2-D images, or 3-D cubes of channels)");
    fits_get_img_size(f.get(), naxis, naxes, &status);
    check(status, path, "cannot read the size of HDU " + std::to_string(hdu));
    if (layout.hdus.empty()) {
      width = naxes[0];
      height = naxes[1];
    }
    ASTRO_CHECK(naxes[0] == width && naxes[1] == height, "FITS file '", path, "', HDU ", hdu, ": ",
                naxes[1], "x", naxes[0], " pixels differ from the ", height, "x", width,
                " of its first image HDU");
    layout.hdus.push_back(hdu);
    layout.channels.push_back(naxis == 3 ? naxes[2] : 1);
  }
  ASTRO_CHECK(!layout.hdus.empty(), "FITS file '", path, "' holds no image");
  int64_t channels = 0;
  for (int64_t c : layout.channels) channels += c;
  layout.image_shape = {channels, height, width};
  return layout;
}

FitsDirectoryReader::FitsDirectoryReader(const std::string& labels_csv,
                                         const std::string& directory)
    : table_(read_labels_csv(labels_csv)) {
  const fs::path dir = directory.empty() ? fs::path(labels_csv).parent_path() : fs::path(directory);
  info_.source = directory.empty() ? labels_csv : directory;
  info_.format = "FITS images + labels CSV";
  info_.rows = static_cast<int64_t>(table_.files.size());
  info_.class_labels = table_.class_labels;
  info_.label_width = table_.class_labels ? 1 : static_cast<int64_t>(table_.label_names.size());
  info_.label_names = table_.label_names;
  info_.task = table_.class_labels ? "classification" : "regression";
  std::string first;
  std::error_code ec;
  for (size_t i = 0; i < table_.files.size(); ++i) {
    const std::string file = (dir / table_.files[i]).string();
    ASTRO_CHECK(fs::is_regular_file(file, ec), "labels CSV '", labels_csv, "', line ",
                table_.lines[i], ": the image '", file, "' does not exist");
    layouts_.push_back(read_fits_layout(file));
    const Shape& shape = layouts_.back().image_shape;
    if (first.empty()) {
      first = file;
      info_.image_shape = shape;
    }
    ASTRO_CHECK(shape == info_.image_shape, "FITS file '", file, "' has ", shape_str(shape),
                " pixels (channels, height, width) but '", first, "' has ",
                shape_str(info_.image_shape), ": every image of a data set must have one size");
    files_.push_back(file);
  }
}

std::string FitsDirectoryReader::label_origin(int64_t row) const {
  return "labels CSV '" + table_.path + "', line " +
         std::to_string(table_.lines[static_cast<size_t>(row)]);
}

void FitsDirectoryReader::read_sorted(const std::vector<int64_t>& rows, Tensor& images,
                                      Tensor& labels) const {
  const int64_t plane = info_.image_shape[1] * info_.image_shape[2];
  const int64_t pixels = info_.image_shape[0] * plane;
  const int64_t k = info_.label_width;
  float* out = images.data<float>();
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto row = static_cast<size_t>(rows[i]);
    const std::string& path = files_[row];
    const FitsLayout& layout = layouts_[row];
    std::lock_guard<std::mutex> lock(cfitsio_mutex());
    FitsFile f(path, READONLY);
    float* dst = out + static_cast<int64_t>(i) * pixels;
    for (size_t h = 0; h < layout.hdus.size(); ++h) {
      int status = 0, type = 0, undefined = 0;
      float blank = std::numeric_limits<float>::quiet_NaN();  // undefined pixels become NaN
      const int64_t n = layout.channels[h] * plane;
      fits_movabs_hdu(f.get(), layout.hdus[h], &type, &status);
      fits_read_img(f.get(), TFLOAT, 1, n, &blank, dst, &undefined, &status);
      check(status, path, "cannot read the pixels of HDU " + std::to_string(layout.hdus[h]));
      const int64_t w = info_.image_shape[2];
      for (int64_t p = 0; p < n; ++p)
        ASTRO_CHECK(std::isfinite(dst[p]), "FITS file '", path, "', HDU ", layout.hdus[h],
                    ": pixel x=", p % w + 1, " y=", p % plane / w + 1, " is ",
                    undefined ? "blank or NaN" : "not finite",
                    "; replace masked pixels (e.g. by 0) before training");
      dst += n;
    }
    if (info_.class_labels)
      labels.data<int64_t>()[i] = table_.class_ids[row];
    else
      std::copy(table_.targets.begin() + static_cast<long>(row) * k,
                table_.targets.begin() + static_cast<long>(row + 1) * k,
                labels.data<float>() + i * k);
  }
}

void write_fits(const std::string& path, const Tensor& image, bool cube) {
  ASTRO_CHECK(image.dim() == 3 && image.dtype() == DType::F32 && image.device() == Device::CPU,
              "write_fits: the image must be a float32 [C, H, W] CPU tensor, got ", image.str());
  std::lock_guard<std::mutex> lock(cfitsio_mutex());
  FitsFile f(path, READWRITE);
  const int64_t c = image.size(0), plane = image.size(1) * image.size(2);
  const float* data = image.data<float>();
  int status = 0;
  if (cube) {
    long naxes[3] = {static_cast<long>(image.size(2)), static_cast<long>(image.size(1)),
                     static_cast<long>(c)};
    fits_create_img(f.get(), FLOAT_IMG, 3, naxes, &status);
    fits_write_img(f.get(), TFLOAT, 1, c * plane, const_cast<float*>(data), &status);
  } else {
    long naxes[2] = {static_cast<long>(image.size(2)), static_cast<long>(image.size(1))};
    for (int64_t k = 0; k < c; ++k) {
      fits_create_img(f.get(), FLOAT_IMG, 2, naxes, &status);
      fits_write_img(f.get(), TFLOAT, 1, plane, const_cast<float*>(data + k * plane), &status);
    }
  }
  check(status, path, "cannot write the image");
  f.close();
}

}  // namespace astrocnn
