// Differentiable batch normalisation over x [N,C] or [N,C,H,W], per channel.
// Training normalises with the batch statistics and updates the running
// statistics in place; eval uses the running statistics, which makes batch
// norm a fixed per-channel affine map (and its backward much simpler).
// Gradients flow to x, gamma and beta; the running statistics are buffers.
#include <cmath>

#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {
struct BatchNormNode final : Node {
  // inputs: x, gamma, beta
  BatchNormParams params;
  Tensor save_mean, save_invstd;  // [C]: the statistics the forward normalised with
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor &x = inputs[0], &gamma = inputs[1], &beta = inputs[2];
    Tensor dx = empty_like(x), dgamma = empty_like(gamma), dbeta = empty_like(beta);
    backend_for(g).batch_norm_backward(params, x, g, gamma, save_mean, save_invstd, dx, dgamma,
                                       dbeta);
    return {dx, dgamma, dbeta};
  }
  const char* name() const override { return "batch_norm"; }
};

void check_per_channel(const char* what, const Tensor& t, const Tensor& x) {
  ASTRO_CHECK(t.defined(), "batch_norm: ", what, " is undefined");
  ASTRO_CHECK(t.shape() == Shape{x.size(1)}, "batch_norm: ", what, " must have shape [C] = [",
              x.size(1), "] to match input ", x.str(), ", got ", t.str());
}

// In eval the backward kernel reads the running statistics as its saved
// mean and invstd. They are snapshotted here (running stats are small, [C])
// so that a later training step, which updates them in place, cannot change
// the gradient of this forward.
void snapshot_running_stats(const Tensor& x, const Tensor& running_mean,
                            const Tensor& running_var, double eps, BatchNormNode& node) {
  std::vector<double> invstd = running_var.to(DType::F64).to_vector<double>();
  for (double& v : invstd) v = 1.0 / std::sqrt(v + eps);
  node.save_mean = running_mean.clone();
  node.save_invstd = Tensor::from_vector(invstd, {x.size(1)}).to(x.dtype()).to(x.device());
}
}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                  Tensor& running_var, bool training, double momentum, double eps) {
  trace::Scope trace_op("batch_norm", "forward", x);
  check_floats("batch_norm", {&x, &gamma, &beta, &running_mean, &running_var});
  ASTRO_CHECK(x.defined() && (x.dim() == 2 || x.dim() == 4),
              "batch_norm: input must be [N,C] or [N,C,H,W], got ",
              x.defined() ? x.str() : std::string("an undefined tensor"));
  check_per_channel("gamma", gamma, x);
  check_per_channel("beta", beta, x);
  check_per_channel("running_mean", running_mean, x);
  check_per_channel("running_var", running_var, x);
  ASTRO_CHECK(eps >= 0, "batch_norm: eps must be non-negative, got ", eps);
  ASTRO_CHECK(momentum >= 0 && momentum <= 1, "batch_norm: momentum must be in [0, 1], got ",
              momentum);

  BatchNormParams p;
  p.N = x.size(0);
  p.C = x.size(1);
  p.HW = x.dim() == 4 ? x.size(2) * x.size(3) : 1;
  p.eps = eps;
  p.momentum = momentum;
  p.use_batch_stats = training;
  // One value per channel has zero batch variance (the output would be all
  // beta) and no unbiased variance for the running estimate.
  if (training)
    ASTRO_CHECK(p.N * p.HW > 1, "batch_norm: expected more than 1 value per channel when "
                "training, got input ", x.str());

  Tensor y = empty_like(x);
  Tensor save_mean, save_invstd;  // training: the batch statistics, for backward
  Backend& be = backend_for(x);
  if (training) {
    save_mean = Tensor::empty({p.C}, x.dtype(), x.device());
    save_invstd = Tensor::empty({p.C}, x.dtype(), x.device());
    be.batch_norm_forward_train(p, x, gamma, beta, running_mean, running_var, y, save_mean,
                                save_invstd);
  } else {
    be.batch_norm_forward_eval(p, x, gamma, beta, running_mean, running_var, y);
  }
  if (auto node = record_node<BatchNormNode>({x, gamma, beta}, y)) {
    node->params = p;
    if (training) {
      node->save_mean = save_mean;
      node->save_invstd = save_invstd;
    } else {
      snapshot_running_stats(x, running_mean, running_var, eps, *node);
    }
  }
  return y;
}

}  // namespace astrocnn::ops
