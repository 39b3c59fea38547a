// CUDA kernels: maxout, with the rules of kernels/reference/maxout.cpp.
// x [N, units*k, S...] -> y [N, units, S...]: output j is the maximum of the
// k consecutive inputs j*k .. j*k+k-1 along dimension 1 at each trailing
// position; ties go to the FIRST maximum and a NaN wins over a number, in
// forward and backward alike. Backward is one thread per input element: it
// writes dy to the group's winner and 0 to the others.
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

__device__ bool beats(float candidate, float best) {
  return candidate > best || (isnan(candidate) && !isnan(best));
}

// Index (0..k-1) of the winner of the group starting at `group`, members `stride` apart.
__device__ int64_t argmax_in_group(const float* group, int64_t k, int64_t stride) {
  int64_t best = 0;
  for (int64_t i = 1; i < k; ++i)
    if (beats(group[i * stride], group[best * stride])) best = i;
  return best;
}

__global__ void maxout_forward_kernel(const float* x, float* y, int64_t units, int64_t k, int64_t S,
                                      int64_t total) {
  for (int64_t o = cuda::first_index(); o < total; o += cuda::grid_stride()) {
    const int64_t s = o % S, j = (o / S) % units, n = o / (S * units);
    const float* group = x + (n * units * k + j * k) * S + s;
    y[o] = group[argmax_in_group(group, k, S) * S];
  }
}

__global__ void maxout_backward_kernel(const float* x, const float* dy, float* dx, int64_t units,
                                       int64_t k, int64_t S, int64_t total) {
  const int64_t C = units * k;
  for (int64_t i = cuda::first_index(); i < total; i += cuda::grid_stride()) {
    const int64_t s = i % S, channel = (i / S) % C, n = i / (S * C);
    const int64_t j = channel / k;
    const float* group = x + (n * C + j * k) * S + s;
    dx[i] = argmax_in_group(group, k, S) == channel - j * k ? dy[(n * units + j) * S + s] : 0.0f;
  }
}

int64_t trailing_size(const Tensor& t) {
  int64_t S = 1;
  for (int64_t d = 2; d < t.dim(); ++d) S *= t.size(d);
  return S;
}

}  // namespace

void CudaBackend::maxout_forward(int64_t k, const Tensor& x, Tensor& y) {
  const float* px = cuda::in_f32(x, "maxout_forward");
  float* py = cuda::out_f32(y, "maxout_forward");
  const int64_t total = y.numel();
  if (total == 0) return;
  cuda::launch_1d("maxout_forward_kernel", maxout_forward_kernel, total, cuda::stream(), px, py, y.size(1), k,
                  trailing_size(x), total);
}

void CudaBackend::maxout_backward(int64_t k, const Tensor& x, const Tensor& dy, Tensor& dx) {
  const float* px = cuda::in_f32(x, "maxout_backward");
  const float* pdy = cuda::in_f32(dy, "maxout_backward");
  float* pdx = cuda::out_f32(dx, "maxout_backward");
  const int64_t total = dx.numel();
  if (total == 0) return;
  cuda::launch_1d("maxout_backward_kernel", maxout_backward_kernel, total, cuda::stream(), px, pdy, pdx,
                  dy.size(1), k, trailing_size(x), total);
}

}  // namespace astrocnn
