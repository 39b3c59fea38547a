// CUDA kernels: fill, add (the residual add), scale. One thread per element
// in grid-stride loops; float32, plus int64 for fill (labels).
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

template <class T>
__global__ void fill_kernel(T* y, T value, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) y[i] = value;
}

__global__ void add_kernel(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) y[i] = a[i] + b[i];
}

__global__ void scale_kernel(const float* x, float alpha, float* y, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) y[i] = alpha * x[i];
}

}  // namespace

void CudaBackend::fill(Tensor& y, double value) {
  const int64_t n = y.numel();
  if (y.dtype() == DType::I64) {
    ASTRO_CHECK(y.device() == Device::CUDA, "cuda backend: fill: expected a cuda tensor, got ", y.str());
    if (n == 0) return;
    fill_kernel<int64_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::stream()>>>(
        static_cast<int64_t*>(y.raw()), static_cast<int64_t>(value), n);
    cuda::check_launch("fill_kernel<int64>");
    return;
  }
  float* out = cuda::out_f32(y, "fill");
  if (n == 0) return;
  fill_kernel<float><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::stream()>>>(out, static_cast<float>(value), n);
  cuda::check_launch("fill_kernel<float>");
}

void CudaBackend::add(const Tensor& a, const Tensor& b, Tensor& y) {
  const float* pa = cuda::in_f32(a, "add");
  const float* pb = cuda::in_f32(b, "add");
  float* py = cuda::out_f32(y, "add");
  const int64_t n = y.numel();
  if (n == 0) return;
  add_kernel<<<cuda::grid_for(n), cuda::kThreads, 0, cuda::stream()>>>(pa, pb, py, n);
  cuda::check_launch("add_kernel");
}

void CudaBackend::scale(const Tensor& x, double alpha, Tensor& y) {
  const float* px = cuda::in_f32(x, "scale");
  float* py = cuda::out_f32(y, "scale");
  const int64_t n = y.numel();
  if (n == 0) return;
  scale_kernel<<<cuda::grid_for(n), cuda::kThreads, 0, cuda::stream()>>>(px, static_cast<float>(alpha), py, n);
  cuda::check_launch("scale_kernel");
}

}  // namespace astrocnn
