// Shared pieces of SGEMM v3 and v4: 128 x 128 tiles of C per block of 256
// threads, 8 x 8 outputs per thread, K walked in steps of 8.
//
// Both operands are staged k-major in shared memory: tile[k][i], where i is
// the row m of op(A) or the column n of op(B), so the inner product reads
// contiguous runs of i. Each thread moves 4 consecutive elements of the
// operand's CONTIGUOUS global dimension per tile (a float4 when aligned and
// fully inside the matrix), whichever way the operand is transposed:
//   A: element (m, k) at  trans_a ? A[k*lda + m] : A[m*lda + k]
//   B: element (k, n) at  trans_b ? B[n*ldb + k] : B[k*ldb + n]
#pragma once
#include <cstdint>

#include "kernels/cuda/sgemm.cuh"

namespace astrocnn::cuda::tiles {

constexpr int kBM = 128, kBN = 128, kBK = 8;  // block tile (kBM == kBN: one loader serves both)
constexpr int kTM = 8, kTN = 8;               // outputs per thread
constexpr int kTileThreads = 256;             // (kBM / kTM) * (kBN / kTN)
constexpr int kPad = 4;                       // keeps float4 alignment, spreads the transposing stores over banks
constexpr int kStride = kBM + kPad;           // floats per k-row of a staged tile

// One operand as the loader sees it: element (i, k) lives at
// src[i * ld + k] when k_contiguous, else at src[k * ld + i].
struct Operand {
  const float* src;
  int ld;
  bool k_contiguous;
  int extent_i;  // M for A, N for B
  int K;
  bool vec_ok;   // src 16-byte aligned and ld % 4 == 0: aligned quads may use float4
};

__host__ __device__ inline Operand operand_a(const GemmArgs& g, bool vec) {
  return Operand{g.A, g.lda, !g.trans_a, g.M, g.K, vec};
}
__host__ __device__ inline Operand operand_b(const GemmArgs& g, bool vec) {
  return Operand{g.B, g.ldb, g.trans_b, g.N, g.K, vec};
}

// True when the operand's quads are 16-byte aligned (checked on the host).
inline bool can_vectorize(const float* p, int ld) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 4 == 0;
}

// The 4 values this thread moves for the tile at (i0, k0), and where they go.
struct Quad {
  float v[4];
};

// Position of this thread's quad inside the kBK x kBM tile.
__device__ __forceinline__ void quad_position(const Operand& op, int& ti, int& tk) {
  const int t = threadIdx.x;
  if (op.k_contiguous) {  // 128 rows of 8 contiguous k: 2 quads per row
    ti = t / 2;
    tk = (t % 2) * 4;
  } else {                // 8 rows of 128 contiguous i: 32 quads per row
    tk = t / 32;
    ti = (t % 32) * 4;
  }
}

// Reads this thread's quad of the tile whose corner is (i0, k0); elements
// outside the matrix read as 0, so ragged edges need no special case later.
template <bool kVectorize>
__device__ __forceinline__ Quad load_quad(const Operand& op, int i0, int k0) {
  int ti, tk;
  quad_position(op, ti, tk);
  const int i = i0 + ti, k = k0 + tk;
  Quad q;
  if (op.k_contiguous) {
    const bool row_inside = i < op.extent_i;
    const float* p = op.src + static_cast<int64_t>(i) * op.ld + k;
    if (kVectorize && op.vec_ok && row_inside && k + 3 < op.K) {
      const float4 f = *reinterpret_cast<const float4*>(p);
      q.v[0] = f.x; q.v[1] = f.y; q.v[2] = f.z; q.v[3] = f.w;
    } else {
      for (int j = 0; j < 4; ++j) q.v[j] = (row_inside && k + j < op.K) ? p[j] : 0.0f;
    }
  } else {
    const bool row_inside = k < op.K;
    const float* p = op.src + static_cast<int64_t>(k) * op.ld + i;
    if (kVectorize && op.vec_ok && row_inside && i + 3 < op.extent_i) {
      const float4 f = *reinterpret_cast<const float4*>(p);
      q.v[0] = f.x; q.v[1] = f.y; q.v[2] = f.z; q.v[3] = f.w;
    } else {
      for (int j = 0; j < 4; ++j) q.v[j] = (row_inside && i + j < op.extent_i) ? p[j] : 0.0f;
    }
  }
  return q;
}

// Writes the quad into the k-major staged tile (tile[k * kStride + i]).
__device__ __forceinline__ void store_quad(const Operand& op, const Quad& q, float* tile) {
  int ti, tk;
  quad_position(op, ti, tk);
  if (op.k_contiguous) {
    for (int j = 0; j < 4; ++j) tile[(tk + j) * kStride + ti] = q.v[j];
  } else {
    for (int j = 0; j < 4; ++j) tile[tk * kStride + ti + j] = q.v[j];
  }
}

// The 8 x 8 patch of thread (tx, ty) of the 16 x 16 grid: rows ty*8 ..
// ty*8+7 and columns tx*8 .. tx*8+7 of the block's tile at (m0, n0), summed
// over k in [k_begin, k_end) into acc (which the caller zeroes). Per step of
// kBK, the block stages op(A)[m0.., k..] and op(B)[k.., n0..] (zero outside
// the matrices) in As and Bs (kBK * kStride floats each), then each thread
// accumulates its outer products in registers. v3 runs it over all of K,
// v6 over one slice.
__device__ __forceinline__ void accumulate_tile(const GemmArgs& g, int m0, int n0, int k_begin,
                                                int k_end, float* As, float* Bs,
                                                float (&acc)[kTM][kTN]) {
  const Operand a = operand_a(g, false), b = operand_b(g, false);
  const int tx = threadIdx.x % (kBN / kTN), ty = threadIdx.x / (kBN / kTN);
  for (int k0 = k_begin; k0 < k_end; k0 += kBK) {
    store_quad(a, load_quad<false>(a, m0, k0), As);
    store_quad(b, load_quad<false>(b, n0, k0), Bs);
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kBK; ++k) {
      float ra[kTM], rb[kTN];
#pragma unroll
      for (int i = 0; i < kTM; ++i) ra[i] = As[k * kStride + ty * kTM + i];
#pragma unroll
      for (int j = 0; j < kTN; ++j) rb[j] = Bs[k * kStride + tx * kTN + j];
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] += ra[i] * rb[j];
    }
    __syncthreads();  // the staged tiles are overwritten by the next step
  }
}

}  // namespace astrocnn::cuda::tiles
