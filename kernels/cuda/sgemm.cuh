// The SGEMM versions of the CUDA backend, side by side (sgemm_v1_naive.cu,
// sgemm_v2_smem_tiles.cu, ...), and what they share: the argument record,
// element access with transposes, and the epilogue.
//
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C      (row-major)
//
// op(A) = A when !trans_a (A stored M x K, row stride lda), A^T when trans_a
// (A stored K x M); likewise B. Any M, N, K >= 0 (not tile multiples). When
// beta == 0, C is never read, so a NaN-poisoned C does not leak into the result.
// sgemm.cu chooses the version (cuda_api.h: set_sgemm_version).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace astrocnn::cuda {

struct GemmArgs {
  bool trans_a = false, trans_b = false;
  int M = 0, N = 0, K = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* A = nullptr;
  int lda = 0;
  const float* B = nullptr;
  int ldb = 0;
  float* C = nullptr;
  int ldc = 0;
};

// Element (m, k) of op(A) and (k, n) of op(B). Offsets in 64 bits: a 2^31
// element matrix is within reach of a large GPU.
__device__ __forceinline__ float load_a(const GemmArgs& g, int m, int k) {
  return g.trans_a ? g.A[static_cast<int64_t>(k) * g.lda + m] : g.A[static_cast<int64_t>(m) * g.lda + k];
}
__device__ __forceinline__ float load_b(const GemmArgs& g, int k, int n) {
  return g.trans_b ? g.B[static_cast<int64_t>(n) * g.ldb + k] : g.B[static_cast<int64_t>(k) * g.ldb + n];
}

// C[m,n] = alpha * acc + beta * C[m,n], without reading C when beta == 0.
__device__ __forceinline__ void store_c(const GemmArgs& g, int m, int n, float acc) {
  float* c = g.C + static_cast<int64_t>(m) * g.ldc + n;
  *c = g.beta == 0.0f ? g.alpha * acc : g.alpha * acc + g.beta * *c;
}

// One launcher per version; each handles every shape and transpose, and
// throws Error when the shape exceeds its grid limits. M, N > 0 here.
void sgemm_v1_naive(const GemmArgs& g, cudaStream_t stream);
void sgemm_v2_smem_tiles(const GemmArgs& g, cudaStream_t stream);
void sgemm_v3_register_blocking(const GemmArgs& g, cudaStream_t stream);
void sgemm_v4_vectorized_double_buffer(const GemmArgs& g, cudaStream_t stream);
void sgemm_v5_tf32_wmma(const GemmArgs& g, cudaStream_t stream);  // compute capability >= 8.0
void sgemm_v6_split_k(const GemmArgs& g, cudaStream_t stream);
void sgemm_v7_bf16_mma(const GemmArgs& g, cudaStream_t stream);  // compute capability >= 8.0

// Runs the current version (version == 0) or the given one.
void sgemm(const GemmArgs& g, int version = 0);

// Grid of `tiles_m` x `tiles_n` blocks, M tiles on x (up to 2^31 - 1) and N
// tiles on y (up to 65535), or an Error naming the version.
dim3 gemm_grid(const char* version, int64_t tiles_m, int64_t tiles_n);

}  // namespace astrocnn::cuda
