// SGEMM v3: v2 plus register blocking: 128x128 tiles per block, each thread computing an 8x8 patch of C from 8+8 shared-memory reads per k (64 FMAs per 16 loads instead of 1 per 2).
// gain: no time recorded: docs/GPU-RUNS.md gives times for v4 and v5 only (H200, 2026-12-04,
//   commit 6d0a20c, a run in which v3 passed `ctest -L cuda`). Its tile loop has since moved to
//   sgemm_tiles.cuh (9ba08e6, same arithmetic), which is not yet run on a GPU.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm_tiles.cuh"

namespace astrocnn::cuda {
namespace {

using namespace tiles;

// Thread (tx, ty) of the 16 x 16 grid owns rows ty*8 .. ty*8+7 and columns
// tx*8 .. tx*8+7 of the block's tile (tiles::accumulate_tile).
__global__ void __launch_bounds__(kTileThreads) sgemm_register_blocking_kernel(GemmArgs g) {
  __shared__ __align__(16) float As[kBK * kStride];
  __shared__ __align__(16) float Bs[kBK * kStride];
  const int m0 = blockIdx.x * kBM, n0 = blockIdx.y * kBN;
  const int tx = threadIdx.x % (kBN / kTN), ty = threadIdx.x / (kBN / kTN);

  float acc[kTM][kTN];
#pragma unroll
  for (int i = 0; i < kTM; ++i)
#pragma unroll
    for (int j = 0; j < kTN; ++j) acc[i][j] = 0.0f;

  accumulate_tile(g, m0, n0, 0, g.K, As, Bs, acc);

#pragma unroll
  for (int i = 0; i < kTM; ++i) {
    const int m = m0 + ty * kTM + i;
#pragma unroll
    for (int j = 0; j < kTN; ++j) {
      const int n = n0 + tx * kTN + j;
      if (m < g.M && n < g.N) store_c(g, m, n, acc[i][j]);
    }
  }
}

}  // namespace

void sgemm_v3_register_blocking(const GemmArgs& g, cudaStream_t stream) {
  const dim3 grid = gemm_grid("v3", (g.M + kBM - 1) / kBM, (g.N + kBN - 1) / kBN);
  launch("sgemm_register_blocking_kernel", sgemm_register_blocking_kernel, grid, kTileThreads, 0, stream, g);
}

}  // namespace astrocnn::cuda
