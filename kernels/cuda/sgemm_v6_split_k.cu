// SGEMM v6: v3's 128x128 register-blocked tiles with K split over blockIdx.z, for the skinny products of dense layers (M = batch, K = thousands of features: a few tiles of C could not fill the GPU); each slice writes its partial tile to a workspace, and a second pass sums the slices in order and applies alpha/beta (deterministic: no atomics).
// gain: not yet run on a GPU (docs/GPU-RUNS.md, 'Not yet run'); the default stays v4 until it is
//   measured. Its target, the huertas dense shape (256 x 4096 -> 512), ran at 0.17 of cuBLAS with the
//   best of v1-v5 and 0.08 with v4 (H200, 2026-12-04, commit 6d0a20c).
#include <algorithm>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm_tiles.cuh"

namespace astrocnn::cuda {
namespace {

using namespace tiles;

// Block (x, y, z) computes the 128x128 tile (x, y) of op(A) op(B) over the
// K range [z * k_per_slice, (z + 1) * k_per_slice) (k_per_slice a multiple
// of kBK; load_quad reads 0 past K). With one slice the tile goes through
// the epilogue into C; otherwise raw into slice z of the workspace [z][M][N].
__global__ void __launch_bounds__(kTileThreads)
    sgemm_split_k_kernel(GemmArgs g, int k_per_slice, float* workspace) {
  __shared__ __align__(16) float As[kBK * kStride];
  __shared__ __align__(16) float Bs[kBK * kStride];
  const int m0 = blockIdx.x * kBM, n0 = blockIdx.y * kBN;
  const int tx = threadIdx.x % (kBN / kTN), ty = threadIdx.x / (kBN / kTN);
  const int k_begin = blockIdx.z * k_per_slice;
  const int k_end = min(g.K, k_begin + k_per_slice);

  float acc[kTM][kTN];
#pragma unroll
  for (int i = 0; i < kTM; ++i)
#pragma unroll
    for (int j = 0; j < kTN; ++j) acc[i][j] = 0.0f;

  accumulate_tile(g, m0, n0, k_begin, k_end, As, Bs, acc);

  float* slice = workspace ? workspace + static_cast<int64_t>(blockIdx.z) * g.M * g.N : nullptr;
#pragma unroll
  for (int i = 0; i < kTM; ++i) {
    const int m = m0 + ty * kTM + i;
#pragma unroll
    for (int j = 0; j < kTN; ++j) {
      const int n = n0 + tx * kTN + j;
      if (m >= g.M || n >= g.N) continue;
      if (slice) {
        slice[static_cast<int64_t>(m) * g.N + n] = acc[i][j];
      } else {
        store_c(g, m, n, acc[i][j]);
      }
    }
  }
}

// C[m,n] = alpha * (sum over the slices, in slice order) + beta * C[m,n].
__global__ void sum_slices_kernel(GemmArgs g, const float* workspace, int slices) {
  const int64_t count = static_cast<int64_t>(g.M) * g.N;
  for (int64_t i = first_index(); i < count; i += grid_stride()) {
    float acc = 0.0f;
    for (int z = 0; z < slices; ++z) acc += workspace[z * count + i];
    store_c(g, static_cast<int>(i / g.N), static_cast<int>(i % g.N), acc);
  }
}

// Enough blocks for about two per SM, each slice at least 16 steps of kBK
// long (shorter ones spend more on the workspace than they save), at most 32.
int slices_for(int64_t tiles, int k_steps) {
  const int sms = device_multiprocessor_count();
  const int64_t wanted = (2 * static_cast<int64_t>(sms) + tiles - 1) / tiles;
  const int64_t longest = std::max(1, k_steps / 16);
  return static_cast<int>(std::clamp<int64_t>(std::min(wanted, longest), 1, 32));
}

}  // namespace

void sgemm_v6_split_k(const GemmArgs& g, cudaStream_t stream) {
  const int64_t tiles_m = (g.M + kBM - 1) / kBM, tiles_n = (g.N + kBN - 1) / kBN;
  dim3 grid = gemm_grid("v6", tiles_m, tiles_n);
  const int k_steps = (g.K + kBK - 1) / kBK;
  const int slices = g.K == 0 ? 1 : slices_for(tiles_m * tiles_n, k_steps);
  const int k_per_slice = ((k_steps + slices - 1) / slices) * kBK;
  grid.z = static_cast<unsigned>(slices);
  if (slices == 1) {
    launch("sgemm_split_k_kernel", sgemm_split_k_kernel, grid, kTileThreads, 0, stream, g, k_per_slice,
           nullptr);
    return;
  }
  DeviceBuffer workspace(static_cast<size_t>(slices) * g.M * g.N * sizeof(float));
  launch("sgemm_split_k_kernel", sgemm_split_k_kernel, grid, kTileThreads, 0, stream, g, k_per_slice,
         workspace.as<float>());
  const int64_t count = static_cast<int64_t>(g.M) * g.N;
  launch_1d("sum_slices_kernel", sum_slices_kernel, count, stream, g, workspace.as<float>(), slices);
}

}  // namespace astrocnn::cuda
