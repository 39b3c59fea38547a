// The PNGs astrocnn draws, with cairo (tools/plots/plot_canvas.h has what they share):
//   curves.png             learning curves of a run         (plot.cpp, astrocnn train)
//   confusion.png          confusion matrix of a classifier (plot_eval.cpp, astrocnn eval --plots)
//   predicted_vs_true.png  regression outputs against labels (plot_eval.cpp, astrocnn eval --plots)
//   orientation.png        galaxy position angles and their errors (plot_eval.cpp, astrocnn eval --plots)
//   roc.png                ROC curve of a two-class classifier (plot_eval.cpp, astrocnn eval --plots)
//   gallery.png            cutouts, labels and predictions     (plot_gallery.cpp, astrocnn predict --gallery)
// Each is written atomically (io/output_file.h), into an AtomicFile that
// the caller commits, so that a command
// writing several files replaces none until all are complete. Each returns
// false, writing nothing, when this build has no cairo, and throws an Error
// naming the file when writing fails.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/output_file.h"
#include "models/train/metrics.h"
#include "models/train/orientation_metrics.h"
#include "models/train/roc.h"

namespace astrocnn::cli {

// Whether this build draws PNGs at all (it has cairo).
bool plots_available();

// Two panels against epoch, train (solid) and validation (dashed): the loss,
// and the accuracy (or the RMSE when accuracy is not defined for the labels).
bool plot_curves(const std::vector<EpochMetrics>& history, const std::string& title,
                 AtomicFile& out);

// confusion[true class][predicted class] as a matrix of counts, each cell
// coloured by its share of the row (so the diagonal reads as per-class
// recall), with the class names on both axes.
bool plot_confusion(const std::vector<std::vector<int64_t>>& confusion,
                    const std::vector<std::string>& class_names, const std::string& title,
                    AtomicFile& out);

// One panel per output: the prediction against the label of every image,
// with the 1:1 line and the panel's RMSE. `predicted` and `truth` hold
// N rows of names.size() values.
bool plot_predicted_vs_true(const std::vector<double>& predicted, const std::vector<double>& truth,
                            const std::vector<std::string>& names, const std::string& title,
                            AtomicFile& out);

// Orientation data (labels cos 2θ, sin 2θ): the predicted against the true
// position angle of every image (0-180°, where 179° against 1° is only 2°
// off), and the histogram of the angle errors (0-90°) next to that of the
// constant guess, the chance baseline.
bool plot_orientation(const orientation::OrientationErrors& errors, const std::string& title,
                      AtomicFile& out);

// Two classes (a lens finder): the ROC curve, true- against false-positive
// rate as the threshold on the score of the positive class (named
// `positive`, e.g. "1 lens") is lowered, with the diagonal of chance
// (AUC 0.5) and the curve's AUC in the note.
bool plot_roc(const roc::Curve& curve, const std::string& positive, const std::string& title,
              AtomicFile& out);

// One cutout of a gallery: the bands to show (1: greyscale, 3: red, green,
// blue), as stored; the gallery stretches each image on its own with an
// asinh stretch (Lupton et al. 2004: colours kept, cores not saturated).
struct GalleryImage {
  std::vector<float> bands;  // bands x height x width
  int64_t band_count = 1, height = 0, width = 0;
  std::string truth, prediction;  // the lines under the image
  int verdict = 0;                // +1 right (prediction in green), -1 wrong (red), 0 neither
};
// A grid of the images, `subtitle` (lines split at '\n') under the title
// (e.g. what the bands are).
bool plot_gallery(const std::vector<GalleryImage>& images, const std::string& title,
                  const std::string& subtitle, AtomicFile& out);

}  // namespace astrocnn::cli
