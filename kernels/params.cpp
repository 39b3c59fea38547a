#include "kernels/params.h"

#include "core/tensor/error.h"

namespace astrocnn {

Conv2dParams Conv2dParams::of(const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                              const Conv2dGeometry& geometry) {
  ASTRO_CHECK(x.size() == 4 && w.size() == 4, "conv2d: input and weight must have 4 dimensions, got ",
              x.size(), " and ", w.size());
  Conv2dParams p;
  static_cast<Conv2dGeometry&>(p) = geometry;
  p.N = x[0], p.C = x[1], p.H = x[2], p.W = x[3];
  p.K = w[0], p.R = w[2], p.S = w[3];
  p.validate();
  return p;
}

void Conv2dParams::validate() const {
  ASTRO_CHECK(N > 0 && C > 0 && H > 0 && W > 0, "conv2d: input sizes must be positive, got ", str());
  ASTRO_CHECK(K > 0 && R > 0 && S > 0, "conv2d: kernel sizes must be positive, got ", str());
  ASTRO_CHECK(stride_h > 0 && stride_w > 0, "conv2d: stride must be positive, got ", str());
  ASTRO_CHECK(pad_top >= 0 && pad_left >= 0 && pad_bottom >= 0 && pad_right >= 0,
              "conv2d: padding must be >= 0, got ", str());
  ASTRO_CHECK(groups > 0 && C % groups == 0 && K % groups == 0,
              "conv2d: groups must divide input and output channels, got ", str());
  ASTRO_CHECK(H + pad_top + pad_bottom >= R && W + pad_left + pad_right >= S,
              "conv2d: kernel ", R, "x", S, " is larger than the padded input ",
              H + pad_top + pad_bottom, "x", W + pad_left + pad_right);
}

std::string Conv2dParams::str() const {
  return detail::concat("{N=", N, " C=", C, " H=", H, " W=", W, " K=", K, " R=", R, " S=", S,
                        " stride=", stride_h, "x", stride_w, " pad=", pad_top, ",", pad_left, ",",
                        pad_bottom, ",", pad_right, " groups=", groups, "}");
}

Pool2dParams Pool2dParams::of(const std::vector<int64_t>& x, const Pool2dWindow& window) {
  ASTRO_CHECK(x.size() == 4, "pool2d: the input must have 4 dimensions, got ", x.size());
  Pool2dParams p;
  static_cast<Pool2dWindow&>(p) = window;
  p.N = x[0], p.C = x[1], p.H = x[2], p.W = x[3];
  p.validate();  // messages start with "pool2d:" and list every size
  return p;
}

void Pool2dParams::validate() const {
  ASTRO_CHECK(N > 0 && C > 0 && H > 0 && W > 0, "pool2d: input sizes must be positive, got ", str());
  ASTRO_CHECK(R > 0 && S > 0 && stride_h > 0 && stride_w > 0,
              "pool2d: window and stride must be positive, got ", str());
  ASTRO_CHECK(pad_top >= 0 && pad_left >= 0 && pad_bottom >= 0 && pad_right >= 0,
              "pool2d: padding must be >= 0, got ", str());
  ASTRO_CHECK(pad_top < R && pad_bottom < R && pad_left < S && pad_right < S,
              "pool2d: padding must be smaller than the window (a window of only padding has no value), got ",
              str());
  ASTRO_CHECK(H + pad_top + pad_bottom >= R && W + pad_left + pad_right >= S, "pool2d: window ", R,
              "x", S, " is larger than the padded input ", H + pad_top + pad_bottom, "x",
              W + pad_left + pad_right);
}

std::string Pool2dParams::str() const {
  return detail::concat("{N=", N, " C=", C, " H=", H, " W=", W, " window=", R, "x", S,
                        " stride=", stride_h, "x", stride_w, " pad=", pad_top, ",", pad_left, ",",
                        pad_bottom, ",", pad_right, count_include_pad ? " include_pad" : " exclude_pad",
                        "}");
}

}  // namespace astrocnn
