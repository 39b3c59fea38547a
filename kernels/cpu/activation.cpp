// Activations: sigmoid and SiLU (oneDNN eltwise), ReLU and leaky ReLU
// (loops, see below) and row softmax (oneDNN softmax; prediction only: the
// training loss fuses softmax with cross-entropy and runs on the reference
// backend). Shape does not matter to the elementwise ones, so every tensor is
// seen as a flat array of numel floats and the primitive is keyed by numel alone.
//
// Sigmoid uses eltwise_logistic_use_dst_for_bwd: the backward pass is
// computed from the forward output y, which is what the Backend interface
// hands to sigmoid_backward. SiLU is oneDNN's eltwise_swish with alpha 1,
// x * sigmoid(x), whose backward reads the input x, as silu_backward's does.
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::algorithm;
using dnnl::prop_kind;

struct EltwiseForward : CachedOp {
  dnnl::eltwise_forward prim;
  memory src, dst;
};

struct EltwiseBackward : CachedOp {
  dnnl::eltwise_backward prim;
  memory saved, diff_dst, diff_src;
};

// The one eltwise parameter these activations use: swish's alpha (1 for SiLU).
float alpha_of(algorithm alg) { return alg == algorithm::eltwise_swish ? 1.0f : 0.0f; }

dnnl::eltwise_forward::primitive_desc forward_pd(algorithm alg, int64_t n, dnnl::engine& eng) {
  return {{prop_kind::forward_training, alg, flat_desc(n), alpha_of(alg), 0.0f}, eng};
}

void eltwise_forward(const char* op, algorithm alg, const Tensor& x, Tensor& y) {
  require_f32(op, x);
  const int64_t n = x.numel();
  if (n == 0) return;
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<EltwiseForward>(op_key(op, n), [&] {
    EltwiseForward made;
    made.prim = dnnl::eltwise_forward(forward_pd(alg, n, ctx.engine()));
    made.src = ctx.unbound(flat_desc(n));
    made.dst = ctx.unbound(flat_desc(n));
    return made;
  });
  ctx.run(e.prim, {{DNNL_ARG_SRC, bind(e.src, x)}, {DNNL_ARG_DST, bind(e.dst, y)}});
}

// `saved` is what the algorithm's backward reads: the forward output (the
// *_use_dst_for_bwd algorithms) or the input.
void eltwise_backward(const char* op, algorithm alg, const Tensor& saved, const Tensor& dy,
                      Tensor& dx) {
  require_f32(op, saved);
  const int64_t n = saved.numel();
  if (n == 0) return;
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<EltwiseBackward>(op_key(op, n), [&] {
    EltwiseBackward made;
    dnnl::eltwise_backward::desc desc(alg, flat_desc(n), flat_desc(n), alpha_of(alg), 0.0f);
    made.prim = dnnl::eltwise_backward({desc, ctx.engine(), forward_pd(alg, n, ctx.engine())});
    made.saved = ctx.unbound(flat_desc(n));
    made.diff_dst = ctx.unbound(flat_desc(n));
    made.diff_src = ctx.unbound(flat_desc(n));
    return made;
  });
  const bool from_output = alg == algorithm::eltwise_logistic_use_dst_for_bwd;
  ctx.run(e.prim, {{from_output ? DNNL_ARG_DST : DNNL_ARG_SRC, bind(e.saved, saved)},
                   {DNNL_ARG_DIFF_DST, bind(e.diff_dst, dy)},
                   {DNNL_ARG_DIFF_SRC, bind(e.diff_src, dx)}});
}

struct Softmax : CachedOp {
  dnnl::softmax_forward prim;
  memory x, y;
};

}  // namespace

// ReLU is a loop, not oneDNN's eltwise_relu: that one computes max(x, 0),
// which turns a NaN input into 0, while the interface requires NaN to
// propagate (a diverging run must show up as NaN, not as dead units); and its
// backward multiplies dy by 0 where the reference selects 0, which differs
// for a non-finite dy. Both loops are memory-bound selects (`x <= 0` is false
// for NaN, which therefore passes through), run on every thread.
void OneDnnBackend::relu_forward(const Tensor& x, Tensor& y) {
  require_f32("relu_forward", x);
  const float* xs = x.data<float>();
  float* ys = y.data<float>();
  parallel_for(x.numel(), [=](int64_t i) { ys[i] = xs[i] <= 0.0f ? 0.0f : xs[i]; });
}
void OneDnnBackend::relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  require_f32("relu_backward", y);
  const float* ys = y.data<float>();
  const float* dys = dy.data<float>();
  float* dxs = dx.data<float>();
  parallel_for(y.numel(), [=](int64_t i) { dxs[i] = ys[i] > 0.0f ? dys[i] : 0.0f; });
}
// Leaky ReLU: loops for the same reasons as ReLU (oneDNN's eltwise_relu with
// alpha computes the forward alike, but its backward multiplies where the
// interface selects).
void OneDnnBackend::leaky_relu_forward(double slope, const Tensor& x, Tensor& y) {
  require_f32("leaky_relu_forward", x);
  const float a = static_cast<float>(slope);
  const float* xs = x.data<float>();
  float* ys = y.data<float>();
  parallel_for(x.numel(), [=](int64_t i) { ys[i] = xs[i] > 0.0f ? xs[i] : a * xs[i]; });
}
void OneDnnBackend::leaky_relu_backward(double slope, const Tensor& y, const Tensor& dy, Tensor& dx) {
  require_f32("leaky_relu_backward", y);
  const float a = static_cast<float>(slope);
  const float* ys = y.data<float>();
  const float* dys = dy.data<float>();
  float* dxs = dx.data<float>();
  parallel_for(y.numel(), [=](int64_t i) { dxs[i] = ys[i] > 0.0f ? dys[i] : a * dys[i]; });
}
void OneDnnBackend::sigmoid_forward(const Tensor& x, Tensor& y) {
  eltwise_forward("sigmoid_forward", algorithm::eltwise_logistic_use_dst_for_bwd, x, y);
}
void OneDnnBackend::sigmoid_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  eltwise_backward("sigmoid_backward", algorithm::eltwise_logistic_use_dst_for_bwd, y, dy, dx);
}

void OneDnnBackend::silu_forward(const Tensor& x, Tensor& y) {
  eltwise_forward("silu_forward", algorithm::eltwise_swish, x, y);
}
void OneDnnBackend::silu_backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  eltwise_backward("silu_backward", algorithm::eltwise_swish, x, dy, dx);
}

void OneDnnBackend::softmax_forward(const Tensor& x, Tensor& y) {
  require_f32("softmax_forward", x);
  const int64_t N = x.size(0), C = x.size(1);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<Softmax>(op_key("softmax_forward", N, C), [&] {
    const memory::desc md = f32_desc({N, C}, Tag::nc);
    Softmax made;
    made.prim = dnnl::softmax_forward({{dnnl::prop_kind::forward_inference, md, 1}, ctx.engine()});
    made.x = ctx.unbound(md);
    made.y = ctx.unbound(md);
    return made;
  });
  ctx.run(e.prim, {{DNNL_ARG_SRC, bind(e.x, x)}, {DNNL_ARG_DST, bind(e.y, y)}});
}

}  // namespace astrocnn
