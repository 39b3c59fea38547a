// Elementwise ops: fill and scale (plain loops over contiguous float32, on
// every thread) and the residual add (oneDNN binary, keyed by numel alone:
// shape does not matter to it).
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::algorithm;

struct BinaryAdd : CachedOp {
  dnnl::binary prim;
  memory a, b, y;
};

}  // namespace

void OneDnnBackend::fill(Tensor& y, double value) {
  if (y.dtype() != DType::F32) return reference_backend().fill(y, value);  // int64 labels
  float* ys = y.data<float>();
  const float v = static_cast<float>(value);
  cpu::parallel_for(y.numel(), [=](int64_t i) { ys[i] = v; });
}

// Same arithmetic as the reference (alpha rounded to float first), so the
// result is bit-identical. A loop rather than oneDNN's eltwise_linear because
// alpha would be part of the primitive's key and may change every call.
void OneDnnBackend::scale(const Tensor& x, double alpha, Tensor& y) {
  cpu::require_f32("scale", x);
  const float a = static_cast<float>(alpha);
  const float* xs = x.data<float>();
  float* ys = y.data<float>();
  cpu::parallel_for(x.numel(), [=](int64_t i) { ys[i] = a * xs[i]; });
}

void OneDnnBackend::add(const Tensor& a, const Tensor& b, Tensor& y) {
  require_f32("add", a);
  const int64_t n = y.numel();
  if (n == 0) return;
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<BinaryAdd>(op_key("add", n), [&] {
    BinaryAdd made;
    dnnl::binary::desc desc(algorithm::binary_add, flat_desc(n), flat_desc(n), flat_desc(n));
    made.prim = dnnl::binary({desc, ctx.engine()});
    made.a = ctx.unbound(flat_desc(n));
    made.b = ctx.unbound(flat_desc(n));
    made.y = ctx.unbound(flat_desc(n));
    return made;
  });
  ctx.run(e.prim, {{DNNL_ARG_SRC_0, bind(e.a, a)},
                   {DNNL_ARG_SRC_1, bind(e.b, b)},
                   {DNNL_ARG_DST, bind(e.y, y)}});
}

}  // namespace astrocnn
