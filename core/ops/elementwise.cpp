// Differentiable elementwise ops: add (residual connections) and scale.
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct AddNode final : Node {
  std::vector<Tensor> backward(const Tensor& g) override { return {g, g}; }
  const char* name() const override { return "add"; }
};

struct ScaleNode final : Node {
  double alpha = 1;
  std::vector<Tensor> backward(const Tensor& g) override { return {scale(g, alpha)}; }
  const char* name() const override { return "scale"; }
};
}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  trace::Scope trace_op("add", "forward", a);
  check_floats("add", {&a, &b});
  ASTRO_CHECK(a.shape() == b.shape(), "add: shapes differ: ", a.str(), " and ", b.str());
  Tensor y = empty_like(a);
  backend_for(a).add(a, b, y);
  record_node<AddNode>({a, b}, y);
  return y;
}

Tensor scale(const Tensor& x, double alpha) {
  trace::Scope trace_op("scale", "forward", x);
  check_floats("scale", {&x});
  Tensor y = empty_like(x);
  backend_for(x).scale(x, alpha, y);
  if (auto node = record_node<ScaleNode>({x}, y)) node->alpha = alpha;
  return y;
}

}  // namespace astrocnn::ops
