#include "layers/pool.h"

namespace astrocnn {

namespace {

void check_window(const char* layer, int64_t kernel, int64_t stride, const Padding& padding) {
  ASTRO_CHECK(kernel > 0 && stride > 0, layer, ": kernel and stride must be positive, got kernel ",
              kernel, " stride ", stride);
  ASTRO_CHECK(padding.is_same || (padding.h >= 0 && padding.w >= 0), layer,
              ": padding must be >= 0, got ", padding.h, "x", padding.w);
}

// The window of a square kernel on input x, with the padding resolved for
// x's size (SAME padding depends on it).
Pool2dWindow window_options(const char* layer, const Tensor& x, int64_t kernel, int64_t stride,
                            const Padding& padding) {
  ASTRO_CHECK(x.dim() == 4, layer, ": expected an input [N,C,H,W], got ", x.str());
  PadSides pad = resolve_padding(padding, x.size(2), x.size(3), kernel, kernel, stride, stride);
  Pool2dWindow o;
  o.R = o.S = kernel;
  o.stride_h = o.stride_w = stride;
  o.pad_top = pad.top;
  o.pad_left = pad.left;
  o.pad_bottom = pad.bottom;
  o.pad_right = pad.right;
  return o;
}

}  // namespace

MaxPool2d::MaxPool2d(int64_t kernel, int64_t stride, Padding padding)
    : kernel_(kernel), stride_(stride), padding_(padding) {
  check_window("MaxPool2d", kernel, stride, padding);
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return ops::max_pool2d(x, window_options("MaxPool2d", x, kernel_, stride_, padding_));
}

AvgPool2d::AvgPool2d(int64_t kernel, int64_t stride, Padding padding, bool count_include_pad)
    : kernel_(kernel), stride_(stride), padding_(padding), count_include_pad_(count_include_pad) {
  check_window("AvgPool2d", kernel, stride, padding);
}

Tensor AvgPool2d::forward(const Tensor& x) {
  Pool2dWindow o = window_options("AvgPool2d", x, kernel_, stride_, padding_);
  o.count_include_pad = count_include_pad_;
  return ops::avg_pool2d(x, o);
}

OnnxValue MaxPool2d::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  // ONNX's MaxPool ignores padded pixels, as astrocnn's does (they count as -inf).
  OnnxAttributes attributes = onnx_window(x.probe, kernel_, kernel_, stride_, stride_, padding_);
  attributes.push_back(onnx_int("ceil_mode", 0));
  return {g.add_node("MaxPool", path, {x.name}, attributes), forward(x.probe)};
}

OnnxValue AvgPool2d::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  OnnxAttributes attributes = onnx_window(x.probe, kernel_, kernel_, stride_, stride_, padding_);
  attributes.push_back(onnx_int("ceil_mode", 0));
  attributes.push_back(onnx_int("count_include_pad", count_include_pad_ ? 1 : 0));
  return {g.add_node("AveragePool", path, {x.name}, attributes), forward(x.probe)};
}

OnnxValue GlobalAvgPool::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  const std::string pooled = g.add_node("GlobalAveragePool", path + ".pooled", {x.name});
  return {g.add_node("Flatten", path, {pooled}, {onnx_int("axis", 1)}), forward(x.probe)};
}

}  // namespace astrocnn
