// Convolution v1: direct loops, one thread per output element (forward), per input element (backward data, a gather: no atomics) and per weight (backward weights).
// gain: no time recorded: docs/GPU-RUNS.md gives times for the default v2 only (H200, 2026-12-04,
//   commit 6d0a20c, a run in which v1 passed `ctest -L cuda`). The baseline for the implicit-GEMM
//   versions.
#include "kernels/cuda/conv2d_versions.cuh"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn::cuda {
namespace {

// y[n,k,p,q] = bias[k] + sum_{c,r,s} x[n, g*Cg + c, p*sh - pt + r, q*sw - pl + s] * w[k,c,r,s]
__global__ void conv_direct_forward_kernel(ConvShape s, const float* x, const float* w,
                                           const float* bias, float* y, int64_t total) {
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    const int q = static_cast<int>(i % s.Q);
    const int p = static_cast<int>((i / s.Q) % s.P);
    const int k = static_cast<int>((i / (static_cast<int64_t>(s.Q) * s.P)) % s.K);
    const int n = static_cast<int>(i / (static_cast<int64_t>(s.Q) * s.P * s.K));
    const int c0 = (k / s.Kg) * s.Cg;
    float acc = 0.0f;
    for (int c = 0; c < s.Cg; ++c)
      for (int r = 0; r < s.R; ++r) {
        const int h = p * s.stride_h - s.pad_top + r;
        if (h < 0 || h >= s.H) continue;
        for (int t = 0; t < s.S; ++t) {
          const int col = q * s.stride_w - s.pad_left + t;
          if (col < 0 || col >= s.W) continue;
          acc += x[s.x_at(n, c0 + c, h, col)] * w[s.w_at(k, c, r, t)];
        }
      }
    y[i] = bias ? acc + bias[k] : acc;
  }
}

// dx[n,c,h,w] = sum over the outputs (p, q) and taps (r, s) with
// p*sh - pt + r == h and q*sw - pl + s == w of dy[n,k,p,q] * w[k,c,r,s],
// for the Kg output channels k of c's group. p = (h + pt - r) / sh must divide
// exactly and lie in [0, P).
__global__ void conv_direct_backward_data_kernel(ConvShape s, const float* dy, const float* w,
                                                 float* dx, int64_t total) {
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    const int col = static_cast<int>(i % s.W);
    const int h = static_cast<int>((i / s.W) % s.H);
    const int c = static_cast<int>((i / (static_cast<int64_t>(s.W) * s.H)) % s.C);
    const int n = static_cast<int>(i / (static_cast<int64_t>(s.W) * s.H * s.C));
    const int g = c / s.Cg, cg = c % s.Cg;
    float acc = 0.0f;
    for (int kg = 0; kg < s.Kg; ++kg) {
      const int k = g * s.Kg + kg;
      for (int r = 0; r < s.R; ++r) {
        const int ph = h + s.pad_top - r;
        if (ph < 0 || ph % s.stride_h != 0 || ph / s.stride_h >= s.P) continue;
        const int p = ph / s.stride_h;
        for (int t = 0; t < s.S; ++t) {
          const int qw = col + s.pad_left - t;
          if (qw < 0 || qw % s.stride_w != 0 || qw / s.stride_w >= s.Q) continue;
          acc += dy[s.y_at(n, k, p, qw / s.stride_w)] * w[s.w_at(k, cg, r, t)];
        }
      }
    }
    dx[i] = acc;
  }
}

// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n, g*Cg + c, p*sh - pt + r, q*sw - pl + s].
// The sum runs over every output position (tens of thousands of terms), so it
// is accumulated in double.
__global__ void conv_direct_backward_weights_kernel(ConvShape s, const float* x, const float* dy,
                                                    float* dw, int64_t total) {
  for (int64_t i = first_index(); i < total; i += grid_stride()) {
    const int t = static_cast<int>(i % s.S);
    const int r = static_cast<int>((i / s.S) % s.R);
    const int c = static_cast<int>((i / (static_cast<int64_t>(s.S) * s.R)) % s.Cg);
    const int k = static_cast<int>(i / (static_cast<int64_t>(s.S) * s.R * s.Cg));
    const int cx = (k / s.Kg) * s.Cg + c;
    double acc = 0.0;
    for (int n = 0; n < s.N; ++n)
      for (int p = 0; p < s.P; ++p) {
        const int h = p * s.stride_h - s.pad_top + r;
        if (h < 0 || h >= s.H) continue;
        for (int q = 0; q < s.Q; ++q) {
          const int col = q * s.stride_w - s.pad_left + t;
          if (col < 0 || col >= s.W) continue;
          acc += static_cast<double>(dy[s.y_at(n, k, p, q)]) * x[s.x_at(n, cx, h, col)];
        }
      }
    dw[i] = static_cast<float>(acc);
  }
}

}  // namespace

void conv_v1_forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                     cudaStream_t stream) {
  const int64_t total = static_cast<int64_t>(s.N) * s.K * s.P * s.Q;
  if (total == 0) return;
  launch_1d("conv_direct_forward_kernel", conv_direct_forward_kernel, total, stream, s, x, w, bias, y, total);
}

void conv_v1_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream) {
  const int64_t total = static_cast<int64_t>(s.N) * s.C * s.H * s.W;
  if (total == 0) return;
  launch_1d("conv_direct_backward_data_kernel", conv_direct_backward_data_kernel, total, stream, s, dy, w,
            dx, total);
}

void conv_v1_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw,
                              cudaStream_t stream) {
  const int64_t total = static_cast<int64_t>(s.K) * s.Cg * s.R * s.S;
  if (total == 0) return;
  launch_1d("conv_direct_backward_weights_kernel", conv_direct_backward_weights_kernel, total, stream, s, x,
            dy, dw, total);
}

}  // namespace astrocnn::cuda
