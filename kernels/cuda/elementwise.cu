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
    cuda::launch_1d("fill_kernel<int64>", fill_kernel<int64_t>, n, cuda::stream(),
                    static_cast<int64_t*>(y.raw()), static_cast<int64_t>(value), n);
    return;
  }
  float* out = cuda::out_f32(y, "fill");
  if (n == 0) return;
  cuda::launch_1d("fill_kernel<float>", fill_kernel<float>, n, cuda::stream(), out, static_cast<float>(value),
                  n);
}

void CudaBackend::add(const Tensor& a, const Tensor& b, Tensor& y) {
  const float* pa = cuda::in_f32(a, "add");
  const float* pb = cuda::in_f32(b, "add");
  float* py = cuda::out_f32(y, "add");
  const int64_t n = y.numel();
  if (n == 0) return;
  cuda::launch_1d("add_kernel", add_kernel, n, cuda::stream(), pa, pb, py, n);
}

void CudaBackend::scale(const Tensor& x, double alpha, Tensor& y) {
  const float* px = cuda::in_f32(x, "scale");
  float* py = cuda::out_f32(y, "scale");
  const int64_t n = y.numel();
  if (n == 0) return;
  cuda::launch_1d("scale_kernel", scale_kernel, n, cuda::stream(), px, static_cast<float>(alpha), py, n);
}

}  // namespace astrocnn
