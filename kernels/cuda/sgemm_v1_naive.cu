// SGEMM v1: one thread per element of C, reading A and B straight from global memory.
// gain: no time recorded: docs/GPU-RUNS.md gives times for v4 and v5 only (H200, 2026-12-04,
//   commit 6d0a20c, a run in which v1 passed `ctest -L cuda`). The baseline every later version
//   is compared with.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm.cuh"

namespace astrocnn::cuda {
namespace {

constexpr int kBlock = 16;

// Consecutive threads take consecutive columns n, so the loads of B (when not
// transposed) and the stores of C are coalesced; A is read by broadcast.
__global__ void sgemm_naive_kernel(GemmArgs g) {
  const int m = blockIdx.x * kBlock + threadIdx.y;
  const int n = blockIdx.y * kBlock + threadIdx.x;
  if (m >= g.M || n >= g.N) return;
  float acc = 0.0f;
  for (int k = 0; k < g.K; ++k) acc += load_a(g, m, k) * load_b(g, k, n);
  store_c(g, m, n, acc);
}

}  // namespace

void sgemm_v1_naive(const GemmArgs& g, cudaStream_t stream) {
  const dim3 grid = gemm_grid("v1", (g.M + kBlock - 1) / kBlock, (g.N + kBlock - 1) / kBlock);
  launch("sgemm_naive_kernel", sgemm_naive_kernel, grid, dim3(kBlock, kBlock), 0, stream, g);
}

}  // namespace astrocnn::cuda
