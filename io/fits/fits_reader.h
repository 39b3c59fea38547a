// A directory of FITS images with a labels CSV: the cutouts most astronomers
// hold. Read with cfitsio (Debian: libcfitsio-dev); built when CMake finds
// it (ASTROCNN_HAVE_FITS).
//
//   cutouts/labels.csv       filename,class  (or filename,<target>,<target>...; io/readers/labels_csv.h)
//   cutouts/ngc1300.fits     one image: [H, W] (NAXIS2 x NAXIS1)
//   cutouts/m87.fits         ...
//
// Channels: every image HDU of a file with data, in HDU order, is one
// channel; a 3-D HDU (a cube, NAXIS3 planes) gives NAXIS3 channels. So a
// multi-extension file with g, r, z images is a 3-channel image, and so is
// a single [3, H, W] cube. HDUs without data (the empty primary HDU of a
// multi-extension file) and table HDUs are skipped. Pixels are read as
// float32 after BSCALE/BZERO, rows in file order (row 0 is FITS's first row,
// y = 1, as astropy's getdata gives it). Compressed files (.fits.fz,
// .fits.gz) are read as cfitsio reads them.
//
// Opening reads the CSV and every file's header, and checks that every
// image has the first one's channels and size (an Error names the file);
// pixels are read when rows are asked for. A NaN or blank pixel is an Error
// naming the file and HDU: replace masked pixels (e.g. with 0) before
// training. cfitsio calls are serialised by one process-wide lock.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/readers/labels_csv.h"
#include "io/readers/row_reader.h"

namespace astrocnn {

// The image HDUs of one FITS file that hold data, and the [C, H, W] they make.
struct FitsLayout {
  std::vector<int> hdus;          // 1-based HDU numbers
  std::vector<int64_t> channels;  // per HDU: 1, or NAXIS3 of a cube
  Shape image_shape;              // [C, H, W]
};
FitsLayout read_fits_layout(const std::string& path);

class FitsDirectoryReader final : public RowReader {
 public:
  // `labels_csv`: the table; image file names in it resolve against
  // `directory` (empty: the CSV's own directory).
  explicit FitsDirectoryReader(const std::string& labels_csv, const std::string& directory = "");

  const RowSetInfo& info() const override { return info_; }
  const std::string& file(int64_t row) const { return files_[static_cast<size_t>(row)]; }

 protected:
  void read_sorted(const std::vector<int64_t>& rows, Tensor& images, Tensor& labels) const override;
  std::string label_origin(int64_t row) const override;  // "labels CSV 'x.csv', line 7"

 private:
  RowSetInfo info_;
  LabelTable table_;
  std::vector<std::string> files_;   // resolved paths, per row
  std::vector<FitsLayout> layouts_;  // per row
};

// Writes `image` ([C, H, W] float32) as a FITS file: one 2-D HDU per channel
// (primary, then IMAGE extensions) or, with `cube`, one [C, H, W] primary
// HDU. For tests and for handing cutouts to other programs.
void write_fits(const std::string& path, const Tensor& image, bool cube = false);

}  // namespace astrocnn
