// How a convolution or pooling layer pads its input: a fixed number of
// pixels (symmetric, possibly different for height and width), or
// TensorFlow's "SAME" rule, which depends on the input size and is therefore
// resolved at forward time.
#pragma once
#include <cstdint>

#include "core/onnx_graph.h"

namespace astrocnn {

struct Padding {
  // Implicit on purpose, so that Conv2d(3, 16, 3, 1, 1) reads like PyTorch.
  Padding(int64_t pixels = 0) : h(pixels), w(pixels) {}
  Padding(int64_t pad_h, int64_t pad_w) : h(pad_h), w(pad_w) {}
  // TensorFlow SAME: ceil(in / stride) outputs, the odd pixel of padding after.
  static Padding same() {
    Padding p;
    p.is_same = true;
    return p;
  }

  int64_t h = 0, w = 0;  // pixels on each side (unused when is_same)
  bool is_same = false;
};

// The padding on the four sides of an input H x W for a window R x S.
struct PadSides {
  int64_t top = 0, left = 0, bottom = 0, right = 0;
};
PadSides resolve_padding(const Padding& p, int64_t H, int64_t W, int64_t R, int64_t S,
                         int64_t stride_h, int64_t stride_w);

// The window R x S of a convolution or pool on input x [N,C,H,W] as the
// ONNX attributes kernel_shape, strides and pads (top, left, bottom, right),
// the padding resolved for x's size (SAME depends on it).
OnnxAttributes onnx_window(const Tensor& x, int64_t R, int64_t S, int64_t stride_h,
                           int64_t stride_w, const Padding& p);

}  // namespace astrocnn
