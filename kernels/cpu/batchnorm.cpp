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
#include "kernels/cpu/dnnl_primitive.h"
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
  // oneDNN's variance is no Backend tensor: the entry owns a buffer for it.
  auto& e = ctx.cached<PrimitiveOp>(key("batch_norm_forward_train", p), [&] {
    const BnDescs d(p);
    auto pd = forward_pd(prop_kind::forward_training, kAffine, p, ctx.engine());
    PrimitiveOp op(dnnl::batch_normalization_forward(pd), pd);
    op.input(DNNL_ARG_SRC, d.data).input(DNNL_ARG_SCALE, d.stat).input(DNNL_ARG_SHIFT, d.stat);
    op.output(DNNL_ARG_DST, d.data).output(DNNL_ARG_MEAN, d.stat).own(DNNL_ARG_VARIANCE, d.stat);
    return op;
  });
  e.run({{DNNL_ARG_SRC, x},
         {DNNL_ARG_SCALE, gamma},
         {DNNL_ARG_SHIFT, beta},
         {DNNL_ARG_DST, y},
         {DNNL_ARG_MEAN, save_mean}});

  const double n = static_cast<double>(p.N * p.HW);
  const double unbias = n > 1 ? n / (n - 1) : 1.0;  // ops::batch_norm rejects n == 1 in training
  const float* var = e.owned(DNNL_ARG_VARIANCE);
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
  auto& e = ctx.cached<PrimitiveOp>(key("batch_norm_forward_eval", p), [&] {
    const BnDescs d(p);
    auto pd = forward_pd(prop_kind::forward_inference,
                         kAffine | normalization_flags::use_global_stats, p, ctx.engine());
    PrimitiveOp op(dnnl::batch_normalization_forward(pd), pd);
    op.input(DNNL_ARG_SRC, d.data).input(DNNL_ARG_SCALE, d.stat).input(DNNL_ARG_SHIFT, d.stat);
    op.input(DNNL_ARG_MEAN, d.stat).input(DNNL_ARG_VARIANCE, d.stat).output(DNNL_ARG_DST, d.data);
    return op;
  });
  e.run({{DNNL_ARG_SRC, x},
         {DNNL_ARG_SCALE, gamma},
         {DNNL_ARG_SHIFT, beta},
         {DNNL_ARG_MEAN, running_mean},
         {DNNL_ARG_VARIANCE, running_var},
         {DNNL_ARG_DST, y}});
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
  auto& e = ctx.cached<PrimitiveOp>(key("batch_norm_backward", p), [&] {
    const BnDescs d(p);
    dnnl::batch_normalization_backward::desc desc(prop_kind::backward, d.data, d.data,
                                                  static_cast<float>(p.eps), kAffine);
    dnnl::batch_normalization_backward::primitive_desc pd(
        desc, ctx.engine(), forward_pd(prop_kind::forward_training, kAffine, p, ctx.engine()));
    PrimitiveOp op(dnnl::batch_normalization_backward(pd), pd);
    op.input(DNNL_ARG_SRC, d.data).input(DNNL_ARG_DIFF_DST, d.data).input(DNNL_ARG_SCALE, d.stat);
    op.input(DNNL_ARG_MEAN, d.stat).own(DNNL_ARG_VARIANCE, d.stat);
    op.output(DNNL_ARG_DIFF_SRC, d.data).output(DNNL_ARG_DIFF_SCALE, d.stat);
    op.output(DNNL_ARG_DIFF_SHIFT, d.stat);
    // oneDNN 2.6's backward insists on a SHIFT argument when use_shift is set,
    // although the gradients do not depend on beta (which the Backend
    // interface does not pass): give it a zero buffer of its own.
    op.own(DNNL_ARG_SHIFT, d.stat);
    std::fill_n(op.owned(DNNL_ARG_SHIFT), p.C, 0.0f);
    return op;
  });
  // var = 1/invstd^2 - eps, with eps rounded to float as oneDNN will add it
  // back, so that oneDNN's 1/sqrt(var + eps) reproduces save_invstd.
  const double eps_f = static_cast<float>(p.eps);
  const float* invstd = save_invstd.data<float>();
  float* var = e.owned(DNNL_ARG_VARIANCE);
  for (int64_t c = 0; c < p.C; ++c) {
    const double s = invstd[c];
    var[c] = static_cast<float>(1.0 / (s * s) - eps_f);
  }
  e.run({{DNNL_ARG_SRC, x},
         {DNNL_ARG_DIFF_DST, dy},
         {DNNL_ARG_SCALE, gamma},
         {DNNL_ARG_MEAN, save_mean},
         {DNNL_ARG_DIFF_SRC, dx},
         {DNNL_ARG_DIFF_SCALE, dgamma},
         {DNNL_ARG_DIFF_SHIFT, dbeta}});
}

}  // namespace astrocnn
