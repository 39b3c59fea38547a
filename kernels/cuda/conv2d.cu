// CUDA convolution: the backend's conv2d methods, the choice among the
// numbered versions (conv_v*.cu; environment variable ASTROCNN_CONV_VERSION
// or set_conv_version, default v2, the implicit GEMM) and the bias gradient,
// which every version shares.
#include <string>
#include <vector>

#include "kernels/cuda/conv2d_versions.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/version_choice.h"

namespace astrocnn {
namespace cuda {
namespace {

using ForwardFn = void (*)(const ConvShape&, const float*, const float*, const float*, float*, cudaStream_t);
using BackwardDataFn = void (*)(const ConvShape&, const float*, const float*, float*, cudaStream_t);
using BackwardWeightsFn = void (*)(const ConvShape&, const float*, const float*, float*, cudaStream_t);

struct ConvVersion {
  const char* name;
  ForwardFn forward;
  BackwardDataFn backward_data;
  BackwardWeightsFn backward_weights;
  Precision precision;  // what its multiplies read the operands as (kernels/precision.h)
};

const ConvVersion kVersions[] = {
    {"v1_direct", conv_v1_forward, conv_v1_backward_data, conv_v1_backward_weights, Precision::FP32},
    {"v2_implicit_gemm", conv_v2_forward, conv_v2_backward_data, conv_v2_backward_weights, Precision::FP32},
};
constexpr int kVersionCount = static_cast<int>(sizeof(kVersions) / sizeof(kVersions[0]));

std::vector<std::string> version_names() {
  std::vector<std::string> names;
  for (const ConvVersion& v : kVersions) names.push_back(v.name);
  return names;
}

VersionChoice& choice() {
  static VersionChoice c("convolution", "ASTROCNN_CONV_VERSION", version_names(), 2 /* v2: the implicit GEMM */);
  return c;
}

const ConvVersion& current() { return kVersions[conv_version() - 1]; }

// db[k] = sum_{n,p,q} dy[n,k,p,q]: one block per output channel, in double.
__global__ void conv_bias_grad_kernel(ConvShape s, const float* dy, float* db) {
  const int k = blockIdx.x;
  const int64_t plane = static_cast<int64_t>(s.P) * s.Q;
  double partial = 0;
  for (int64_t e = threadIdx.x; e < s.N * plane; e += blockDim.x)
    partial += dy[(e / plane * s.K + k) * plane + e % plane];
  const double total = block_sum(partial);
  if (threadIdx.x == 0) db[k] = static_cast<float>(total);
}

}  // namespace

ConvShape conv_shape(const Conv2dParams& p) {
  constexpr int64_t kMax = 0x7fffffff;
  const int64_t P = p.P(), Q = p.Q();
  // Every size below, and every product the kernels form in 32 bits, must fit.
  const int64_t largest = std::max({p.N * p.C * p.H * p.W, p.N * p.K * P * Q, p.K * (p.C / p.groups) * p.R * p.S,
                                    p.stride_h * P + p.R, p.stride_w * Q + p.S,
                                    p.H + p.pad_top + p.pad_bottom, p.W + p.pad_left + p.pad_right});
  ASTRO_CHECK(largest <= kMax, "cuda backend: conv2d ", p.str(), " has more than 2^31-1 elements in one tensor");
  ConvShape s;
  s.N = static_cast<int>(p.N);
  s.C = static_cast<int>(p.C);
  s.H = static_cast<int>(p.H);
  s.W = static_cast<int>(p.W);
  s.K = static_cast<int>(p.K);
  s.R = static_cast<int>(p.R);
  s.S = static_cast<int>(p.S);
  s.P = static_cast<int>(P);
  s.Q = static_cast<int>(Q);
  s.stride_h = static_cast<int>(p.stride_h);
  s.stride_w = static_cast<int>(p.stride_w);
  s.pad_top = static_cast<int>(p.pad_top);
  s.pad_left = static_cast<int>(p.pad_left);
  s.groups = static_cast<int>(p.groups);
  s.Cg = s.C / s.groups;
  s.Kg = s.K / s.groups;
  return s;
}

}  // namespace cuda

int conv_version_count() { return cuda::kVersionCount; }
int conv_version() { return cuda::choice().current(); }
void set_conv_version(int version) { cuda::choice().set(version, "set_conv_version"); }
std::string conv_version_name(int version) { return cuda::choice().name(version, "conv_version_name"); }

Precision conv_version_precision(int version) {
  cuda::choice().check(version, "conv_version_precision");
  return cuda::kVersions[version - 1].precision;
}

void CudaBackend::conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w,
                                 const Tensor* bias, Tensor& y) {
  const float* px = cuda::in_f32(x, "conv2d_forward");
  const float* pw = cuda::in_f32(w, "conv2d_forward");
  const float* pb = bias ? cuda::in_f32(*bias, "conv2d_forward") : nullptr;
  float* py = cuda::out_f32(y, "conv2d_forward");
  cuda::current().forward(cuda::conv_shape(p), px, pw, pb, py, cuda::stream());
}

void CudaBackend::conv2d_backward_data(const Conv2dParams& p, const Tensor& dy, const Tensor& w,
                                       Tensor& dx) {
  const float* pdy = cuda::in_f32(dy, "conv2d_backward_data");
  const float* pw = cuda::in_f32(w, "conv2d_backward_data");
  float* pdx = cuda::out_f32(dx, "conv2d_backward_data");
  cuda::current().backward_data(cuda::conv_shape(p), pdy, pw, pdx, cuda::stream());
}

void CudaBackend::conv2d_backward_weights(const Conv2dParams& p, const Tensor& x, const Tensor& dy,
                                          Tensor& dw, Tensor* dbias) {
  const float* px = cuda::in_f32(x, "conv2d_backward_weights");
  const float* pdy = cuda::in_f32(dy, "conv2d_backward_weights");
  float* pdw = cuda::out_f32(dw, "conv2d_backward_weights");
  float* pdb = dbias ? cuda::out_f32(*dbias, "conv2d_backward_weights") : nullptr;
  const cuda::ConvShape s = cuda::conv_shape(p);
  cuda::current().backward_weights(s, px, pdy, pdw, cuda::stream());
  if (pdb && s.K > 0) {
    cuda::launch("conv_bias_grad_kernel", cuda::conv_bias_grad_kernel, s.K, cuda::kThreads, 0,
                 cuda::stream(), s, pdy, pdb);  // one block per output channel
  }
}

}  // namespace astrocnn
