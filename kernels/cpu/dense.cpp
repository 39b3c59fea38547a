// Dense (fully connected) layer on oneDNN's inner product:
// x [N,I], w [O,I] (PyTorch's Linear layout, oneDNN's `oi`), bias [O], y [N,O].
// Plain layouts throughout: the weights are already in the row-major layout
// oneDNN's GEMM-based inner product uses, so there is nothing to reorder.
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::prop_kind;

struct DenseDescs {
  memory::desc x, w, b, y;
  DenseDescs(int64_t N, int64_t I, int64_t O)
      : x(f32_desc({N, I}, Tag::nc)), w(f32_desc({O, I}, Tag::oi)), b(f32_desc({O}, Tag::x)),
        y(f32_desc({N, O}, Tag::nc)) {}
};

// The forward primitive descriptor: the backward ones take it as a hint.
dnnl::inner_product_forward::primitive_desc forward_pd(const DenseDescs& d, bool with_bias,
                                                       dnnl::engine& eng) {
  using desc = dnnl::inner_product_forward::desc;
  return {with_bias ? desc(prop_kind::forward_training, d.x, d.w, d.b, d.y)
                    : desc(prop_kind::forward_training, d.x, d.w, d.y),
          eng};
}

struct DenseOp : CachedOp {
  dnnl::primitive prim;
  memory x, w, b, y;  // y: the output (forward) or the incoming gradient dy (backward)
};

DenseOp bind_all(dnnl::primitive prim, const DenseDescs& d, Context& ctx) {
  DenseOp op;
  op.prim = std::move(prim);
  op.x = ctx.unbound(d.x);
  op.w = ctx.unbound(d.w);
  op.b = ctx.unbound(d.b);
  op.y = ctx.unbound(d.y);
  return op;
}

}  // namespace

void OneDnnBackend::dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) {
  require_f32("dense_forward", x);
  const int64_t N = x.size(0), I = x.size(1), O = w.size(0);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<DenseOp>(op_key("dense_forward", N, I, O, bias != nullptr), [&] {
    DenseDescs d(N, I, O);
    return bind_all(dnnl::inner_product_forward(forward_pd(d, bias != nullptr, ctx.engine())), d, ctx);
  });
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, bind(e.x, x)}, {DNNL_ARG_WEIGHTS, bind(e.w, w)}, {DNNL_ARG_DST, bind(e.y, y)}};
  if (bias) args[DNNL_ARG_BIAS] = bind(e.b, *bias);
  ctx.run(e.prim, args);
}

// dx = dy w
void OneDnnBackend::dense_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  require_f32("dense_backward_data", dy);
  const int64_t N = dx.size(0), I = dx.size(1), O = w.size(0);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<DenseOp>(op_key("dense_backward_data", N, I, O), [&] {
    DenseDescs d(N, I, O);
    dnnl::inner_product_backward_data::desc desc(d.x, d.w, d.y);
    dnnl::inner_product_backward_data::primitive_desc pd(desc, ctx.engine(),
                                                         forward_pd(d, false, ctx.engine()));
    return bind_all(dnnl::inner_product_backward_data(pd), d, ctx);
  });
  ctx.run(e.prim, {{DNNL_ARG_DIFF_DST, bind(e.y, dy)},
                   {DNNL_ARG_WEIGHTS, bind(e.w, w)},
                   {DNNL_ARG_DIFF_SRC, bind(e.x, dx)}});
}

// dw = dy^T x, dbias = column sums of dy
void OneDnnBackend::dense_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw,
                                           Tensor* dbias) {
  require_f32("dense_backward_weights", x);
  const int64_t N = x.size(0), I = x.size(1), O = dw.size(0);
  const bool with_bias = dbias != nullptr;
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<DenseOp>(op_key("dense_backward_weights", N, I, O, with_bias), [&] {
    DenseDescs d(N, I, O);
    using desc = dnnl::inner_product_backward_weights::desc;
    dnnl::inner_product_backward_weights::primitive_desc pd(
        with_bias ? desc(d.x, d.w, d.b, d.y) : desc(d.x, d.w, d.y), ctx.engine(),
        forward_pd(d, with_bias, ctx.engine()));
    return bind_all(dnnl::inner_product_backward_weights(pd), d, ctx);
  });
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, bind(e.x, x)},
                                       {DNNL_ARG_DIFF_DST, bind(e.y, dy)},
                                       {DNNL_ARG_DIFF_WEIGHTS, bind(e.w, dw)}};
  if (dbias) args[DNNL_ARG_DIFF_BIAS] = bind(e.b, *dbias);
  ctx.run(e.prim, args);
}

}  // namespace astrocnn
