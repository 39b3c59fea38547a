// CUDA kernels: inverted dropout, bit for bit the mask of
// kernels/reference/dropout.cpp: element i (flat, over the whole tensor) is
// kept when philox::uniform(seed, offset + i) >= p -- the same float uniform
// from core/philox.h, compared in double -- and then scaled by
// float(1 / (1 - p)), computed once on the host exactly as the reference does.
#include "core/tensor/philox.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

__global__ void dropout_forward_kernel(double p, uint64_t seed, uint64_t offset, float keep_scale,
                                       const float* x, float* y, float* mask, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) {
    const double u = philox::uniform(seed, offset + static_cast<uint64_t>(i));
    const float m = u >= p ? keep_scale : 0.0f;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

__global__ void dropout_backward_kernel(const float* mask, const float* dy, float* dx, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) dx[i] = dy[i] * mask[i];
}

}  // namespace

void CudaBackend::dropout_forward(double p, uint64_t seed, uint64_t offset, const Tensor& x,
                                  Tensor& y, Tensor& mask) {
  const float* px = cuda::in_f32(x, "dropout_forward");
  float* py = cuda::out_f32(y, "dropout_forward");
  float* pm = cuda::out_f32(mask, "dropout_forward");
  const int64_t n = x.numel();
  if (n == 0) return;
  const float keep_scale = static_cast<float>(1.0 / (1.0 - p));
  cuda::launch_1d("dropout_forward_kernel", dropout_forward_kernel, n, cuda::stream(), p, seed, offset,
                  keep_scale, px, py, pm, n);
}

void CudaBackend::dropout_backward(const Tensor& mask, const Tensor& dy, Tensor& dx) {
  const float* pm = cuda::in_f32(mask, "dropout_backward");
  const float* pdy = cuda::in_f32(dy, "dropout_backward");
  float* pdx = cuda::out_f32(dx, "dropout_backward");
  const int64_t n = dx.numel();
  if (n == 0) return;
  cuda::launch_1d("dropout_backward_kernel", dropout_backward_kernel, n, cuda::stream(), pm, pdy, pdx, n);
}

}  // namespace astrocnn
