// Differentiable activations: ReLU, leaky ReLU and sigmoid (backward from the
// saved output), SiLU (backward from the saved input), and softmax for predictions.
#include <cmath>

#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct ReluNode final : Node {
  Tensor y;  // detached forward output
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(g);
    backend_for(g).relu_backward(y, g, dx);
    return {dx};
  }
  const char* name() const override { return "relu"; }
};

struct LeakyReluNode final : Node {
  double slope = 0;
  Tensor y;  // detached forward output: y > 0 exactly where x > 0 (slope >= 0)
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(g);
    backend_for(g).leaky_relu_backward(slope, y, g, dx);
    return {dx};
  }
  const char* name() const override { return "leaky_relu"; }
};

struct SigmoidNode final : Node {
  Tensor y;
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(g);
    backend_for(g).sigmoid_backward(y, g, dx);
    return {dx};
  }
  const char* name() const override { return "sigmoid"; }
};

struct SiluNode final : Node {
  Tensor x;  // detached forward input: SiLU's output does not determine its gradient
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(g);
    backend_for(g).silu_backward(x, g, dx);
    return {dx};
  }
  const char* name() const override { return "silu"; }
};
}  // namespace

Tensor relu(const Tensor& x) {
  trace::Scope trace_op("relu", "forward", x);
  check_floats("relu", {&x});
  Tensor y = empty_like(x);
  backend_for(x).relu_forward(x, y);
  if (auto node = record_node<ReluNode>({x}, y)) node->y = y.detach();
  return y;
}

Tensor leaky_relu(const Tensor& x, double slope) {
  trace::Scope trace_op("leaky_relu", "forward", x);
  check_floats("leaky_relu", {&x});
  // A negative slope would make y > 0 where x < 0, and the backward reads y.
  ASTRO_CHECK(std::isfinite(slope) && slope >= 0, "leaky_relu: the slope must be finite and >= 0, got ",
              slope);
  Tensor y = empty_like(x);
  backend_for(x).leaky_relu_forward(slope, x, y);
  if (auto node = record_node<LeakyReluNode>({x}, y)) {
    node->slope = slope;
    node->y = y.detach();
  }
  return y;
}

Tensor sigmoid(const Tensor& x) {
  trace::Scope trace_op("sigmoid", "forward", x);
  check_floats("sigmoid", {&x});
  Tensor y = empty_like(x);
  backend_for(x).sigmoid_forward(x, y);
  if (auto node = record_node<SigmoidNode>({x}, y)) node->y = y.detach();
  return y;
}

Tensor silu(const Tensor& x) {
  trace::Scope trace_op("silu", "forward", x);
  check_floats("silu", {&x});
  Tensor y = empty_like(x);
  backend_for(x).silu_forward(x, y);
  if (auto node = record_node<SiluNode>({x}, y)) node->x = x.detach();
  return y;
}

Tensor softmax(const Tensor& x) {
  trace::Scope trace_op("softmax", "forward", x);
  check_floats("softmax", {&x});
  check_rank("softmax", "input", x, 2);
  ASTRO_CHECK(x.size(1) > 0, "softmax: need at least one class, got ", x.str());
  Tensor y = empty_like(x);
  backend_for(x).softmax_forward(x, y);
  return y;
}

}  // namespace astrocnn::ops
