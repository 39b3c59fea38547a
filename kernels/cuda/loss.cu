// CUDA kernels: the losses (softmax cross-entropy, mean squared error, cosine
// similarity), with the arithmetic of kernels/reference/loss.cpp: sums in
// double, NaN reaching the loss, the same degenerate-row rule for cosine.
//
// Each forward reduces in two fixed-order stages (per-row or per-block
// partial sums into a double workspace, then one block sums those), so the
// loss is reproducible run to run. Each backward reads the upstream gradient
// `gloss` (a one-element tensor on the device) inside the kernel: no copy to
// the host, no synchronisation.
#include <cmath>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace {

constexpr double kMinNorm = 1e-12;  // cosine rows with a shorter vector: cos = 0, zero gradient

// out[0] = (sum of the `count` partials) / divisor, by one block.
__global__ void finish_mean_kernel(const double* partials, int64_t count, double divisor, float* out) {
  double partial = 0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) partial += partials[i];
  const double total = cuda::block_sum(partial);
  if (threadIdx.x == 0) out[0] = static_cast<float>(total / divisor);
}

void finish_mean(const double* partials, int64_t count, double divisor, float* out) {
  cuda::launch("finish_mean_kernel", finish_mean_kernel, 1, cuda::kThreads, 0, cuda::stream(), partials, count,
               divisor, out);
}

// ---- softmax + cross-entropy -------------------------------------------------

// One block per row: loss_n = m + log(sum_c exp(x_c - m)) - x_label with m
// the row maximum (NaN if the row holds one), probs = exp(x - m) / sum. A
// label outside [0, C) gives a NaN row loss instead of reading out of bounds.
__global__ void softmax_xent_forward_kernel(const float* logits, const int64_t* labels, float* probs,
                                            double* row_loss, int64_t C) {
  const int64_t n = blockIdx.x;
  const float* x = logits + n * C;
  float* p = probs + n * C;
  __shared__ double row_max;
  if (threadIdx.x == 0) {
    double m = x[0];
    for (int64_t c = 1; c < C; ++c)
      if (isnan(x[c]) || x[c] > m) m = x[c];
    row_max = m;
  }
  __syncthreads();
  const double m = row_max;
  double partial = 0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) partial += exp(static_cast<double>(x[c]) - m);
  const double sum = cuda::block_sum(partial);
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x)
    p[c] = static_cast<float>(exp(static_cast<double>(x[c]) - m) / sum);
  if (threadIdx.x == 0) {
    const int64_t label = labels[n];
    row_loss[n] = (label >= 0 && label < C) ? m + log(sum) - static_cast<double>(x[label]) : nan("");
  }
}

// d(mean loss)/dx_nc = gloss / N * (probs_nc - [c == label_n]).
__global__ void softmax_xent_backward_kernel(const float* probs, const int64_t* labels, const float* gloss,
                                             float* dlogits, int64_t N, int64_t C) {
  const double scale = static_cast<double>(gloss[0]) / static_cast<double>(N);
  for (int64_t i = cuda::first_index(); i < N * C; i += cuda::grid_stride()) {
    const double onehot = (i % C) == labels[i / C] ? 1.0 : 0.0;
    dlogits[i] = static_cast<float>(scale * (static_cast<double>(probs[i]) - onehot));
  }
}

// ---- mean squared error ------------------------------------------------------

__global__ void squared_error_partials_kernel(const float* pred, const float* target, double* partials,
                                              int64_t n) {
  double partial = 0;
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) {
    const double diff = static_cast<double>(pred[i]) - target[i];
    partial += diff * diff;
  }
  const double total = cuda::block_sum(partial);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

__global__ void mse_backward_kernel(const float* pred, const float* target, const float* gloss, float* dpred,
                                    int64_t n) {
  const double scale = 2.0 * static_cast<double>(gloss[0]) / static_cast<double>(n);
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride())
    dpred[i] = static_cast<float>(scale * (static_cast<double>(pred[i]) - target[i]));
}

// ---- cosine similarity ---------------------------------------------------------

struct RowGeometry {
  double dot, pred_norm, target_norm;
  // "norm < min" so that a NaN norm is not degenerate and NaN reaches the loss.
  __device__ bool degenerate() const { return pred_norm < kMinNorm || target_norm < kMinNorm; }
  __device__ double cos() const { return degenerate() ? 0.0 : dot / (pred_norm * target_norm); }
};

// Every thread of the block gets the geometry of rows p, t of length K.
__device__ RowGeometry row_geometry(const float* p, const float* t, int64_t K) {
  double dot = 0, pp = 0, tt = 0;
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
    dot += static_cast<double>(p[k]) * t[k];
    pp += static_cast<double>(p[k]) * p[k];
    tt += static_cast<double>(t[k]) * t[k];
  }
  dot = cuda::block_sum(dot);
  pp = cuda::block_sum(pp);
  tt = cuda::block_sum(tt);
  return RowGeometry{dot, sqrt(pp), sqrt(tt)};
}

__global__ void cosine_forward_kernel(const float* pred, const float* target, double* row_loss, int64_t K) {
  const int64_t n = blockIdx.x;
  const RowGeometry g = row_geometry(pred + n * K, target + n * K, K);
  if (threadIdx.x == 0) row_loss[n] = 1.0 - g.cos();
}

// d(1 - cos)/dp = -(t / (|p||t|) - cos p / |p|^2), times gloss / N.
__global__ void cosine_backward_kernel(const float* pred, const float* target, const float* gloss,
                                       float* dpred, int64_t N, int64_t K) {
  const int64_t n = blockIdx.x;
  const float* p = pred + n * K;
  const float* t = target + n * K;
  float* d = dpred + n * K;
  const RowGeometry g = row_geometry(p, t, K);
  if (g.degenerate()) {
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x) d[k] = 0.0f;
    return;
  }
  const double scale = static_cast<double>(gloss[0]) / static_cast<double>(N);
  const double cos = g.cos();
  const double inv_norms = 1.0 / (g.pred_norm * g.target_norm);
  const double inv_pred_sq = 1.0 / (g.pred_norm * g.pred_norm);
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
    const double dcos = static_cast<double>(t[k]) * inv_norms - cos * static_cast<double>(p[k]) * inv_pred_sq;
    d[k] = static_cast<float>(-scale * dcos);
  }
}

unsigned row_blocks(int64_t N, const char* op) {
  ASTRO_CHECK(N <= 0x7fffffff, "cuda backend: ", op, ": too many rows (", N, ")");
  return static_cast<unsigned>(N);
}

}  // namespace

void CudaBackend::softmax_xent_forward(const Tensor& logits, const Tensor& labels, Tensor& probs,
                                       Tensor& loss) {
  const char* op = "softmax_xent_forward";
  const float* px = cuda::in_f32(logits, op);
  const int64_t* pl = cuda::in_i64(labels, op);
  float* pp = cuda::out_f32(probs, op);
  float* ploss = cuda::out_f32(loss, op);
  const int64_t N = logits.size(0), C = logits.size(1);
  ASTRO_CHECK(C > 0, "cuda backend: ", op, ": logits ", logits.str(), " have no classes");
  cuda::DeviceBuffer row_loss(static_cast<size_t>(N) * sizeof(double));
  if (N > 0) {
    cuda::launch("softmax_xent_forward_kernel", softmax_xent_forward_kernel, row_blocks(N, op), cuda::kThreads,
                 0, cuda::stream(), px, pl, pp, row_loss.as<double>(), C);
  }
  finish_mean(row_loss.as<double>(), N, static_cast<double>(N), ploss);  // N == 0: 0/0 = NaN, as in the reference
}

void CudaBackend::softmax_xent_backward(const Tensor& probs, const Tensor& labels, const Tensor& gloss,
                                        Tensor& dlogits) {
  const char* op = "softmax_xent_backward";
  const float* pp = cuda::in_f32(probs, op);
  const int64_t* pl = cuda::in_i64(labels, op);
  const float* pg = cuda::in_f32(gloss, op);
  float* pd = cuda::out_f32(dlogits, op);
  const int64_t N = probs.size(0), C = probs.size(1);
  if (N * C == 0) return;
  cuda::launch_1d("softmax_xent_backward_kernel", softmax_xent_backward_kernel, N * C, cuda::stream(), pp, pl,
                  pg, pd, N, C);
}

void CudaBackend::mse_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  const char* op = "mse_forward";
  const float* pp = cuda::in_f32(pred, op);
  const float* pt = cuda::in_f32(target, op);
  float* ploss = cuda::out_f32(loss, op);
  const int64_t n = pred.numel();
  // An empty prediction gives 0/0 = NaN, as in the reference.
  // At most 1024 partial sums: the number of blocks, fixed by n alone.
  const unsigned blocks = std::min(cuda::grid_for(n), 1024u);
  cuda::DeviceBuffer partials(blocks * sizeof(double));
  // Not launch_1d: the grid is capped at 1024 and launched even for n == 0 (one block writes a 0 partial).
  cuda::launch("squared_error_partials_kernel", squared_error_partials_kernel, blocks, cuda::kThreads, 0,
               cuda::stream(), pp, pt, partials.as<double>(), n);
  finish_mean(partials.as<double>(), blocks, static_cast<double>(n), ploss);
}

void CudaBackend::mse_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                               Tensor& dpred) {
  const char* op = "mse_backward";
  const float* pp = cuda::in_f32(pred, op);
  const float* pt = cuda::in_f32(target, op);
  const float* pg = cuda::in_f32(gloss, op);
  float* pd = cuda::out_f32(dpred, op);
  const int64_t n = pred.numel();
  if (n == 0) return;
  cuda::launch_1d("mse_backward_kernel", mse_backward_kernel, n, cuda::stream(), pp, pt, pg, pd, n);
}

void CudaBackend::cosine_loss_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  const char* op = "cosine_loss_forward";
  const float* pp = cuda::in_f32(pred, op);
  const float* pt = cuda::in_f32(target, op);
  float* ploss = cuda::out_f32(loss, op);
  const int64_t N = pred.size(0), K = pred.size(1);
  cuda::DeviceBuffer row_loss(static_cast<size_t>(N) * sizeof(double));
  if (N > 0) {  // no rows: 0/0 = NaN, as in the reference
    cuda::launch("cosine_forward_kernel", cosine_forward_kernel, row_blocks(N, op), cuda::kThreads, 0,
                 cuda::stream(), pp, pt, row_loss.as<double>(), K);
  }
  finish_mean(row_loss.as<double>(), N, static_cast<double>(N), ploss);
}

void CudaBackend::cosine_loss_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                                       Tensor& dpred) {
  const char* op = "cosine_loss_backward";
  const float* pp = cuda::in_f32(pred, op);
  const float* pt = cuda::in_f32(target, op);
  const float* pg = cuda::in_f32(gloss, op);
  float* pd = cuda::out_f32(dpred, op);
  const int64_t N = pred.size(0), K = pred.size(1);
  if (N == 0) return;
  cuda::launch("cosine_backward_kernel", cosine_backward_kernel, row_blocks(N, op), cuda::kThreads, 0,
               cuda::stream(), pp, pt, pg, pd, N, K);
}

}  // namespace astrocnn
