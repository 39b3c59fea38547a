// How a convolution or pooling layer pads its input: a fixed number of
// pixels (symmetric, possibly different for height and width), or
// TensorFlow's "SAME" rule, which depends on the input size and is therefore
// resolved at forward time.
#pragma once
#include <cstdint>

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

}  // namespace astrocnn
