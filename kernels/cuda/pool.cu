// CUDA kernels: max / average pooling and global average pooling, with the
// exact rules of kernels/reference/pool.cpp: padded positions never win a max
// and count as zeros (count_include_pad) or not at all in an average; ties
// go to the FIRST maximum in row-major window order; a NaN wins over any number.
//
// The backward passes are gathers, one thread per input element: each finds
// the windows that cover its pixel and sums their contributions in (oh, ow)
// order, in double, as the reference does -- no atomics, every element written.
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

struct PoolShape {
  int64_t planes;  // N * C: pooling never mixes channels or images
  int H, W, R, S, P, Q;
  int stride_h, stride_w, pad_top, pad_left;
  bool count_include_pad;

  __device__ int in_row(int oh, int r) const { return oh * stride_h - pad_top + r; }
  __device__ int in_col(int ow, int s) const { return ow * stride_w - pad_left + s; }
  __device__ bool inside(int h, int c) const { return h >= 0 && h < H && c >= 0 && c < W; }

  // What average pooling divides window (oh, ow) by.
  __device__ double divisor(int oh, int ow) const {
    if (count_include_pad) return static_cast<double>(R) * S;
    const int h0 = in_row(oh, 0), c0 = in_col(ow, 0);
    const int rows = min(h0 + R, H) - max(h0, 0), cols = min(c0 + S, W) - max(c0, 0);
    return static_cast<double>(rows) * cols;
  }

  // The windows covering input row h: oh in [first, last] (empty when first > last).
  __device__ void covering_rows(int h, int& first, int& last) const {
    const int lowest = h + pad_top - R + 1;  // oh * stride_h >= lowest
    first = lowest <= 0 ? 0 : (lowest + stride_h - 1) / stride_h;
    last = min(P - 1, (h + pad_top) / stride_h);
  }
  __device__ void covering_cols(int c, int& first, int& last) const {
    const int lowest = c + pad_left - S + 1;
    first = lowest <= 0 ? 0 : (lowest + stride_w - 1) / stride_w;
    last = min(Q - 1, (c + pad_left) / stride_w);
  }
};

PoolShape pool_shape(const Pool2dParams& p) {
  ASTRO_CHECK(p.H * p.W <= 0x7fffffff && p.H + p.pad_top + p.pad_bottom <= 0x7fffffff &&
                  p.W + p.pad_left + p.pad_right <= 0x7fffffff,
              "cuda backend: pooling ", p.str(), ": a plane exceeds 2^31-1 elements");
  return PoolShape{p.N * p.C,
                   static_cast<int>(p.H),
                   static_cast<int>(p.W),
                   static_cast<int>(p.R),
                   static_cast<int>(p.S),
                   static_cast<int>(p.P()),
                   static_cast<int>(p.Q()),
                   static_cast<int>(p.stride_h),
                   static_cast<int>(p.stride_w),
                   static_cast<int>(p.pad_top),
                   static_cast<int>(p.pad_left),
                   p.count_include_pad};
}

// Offset (h*W + w) in the plane of the element max pooling picks for window
// (oh, ow). Pool2dParams::validate() keeps padding below the window size, so
// every window holds a real pixel.
__device__ int argmax_in_window(const PoolShape& g, const float* plane, int oh, int ow) {
  int best = -1;
  for (int r = 0; r < g.R; ++r)
    for (int s = 0; s < g.S; ++s) {
      const int h = g.in_row(oh, r), c = g.in_col(ow, s);
      if (!g.inside(h, c)) continue;  // padding never wins
      const int i = h * g.W + c;
      if (best < 0) {
        best = i;
        continue;
      }
      const float v = plane[i], b = plane[best];
      if (isnan(b)) continue;
      if (v > b || isnan(v)) best = i;  // strict '>': ties keep the first maximum
    }
  return best;
}

__global__ void max_pool_forward_kernel(PoolShape g, const float* x, float* y, int64_t total) {
  const int64_t out_plane = static_cast<int64_t>(g.P) * g.Q, in_plane = static_cast<int64_t>(g.H) * g.W;
  for (int64_t i = cuda::first_index(); i < total; i += cuda::grid_stride()) {
    const int64_t pl = i / out_plane;
    const int oh = static_cast<int>((i % out_plane) / g.Q), ow = static_cast<int>(i % g.Q);
    const float* xp = x + pl * in_plane;
    y[i] = xp[argmax_in_window(g, xp, oh, ow)];
  }
}

__global__ void max_pool_backward_kernel(PoolShape g, const float* x, const float* dy, float* dx,
                                         int64_t total) {
  const int64_t out_plane = static_cast<int64_t>(g.P) * g.Q, in_plane = static_cast<int64_t>(g.H) * g.W;
  for (int64_t i = cuda::first_index(); i < total; i += cuda::grid_stride()) {
    const int64_t pl = i / in_plane;
    const int offset = static_cast<int>(i % in_plane);
    const int h = offset / g.W, c = offset % g.W;
    const float* xp = x + pl * in_plane;
    const float* dyp = dy + pl * out_plane;
    int oh0, oh1, ow0, ow1;
    g.covering_rows(h, oh0, oh1);
    g.covering_cols(c, ow0, ow1);
    double acc = 0;
    for (int oh = oh0; oh <= oh1; ++oh)
      for (int ow = ow0; ow <= ow1; ++ow)
        if (argmax_in_window(g, xp, oh, ow) == offset) acc += dyp[oh * g.Q + ow];
    dx[i] = static_cast<float>(acc);
  }
}

__global__ void avg_pool_forward_kernel(PoolShape g, const float* x, float* y, int64_t total) {
  const int64_t out_plane = static_cast<int64_t>(g.P) * g.Q, in_plane = static_cast<int64_t>(g.H) * g.W;
  for (int64_t i = cuda::first_index(); i < total; i += cuda::grid_stride()) {
    const int64_t pl = i / out_plane;
    const int oh = static_cast<int>((i % out_plane) / g.Q), ow = static_cast<int>(i % g.Q);
    const float* xp = x + pl * in_plane;
    double sum = 0;
    for (int r = 0; r < g.R; ++r)
      for (int s = 0; s < g.S; ++s) {
        const int h = g.in_row(oh, r), c = g.in_col(ow, s);
        if (g.inside(h, c)) sum += xp[h * g.W + c];  // padding adds zero
      }
    y[i] = static_cast<float>(sum / g.divisor(oh, ow));
  }
}

__global__ void avg_pool_backward_kernel(PoolShape g, const float* dy, float* dx, int64_t total) {
  const int64_t out_plane = static_cast<int64_t>(g.P) * g.Q, in_plane = static_cast<int64_t>(g.H) * g.W;
  for (int64_t i = cuda::first_index(); i < total; i += cuda::grid_stride()) {
    const int64_t pl = i / in_plane;
    const int offset = static_cast<int>(i % in_plane);
    const int h = offset / g.W, c = offset % g.W;
    const float* dyp = dy + pl * out_plane;
    int oh0, oh1, ow0, ow1;
    g.covering_rows(h, oh0, oh1);
    g.covering_cols(c, ow0, ow1);
    double acc = 0;
    for (int oh = oh0; oh <= oh1; ++oh)
      for (int ow = ow0; ow <= ow1; ++ow) acc += dyp[oh * g.Q + ow] / g.divisor(oh, ow);
    dx[i] = static_cast<float>(acc);
  }
}

// One block per plane: y[plane] = mean of its HW elements.
__global__ void global_avg_pool_forward_kernel(const float* x, float* y, int64_t HW) {
  const float* xp = x + blockIdx.x * HW;
  double partial = 0;
  for (int64_t i = threadIdx.x; i < HW; i += blockDim.x) partial += xp[i];
  const double sum = cuda::block_sum(partial);
  if (threadIdx.x == 0) y[blockIdx.x] = static_cast<float>(sum / static_cast<double>(HW));
}

__global__ void global_avg_pool_backward_kernel(const float* dy, float* dx, int64_t HW, int64_t total) {
  for (int64_t i = cuda::first_index(); i < total; i += cuda::grid_stride())
    dx[i] = static_cast<float>(static_cast<double>(dy[i / HW]) / static_cast<double>(HW));
}

}  // namespace

void CudaBackend::max_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  const float* px = cuda::in_f32(x, "max_pool2d_forward");
  float* py = cuda::out_f32(y, "max_pool2d_forward");
  const int64_t total = y.numel();
  if (total == 0) return;
  cuda::launch_1d("max_pool_forward_kernel", max_pool_forward_kernel, total, cuda::stream(), pool_shape(p), px,
                  py, total);
}

void CudaBackend::max_pool2d_backward(const Pool2dParams& p, const Tensor& x, const Tensor& dy,
                                      Tensor& dx) {
  const float* px = cuda::in_f32(x, "max_pool2d_backward");
  const float* pdy = cuda::in_f32(dy, "max_pool2d_backward");
  float* pdx = cuda::out_f32(dx, "max_pool2d_backward");
  const int64_t total = dx.numel();
  if (total == 0) return;
  cuda::launch_1d("max_pool_backward_kernel", max_pool_backward_kernel, total, cuda::stream(), pool_shape(p),
                  px, pdy, pdx, total);
}

void CudaBackend::avg_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  const float* px = cuda::in_f32(x, "avg_pool2d_forward");
  float* py = cuda::out_f32(y, "avg_pool2d_forward");
  const int64_t total = y.numel();
  if (total == 0) return;
  cuda::launch_1d("avg_pool_forward_kernel", avg_pool_forward_kernel, total, cuda::stream(), pool_shape(p), px,
                  py, total);
}

void CudaBackend::avg_pool2d_backward(const Pool2dParams& p, const Tensor& dy, Tensor& dx) {
  const float* pdy = cuda::in_f32(dy, "avg_pool2d_backward");
  float* pdx = cuda::out_f32(dx, "avg_pool2d_backward");
  const int64_t total = dx.numel();
  if (total == 0) return;
  cuda::launch_1d("avg_pool_backward_kernel", avg_pool_backward_kernel, total, cuda::stream(), pool_shape(p),
                  pdy, pdx, total);
}

void CudaBackend::global_avg_pool_forward(const Tensor& x, Tensor& y) {
  const float* px = cuda::in_f32(x, "global_avg_pool_forward");
  float* py = cuda::out_f32(y, "global_avg_pool_forward");
  const int64_t planes = x.size(0) * x.size(1), HW = x.size(2) * x.size(3);
  if (planes == 0) return;
  ASTRO_CHECK(planes <= 0x7fffffff, "cuda backend: global_avg_pool_forward: too many planes (", planes, ")");
  cuda::launch("global_avg_pool_forward_kernel", global_avg_pool_forward_kernel, static_cast<unsigned>(planes),
               cuda::kThreads, 0, cuda::stream(), px, py, HW);  // one block per plane
}

void CudaBackend::global_avg_pool_backward(const Tensor& dy, Tensor& dx) {
  const float* pdy = cuda::in_f32(dy, "global_avg_pool_backward");
  float* pdx = cuda::out_f32(dx, "global_avg_pool_backward");
  const int64_t total = dx.numel(), HW = dx.size(2) * dx.size(3);
  if (total == 0) return;
  cuda::launch_1d("global_avg_pool_backward_kernel", global_avg_pool_backward_kernel, total, cuda::stream(),
                  pdy, pdx, HW, total);
}

}  // namespace astrocnn
