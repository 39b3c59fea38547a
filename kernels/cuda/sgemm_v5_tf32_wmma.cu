// SGEMM v5: tensor cores through WMMA in TF32 (10-bit mantissa inputs, float accumulation): 64x64 block tiles, four warps of 2x2 16x16x8 fragments. Less precise than v1-v4 (tests allow 5e-3); compute capability 8.0 or newer.
// gain: 26.7 TFLOP/s on H200 against cuBLAS TF32's 326 (docs/GPU-RUNS.md names no shape), 2026-12-04,
//   commit 6d0a20c. The rounding to TF32 nearest-even since (2e36a10) is not yet run on a GPU
//   (docs/GPU-RUNS.md, 'Not yet run').
#include <mma.h>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm.cuh"

namespace astrocnn::cuda {
namespace {

constexpr int kBM = 64, kBN = 64, kBK = 16;
constexpr int kWarpM = 32, kWarpN = 32;  // each of the 4 warps computes a 32 x 32 quarter
constexpr int kWmmaThreads = 128;
constexpr int kFrag = 16, kFragK = 8;    // the TF32 WMMA shape m16 n16 k8
// Row strides of the staged tiles: multiples of 4 floats (WMMA's ldm rule)
// that shift successive rows across banks. Every fragment pointer below is
// then a multiple of 32 bytes from the (aligned) array start, as WMMA needs.
constexpr int kLdA = kBK + 4, kLdB = kBN + 4, kLdC = kBN + 4;

// x rounded to TF32's 10 mantissa bits, to nearest even, as the reference's
// round_to_tf32 (kernels/precision.h) does: WMMA's own __float_to_tf32
// rounds ties away from zero, so it is applied to values already rounded,
// which it leaves as they are. Infinities and NaN pass through.
__device__ __forceinline__ float tf32_nearest_even(float x) {
  uint32_t u = __float_as_uint(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;
  u = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
  return __uint_as_float(u);
}

// Stages op(A)[m0.., k0..] into As[m][k] and op(B)[k0.., n0..] into
// Bs[k][n], rounded to TF32, zeros outside. Consecutive threads walk the
// operand's contiguous global dimension (coalesced loads).
__device__ __forceinline__ void stage_tiles(const GemmArgs& g, int m0, int n0, int k0, float* As,
                                            float* Bs) {
  for (int e = threadIdx.x; e < kBM * kBK; e += kWmmaThreads) {
    const int m = g.trans_a ? e % kBM : e / kBK;
    const int k = g.trans_a ? e / kBM : e % kBK;
    const bool inside = m0 + m < g.M && k0 + k < g.K;
    As[m * kLdA + k] = inside ? tf32_nearest_even(load_a(g, m0 + m, k0 + k)) : 0.0f;
  }
  for (int e = threadIdx.x; e < kBK * kBN; e += kWmmaThreads) {
    const int n = g.trans_b ? e / kBK : e % kBN;
    const int k = g.trans_b ? e % kBK : e / kBN;
    const bool inside = k0 + k < g.K && n0 + n < g.N;
    Bs[k * kLdB + n] = inside ? tf32_nearest_even(load_b(g, k0 + k, n0 + n)) : 0.0f;
  }
}

__global__ void __launch_bounds__(kWmmaThreads) sgemm_tf32_wmma_kernel(GemmArgs g) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  using namespace nvcuda;
  __shared__ __align__(128) float As[kBM * kLdA];  // As[m][k]
  __shared__ __align__(128) float Bs[kBK * kLdB];  // Bs[k][n]
  __shared__ __align__(128) float Cs[kBM * kLdC];  // the block's results before the epilogue

  const int m0 = blockIdx.x * kBM, n0 = blockIdx.y * kBN;
  const int warp = threadIdx.x / 32;
  const int wm = (warp / 2) * kWarpM, wn = (warp % 2) * kWarpN;

  wmma::fragment<wmma::accumulator, kFrag, kFrag, kFragK, float> acc[2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  for (int k0 = 0; k0 < g.K; k0 += kBK) {
    stage_tiles(g, m0, n0, k0, As, Bs);
    __syncthreads();

    for (int kk = 0; kk < kBK; kk += kFragK) {
      wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFragK, wmma::precision::tf32, wmma::row_major> fa[2];
      wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFragK, wmma::precision::tf32, wmma::row_major> fb[2];
      for (int i = 0; i < 2; ++i) {
        wmma::load_matrix_sync(fa[i], &As[(wm + i * kFrag) * kLdA + kk], kLdA);
        for (int t = 0; t < fa[i].num_elements; ++t) fa[i].x[t] = wmma::__float_to_tf32(fa[i].x[t]);
      }
      for (int j = 0; j < 2; ++j) {
        wmma::load_matrix_sync(fb[j], &Bs[kk * kLdB + wn + j * kFrag], kLdB);
        for (int t = 0; t < fb[j].num_elements; ++t) fb[j].x[t] = wmma::__float_to_tf32(fb[j].x[t]);
      }
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
    __syncthreads();  // the staged tiles are overwritten by the next step
  }

  // Fragments have an opaque register layout: go through shared memory to
  // apply alpha, beta and the edge checks element by element.
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(&Cs[(wm + i * kFrag) * kLdC + wn + j * kFrag], acc[i][j], kLdC,
                              wmma::mem_row_major);
  __syncthreads();
  for (int e = threadIdx.x; e < kBM * kBN; e += kWmmaThreads) {
    const int m = e / kBN, n = e % kBN;
    if (m0 + m < g.M && n0 + n < g.N) store_c(g, m0 + m, n0 + n, Cs[m * kLdC + n]);
  }
#else
  __trap();  // never launched: the host refuses devices older than 8.0
#endif
}

}  // namespace

void sgemm_v5_tf32_wmma(const GemmArgs& g, cudaStream_t stream) {
  require_compute_capability(80, "SGEMM v5 (TF32 tensor cores)");
  const dim3 grid = gemm_grid("v5", (g.M + kBM - 1) / kBM, (g.N + kBN - 1) / kBN);
  launch("sgemm_tf32_wmma_kernel", sgemm_tf32_wmma_kernel, grid, kWmmaThreads, 0, stream, g);
}

}  // namespace astrocnn::cuda
