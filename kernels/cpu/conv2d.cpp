// 2-D convolution on oneDNN: forward (+bias), backward-data, backward-weights
// (+bias). x [N,C,H,W], w [K,C/groups,R,S], y [N,K,P,Q], all plain NCHW/OIHW.
//
// The primitives are created with Tag::any so that oneDNN picks its fastest
// (blocked, e.g. nChw16c / OIhw16i16o) layouts; Operand reorders the user's
// plain tensors into them and back (PrimitiveOp, dnnl_primitive.h).
// The reorders cost a pass over each tensor, well worth it: on the
// Huertas-Company layers (batch 32, one thread) the blocked kernels took
// 0.5-0.8x the time of the all-plain ones, reorders included, except
// backward-data with few input channels (see x_out).
// Padding is passed as (top, left) / (bottom, right), so TensorFlow's
// asymmetric SAME padding maps directly.
//
// Mixed precision (kernels/precision.h): under bf16 the two operands of each
// pass are bfloat16 and its result float32 (oneDNN accumulates in float32).
// The float32 -> bfloat16 conversion rides on the layout reorder each
// operand pays anyway, so it costs one pass over the tensor, not two.
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/dnnl_primitive.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::algorithm;
using dnnl::prop_kind;

// The user's plain descriptors, the "any" ones the primitives are built
// from, and the geometry. A tensor is an operand (read: *_in, in the math
// precision's type) in some passes and a result (written: *_out, float32) in
// another: x is read by forward and backward-weights and written by
// backward-data, and likewise for w and y.
struct ConvDescs {
  memory::desc x, w, y, b;
  memory::desc x_in, w_in, y_in;     // operands
  memory::desc x_out, w_out, y_out;  // results
  Dims strides, pad_l, pad_r;

  ConvDescs(const Conv2dParams& p, memory::data_type operand) {
    const Dims x_dims{p.N, p.C, p.H, p.W}, y_dims{p.N, p.K, p.P(), p.Q()};
    // Grouped weights are 5-D in oneDNN ([G, K/G, C/G, R, S]), the same bytes as [K, C/G, R, S].
    const Dims w_dims = p.groups == 1 ? Dims{p.K, p.C, p.R, p.S}
                                      : Dims{p.groups, p.K / p.groups, p.C / p.groups, p.R, p.S};
    x = f32_desc(x_dims, Tag::nchw);
    w = f32_desc(w_dims, p.groups == 1 ? Tag::oihw : Tag::goihw);
    y = f32_desc(y_dims, Tag::nchw);
    b = f32_desc({p.K}, Tag::x);
    x_in = memory::desc(x_dims, operand, Tag::any);
    w_in = memory::desc(w_dims, operand, Tag::any);
    y_in = memory::desc(y_dims, operand, Tag::any);
    w_out = f32_desc(w_dims, Tag::any);
    y_out = f32_desc(y_dims, Tag::any);
    // Blocked layouts pad channels to a multiple of 16: for the first layer
    // (1-6 input channels) a blocked dx makes backward-data compute and
    // reorder up to 16x too many channels (measured 55 ms vs 8 ms for the
    // Huertas-Company conv1, batch 32). With a plain dx oneDNN picks a kernel
    // that writes NCHW directly.
    x_out = p.C / p.groups < 16 ? x : f32_desc(x_dims, Tag::any);
    strides = {p.stride_h, p.stride_w};
    pad_l = {p.pad_top, p.pad_left};
    pad_r = {p.pad_bottom, p.pad_right};
  }
};

dnnl::convolution_forward::primitive_desc forward_pd(const ConvDescs& d, bool with_bias,
                                                     dnnl::engine& eng) {
  using desc = dnnl::convolution_forward::desc;
  const auto fwd = prop_kind::forward_training;
  const auto alg = algorithm::convolution_direct;
  return {with_bias ? desc(fwd, alg, d.x_in, d.w_in, d.b, d.y_out, d.strides, d.pad_l, d.pad_r)
                    : desc(fwd, alg, d.x_in, d.w_in, d.y_out, d.strides, d.pad_l, d.pad_r),
          eng};
}

}  // namespace

void OneDnnBackend::conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w,
                                   const Tensor* bias, Tensor& y) {
  require_f32("conv2d_forward", x);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<PrimitiveOp>(op_key("conv2d_forward", p.str(), bias != nullptr, type_name(type)), [&] {
    ConvDescs d(p, type);
    auto pd = forward_pd(d, bias != nullptr, ctx.engine());
    PrimitiveOp op(dnnl::convolution_forward(pd), pd);
    op.input(DNNL_ARG_SRC, d.x).input(DNNL_ARG_WEIGHTS, d.w).output(DNNL_ARG_DST, d.y);
    if (bias) op.input(DNNL_ARG_BIAS, d.b);
    return op;
  });
  e.run({{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, y}});
}

void OneDnnBackend::conv2d_backward_data(const Conv2dParams& p, const Tensor& dy, const Tensor& w,
                                         Tensor& dx) {
  require_f32("conv2d_backward_data", dy);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<PrimitiveOp>(op_key("conv2d_backward_data", p.str(), type_name(type)), [&] {
    ConvDescs d(p, type);
    dnnl::convolution_backward_data::desc desc(algorithm::convolution_direct, d.x_out, d.w_in,
                                               d.y_in, d.strides, d.pad_l, d.pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(desc, ctx.engine(),
                                                       forward_pd(d, false, ctx.engine()));
    PrimitiveOp op(dnnl::convolution_backward_data(pd), pd);
    op.input(DNNL_ARG_DIFF_DST, d.y).input(DNNL_ARG_WEIGHTS, d.w).output(DNNL_ARG_DIFF_SRC, d.x);
    return op;
  });
  e.run({{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
}

void OneDnnBackend::conv2d_backward_weights(const Conv2dParams& p, const Tensor& x,
                                            const Tensor& dy, Tensor& dw, Tensor* dbias) {
  require_f32("conv2d_backward_weights", x);
  const bool with_bias = dbias != nullptr;
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<PrimitiveOp>(
      op_key("conv2d_backward_weights", p.str(), with_bias, type_name(type)), [&] {
        ConvDescs d(p, type);
        using desc = dnnl::convolution_backward_weights::desc;
        const auto alg = algorithm::convolution_direct;
        dnnl::convolution_backward_weights::primitive_desc pd(
            with_bias ? desc(alg, d.x_in, d.w_out, d.b, d.y_in, d.strides, d.pad_l, d.pad_r)
                      : desc(alg, d.x_in, d.w_out, d.y_in, d.strides, d.pad_l, d.pad_r),
            ctx.engine(), forward_pd(d, with_bias, ctx.engine()));
        PrimitiveOp op(dnnl::convolution_backward_weights(pd), pd);
        op.input(DNNL_ARG_SRC, d.x).input(DNNL_ARG_DIFF_DST, d.y);
        op.output(DNNL_ARG_DIFF_WEIGHTS, d.w);
        if (with_bias) op.output(DNNL_ARG_DIFF_BIAS, d.b);
        return op;
      });
  e.run({{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw},
         {DNNL_ARG_DIFF_BIAS, dbias}});
}

}  // namespace astrocnn
