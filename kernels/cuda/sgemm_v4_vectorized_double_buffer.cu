// SGEMM v4: v3 plus float4 global loads (when aligned), double-buffered shared-memory tiles (the next tile is fetched while the current one is used, one barrier per step) and a split 2x(4x4) thread patch whose float4 shared reads are free of bank conflicts.
// gain: 41.0 TFLOP/s at 4096^3 on H200, 0.81 of cuBLAS FP32 (50.8); 0.08 of cuBLAS at the huertas
//   dense shape (256 x 4096 -> 512) -- 2026-12-04, commit 6d0a20c (docs/GPU-RUNS.md). No v1-v3 time
//   recorded to compare it with.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm_tiles.cuh"

namespace astrocnn::cuda {
namespace {

using namespace tiles;

constexpr int kHalf = kBM / 2;  // 64: the thread's two 4-row (4-column) strips are kHalf apart

__device__ __forceinline__ void read4(const float* p, float* r) {
  const float4 f = *reinterpret_cast<const float4*>(p);
  r[0] = f.x; r[1] = f.y; r[2] = f.z; r[3] = f.w;
}

// Thread (tx, ty) of the 16 x 16 grid owns rows {ty*4 + i, 64 + ty*4 + i}
// and columns {tx*4 + j, 64 + tx*4 + j}, i, j < 4: 8 x 8 outputs. In a
// quarter warp the 8 float4 reads of B then cover 32 different banks.
//
// Pipeline, with two staged copies of each tile: while the block computes on
// copy `cur`, every thread already holds the next tile's quads in registers
// and writes them into copy `cur ^ 1` after its own compute; the barrier at
// the end of the step makes them visible, and copy `cur` is only rewritten
// one step later, after everyone passed that barrier.
template <bool kVectorize>
__global__ void __launch_bounds__(kTileThreads) sgemm_vectorized_kernel(GemmArgs g, bool vec_a, bool vec_b) {
  __shared__ __align__(16) float As[2][kBK * kStride];
  __shared__ __align__(16) float Bs[2][kBK * kStride];
  const Operand a = operand_a(g, vec_a), b = operand_b(g, vec_b);
  const int m0 = blockIdx.x * kBM, n0 = blockIdx.y * kBN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;

  float acc[kTM][kTN];
#pragma unroll
  for (int i = 0; i < kTM; ++i)
#pragma unroll
    for (int j = 0; j < kTN; ++j) acc[i][j] = 0.0f;

  const int steps = (g.K + kBK - 1) / kBK;
  if (steps > 0) {
    store_quad(a, load_quad<kVectorize>(a, m0, 0), As[0]);
    store_quad(b, load_quad<kVectorize>(b, n0, 0), Bs[0]);
  }
  __syncthreads();

  for (int step = 0; step < steps; ++step) {
    const int cur = step % 2;
    const bool has_next = step + 1 < steps;
    Quad next_a, next_b;
    if (has_next) {
      next_a = load_quad<kVectorize>(a, m0, (step + 1) * kBK);
      next_b = load_quad<kVectorize>(b, n0, (step + 1) * kBK);
    }
#pragma unroll
    for (int k = 0; k < kBK; ++k) {
      float ra[kTM], rb[kTN];
      read4(&As[cur][k * kStride + ty * 4], ra);
      read4(&As[cur][k * kStride + kHalf + ty * 4], ra + 4);
      read4(&Bs[cur][k * kStride + tx * 4], rb);
      read4(&Bs[cur][k * kStride + kHalf + tx * 4], rb + 4);
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] += ra[i] * rb[j];
    }
    if (has_next) {
      store_quad(a, next_a, As[cur ^ 1]);
      store_quad(b, next_b, Bs[cur ^ 1]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < kTM; ++i) {
    const int m = m0 + (i < 4 ? ty * 4 + i : kHalf + ty * 4 + (i - 4));
#pragma unroll
    for (int j = 0; j < kTN; ++j) {
      const int n = n0 + (j < 4 ? tx * 4 + j : kHalf + tx * 4 + (j - 4));
      if (m < g.M && n < g.N) store_c(g, m, n, acc[i][j]);
    }
  }
}

}  // namespace

void sgemm_v4_vectorized_double_buffer(const GemmArgs& g, cudaStream_t stream) {
  const dim3 grid = gemm_grid("v4", (g.M + kBM - 1) / kBM, (g.N + kBN - 1) / kBN);
  const bool vec_a = can_vectorize(g.A, g.lda), vec_b = can_vectorize(g.B, g.ldb);
  if (vec_a || vec_b) {
    launch("sgemm_vectorized_kernel", sgemm_vectorized_kernel<true>, grid, kTileThreads, 0, stream, g, vec_a,
           vec_b);
  } else {
    launch("sgemm_vectorized_kernel", sgemm_vectorized_kernel<false>, grid, kTileThreads, 0, stream, g, false,
           false);
  }
}

}  // namespace astrocnn::cuda
