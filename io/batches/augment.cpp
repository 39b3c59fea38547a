// Augmentation transforms (see io/batches/augment.h). Everything works on raw
// float planes: an exact transform copies pixels along a permutation; a
// resampled one finds, for each output pixel, where it comes from in the
// input (the inverse map) and interpolates bilinearly between the four
// pixels around that point.
#include "io/batches/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

#include "core/tensor/philox.h"
#include "io/batches/dataset.h"

namespace astrocnn::augment {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr uint64_t kAugmentStream = 0x6175676D656E74ull;  // "augment": apart from the noise stream

void check_image(const char* op, const Tensor& image, int64_t rank = 3) {
  ASTRO_CHECK(image.defined(), op, ": the image is undefined");
  ASTRO_CHECK(image.dim() == rank && image.dtype() == DType::F32 && image.device() == Device::CPU,
              op, ": expected a float32 CPU ", rank == 3 ? "image [C, H, W]" : "batch [B, C, H, W]",
              ", got ", image.str());
}

// ---- Exact transforms ----

// The output size of a dihedral view of an h x w image.
void view_shape(int view, int64_t h, int64_t w, int64_t& out_h, int64_t& out_w) {
  const bool swapped = (view % 4) % 2 == 1;
  out_h = swapped ? w : h;
  out_w = swapped ? h : w;
}

// out = dihedral view `view` of `in` (c planes of h x w): turn by view % 4
// quarter turns counter-clockwise, then mirror left-right when view >= 4.
void dihedral_into(const float* in, int64_t c, int64_t h, int64_t w, int view, float* out) {
  int64_t out_h, out_w;
  view_shape(view, h, w, out_h, out_w);
  const bool mirror = view >= 4;
  for (int64_t ch = 0; ch < c; ++ch) {
    const float* src = in + ch * h * w;
    float* dst = out + ch * out_h * out_w;
    for (int64_t i = 0; i < out_h; ++i)
      for (int64_t jo = 0; jo < out_w; ++jo) {
        const int64_t j = mirror ? out_w - 1 - jo : jo;  // column before mirroring
        int64_t r = i, col = j;                            // where (i, j) of the turned image comes from
        switch (view % 4) {
          case 1: r = j, col = w - 1 - i; break;
          case 2: r = h - 1 - i, col = w - 1 - j; break;
          case 3: r = h - 1 - j, col = i; break;
          default: break;
        }
        dst[i * out_w + jo] = src[r * w + col];
      }
  }
}

Tensor dihedral_tensor(const char* op, const Tensor& image, int view) {
  check_image(op, image);
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  int64_t out_h, out_w;
  view_shape(view, h, w, out_h, out_w);
  Tensor out = Tensor::empty({c, out_h, out_w});
  dihedral_into(image.data<float>(), c, h, w, view, out.data<float>());
  return out;
}

// ---- Bilinear resampling ----

// The four input pixels around a point and their bilinear weights (a
// weight of 0 where the pixel lies outside under Fill::Zero).
struct Taps {
  int64_t index[4];
  double weight[4];
};

Taps bilinear_taps(double r, double c, int64_t h, int64_t w, Fill fill) {
  // Beyond one pixel outside, every tap is outside (or clamps to the same
  // edge pixel): clamping keeps far points from overflowing the integer index.
  r = std::clamp(r, -1.0, static_cast<double>(h));
  c = std::clamp(c, -1.0, static_cast<double>(w));
  const double r_floor = std::floor(r), c_floor = std::floor(c);
  const double fr = r - r_floor, fc = c - c_floor;
  Taps t{};
  int n = 0;
  for (int dr = 0; dr < 2; ++dr)
    for (int dc = 0; dc < 2; ++dc, ++n) {
      int64_t rr = static_cast<int64_t>(r_floor) + dr, cc = static_cast<int64_t>(c_floor) + dc;
      t.weight[n] = (dr ? fr : 1 - fr) * (dc ? fc : 1 - fc);
      if (fill == Fill::Edge) {
        rr = std::clamp<int64_t>(rr, 0, h - 1);
        cc = std::clamp<int64_t>(cc, 0, w - 1);
      } else if (rr < 0 || rr >= h || cc < 0 || cc >= w) {
        t.index[n] = 0;
        t.weight[n] = 0;
        continue;
      }
      t.index[n] = rr * w + cc;
    }
  return t;
}

// out (same size as in) = `in` zoomed, rotated and shifted as `how` says.
// Output pixel p' comes from input point centre + A (p' - centre - shift),
// A = R(-angle) / factor: the inverse of the forward transform.
void resample_into(const float* in, int64_t c, int64_t h, int64_t w, const Resampling& how,
                   Fill fill, float* out) {
  const double angle = how.degrees * kPi / 180;
  const double cs = std::cos(angle) / how.factor, sn = std::sin(angle) / how.factor;
  const double r0 = (h - 1) / 2.0, c0 = (w - 1) / 2.0;
  const int64_t plane = h * w;
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      const double dr = i - r0 - how.dy, dc = j - c0 - how.dx;
      // Counter-clockwise as displayed (rows grow downwards), inverted.
      const Taps t = bilinear_taps(r0 + cs * dr + sn * dc, c0 - sn * dr + cs * dc, h, w, fill);
      for (int64_t ch = 0; ch < c; ++ch) {
        const float* src = in + ch * plane;
        double v = 0;
        for (int k = 0; k < 4; ++k) v += t.weight[k] * src[t.index[k]];
        out[ch * plane + i * w + j] = static_cast<float>(v);
      }
    }
}

void check_resampling(const Resampling& how) {
  ASTRO_CHECK(std::isfinite(how.degrees) && std::isfinite(how.dy) && std::isfinite(how.dx),
              "resample: angle and shift must be finite, got ", how.degrees, " degrees, shift (",
              how.dy, ", ", how.dx, ")");
  ASTRO_CHECK(std::isfinite(how.factor) && how.factor > 0,
              "resample: the zoom factor must be positive, got ", how.factor);
}

// The whole per-image pipeline, one image of c x h x w floats: view, then
// resampling, then gain. `scratch` holds the view when a resampling follows.
void transform_into(const float* in, int64_t c, int64_t h, int64_t w, const ImageAugmentation& a,
                    Fill fill, float* out, std::vector<float>& scratch) {
  const int64_t n = c * h * w;
  const bool resampled = !a.resampling.identity();
  const float* viewed = in;
  if (a.view != 0) {
    float* dst = out;
    if (resampled) {
      scratch.resize(static_cast<size_t>(n));
      dst = scratch.data();
    }
    dihedral_into(in, c, h, w, a.view, dst);
    viewed = dst;
  }
  int64_t vh, vw;
  view_shape(a.view, h, w, vh, vw);
  if (resampled) resample_into(viewed, c, vh, vw, a.resampling, fill, out);
  else if (viewed != out) std::memcpy(out, viewed, static_cast<size_t>(n) * sizeof(float));
  if (a.gain != 1)
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(out[i] * a.gain);
}

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

Fill parse_fill(const std::string& name) {
  if (name == "zero") return Fill::Zero;
  if (name == "edge") return Fill::Edge;
  throw Error("unknown fill '" + name + "' (known: zero, edge)");
}

const char* fill_name(Fill fill) { return fill == Fill::Edge ? "edge" : "zero"; }

// ---- Exact transforms ----

Tensor flip_left_right(const Tensor& image) { return dihedral_tensor("flip_left_right", image, 4); }
Tensor flip_up_down(const Tensor& image) { return dihedral_tensor("flip_up_down", image, 6); }
Tensor rot90(const Tensor& image, int k) { return dihedral_tensor("rot90", image, ((k % 4) + 4) % 4); }

Tensor dihedral_view(const Tensor& image, int view) {
  ASTRO_CHECK(view >= 0 && view < kDihedralViews, "dihedral_view: view must be in [0, 8), got ", view);
  return dihedral_tensor("dihedral_view", image, view);
}

// ---- Resampled transforms ----

Tensor resample(const Tensor& image, const Resampling& how, Fill fill) {
  check_image("resample", image);
  check_resampling(how);
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  Tensor out = Tensor::empty(image.shape());
  resample_into(image.data<float>(), c, h, w, how, fill, out.data<float>());
  return out;
}

Tensor rotate(const Tensor& image, double degrees, Fill fill) {
  Resampling how;
  how.degrees = degrees;
  return resample(image, how, fill);
}

Tensor translate(const Tensor& image, double dy, double dx, Fill fill) {
  Resampling how;
  how.dy = dy;
  how.dx = dx;
  return resample(image, how, fill);
}

Tensor zoom(const Tensor& image, double factor, Fill fill) {
  Resampling how;
  how.factor = factor;
  return resample(image, how, fill);
}

// ---- Intensity ----

Tensor scale_brightness(const Tensor& image, double gain) {
  check_image("scale_brightness", image);
  ASTRO_CHECK(std::isfinite(gain), "scale_brightness: the gain must be finite, got ", gain);
  ImageAugmentation a;
  a.gain = gain;
  return apply_augmentation(image, a, Fill::Zero);
}

// ---- Options ----

bool AugmentOptions::resamples() const {
  return rotate > 0 || translate > 0 || zoom_min != 1 || zoom_max != 1;
}

bool AugmentOptions::any() const { return flip || rot90 || resamples() || brightness > 0 || noise > 0; }

void AugmentOptions::validate(int64_t height, int64_t width) const {
  ASTRO_CHECK(rotate >= 0 && rotate <= 180, "--rotate must be in [0, 180] degrees (or 'any'), got ",
              rotate);
  ASTRO_CHECK(translate >= 0 && std::isfinite(translate), "--translate must be >= 0 pixels, got ",
              translate);
  ASTRO_CHECK(zoom_min > 0 && zoom_min <= zoom_max && std::isfinite(zoom_max),
              "--zoom needs 0 < MIN <= MAX, got ", zoom_min, ",", zoom_max);
  ASTRO_CHECK(brightness >= 0 && brightness < 1, "--brightness must be in [0, 1), got ", brightness);
  ASTRO_CHECK(noise >= 0 && std::isfinite(noise), "--noise must be >= 0, got ", noise);
  if (height > 0 && width > 0) {
    ASTRO_CHECK(!rot90 || height == width, "--rot90 needs square images, got ", height, "x", width);
    ASTRO_CHECK(translate < std::min(height, width), "--translate ", translate,
                " pixels shifts a ", height, "x", width, " image out of view");
  }
}

std::string AugmentOptions::describe() const {
  std::string s;
  auto add = [&s](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
  if (flip) add("flip");
  if (rot90) add("rot90");
  if (rotate >= 180) add("rotate any angle");
  else if (rotate > 0) add("rotate +-" + number(rotate) + " deg");
  if (translate > 0) add("translate +-" + number(translate) + " px");
  if (zoom_min != 1 || zoom_max != 1) add("zoom " + number(zoom_min) + "-" + number(zoom_max));
  if (brightness > 0) add("brightness +-" + number(brightness));
  if (noise > 0) add("noise sigma " + number(noise));
  if (resamples()) add(std::string(fill_name(fill)) + " fill");
  return s;
}

// ---- Random augmentation ----

ImageAugmentation draw_augmentation(const AugmentOptions& o, uint64_t seed, int64_t epoch,
                                    int64_t batch, int64_t index) {
  using philox::mix64;
  const uint64_t key = mix64(mix64(mix64(mix64(seed ^ kAugmentStream) + static_cast<uint64_t>(epoch)) +
                                   static_cast<uint64_t>(batch)) +
                             static_cast<uint64_t>(index));
  enum Position : uint64_t { kView, kAngle, kShiftY, kShiftX, kZoom, kGain };
  auto uniform = [key](Position p) { return static_cast<double>(philox::uniform(key, p)); };
  auto symmetric = [&](Position p, double half_width) { return half_width * (2 * uniform(p) - 1); };

  ImageAugmentation a;
  // Flips alone: identity, mirror left-right, mirror up-down, or both (a half turn).
  static const int kFlipViews[4] = {0, 4, 6, 2};
  const int views = o.flip && o.rot90 ? kDihedralViews : (o.flip || o.rot90 ? 4 : 1);
  const int pick = static_cast<int>(uniform(kView) * views);
  if (o.flip && !o.rot90) a.view = kFlipViews[pick];
  else if (views > 1) a.view = pick;
  if (o.rotate > 0) a.resampling.degrees = o.rotate >= 180 ? 360 * uniform(kAngle) - 180
                                                           : symmetric(kAngle, o.rotate);
  if (o.translate > 0) {
    a.resampling.dy = symmetric(kShiftY, o.translate);
    a.resampling.dx = symmetric(kShiftX, o.translate);
  }
  if (o.zoom_min != 1 || o.zoom_max != 1) {
    const double lo = std::log(o.zoom_min), hi = std::log(o.zoom_max);
    a.resampling.factor = std::exp(lo + (hi - lo) * uniform(kZoom));
  }
  if (o.brightness > 0) a.gain = 1 + symmetric(kGain, o.brightness);
  return a;
}

Tensor apply_augmentation(const Tensor& image, const ImageAugmentation& a, Fill fill) {
  check_image("apply_augmentation", image);
  ASTRO_CHECK(a.view >= 0 && a.view < kDihedralViews, "apply_augmentation: view must be in [0, 8), got ",
              a.view);
  check_resampling(a.resampling);
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  int64_t out_h, out_w;
  view_shape(a.view, h, w, out_h, out_w);
  Tensor out = Tensor::empty({c, out_h, out_w});
  std::vector<float> scratch;
  transform_into(image.data<float>(), c, h, w, a, fill, out.data<float>(), scratch);
  return out;
}

Tensor augment_batch(const Tensor& x, const AugmentOptions& options, uint64_t seed, int64_t epoch,
                     int64_t batch) {
  check_image("augment_batch", x, 4);
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  options.validate(h, w);
  Tensor out = Tensor::empty(x.shape());
  const int64_t n = c * h * w;
  std::vector<float> scratch;
  for (int64_t i = 0; i < b; ++i)
    transform_into(x.data<float>() + i * n, c, h, w, draw_augmentation(options, seed, epoch, batch, i),
                   options.fill, out.data<float>() + i * n, scratch);
  if (options.noise > 0) add_batch_noise(out, options.noise, -1, seed, epoch, batch);
  return out;
}

// ---- Test-time augmentation ----

Tensor mean_over_dihedral_views(const Tensor& x,
                                const std::function<Tensor(const Tensor&)>& predict,
                                const ViewToImageFrame& to_image_frame) {
  check_image("mean_over_dihedral_views", x, 4);
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  ASTRO_CHECK(h == w, "mean_over_dihedral_views: the 8 views need square images, got ", h, "x", w);
  const int64_t n = c * h * w;
  std::vector<double> sum;
  Shape out_shape;
  for (int view = 0; view < kDihedralViews; ++view) {
    Tensor v = Tensor::empty(x.shape());
    for (int64_t i = 0; i < b; ++i)
      dihedral_into(x.data<float>() + i * n, c, h, w, view, v.data<float>() + i * n);
    Tensor out = predict(v);
    ASTRO_CHECK(out.dim() == 2 && out.size(0) == b, "mean_over_dihedral_views: predictions must be [",
                b, ", K], got ", out.str());
    std::vector<double> values = out.to(DType::F64).to_vector<double>();
    if (view == 0) {
      out_shape = out.shape();
      sum.assign(values.size(), 0.0);
    }
    ASTRO_CHECK(out.shape() == out_shape, "mean_over_dihedral_views: view ", view, " gave ",
                out.str(), ", view 0 ", shape_str(out_shape));
    if (to_image_frame) {
      const int64_t k = out.size(1);
      for (int64_t i = 0; i < b; ++i) to_image_frame(view, values.data() + i * k, k);
    }
    for (size_t k = 0; k < sum.size(); ++k) sum[k] += values[k];
  }
  for (double& v : sum) v /= kDihedralViews;
  return Tensor::from_vector(sum, out_shape).to(DType::F32);
}

}  // namespace astrocnn::augment
