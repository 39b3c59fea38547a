// Differentiable inverted dropout. The caller passes the Philox seed and the
// offset of this call's slice of the stream (e.g. global_rng().reserve(numel)),
// so a run is reproducible and every backend draws the same mask.
#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct DropoutNode final : Node {
  Tensor mask;  // 0 or 1/(1-p) per element; y = x * mask
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dx = empty_like(g);
    backend_for(g).dropout_backward(mask, g, dx);
    return {dx};
  }
  const char* name() const override { return "dropout"; }
};
}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, uint64_t seed, uint64_t offset) {
  trace::Scope trace_op("dropout", "forward", x);
  ASTRO_CHECK(x.defined(), "dropout: input is undefined");
  check_floats("dropout", {&x});
  // Checked in eval mode too, so a bad configuration fails at once, not at training time.
  // p = 1 would drop everything and scale by 1/0.
  ASTRO_CHECK(p >= 0 && p < 1, "dropout: probability p must be in [0, 1), got ", p);
  if (!training || p == 0) return x;  // identity: no mask, no kernel, no graph node

  Tensor y = empty_like(x);
  Tensor mask = empty_like(x);
  backend_for(x).dropout_forward(p, seed, offset, x, y, mask);
  if (auto node = record_node<DropoutNode>({x}, y)) node->mask = mask;
  return y;
}

}  // namespace astrocnn::ops
