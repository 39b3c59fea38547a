// Batch normalisation on oneDNN, per channel over N and the spatial
// positions. x [N,C,H,W] or [N,C] is seen as NCHW [N, C, HW, 1]; gamma and
// beta are oneDNN's separate scale and shift (use_scale | use_shift).
//
// oneDNN reports the batch variance, not 1/sqrt(var + eps), and normalises
// with the biased variance. The Backend interface saves the mean and
// 1/sqrt(var + eps) and keeps running statistics with PyTorch's convention,
// where the running variance takes the UNBIASED batch variance:
//   running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1).
// So forward training lets oneDNN write the mean straight into save_mean and
// the variance into a scratch buffer, and a per-channel loop derives
// save_invstd and updates the running statistics in place. Backward turns
// save_invstd back into the variance oneDNN wants.
//
// Eval-mode backward (use_batch_stats = false) is a fixed per-channel affine
// map that oneDNN's backward does not model; it runs on the reference backend.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {
namespace {

using namespace cpu;
using dnnl::normalization_flags;
using dnnl::prop_kind;

struct BnDescs {
  memory::desc data, stat;
  explicit BnDescs(const BatchNormParams& p)
      : data(f32_desc({p.N, p.C, p.HW, 1}, Tag::nchw)), stat(f32_desc({p.C}, Tag::x)) {}
};

const normalization_flags kAffine = normalization_flags::use_scale | normalization_flags::use_shift;

dnnl::batch_normalization_forward::primitive_desc forward_pd(prop_kind prop,
                                                             normalization_flags flags,
                                                             const BatchNormParams& p,
                                                             dnnl::engine& eng) {
  return {{prop, BnDescs(p).data, static_cast<float>(p.eps), flags}, eng};
}

// Memory for every argument any of the three primitives takes; `variance`
// owns a buffer in training forward and backward (oneDNN's variance is not a
// Backend tensor), and is bound to running_var in eval forward.
struct BatchNormOp : CachedOp {
  dnnl::primitive prim;
  memory x, y, gamma, beta, mean, variance, dx, dgamma, dbeta;

  BatchNormOp(dnnl::primitive prim_, const BatchNormParams& p, Context& ctx, bool own_variance)
      : prim(std::move(prim_)) {
    const BnDescs d(p);
    x = ctx.unbound(d.data);
    y = ctx.unbound(d.data);
    dx = ctx.unbound(d.data);
    gamma = ctx.unbound(d.stat);
    beta = ctx.unbound(d.stat);
    mean = ctx.unbound(d.stat);
    dgamma = ctx.unbound(d.stat);
    dbeta = ctx.unbound(d.stat);
    variance = own_variance ? memory(d.stat, ctx.engine()) : ctx.unbound(d.stat);
  }
  float* variance_data() { return static_cast<float*>(variance.get_data_handle()); }
};

std::string key(const char* op, const BatchNormParams& p) {
  return op_key(op, p.N, p.C, p.HW, p.eps);
}

}  // namespace

void OneDnnBackend::batch_norm_forward_train(const BatchNormParams& p, const Tensor& x,
                                             const Tensor& gamma, const Tensor& beta,
                                             Tensor& running_mean, Tensor& running_var, Tensor& y,
                                             Tensor& save_mean, Tensor& save_invstd) {
  require_f32("batch_norm_forward_train", x);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<BatchNormOp>(key("batch_norm_forward_train", p), [&] {
    auto pd = forward_pd(prop_kind::forward_training, kAffine, p, ctx.engine());
    return BatchNormOp(dnnl::batch_normalization_forward(pd), p, ctx, true);
  });
  ctx.run(e.prim, {{DNNL_ARG_SRC, bind(e.x, x)},
                   {DNNL_ARG_SCALE, bind(e.gamma, gamma)},
                   {DNNL_ARG_SHIFT, bind(e.beta, beta)},
                   {DNNL_ARG_DST, bind(e.y, y)},
                   {DNNL_ARG_MEAN, bind(e.mean, save_mean)},
                   {DNNL_ARG_VARIANCE, e.variance}});

  const double n = static_cast<double>(p.N * p.HW);
  const double unbias = n > 1 ? n / (n - 1) : 1.0;  // ops::batch_norm rejects n == 1 in training
  const float* var = e.variance_data();
  const float* mean = save_mean.data<float>();
  float* invstd = save_invstd.data<float>();
  float* rmean = running_mean.data<float>();
  float* rvar = running_var.data<float>();
  for (int64_t c = 0; c < p.C; ++c) {
    invstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + p.eps));
    rmean[c] = static_cast<float>((1 - p.momentum) * rmean[c] + p.momentum * mean[c]);
    rvar[c] = static_cast<float>((1 - p.momentum) * rvar[c] + p.momentum * var[c] * unbias);
  }
}

void OneDnnBackend::batch_norm_forward_eval(const BatchNormParams& p, const Tensor& x,
                                            const Tensor& gamma, const Tensor& beta,
                                            const Tensor& running_mean, const Tensor& running_var,
                                            Tensor& y) {
  require_f32("batch_norm_forward_eval", x);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<BatchNormOp>(key("batch_norm_forward_eval", p), [&] {
    auto pd = forward_pd(prop_kind::forward_inference,
                         kAffine | normalization_flags::use_global_stats, p, ctx.engine());
    return BatchNormOp(dnnl::batch_normalization_forward(pd), p, ctx, false);
  });
  ctx.run(e.prim, {{DNNL_ARG_SRC, bind(e.x, x)},
                   {DNNL_ARG_SCALE, bind(e.gamma, gamma)},
                   {DNNL_ARG_SHIFT, bind(e.beta, beta)},
                   {DNNL_ARG_MEAN, bind(e.mean, running_mean)},
                   {DNNL_ARG_VARIANCE, bind(e.variance, running_var)},
                   {DNNL_ARG_DST, bind(e.y, y)}});
}

void OneDnnBackend::batch_norm_backward(const BatchNormParams& p, const Tensor& x,
                                        const Tensor& dy, const Tensor& gamma,
                                        const Tensor& save_mean, const Tensor& save_invstd,
                                        Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  if (!p.use_batch_stats) {
    return reference_backend().batch_norm_backward(p, x, dy, gamma, save_mean, save_invstd, dx,
                                                   dgamma, dbeta);
  }
  require_f32("batch_norm_backward", x);
  Context& ctx = Context::get();
  auto lock = ctx.lock();
  auto& e = ctx.cached<BatchNormOp>(key("batch_norm_backward", p), [&] {
    const BnDescs d(p);
    dnnl::batch_normalization_backward::desc desc(prop_kind::backward, d.data, d.data,
                                                  static_cast<float>(p.eps), kAffine);
    dnnl::batch_normalization_backward::primitive_desc pd(
        desc, ctx.engine(), forward_pd(prop_kind::forward_training, kAffine, p, ctx.engine()));
    BatchNormOp made(dnnl::batch_normalization_backward(pd), p, ctx, true);
    // oneDNN 2.6's backward insists on a SHIFT argument when use_shift is set,
    // although the gradients do not depend on beta (which the Backend
    // interface does not pass): give it a zero buffer of its own.
    made.beta = memory(d.stat, ctx.engine());
    std::fill_n(static_cast<float*>(made.beta.get_data_handle()), p.C, 0.0f);
    return made;
  });
  // var = 1/invstd^2 - eps, with eps rounded to float as oneDNN will add it
  // back, so that oneDNN's 1/sqrt(var + eps) reproduces save_invstd.
  const double eps_f = static_cast<float>(p.eps);
  const float* invstd = save_invstd.data<float>();
  float* var = e.variance_data();
  for (int64_t c = 0; c < p.C; ++c) {
    const double s = invstd[c];
    var[c] = static_cast<float>(1.0 / (s * s) - eps_f);
  }
  ctx.run(e.prim, {{DNNL_ARG_SRC, bind(e.x, x)},
                   {DNNL_ARG_DIFF_DST, bind(e.y, dy)},
                   {DNNL_ARG_SCALE, bind(e.gamma, gamma)},
                   {DNNL_ARG_SHIFT, e.beta},
                   {DNNL_ARG_MEAN, bind(e.mean, save_mean)},
                   {DNNL_ARG_VARIANCE, e.variance},
                   {DNNL_ARG_DIFF_SRC, bind(e.dx, dx)},
                   {DNNL_ARG_DIFF_SCALE, bind(e.dgamma, dgamma)},
                   {DNNL_ARG_DIFF_SHIFT, bind(e.dbeta, dbeta)}});
}

}  // namespace astrocnn
