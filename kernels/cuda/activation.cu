// CUDA kernels: ReLU, leaky ReLU, sigmoid, SiLU (forward and backward) and row softmax, with
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

// SiLU: x / (1 + exp(-x)), the reference's formula (expf overflows to inf
// below about -88, giving -0, the limit).
__global__ void silu_forward_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) y[i] = x[i] / (1.0f + expf(-x[i]));
}

__global__ void silu_backward_kernel(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) {
    const float v = x[i];
    const float e = expf(-fabsf(v));  // in (0, 1]: the overflow-free sigmoid's one exp
    const float s = v >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    dx[i] = dy[i] * s * (1.0f + v * (1.0f - s));
  }
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

// The flat kernels above take n as their last argument.
template <class Kernel, class... Args>
void launch_flat(const char* name, Kernel kernel, int64_t n, Args... args) {
  cuda::launch_1d(name, kernel, n, cuda::stream(), args..., n);
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

void CudaBackend::silu_forward(const Tensor& x, Tensor& y) {
  launch_flat("silu_forward_kernel", silu_forward_kernel, x.numel(), cuda::in_f32(x, "silu_forward"),
              cuda::out_f32(y, "silu_forward"));
}

void CudaBackend::silu_backward(const Tensor& x, const Tensor& dy, Tensor& dx) {
  launch_flat("silu_backward_kernel", silu_backward_kernel, x.numel(), cuda::in_f32(x, "silu_backward"),
              cuda::in_f32(dy, "silu_backward"), cuda::out_f32(dx, "silu_backward"));
}

void CudaBackend::softmax_forward(const Tensor& x, Tensor& y) {
  const float* px = cuda::in_f32(x, "softmax_forward");
  float* py = cuda::out_f32(y, "softmax_forward");
  const int64_t N = x.size(0), C = x.size(1);
  if (N == 0 || C == 0) return;
  ASTRO_CHECK(N <= 0x7fffffff, "cuda backend: softmax_forward: too many rows (", N, ")");
  cuda::launch("softmax_forward_kernel", softmax_forward_kernel, static_cast<unsigned>(N), 128, 0,
               cuda::stream(), px, py, C);  // one block per row
}

}  // namespace astrocnn
