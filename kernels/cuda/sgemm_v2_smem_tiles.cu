// SGEMM v2: v1 plus 16x16 tiles of A and B staged in shared memory, so each global element is read once per tile instead of once per output.
// gain: no time recorded: docs/GPU-RUNS.md gives times for v4 and v5 only (H200, 2026-12-04,
//   commit 6d0a20c, a run in which v2 passed `ctest -L cuda`).
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm.cuh"

namespace astrocnn::cuda {
namespace {

constexpr int kTile = 16;

// Each block computes a kTile x kTile tile of C, one element per thread. The
// K dimension is walked in steps of kTile: the block loads one tile of op(A)
// and one of op(B) (zeros beyond the matrix edges, so ragged M, N, K need no
// special case in the inner loop), then every thread takes kTile products.
__global__ void sgemm_smem_kernel(GemmArgs g) {
  __shared__ float As[kTile][kTile];      // As[row m][k]
  __shared__ float Bs[kTile][kTile + 1];  // Bs[k][col n]; +1 breaks bank conflicts on transposed loads
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m = blockIdx.x * kTile + ty;
  const int n = blockIdx.y * kTile + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < g.K; k0 += kTile) {
    As[ty][tx] = (m < g.M && k0 + tx < g.K) ? load_a(g, m, k0 + tx) : 0.0f;
    Bs[ty][tx] = (k0 + ty < g.K && n < g.N) ? load_b(g, k0 + ty, n) : 0.0f;
    __syncthreads();
    for (int k = 0; k < kTile; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();  // the tiles are overwritten by the next step
  }
  if (m < g.M && n < g.N) store_c(g, m, n, acc);
}

}  // namespace

void sgemm_v2_smem_tiles(const GemmArgs& g, cudaStream_t stream) {
  const dim3 grid = gemm_grid("v2", (g.M + kTile - 1) / kTile, (g.N + kTile - 1) / kTile);
  launch("sgemm_smem_kernel", sgemm_smem_kernel, grid, dim3(kTile, kTile), 0, stream, g);
}

}  // namespace astrocnn::cuda
