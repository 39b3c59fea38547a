#include "layers/conv2d.h"

#include <cmath>

#include "core/init.h"
#include "core/ops.h"

namespace astrocnn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
               Padding padding, bool bias, int64_t groups)
    : Conv2d(Conv2dConfig{in_channels, out_channels, kernel, kernel, stride, stride, padding, bias,
                          groups}) {}

Conv2d::Conv2d(const Conv2dConfig& c) : config_(c) {
  ASTRO_CHECK(c.in_channels > 0 && c.out_channels > 0, "Conv2d: channel counts must be positive, got ",
              c.in_channels, " -> ", c.out_channels);
  ASTRO_CHECK(c.kernel_h > 0 && c.kernel_w > 0 && c.stride_h > 0 && c.stride_w > 0,
              "Conv2d: kernel and stride must be positive, got kernel ", c.kernel_h, "x",
              c.kernel_w, " stride ", c.stride_h, "x", c.stride_w);
  ASTRO_CHECK(c.padding.is_same || (c.padding.h >= 0 && c.padding.w >= 0),
              "Conv2d: padding must be >= 0, got ", c.padding.h, "x", c.padding.w);
  ASTRO_CHECK(c.groups > 0 && c.in_channels % c.groups == 0 && c.out_channels % c.groups == 0,
              "Conv2d: groups = ", c.groups, " must divide both ", c.in_channels,
              " input and ", c.out_channels, " output channels");
  weight_ = register_parameter(
      "weight", Tensor::empty({c.out_channels, c.in_channels / c.groups, c.kernel_h, c.kernel_w}));
  if (c.bias) bias_ = register_parameter("bias", Tensor::empty({c.out_channels}));
  reset_parameters();
}

void Conv2d::reset_parameters() {
  init::kaiming_uniform_(weight_, std::sqrt(5.0));
  if (bias_.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(init::compute_fans(weight_.shape()).fan_in));
    init::uniform_(bias_, -bound, bound);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  ASTRO_CHECK(x.dim() == 4, "Conv2d: expected an input [N,C,H,W], got ", x.str());
  const Conv2dConfig& c = config_;
  PadSides pad = resolve_padding(c.padding, x.size(2), x.size(3), c.kernel_h, c.kernel_w,
                                 c.stride_h, c.stride_w);
  const Conv2dGeometry geometry{c.stride_h, c.stride_w, pad.top, pad.left, pad.bottom, pad.right,
                                c.groups};
  return ops::conv2d(x, weight_, bias_, geometry);
}

OnnxValue Conv2d::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  const Conv2dConfig& c = config_;
  OnnxAttributes attributes =
      onnx_window(x.probe, c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, c.padding);
  attributes.push_back(onnx_ints("dilations", {1, 1}));
  attributes.push_back(onnx_int("group", c.groups));
  return {g.add_node("Conv", path, g.weighted_inputs(x.name, path, weight_, bias_), attributes),
          forward(x.probe)};
}

}  // namespace astrocnn
