// SGEMM v7: bfloat16 tensor cores through PTX mma.sync (m16n8k16, float32 accumulation).
// gain: not yet run on a GPU (docs/GPU-RUNS.md, 'Not yet run'); bench_cuda_sgemm compares it with
//   cuBLAS BF16 (cublas_bf16).
//
// The float32 operands are rounded to bfloat16 (to nearest even, as
// kernels/precision.h's round_to_bf16) while they are staged in shared
// memory, so the global reads, the shapes and the transposes are those of
// the FP32 versions; only the multiply is narrow. Selected only explicitly
// (ASTROCNN_SGEMM_VERSION=7, or the bf16 math precision once the backend
// routes it); compute capability 8.0 or newer.
//
// Tiles: a 64 x 64 block tile, K in steps of 32, four warps of 32 x 32 each,
// i.e. 2 x 4 mma tiles of 16 x 8 per warp. Operand tiles are stored with k
// contiguous (As[m][k], Bs[n][k]), so every fragment register is one aligned
// 32-bit read of two neighbouring k values, which is what the mma's "row"
// A and "col" B layouts hold per register.
#include <cuda_bf16.h>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm.cuh"

namespace astrocnn::cuda {
namespace {

constexpr int kBM = 64, kBN = 64, kBK = 32;
constexpr int kMmaThreads = 128;
constexpr int kWarpM = 32, kWarpN = 32;
constexpr int kMmaM = 16, kMmaN = 8, kMmaK = 16;
// Row stride of the staged tiles in bfloat16 elements: 8 more than kBK
// moves successive rows by 16 bytes across the banks, and keeps every pair
// of elements 4-byte aligned.
constexpr int kLd = kBK + 8;

// Two neighbouring bfloat16 values (k, k+1) as the one 32-bit register the
// mma takes: the lower index in the lower half.
__device__ __forceinline__ uint32_t pair_at(const __nv_bfloat16* p) {
  return *reinterpret_cast<const uint32_t*>(p);
}

// acc (16 x 8, float) += a (16 x 16) * b (16 x 8), one warp.
__device__ __forceinline__ void mma_bf16_16x8x16(float acc[4], const uint32_t a[4], const uint32_t b[2]) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(acc[0]), "+f"(acc[1]), "+f"(acc[2]), "+f"(acc[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// Stages op(A)[m0.., k0..] into As[m][k] and op(B)[k0.., n0..] into
// Bs[n][k] as bfloat16, zeros outside the matrices. Consecutive threads walk
// the operand's contiguous global dimension, so the reads are coalesced.
__device__ __forceinline__ void stage_tiles(const GemmArgs& g, int m0, int n0, int k0,
                                            __nv_bfloat16* As, __nv_bfloat16* Bs) {
  for (int e = threadIdx.x; e < kBM * kBK; e += kMmaThreads) {
    const int m = g.trans_a ? e % kBM : e / kBK;
    const int k = g.trans_a ? e / kBM : e % kBK;
    const bool inside = m0 + m < g.M && k0 + k < g.K;
    As[m * kLd + k] = __float2bfloat16_rn(inside ? load_a(g, m0 + m, k0 + k) : 0.0f);
  }
  for (int e = threadIdx.x; e < kBK * kBN; e += kMmaThreads) {
    const int n = g.trans_b ? e / kBK : e % kBN;
    const int k = g.trans_b ? e % kBK : e / kBN;
    const bool inside = k0 + k < g.K && n0 + n < g.N;
    Bs[n * kLd + k] = __float2bfloat16_rn(inside ? load_b(g, k0 + k, n0 + n) : 0.0f);
  }
}

__global__ void __launch_bounds__(kMmaThreads) sgemm_bf16_mma_kernel(GemmArgs g) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  __shared__ __align__(16) __nv_bfloat16 As[kBM * kLd];  // As[m][k]
  __shared__ __align__(16) __nv_bfloat16 Bs[kBN * kLd];  // Bs[n][k]

  const int m0 = blockIdx.x * kBM, n0 = blockIdx.y * kBN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm = (warp / 2) * kWarpM, wn = (warp % 2) * kWarpN;
  // The mma's fragment coordinates: lane = 4 * group + thread_in_group.
  const int group = lane / 4, tig = lane % 4;

  float acc[2][4][4] = {};  // [m16 tile][n8 tile][the lane's four results]

  for (int k0 = 0; k0 < g.K; k0 += kBK) {
    stage_tiles(g, m0, n0, k0, As, Bs);
    __syncthreads();

    for (int kk = 0; kk < kBK; kk += kMmaK) {
      const int k = kk + 2 * tig;  // this lane's first k of each register pair
      uint32_t a[2][4], b[4][2];
      for (int i = 0; i < 2; ++i) {
        const __nv_bfloat16* row = &As[(wm + i * kMmaM + group) * kLd];
        const __nv_bfloat16* row8 = row + 8 * kLd;  // the row 8 below
        a[i][0] = pair_at(row + k);
        a[i][1] = pair_at(row8 + k);
        a[i][2] = pair_at(row + k + 8);
        a[i][3] = pair_at(row8 + k + 8);
      }
      for (int j = 0; j < 4; ++j) {
        const __nv_bfloat16* col = &Bs[(wn + j * kMmaN + group) * kLd];
        b[j][0] = pair_at(col + k);
        b[j][1] = pair_at(col + k + 8);
      }
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 4; ++j) mma_bf16_16x8x16(acc[i][j], a[i], b[j]);
    }
    __syncthreads();  // the staged tiles are overwritten by the next step
  }

  // Results 0, 1 lie in row `group` of the 16 x 8 tile, 2, 3 eight rows
  // below; columns 2 * tig and 2 * tig + 1.
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int r = 0; r < 4; ++r) {
        const int m = m0 + wm + i * kMmaM + group + (r >= 2 ? 8 : 0);
        const int n = n0 + wn + j * kMmaN + 2 * tig + (r % 2);
        if (m < g.M && n < g.N) store_c(g, m, n, acc[i][j][r]);
      }
#else
  __trap();  // never launched: the host refuses devices older than 8.0
#endif
}

}  // namespace

void sgemm_v7_bf16_mma(const GemmArgs& g, cudaStream_t stream) {
  require_compute_capability(80, "SGEMM v7 (bf16 tensor cores)");
  const dim3 grid = gemm_grid("v7", (g.M + kBM - 1) / kBM, (g.N + kBN - 1) / kBN);
  launch("sgemm_bf16_mma_kernel", sgemm_bf16_mma_kernel, grid, kMmaThreads, 0, stream, g);
}

}  // namespace astrocnn::cuda
