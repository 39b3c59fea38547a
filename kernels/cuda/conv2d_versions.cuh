// The convolution versions of the CUDA backend, side by side
// (conv_v1_direct.cu, conv_v2_implicit_gemm.cu), and the shape record they
// share. Semantics are those of kernels/reference/conv2d.cpp: NCHW input
// [N,C,H,W], weight [K,C/groups,R,S], output [N,K,P,Q], cross-correlation
// with stride, asymmetric zero padding and groups. conv2d.cu chooses the
// version (cuda_api.h: set_conv_version) and computes the bias gradient.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/params.h"

namespace astrocnn::cuda {

// Conv2dParams in 32-bit fields (checked on the host: every tensor of the
// call, and every GEMM dimension, has fewer than 2^31 elements), plus the
// per-group channel counts. Flat tensor offsets are still formed in 64 bits.
struct ConvShape {
  int N, C, H, W;
  int K, R, S;
  int P, Q;
  int stride_h, stride_w, pad_top, pad_left;
  int groups, Cg, Kg;  // channels per group: C = groups * Cg, K = groups * Kg

  __host__ __device__ int64_t x_at(int n, int c, int h, int w) const {
    return ((static_cast<int64_t>(n) * C + c) * H + h) * W + w;
  }
  __host__ __device__ int64_t w_at(int k, int c, int r, int s) const {
    return ((static_cast<int64_t>(k) * Cg + c) * R + r) * S + s;
  }
  __host__ __device__ int64_t y_at(int n, int k, int p, int q) const {
    return ((static_cast<int64_t>(n) * K + k) * P + p) * Q + q;
  }
};

ConvShape conv_shape(const Conv2dParams& p);  // conv2d.cu; throws Error beyond 32-bit sizes

// Each launcher writes every element of its output; the forward adds the
// bias (nullptr: none). Weight gradients are written without the bias part.
void conv_v1_forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                     cudaStream_t stream);
void conv_v1_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream);
void conv_v1_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw,
                              cudaStream_t stream);

void conv_v2_forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                     cudaStream_t stream);
void conv_v2_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream);
void conv_v2_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw,
                              cudaStream_t stream);

}  // namespace astrocnn::cuda
