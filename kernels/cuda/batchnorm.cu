// CUDA kernels: batch normalisation over [N, C, HW] per channel, with the
// arithmetic of kernels/reference/batchnorm.cpp: training statistics in
// double and in two passes (mean, then the sum of squared deviations from it,
// which does not cancel when |mean| >> std), biased variance for normalising,
// unbiased variance for the running average (PyTorch's convention), eval with
// the running statistics, and backward for both modes.
//
// Training and backward use one block per channel (the reductions stay in the
// block, in a fixed order, so results are reproducible); element e of a
// channel's m = N*HW values is x[(e / HW * C + c) * HW + e % HW], so
// consecutive threads read consecutive addresses.
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

struct ChannelView {
  int64_t N, C, HW;
  __device__ int64_t count() const { return N * HW; }
  __device__ int64_t at(int64_t c, int64_t e) const { return (e / HW * C + c) * HW + e % HW; }
};

__global__ void batch_norm_train_kernel(ChannelView v, double eps, double momentum, const float* x,
                                        const float* gamma, const float* beta, float* running_mean,
                                        float* running_var, float* y, float* save_mean, float* save_invstd) {
  const int64_t c = blockIdx.x;
  const int64_t m = v.count();
  double partial = 0;
  for (int64_t e = threadIdx.x; e < m; e += blockDim.x) partial += x[v.at(c, e)];
  const double mean = cuda::block_sum(partial) / static_cast<double>(m);

  partial = 0;
  for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
    const double d = x[v.at(c, e)] - mean;
    partial += d * d;
  }
  const double squared_deviations = cuda::block_sum(partial);
  const double invstd = 1.0 / sqrt(squared_deviations / static_cast<double>(m) + eps);

  const double g = gamma[c], b = beta[c];
  for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
    const int64_t i = v.at(c, e);
    y[i] = static_cast<float>((x[i] - mean) * invstd * g + b);
  }
  if (threadIdx.x == 0) {
    save_mean[c] = static_cast<float>(mean);
    save_invstd[c] = static_cast<float>(invstd);
    const double unbiased_var = squared_deviations / static_cast<double>(m - 1);
    running_mean[c] = static_cast<float>((1 - momentum) * running_mean[c] + momentum * mean);
    running_var[c] = static_cast<float>((1 - momentum) * running_var[c] + momentum * unbiased_var);
  }
}

__global__ void batch_norm_eval_kernel(ChannelView v, double eps, const float* x, const float* gamma,
                                       const float* beta, const float* running_mean,
                                       const float* running_var, float* y, int64_t total) {
  for (int64_t i = cuda::first_index(); i < total; i += cuda::grid_stride()) {
    const int64_t c = (i / v.HW) % v.C;
    const double invstd = 1.0 / sqrt(static_cast<double>(running_var[c]) + eps);
    const double mean = running_mean[c];
    y[i] = static_cast<float>((x[i] - mean) * invstd * gamma[c] + beta[c]);
  }
}

//   dbeta = sum g,  dgamma = sum g * xhat
//   dx = gamma * invstd * (g - dbeta / m - xhat * dgamma / m)   (batch statistics)
//   dx = gamma * invstd * g                                     (fixed running statistics)
__global__ void batch_norm_backward_kernel(ChannelView v, bool use_batch_stats, const float* x,
                                           const float* dy, const float* gamma, const float* save_mean,
                                           const float* save_invstd, float* dx, float* dgamma,
                                           float* dbeta) {
  const int64_t c = blockIdx.x;
  const int64_t m = v.count();
  const double mean = save_mean[c], invstd = save_invstd[c];
  double partial_dy = 0, partial_dy_xhat = 0;
  for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
    const int64_t i = v.at(c, e);
    partial_dy += dy[i];
    partial_dy_xhat += dy[i] * ((x[i] - mean) * invstd);
  }
  const double sum_dy = cuda::block_sum(partial_dy);
  const double sum_dy_xhat = cuda::block_sum(partial_dy_xhat);
  if (threadIdx.x == 0) {
    dbeta[c] = static_cast<float>(sum_dy);
    dgamma[c] = static_cast<float>(sum_dy_xhat);
  }
  const double scale = gamma[c] * invstd;
  const double count = static_cast<double>(m);
  for (int64_t e = threadIdx.x; e < m; e += blockDim.x) {
    const int64_t i = v.at(c, e);
    double g = dy[i];
    if (use_batch_stats) {
      const double xhat = (x[i] - mean) * invstd;
      g -= sum_dy / count + xhat * sum_dy_xhat / count;
    }
    dx[i] = static_cast<float>(scale * g);
  }
}

unsigned channel_blocks(const BatchNormParams& p, const char* op) {
  ASTRO_CHECK(p.C <= 0x7fffffff, "cuda backend: ", op, ": too many channels (", p.C, ")");
  return static_cast<unsigned>(p.C);
}

}  // namespace

void CudaBackend::batch_norm_forward_train(const BatchNormParams& p, const Tensor& x,
                                           const Tensor& gamma, const Tensor& beta,
                                           Tensor& running_mean, Tensor& running_var, Tensor& y,
                                           Tensor& save_mean, Tensor& save_invstd) {
  const char* op = "batch_norm_forward_train";
  const float* px = cuda::in_f32(x, op);
  const float* pg = cuda::in_f32(gamma, op);
  const float* pb = cuda::in_f32(beta, op);
  float* prm = cuda::out_f32(running_mean, op);
  float* prv = cuda::out_f32(running_var, op);
  float* py = cuda::out_f32(y, op);
  float* psm = cuda::out_f32(save_mean, op);
  float* psi = cuda::out_f32(save_invstd, op);
  if (p.C == 0) return;
  cuda::launch("batch_norm_train_kernel", batch_norm_train_kernel, channel_blocks(p, op), cuda::kThreads, 0,
               cuda::stream(), ChannelView{p.N, p.C, p.HW}, p.eps, p.momentum, px, pg, pb, prm, prv, py,
               psm, psi);
}

void CudaBackend::batch_norm_forward_eval(const BatchNormParams& p, const Tensor& x,
                                          const Tensor& gamma, const Tensor& beta,
                                          const Tensor& running_mean, const Tensor& running_var,
                                          Tensor& y) {
  const char* op = "batch_norm_forward_eval";
  const float* px = cuda::in_f32(x, op);
  const float* pg = cuda::in_f32(gamma, op);
  const float* pb = cuda::in_f32(beta, op);
  const float* prm = cuda::in_f32(running_mean, op);
  const float* prv = cuda::in_f32(running_var, op);
  float* py = cuda::out_f32(y, op);
  const int64_t total = y.numel();
  if (total == 0) return;
  cuda::launch_1d("batch_norm_eval_kernel", batch_norm_eval_kernel, total, cuda::stream(),
                  ChannelView{p.N, p.C, p.HW}, p.eps, px, pg, pb, prm, prv, py, total);
}

void CudaBackend::batch_norm_backward(const BatchNormParams& p, const Tensor& x, const Tensor& dy,
                                      const Tensor& gamma, const Tensor& save_mean,
                                      const Tensor& save_invstd, Tensor& dx, Tensor& dgamma,
                                      Tensor& dbeta) {
  const char* op = "batch_norm_backward";
  const float* px = cuda::in_f32(x, op);
  const float* pdy = cuda::in_f32(dy, op);
  const float* pg = cuda::in_f32(gamma, op);
  const float* psm = cuda::in_f32(save_mean, op);
  const float* psi = cuda::in_f32(save_invstd, op);
  float* pdx = cuda::out_f32(dx, op);
  float* pdg = cuda::out_f32(dgamma, op);
  float* pdb = cuda::out_f32(dbeta, op);
  if (p.C == 0) return;
  cuda::launch("batch_norm_backward_kernel", batch_norm_backward_kernel, channel_blocks(p, op),
               cuda::kThreads, 0, cuda::stream(), ChannelView{p.N, p.C, p.HW}, p.use_batch_stats, px,
               pdy, pg, psm, psi, pdx, pdg, pdb);
}

}  // namespace astrocnn
