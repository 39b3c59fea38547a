// The labels of a directory of image files, as a CSV table (docs/DATA.md,
// "FITS cutouts"): one row per image, a header naming the columns.
//
//   filename,class                 filename,p_spheroid,p_disk,p_irregular
//   ngc1300.fits,spiral            a.fits,0.1,0.8,0.1
//   m87.fits,elliptical            b.fits,0.7,0.2,0.1
//
// - `filename` (required): the image file, relative to the image directory
//   (or absolute).
// - `class`: when present, the labels are classes. Integer values are the
//   class ids themselves (names "0", "1", ... up to the largest); any other
//   values are class names, numbered in sorted order. Other columns are
//   then ignored (a catalogue may carry ra, dec, ...).
// - Otherwise every other column is a real-valued target, named by its
//   header (vote fractions, physical parameters).
// Column names are matched without regard to case or surrounding spaces.
// Fields may be quoted ("a, b"); a field cannot span lines. Empty lines are
// skipped. An empty, NaN or non-numeric target, a row with the wrong number
// of fields, a missing filename column or no rows is an Error naming the
// file, the line and the column.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace astrocnn {

struct LabelTable {
  std::string path;                // the CSV
  std::vector<std::string> files;  // per row, as written
  std::vector<int64_t> lines;      // per row, its line in the CSV (1 = the header)
  bool class_labels = false;
  std::vector<int64_t> class_ids;        // per row (class_labels)
  std::vector<float> targets;            // rows x names.size() (otherwise)
  std::vector<std::string> label_names;  // the class names or the target columns
};

LabelTable read_labels_csv(const std::string& path);

// One CSV line split into fields (RFC 4180 quoting: "a ""b""" is a "b").
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace astrocnn
