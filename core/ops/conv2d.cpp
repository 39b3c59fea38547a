// Differentiable 2-D convolution: x [N,C,H,W], w [K,C/groups,R,S], optional
// bias [K] -> y [N,K,P,Q]. See kernels/params.h for the output size rule.
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct Conv2dNode final : Node {
  Conv2dParams params;
  // inputs: x, w, bias (bias may be undefined)
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor &x = inputs[0], &w = inputs[1], &b = inputs[2];
    Backend& be = backend_for(g);
    Tensor dx, dw, db;
    if (x.requires_grad()) {
      dx = empty_like(x);
      be.conv2d_backward_data(params, g, w, dx);
    }
    // One kernel computes both weight and bias gradients; run it when either is wanted.
    if (w.requires_grad() || (b.defined() && b.requires_grad())) {
      dw = empty_like(w);
      if (b.defined()) db = empty_like(b);
      be.conv2d_backward_weights(params, x, g, dw, b.defined() ? &db : nullptr);
    }
    return {dx, dw, db};
  }
  const char* name() const override { return "conv2d"; }
};
}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& o) {
  trace::Scope trace_op("conv2d", "forward", x);
  check_floats("conv2d", {&x, &w, &bias});
  check_rank("conv2d", "input", x, 4);
  check_rank("conv2d", "weight", w, 4);
  ASTRO_CHECK(o.groups > 0, "conv2d: groups must be positive, got ", o.groups);
  ASTRO_CHECK(x.size(1) == w.size(1) * o.groups, "conv2d: input has ", x.size(1),
              " channels but the weight ", w.str(), " with groups=", o.groups, " expects ",
              w.size(1) * o.groups, " (input ", x.str(), ")");
  if (bias.defined())
    ASTRO_CHECK(bias.dim() == 1 && bias.size(0) == w.size(0), "conv2d: bias ", bias.str(),
                " does not match ", w.size(0), " output channels");

  const Conv2dParams p = Conv2dParams::of(x.shape(), w.shape(), o);

  Tensor y = Tensor::empty({p.N, p.K, p.P(), p.Q()}, x.dtype(), x.device());
  backend_for(x).conv2d_forward(p, x, w, bias.defined() ? &bias : nullptr, y);
  if (auto node = record_node<Conv2dNode>({x, w, bias}, y)) node->params = p;
  return y;
}

}  // namespace astrocnn::ops
