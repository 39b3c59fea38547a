// Data augmentation for galaxy images: the recipe of Dieleman et al. (2015)
// and Huertas-Company et al. (2015), whose networks should not care how a
// galaxy is oriented, where exactly it sits, how large or how bright it looks.
//
// 1. Pure functions on one image [C, H, W] (float32, CPU), each returning a
//    new image, used by the tests and by the batch pipeline below:
//      exact pixel permutations   flip_left_right, flip_up_down, rot90, dihedral_view
//      bilinear resampling        rotate, translate, zoom (about the image centre)
//      intensity                  scale_brightness
// 2. augment_batch(): random transforms of each image of a batch, drawn from
//    Philox keyed by (seed, epoch, batch, image), so a run is reproducible
//    whatever thread does the work or when (and --resume stays bit-identical).
// 3. mean_over_dihedral_views(): Dieleman's multi-view averaging at
//    prediction time (astrocnn predict --tta).
//
// Conventions. Pixel (r, c) has its centre at row r, column c; row 0 is the
// top of the image as displayed. The centre of the image is ((H-1)/2, (W-1)/2).
// A positive angle turns the image counter-clockwise as displayed, as
// numpy.rot90 and scipy.ndimage.rotate do. A positive shift moves the content
// down (dy) and right (dx). A zoom factor > 1 magnifies. Resampled pixels
// that fall outside the input take the Fill value: Zero (the default; the
// images are sky-subtracted, so 0 is blank sky) or Edge (the nearest border
// pixel).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "core/tensor/tensor.h"

namespace astrocnn::augment {

enum class Fill { Zero, Edge };
Fill parse_fill(const std::string& name);  // "zero" or "edge"
const char* fill_name(Fill fill);

// ---- Exact transforms (pixel permutations) ----

Tensor flip_left_right(const Tensor& image);  // column c -> W-1-c
Tensor flip_up_down(const Tensor& image);     // row r -> H-1-r
// k quarter turns counter-clockwise (any integer k; an odd k swaps H and W).
Tensor rot90(const Tensor& image, int k);
// The 8 symmetries of the square: view v turns by v % 4 quarter turns, then
// mirrors left-right when v >= 4. View 0 is the image itself.
constexpr int kDihedralViews = 8;
Tensor dihedral_view(const Tensor& image, int view);

// ---- Resampled transforms (bilinear, about the image centre) ----

Tensor rotate(const Tensor& image, double degrees, Fill fill = Fill::Zero);
Tensor translate(const Tensor& image, double dy, double dx, Fill fill = Fill::Zero);
Tensor zoom(const Tensor& image, double factor, Fill fill = Fill::Zero);

// The general form the three above are special cases of: zoom by `factor`,
// then rotate by `degrees`, then shift by (dy, dx), sampled once (so a
// combination blurs no more than one transform does).
struct Resampling {
  double degrees = 0, dy = 0, dx = 0, factor = 1;
  bool identity() const { return degrees == 0 && dy == 0 && dx == 0 && factor == 1; }
};
Tensor resample(const Tensor& image, const Resampling& how, Fill fill = Fill::Zero);

// ---- Intensity ----

// Every pixel times `gain`. Multiplicative only: the images are
// sky-subtracted, so zero is blank sky and a brightness change is a change
// of flux (distance, exposure), which scales the galaxy and leaves the sky at zero.
Tensor scale_brightness(const Tensor& image, double gain);

// ---- Random augmentation of training batches ----

// Each field off by default; the `astrocnn train` flag is named after each.
struct AugmentOptions {
  bool flip = false;       // --flip: mirror left-right and up-down, each with probability 1/2
  bool rot90 = false;      // --rot90: 0-3 quarter turns (with --flip: all 8 dihedral views)
  double rotate = 0;       // --rotate: angle uniform in [-rotate, rotate] degrees; 180 = any angle
  double translate = 0;    // --translate: shift uniform in [-t, t] pixels on each axis (sub-pixel)
  double zoom_min = 1, zoom_max = 1;  // --zoom MIN,MAX: factor log-uniform in [MIN, MAX]
  double brightness = 0;   // --brightness: gain uniform in [1 - b, 1 + b]
  double noise = 0;        // --noise: sigma of Gaussian noise added last, as add_batch_noise
  Fill fill = Fill::Zero;  // --fill: what rotations, shifts and zooms bring in

  bool any() const;
  bool resamples() const;  // rotate, translate or zoom is on
  // Throws an Error naming the flag whose value is out of range; `height`
  // and `width` (when > 0) are the image size (quarter turns need square images).
  void validate(int64_t height = 0, int64_t width = 0) const;
  // "flip, rot90, rotate 180, zoom 0.8-1.25, noise 0.1" (empty when none).
  std::string describe() const;
};

// What augment_batch() drew for one image.
struct ImageAugmentation {
  int view = 0;  // dihedral view (see dihedral_view)
  Resampling resampling;
  double gain = 1;
};

// The transforms of image `index` of batch `batch` in `epoch`: a pure
// function of its arguments (each parameter has its own stream position, so
// turning one option on does not change what the others draw).
ImageAugmentation draw_augmentation(const AugmentOptions& options, uint64_t seed, int64_t epoch,
                                    int64_t batch, int64_t index);
// One image [C, H, W] transformed as drawn: view, then resampling, then gain.
Tensor apply_augmentation(const Tensor& image, const ImageAugmentation& a, Fill fill);

// A new batch [B, C, H, W] (float32, CPU): each image transformed as
// draw_augmentation() says, then Gaussian noise over the whole batch drawn
// exactly as the batch iterators' set_noise() draws it (io/batches/dataset.h:
// add_batch_noise), so --noise alone gives the numbers it always gave.
Tensor augment_batch(const Tensor& x, const AugmentOptions& options, uint64_t seed, int64_t epoch,
                     int64_t batch);

// ---- Test-time augmentation ----

// The mean of predict(view of x) over the 8 dihedral views of a batch x
// [B, C, H, H] (Dieleman et al. 2015 average over rotations and flips).
// `predict` maps a batch to outputs [B, K] (probabilities for classifiers:
// averaging logits is not averaging predictions). Returns float32 [B, K] on the CPU.
//
// Outputs that turn with the image (an orientation, a direction) must be
// brought back to the frame of the image before they are averaged:
// `to_image_frame(view, row, K)`, when given, does that in place for the K
// outputs of one image seen in `view`. Without it the outputs are taken as
// invariant (class probabilities, vote fractions, sizes).
using ViewToImageFrame = std::function<void(int view, double* row, int64_t k)>;
Tensor mean_over_dihedral_views(const Tensor& x,
                                const std::function<Tensor(const Tensor&)>& predict,
                                const ViewToImageFrame& to_image_frame = nullptr);

}  // namespace astrocnn::augment
