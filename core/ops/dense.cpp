// Differentiable dense (fully connected) layer: y = x w^T + b.
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct DenseNode final : Node {
  // inputs: x, w, bias (bias may be undefined)
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor &x = inputs[0], &w = inputs[1], &b = inputs[2];
    Backend& be = backend_for(g);
    Tensor dx, dw, db;
    if (x.requires_grad()) {
      dx = empty_like(x);
      be.dense_backward_data(g, w, dx);
    }
    if (w.requires_grad() || (b.defined() && b.requires_grad())) {
      dw = empty_like(w);
      if (b.defined()) db = empty_like(b);
      be.dense_backward_weights(x, g, dw, b.defined() ? &db : nullptr);
    }
    return {dx, dw, db};
  }
  const char* name() const override { return "dense"; }
};
}  // namespace

Tensor dense(const Tensor& x, const Tensor& w, const Tensor& bias) {
  trace::Scope trace_op("dense", "forward", x);
  check_floats("dense", {&x, &w, &bias});
  check_rank("dense", "input", x, 2);
  check_rank("dense", "weight", w, 2);
  ASTRO_CHECK(x.size(1) == w.size(1), "dense: input has ", x.size(1),
              " features but the weight expects ", w.size(1), " (input ", x.str(), ", weight ",
              w.str(), ")");
  if (bias.defined())
    ASTRO_CHECK(bias.dim() == 1 && bias.size(0) == w.size(0), "dense: bias ", bias.str(),
                " does not match ", w.size(0), " outputs");
  Tensor y = Tensor::empty({x.size(0), w.size(0)}, x.dtype(), x.device());
  backend_for(x).dense_forward(x, w, bias.defined() ? &bias : nullptr, y);
  record_node<DenseNode>({x, w, bias}, y);  // nothing to save: backward reads x and w
  return y;
}

}  // namespace astrocnn::ops
