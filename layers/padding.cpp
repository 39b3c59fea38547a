#include "layers/padding.h"

#include "core/ops.h"

namespace astrocnn {

PadSides resolve_padding(const Padding& p, int64_t H, int64_t W, int64_t R, int64_t S,
                         int64_t stride_h, int64_t stride_w) {
  if (!p.is_same) return PadSides{p.h, p.w, p.h, p.w};
  ops::SamePadding vertical = ops::same_padding(H, R, stride_h);
  ops::SamePadding horizontal = ops::same_padding(W, S, stride_w);
  return PadSides{vertical.before, horizontal.before, vertical.after, horizontal.after};
}

OnnxAttributes onnx_window(const Tensor& x, int64_t R, int64_t S, int64_t stride_h,
                           int64_t stride_w, const Padding& p) {
  PadSides pad = resolve_padding(p, x.size(2), x.size(3), R, S, stride_h, stride_w);
  return {onnx_ints("kernel_shape", {R, S}), onnx_ints("strides", {stride_h, stride_w}),
          onnx_ints("pads", {pad.top, pad.left, pad.bottom, pad.right})};
}

}  // namespace astrocnn
