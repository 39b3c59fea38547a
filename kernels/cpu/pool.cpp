// Max, average and global average pooling on oneDNN, in the user's plain
// NCHW layout (pooling is memory-bound: reordering to a blocked layout and
// back would cost more than the blocked kernel saves).
//
// Padding: (top, left) / (bottom, right) map directly. Average pooling's
// count_include_pad picks pooling_avg_include_padding (divide by R*S) or
// pooling_avg_exclude_padding (divide by the real pixels under the window),
// the reference's two rules.
//
// Max-pool backward needs the forward's workspace (which input won each
// window), but the Backend interface passes backward only x, dy and dx. We
// re-run the forward with a workspace inside backward rather than caching
// the workspace keyed by x's storage pointer: an allocator hands freed
// pointers out again and a tensor can be modified in place between forward
// and backward, so a pointer key could silently return a stale workspace.
// The extra forward costs about one pooling pass, small next to the
// surrounding convolutions.
//
// NaN: oneDNN's max pooling compares with '>', so a NaN never wins a window
// (and a window of NaNs yields -FLT_MAX). The interface, like PyTorch, lets
// NaN win so that a diverging run shows NaN instead of plausible numbers.
// Max pooling therefore scans its input and sends the rare call whose input
// holds a NaN to the reference backend, which has that rule.
#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::algorithm;
using dnnl::prop_kind;

struct PoolDescs {
  memory::desc x, y;
  Dims strides, kernel, pad_l, pad_r;
};

PoolDescs pool_descs(const Pool2dParams& p) {
  return {f32_desc({p.N, p.C, p.H, p.W}, Tag::nchw), f32_desc({p.N, p.C, p.P(), p.Q()}, Tag::nchw),
          {p.stride_h, p.stride_w},                  {p.R, p.S},
          {p.pad_top, p.pad_left},                   {p.pad_bottom, p.pad_right}};
}

// Global average pooling is one window covering the whole image: y [N,C]
// has the same bytes as an NCHW [N,C,1,1] tensor.
PoolDescs global_descs(int64_t N, int64_t C, int64_t H, int64_t W) {
  return {f32_desc({N, C, H, W}, Tag::nchw), f32_desc({N, C, 1, 1}, Tag::nchw), {1, 1}, {H, W},
          {0, 0}, {0, 0}};
}

algorithm avg_algorithm(bool count_include_pad) {
  return count_include_pad ? algorithm::pooling_avg_include_padding
                           : algorithm::pooling_avg_exclude_padding;
}

dnnl::pooling_forward::primitive_desc forward_pd(prop_kind prop, algorithm alg, const PoolDescs& d,
                                                 dnnl::engine& eng) {
  return {{prop, alg, d.x, d.y, d.strides, d.kernel, d.pad_l, d.pad_r}, eng};
}

dnnl::pooling_backward::primitive_desc backward_pd(algorithm alg, const PoolDescs& d,
                                                   dnnl::engine& eng) {
  return {{alg, d.x, d.y, d.strides, d.kernel, d.pad_l, d.pad_r},
          eng,
          forward_pd(prop_kind::forward_training, alg, d, eng)};
}

// A forward (inference: no workspace) or an average-pool backward: one input, one output.
struct PoolOp : CachedOp {
  dnnl::primitive prim;
  memory in, out;
};

void run_forward(const char* op, const std::string& key, algorithm alg, const PoolDescs& d,
                 const Tensor& x, Tensor& y) {
  require_f32(op, x);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<PoolOp>(key, [&] {
    PoolOp made;
    made.prim = dnnl::pooling_forward(forward_pd(prop_kind::forward_inference, alg, d, ctx.engine()));
    made.in = ctx.unbound(d.x);
    made.out = ctx.unbound(d.y);
    return made;
  });
  ctx.run(e.prim, {{DNNL_ARG_SRC, bind(e.in, x)}, {DNNL_ARG_DST, bind(e.out, y)}});
}

void run_avg_backward(const char* op, const std::string& key, algorithm alg, const PoolDescs& d,
                      const Tensor& dy, Tensor& dx) {
  require_f32(op, dy);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<PoolOp>(key, [&] {
    PoolOp made;
    made.prim = dnnl::pooling_backward(backward_pd(alg, d, ctx.engine()));
    made.in = ctx.unbound(d.y);
    made.out = ctx.unbound(d.x);
    return made;
  });
  ctx.run(e.prim, {{DNNL_ARG_DIFF_DST, bind(e.in, dy)}, {DNNL_ARG_DIFF_SRC, bind(e.out, dx)}});
}

// Max-pool backward: a training forward that fills the workspace (its output
// goes to a scratch buffer), then the backward that reads it.
struct MaxPoolBackward : CachedOp {
  dnnl::pooling_forward forward;
  dnnl::pooling_backward backward;
  memory x, y_scratch, workspace, dy, dx;
};

}  // namespace

void OneDnnBackend::max_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  require_f32("max_pool2d_forward", x);
  if (any_nan(x)) return reference_backend().max_pool2d_forward(p, x, y);
  run_forward("max_pool2d_forward", op_key("max_pool2d_forward", p.str()), algorithm::pooling_max,
              pool_descs(p), x, y);
}

void OneDnnBackend::max_pool2d_backward(const Pool2dParams& p, const Tensor& x, const Tensor& dy,
                                        Tensor& dx) {
  require_f32("max_pool2d_backward", x);
  if (any_nan(x)) return reference_backend().max_pool2d_backward(p, x, dy, dx);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<MaxPoolBackward>(op_key("max_pool2d_backward", p.str()), [&] {
    const PoolDescs d = pool_descs(p);
    auto fwd = forward_pd(prop_kind::forward_training, algorithm::pooling_max, d, ctx.engine());
    MaxPoolBackward made;
    made.forward = dnnl::pooling_forward(fwd);
    made.backward = dnnl::pooling_backward(backward_pd(algorithm::pooling_max, d, ctx.engine()));
    made.x = ctx.unbound(d.x);
    made.y_scratch = memory(d.y, ctx.engine());
    made.workspace = memory(fwd.workspace_desc(), ctx.engine());
    made.dy = ctx.unbound(d.y);
    made.dx = ctx.unbound(d.x);
    return made;
  });
  ctx.run(e.forward, {{DNNL_ARG_SRC, bind(e.x, x)},
                      {DNNL_ARG_DST, e.y_scratch},
                      {DNNL_ARG_WORKSPACE, e.workspace}});
  ctx.run(e.backward, {{DNNL_ARG_DIFF_DST, bind(e.dy, dy)},
                       {DNNL_ARG_WORKSPACE, e.workspace},
                       {DNNL_ARG_DIFF_SRC, bind(e.dx, dx)}});
}

void OneDnnBackend::avg_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  run_forward("avg_pool2d_forward", op_key("avg_pool2d_forward", p.str()),
              avg_algorithm(p.count_include_pad), pool_descs(p), x, y);
}

void OneDnnBackend::avg_pool2d_backward(const Pool2dParams& p, const Tensor& dy, Tensor& dx) {
  run_avg_backward("avg_pool2d_backward", op_key("avg_pool2d_backward", p.str()),
                   avg_algorithm(p.count_include_pad), pool_descs(p), dy, dx);
}

void OneDnnBackend::global_avg_pool_forward(const Tensor& x, Tensor& y) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  run_forward("global_avg_pool_forward", op_key("global_avg_pool_forward", N, C, H, W),
              algorithm::pooling_avg_include_padding, global_descs(N, C, H, W), x, y);
}

void OneDnnBackend::global_avg_pool_backward(const Tensor& dy, Tensor& dx) {
  const int64_t N = dx.size(0), C = dx.size(1), H = dx.size(2), W = dx.size(3);
  run_avg_backward("global_avg_pool_backward", op_key("global_avg_pool_backward", N, C, H, W),
                   algorithm::pooling_avg_include_padding, global_descs(N, C, H, W), dy, dx);
}

}  // namespace astrocnn
