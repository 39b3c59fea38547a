// Differentiable pooling: max and average over R x S windows, global average
// pooling, and TensorFlow's "SAME" padding rule that LeNet-style nets use.
#include <algorithm>

#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct MaxPool2dNode final : Node {
  Pool2dParams params;
  // inputs: x (the backward kernel re-finds each window's maximum in it)
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(inputs[0]);
    backend_for(g).max_pool2d_backward(params, inputs[0], g, dx);
    return {dx};
  }
  const char* name() const override { return "max_pool2d"; }
};

struct AvgPool2dNode final : Node {
  Pool2dParams params;
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(inputs[0]);
    backend_for(g).avg_pool2d_backward(params, g, dx);
    return {dx};
  }
  const char* name() const override { return "avg_pool2d"; }
};

struct GlobalAvgPoolNode final : Node {
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(inputs[0]);
    backend_for(g).global_avg_pool_backward(g, dx);
    return {dx};
  }
  const char* name() const override { return "global_avg_pool"; }
};

// Checks x and fills the pooling record shared by max and average pooling.
Pool2dParams pool_params(const char* op, const Tensor& x, const Pool2dWindow& window) {
  check_floats(op, {&x});
  check_rank(op, "input", x, 4);
  return Pool2dParams::of(x.shape(), window);
}
}  // namespace

SamePadding same_padding(int64_t in, int64_t k, int64_t stride) {
  ASTRO_CHECK(in > 0 && k > 0 && stride > 0, "same_padding: input size, window and stride must "
              "be positive, got in=", in, " k=", k, " stride=", stride);
  const int64_t out = (in + stride - 1) / stride;  // ceil(in / stride)
  const int64_t total = std::max<int64_t>((out - 1) * stride + k - in, 0);
  SamePadding pad;
  pad.before = total / 2;
  pad.after = total - pad.before;  // the odd pixel goes after, as in TensorFlow
  return pad;
}

Tensor max_pool2d(const Tensor& x, const Pool2dWindow& o) {
  trace::Scope trace_op("max_pool2d", "forward", x);
  Pool2dParams p = pool_params("max_pool2d", x, o);
  Tensor y = Tensor::empty({p.N, p.C, p.P(), p.Q()}, x.dtype(), x.device());
  backend_for(x).max_pool2d_forward(p, x, y);
  if (auto node = record_node<MaxPool2dNode>({x}, y)) node->params = p;
  return y;
}

Tensor avg_pool2d(const Tensor& x, const Pool2dWindow& o) {
  trace::Scope trace_op("avg_pool2d", "forward", x);
  Pool2dParams p = pool_params("avg_pool2d", x, o);
  Tensor y = Tensor::empty({p.N, p.C, p.P(), p.Q()}, x.dtype(), x.device());
  backend_for(x).avg_pool2d_forward(p, x, y);
  if (auto node = record_node<AvgPool2dNode>({x}, y)) node->params = p;
  return y;
}

Tensor global_avg_pool(const Tensor& x) {
  trace::Scope trace_op("global_avg_pool", "forward", x);
  check_floats("global_avg_pool", {&x});
  check_rank("global_avg_pool", "input", x, 4);
  ASTRO_CHECK(x.numel() > 0, "global_avg_pool: input sizes must be positive, got ", x.str());
  Tensor y = Tensor::empty({x.size(0), x.size(1)}, x.dtype(), x.device());
  backend_for(x).global_avg_pool_forward(x, y);
  record_node<GlobalAvgPoolNode>({x}, y);
  return y;
}

}  // namespace astrocnn::ops
