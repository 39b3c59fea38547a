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

}  // namespace astrocnn
