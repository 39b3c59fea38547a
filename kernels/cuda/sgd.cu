// CUDA kernel: one fused SGD step (PyTorch's torch.optim.SGD, written out in
// kernels/params.h), in place, with the arithmetic of kernels/reference/sgd.cpp:
// in double, terms with a zero coefficient skipped (0 * inf would be NaN),
// the velocity started at d on the first step, and the parameter and velocity
// rounded to float once when stored.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

__global__ void sgd_update_kernel(SgdParams p, float* param, const float* grad, float* velocity, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) {
    double d = grad[i];
    if (p.weight_decay != 0) d += p.weight_decay * static_cast<double>(param[i]);
    if (p.momentum != 0) {
      const double v = p.first_step ? d
                                    : p.momentum * static_cast<double>(velocity[i]) + (1.0 - p.dampening) * d;
      velocity[i] = static_cast<float>(v);
      d = p.nesterov ? d + p.momentum * v : v;
    }
    param[i] = static_cast<float>(static_cast<double>(param[i]) - p.lr * d);
  }
}

}  // namespace

// `velocity` is only touched when momentum != 0 (it may be undefined otherwise).
void CudaBackend::sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad, Tensor& velocity) {
  float* pp = cuda::out_f32(param, "sgd_update");
  const float* pg = cuda::in_f32(grad, "sgd_update");
  float* pv = p.momentum != 0 ? cuda::out_f32(velocity, "sgd_update") : nullptr;
  const int64_t n = param.numel();
  if (n == 0) return;
  cuda::launch_1d("sgd_update_kernel", sgd_update_kernel, n, cuda::stream(), p, pp, pg, pv, n);
}

}  // namespace astrocnn
