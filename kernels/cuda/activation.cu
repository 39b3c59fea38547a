// CUDA kernels: ReLU, leaky ReLU, sigmoid (forward and backward) and row softmax, with
// the semantics of kernels/reference/activation.cpp: NaN propagates through
// ReLU, the ReLU gradient at exactly 0 is 0, sigmoid uses the two branches
// that never overflow exp(), softmax subtracts the row maximum and sums in double.
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

__global__ void relu_forward_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) {
    const float v = x[i];
    y[i] = (v > 0.0f || isnan(v)) ? v : 0.0f;
  }
}

__global__ void relu_backward_kernel(const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride())
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

__global__ void leaky_relu_forward_kernel(float slope, const float* x, float* y, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) {
    const float v = x[i];
    y[i] = v > 0.0f ? v : slope * v;
  }
}

__global__ void leaky_relu_backward_kernel(float slope, const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride())
    dx[i] = y[i] > 0.0f ? dy[i] : slope * dy[i];
}

__global__ void sigmoid_forward_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) {
    const float v = x[i];
    if (v >= 0.0f) {
      y[i] = 1.0f / (1.0f + expf(-v));
    } else {
      const float e = expf(v);
      y[i] = e / (1.0f + e);
    }
  }
}

__global__ void sigmoid_backward_kernel(const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride())
    dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

// One block per row of [N,C]. The row maximum follows std::max's rule (a NaN
// after the first element is skipped; the NaN still reaches the sum, so the
// whole row becomes NaN, as in the reference).
__global__ void softmax_forward_kernel(const float* x, float* y, int64_t C) {
  const float* xr = x + blockIdx.x * C;
  float* yr = y + blockIdx.x * C;
  __shared__ float row_max;
  if (threadIdx.x == 0) {
    float m = xr[0];
    for (int64_t c = 1; c < C; ++c) m = (m < xr[c]) ? xr[c] : m;
    row_max = m;
  }
  __syncthreads();
  const double m = row_max;
  double partial = 0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) partial += exp(static_cast<double>(xr[c]) - m);
  const double sum = cuda::block_sum(partial);
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x)
    yr[c] = static_cast<float>(exp(static_cast<double>(xr[c]) - m) / sum);
}

template <class Kernel, class... Args>
void launch_flat(const char* name, Kernel kernel, int64_t n, Args... args) {
  if (n == 0) return;
  kernel<<<cuda::grid_for(n), cuda::kThreads, 0, cuda::stream()>>>(args..., n);
  cuda::check_launch(name);
}

}  // namespace

void CudaBackend::relu_forward(const Tensor& x, Tensor& y) {
  launch_flat("relu_forward_kernel", relu_forward_kernel, x.numel(), cuda::in_f32(x, "relu_forward"),
              cuda::out_f32(y, "relu_forward"));
}

void CudaBackend::relu_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  launch_flat("relu_backward_kernel", relu_backward_kernel, y.numel(), cuda::in_f32(y, "relu_backward"),
              cuda::in_f32(dy, "relu_backward"), cuda::out_f32(dx, "relu_backward"));
}

void CudaBackend::leaky_relu_forward(double slope, const Tensor& x, Tensor& y) {
  launch_flat("leaky_relu_forward_kernel", leaky_relu_forward_kernel, x.numel(), static_cast<float>(slope),
              cuda::in_f32(x, "leaky_relu_forward"), cuda::out_f32(y, "leaky_relu_forward"));
}

void CudaBackend::leaky_relu_backward(double slope, const Tensor& y, const Tensor& dy, Tensor& dx) {
  launch_flat("leaky_relu_backward_kernel", leaky_relu_backward_kernel, y.numel(), static_cast<float>(slope),
              cuda::in_f32(y, "leaky_relu_backward"), cuda::in_f32(dy, "leaky_relu_backward"),
              cuda::out_f32(dx, "leaky_relu_backward"));
}

void CudaBackend::sigmoid_forward(const Tensor& x, Tensor& y) {
  launch_flat("sigmoid_forward_kernel", sigmoid_forward_kernel, x.numel(),
              cuda::in_f32(x, "sigmoid_forward"), cuda::out_f32(y, "sigmoid_forward"));
}

void CudaBackend::sigmoid_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  launch_flat("sigmoid_backward_kernel", sigmoid_backward_kernel, y.numel(),
              cuda::in_f32(y, "sigmoid_backward"), cuda::in_f32(dy, "sigmoid_backward"),
              cuda::out_f32(dx, "sigmoid_backward"));
}

void CudaBackend::softmax_forward(const Tensor& x, Tensor& y) {
  const float* px = cuda::in_f32(x, "softmax_forward");
  float* py = cuda::out_f32(y, "softmax_forward");
  const int64_t N = x.size(0), C = x.size(1);
  if (N == 0 || C == 0) return;
  ASTRO_CHECK(N <= 0x7fffffff, "cuda backend: softmax_forward: too many rows (", N, ")");
  softmax_forward_kernel<<<static_cast<unsigned>(N), 128, 0, cuda::stream()>>>(px, py, C);
  cuda::check_launch("softmax_forward_kernel");
}

}  // namespace astrocnn
