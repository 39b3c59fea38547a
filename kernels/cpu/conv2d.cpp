// 2-D convolution on oneDNN: forward (+bias), backward-data, backward-weights
// (+bias). x [N,C,H,W], w [K,C/groups,R,S], y [N,K,P,Q], all plain NCHW/OIHW.
//
// The primitives are created with Tag::any so that oneDNN picks its fastest
// (blocked, e.g. nChw16c / OIhw16i16o) layouts; Operand reorders the user's
// plain tensors into them and back (scratch slots 0, 1, 2 in argument order).
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
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::algorithm;
using dnnl::prop_kind;
using Role = Operand::Role;

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

struct ConvForward : CachedOp {
  dnnl::convolution_forward prim;
  Operand x, w, y;
  memory b;
};

struct ConvBackwardData : CachedOp {
  dnnl::convolution_backward_data prim;
  Operand dy, w, dx;
};

struct ConvBackwardWeights : CachedOp {
  dnnl::convolution_backward_weights prim;
  Operand x, dy, dw;
  memory db;
};

}  // namespace

void OneDnnBackend::conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w,
                                   const Tensor* bias, Tensor& y) {
  require_f32("conv2d_forward", x);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<ConvForward>(op_key("conv2d_forward", p.str(), bias != nullptr, type_name(type)), [&] {
    ConvDescs d(p, type);
    auto pd = forward_pd(d, bias != nullptr, ctx.engine());
    ConvForward made;
    made.prim = dnnl::convolution_forward(pd);
    made.x = Operand(d.x, pd.src_desc(), Role::Input, 0, ctx.engine());
    made.w = Operand(d.w, pd.weights_desc(), Role::Input, 1, ctx.engine());
    made.y = Operand(d.y, pd.dst_desc(), Role::Output, 2, ctx.engine());
    made.b = ctx.unbound(d.b);
    return made;
  });
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e.x.in(x, ctx.stream())},
                                       {DNNL_ARG_WEIGHTS, e.w.in(w, ctx.stream())},
                                       {DNNL_ARG_DST, e.y.out(y)}};
  if (bias) args[DNNL_ARG_BIAS] = bind(e.b, *bias);
  ctx.run(e.prim, args);
  e.y.out_done(ctx.stream());
}

void OneDnnBackend::conv2d_backward_data(const Conv2dParams& p, const Tensor& dy, const Tensor& w,
                                         Tensor& dx) {
  require_f32("conv2d_backward_data", dy);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<ConvBackwardData>(op_key("conv2d_backward_data", p.str(), type_name(type)), [&] {
    ConvDescs d(p, type);
    dnnl::convolution_backward_data::desc desc(algorithm::convolution_direct, d.x_out, d.w_in,
                                               d.y_in, d.strides, d.pad_l, d.pad_r);
    dnnl::convolution_backward_data::primitive_desc pd(desc, ctx.engine(),
                                                       forward_pd(d, false, ctx.engine()));
    ConvBackwardData made;
    made.prim = dnnl::convolution_backward_data(pd);
    made.dy = Operand(d.y, pd.diff_dst_desc(), Role::Input, 0, ctx.engine());
    made.w = Operand(d.w, pd.weights_desc(), Role::Input, 1, ctx.engine());
    made.dx = Operand(d.x, pd.diff_src_desc(), Role::Output, 2, ctx.engine());
    return made;
  });
  ctx.run(e.prim, {{DNNL_ARG_DIFF_DST, e.dy.in(dy, ctx.stream())},
                          {DNNL_ARG_WEIGHTS, e.w.in(w, ctx.stream())},
                          {DNNL_ARG_DIFF_SRC, e.dx.out(dx)}});
  e.dx.out_done(ctx.stream());
}

void OneDnnBackend::conv2d_backward_weights(const Conv2dParams& p, const Tensor& x,
                                            const Tensor& dy, Tensor& dw, Tensor* dbias) {
  require_f32("conv2d_backward_weights", x);
  const bool with_bias = dbias != nullptr;
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  const auto type = operand_type();
  auto& e = ctx.cached<ConvBackwardWeights>(
      op_key("conv2d_backward_weights", p.str(), with_bias, type_name(type)), [&] {
        ConvDescs d(p, type);
        using desc = dnnl::convolution_backward_weights::desc;
        const auto alg = algorithm::convolution_direct;
        dnnl::convolution_backward_weights::primitive_desc pd(
            with_bias ? desc(alg, d.x_in, d.w_out, d.b, d.y_in, d.strides, d.pad_l, d.pad_r)
                      : desc(alg, d.x_in, d.w_out, d.y_in, d.strides, d.pad_l, d.pad_r),
            ctx.engine(), forward_pd(d, with_bias, ctx.engine()));
        ConvBackwardWeights made;
        made.prim = dnnl::convolution_backward_weights(pd);
        made.x = Operand(d.x, pd.src_desc(), Role::Input, 0, ctx.engine());
        made.dy = Operand(d.y, pd.diff_dst_desc(), Role::Input, 1, ctx.engine());
        made.dw = Operand(d.w, pd.diff_weights_desc(), Role::Output, 2, ctx.engine());
        made.db = ctx.unbound(d.b);
        return made;
      });
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e.x.in(x, ctx.stream())},
                                       {DNNL_ARG_DIFF_DST, e.dy.in(dy, ctx.stream())},
                                       {DNNL_ARG_DIFF_WEIGHTS, e.dw.out(dw)}};
  if (dbias) args[DNNL_ARG_DIFF_BIAS] = bind(e.db, *dbias);
  ctx.run(e.prim, args);
  e.dw.out_done(ctx.stream());
}

}  // namespace astrocnn
