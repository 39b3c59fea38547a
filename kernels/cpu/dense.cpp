// Dense (fully connected) layer on oneDNN's inner product:
// x [N,I], w [O,I] (PyTorch's Linear layout, oneDNN's `oi`), bias [O], y [N,O].
// Plain layouts throughout: the weights are already in the row-major layout
// oneDNN's GEMM-based inner product uses, so in float32 there is nothing to
// reorder. Under bf16 (kernels/precision.h) the two operands of each pass are
// converted to bfloat16 on the way in (Operand's reorder, into scratch) and
// the result is float32, as for convolutions (conv2d.cpp).
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/dnnl_primitive.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::prop_kind;

// The user's float32 descriptors and the operands' (in the math precision).
struct DenseDescs {
  memory::desc x, w, b, y;
  memory::desc x_in, w_in, y_in;
  DenseDescs(int64_t N, int64_t I, int64_t O, memory::data_type operand)
      : x(f32_desc({N, I}, Tag::nc)), w(f32_desc({O, I}, Tag::oi)), b(f32_desc({O}, Tag::x)),
        y(f32_desc({N, O}, Tag::nc)), x_in({N, I}, operand, Tag::nc), w_in({O, I}, operand, Tag::oi),
        y_in({N, O}, operand, Tag::nc) {}
};

// The forward primitive descriptor: the backward ones take it as a hint.
dnnl::inner_product_forward::primitive_desc forward_pd(const DenseDescs& d, bool with_bias,
                                                       dnnl::engine& eng) {
  using desc = dnnl::inner_product_forward::desc;
  return {with_bias ? desc(prop_kind::forward_training, d.x_in, d.w_in, d.b, d.y)
                    : desc(prop_kind::forward_training, d.x_in, d.w_in, d.y),
          eng};
}

}  // namespace

void OneDnnBackend::dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) {
  require_f32("dense_forward", x);
  const int64_t N = x.size(0), I = x.size(1), O = w.size(0);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<PrimitiveOp>(op_key("dense_forward", N, I, O, bias != nullptr, type_name(type)), [&] {
    DenseDescs d(N, I, O, type);
    auto pd = forward_pd(d, bias != nullptr, ctx.engine());
    PrimitiveOp op(dnnl::inner_product_forward(pd), pd);
    op.input(DNNL_ARG_SRC, d.x).input(DNNL_ARG_WEIGHTS, d.w).output(DNNL_ARG_DST, d.y);
    if (bias) op.input(DNNL_ARG_BIAS, d.b);
    return op;
  });
  e.run({{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, y}});
}

// dx = dy w
void OneDnnBackend::dense_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  require_f32("dense_backward_data", dy);
  const int64_t N = dx.size(0), I = dx.size(1), O = w.size(0);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<PrimitiveOp>(op_key("dense_backward_data", N, I, O, type_name(type)), [&] {
    DenseDescs d(N, I, O, type);
    dnnl::inner_product_backward_data::desc desc(d.x, d.w_in, d.y_in);
    dnnl::inner_product_backward_data::primitive_desc pd(desc, ctx.engine(),
                                                         forward_pd(d, false, ctx.engine()));
    PrimitiveOp op(dnnl::inner_product_backward_data(pd), pd);
    op.input(DNNL_ARG_DIFF_DST, d.y).input(DNNL_ARG_WEIGHTS, d.w).output(DNNL_ARG_DIFF_SRC, d.x);
    return op;
  });
  e.run({{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
}

// dw = dy^T x, dbias = column sums of dy
void OneDnnBackend::dense_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw,
                                           Tensor* dbias) {
  require_f32("dense_backward_weights", x);
  const int64_t N = x.size(0), I = x.size(1), O = dw.size(0);
  const bool with_bias = dbias != nullptr;
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<PrimitiveOp>(
      op_key("dense_backward_weights", N, I, O, with_bias, type_name(type)), [&] {
        DenseDescs d(N, I, O, type);
        using desc = dnnl::inner_product_backward_weights::desc;
        dnnl::inner_product_backward_weights::primitive_desc pd(
            with_bias ? desc(d.x_in, d.w, d.b, d.y_in) : desc(d.x_in, d.w, d.y_in), ctx.engine(),
            forward_pd(d, with_bias, ctx.engine()));
        PrimitiveOp op(dnnl::inner_product_backward_weights(pd), pd);
        op.input(DNNL_ARG_SRC, d.x).input(DNNL_ARG_DIFF_DST, d.y);
        op.output(DNNL_ARG_DIFF_WEIGHTS, d.w);
        if (with_bias) op.output(DNNL_ARG_DIFF_BIAS, d.b);
        return op;
      });
  e.run({{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw},
         {DNNL_ARG_DIFF_BIAS, dbias}});
}

}  // namespace astrocnn
