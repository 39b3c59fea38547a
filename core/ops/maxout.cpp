// Differentiable maxout: the maximum over groups of k consecutive
// features (rank 2, [N, n*k] -> [N, n]) or channels (rank 4,
// [N, n*k, H, W] -> [N, n, H, W]).
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct MaxoutNode final : Node {
  // inputs: x. Backward recomputes each group's winner from x (cheaper to
  // keep than an index tensor, and the tie rule lives in one kernel).
  int64_t k = 1;
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor& x = inputs[0];
    Tensor dx = empty_like(x);
    backend_for(g).maxout_backward(k, x, g, dx);
    return {dx};
  }
  const char* name() const override { return "maxout"; }
};
}  // namespace

Tensor maxout(const Tensor& x, int64_t k) {
  trace::Scope trace_op("maxout", "forward", x);
  ASTRO_CHECK(x.defined(), "maxout: input is undefined");
  check_floats("maxout", {&x});
  ASTRO_CHECK(x.dim() == 2 || x.dim() == 4,
              "maxout: input must be [N,C] or [N,C,H,W], got ", x.str());
  ASTRO_CHECK(k >= 1, "maxout: group size k must be at least 1, got ", k);
  ASTRO_CHECK(x.size(1) % k == 0, "maxout: ", x.size(1), " channels of input ", x.str(),
              " are not divisible by the group size k = ", k);
  Shape out_shape = x.shape();
  out_shape[1] = x.size(1) / k;
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  backend_for(x).maxout_forward(k, x, y);
  if (auto node = record_node<MaxoutNode>({x}, y)) node->k = k;
  return y;
}

}  // namespace astrocnn::ops
