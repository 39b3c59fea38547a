// Convolution v2: implicit GEMM: forward, backward data and backward weights each run as one tiled GEMM (64x64 block tiles in shared memory, 4x4 outputs per thread) whose operands are gathered from the tensors on the fly -- no im2col buffer; backward weights splits its long reduction over blocks and sums the slices in a fixed order.
// gain: on H200, 2026-12-04, commit 6d0a20c (docs/GPU-RUNS.md), FP32, batch 64, time of cuDNN / ours
//   (above 1: ours faster):
//     layer                 fwd   bwd_data  bwd_weights
//     1->32, 6x6            1.25  0.03      0.65
//     3->32, 5x5            0.41  0.06      0.20
//     6->32, 3x3            0.46  0.10      0.20
//     4->64, 7x7 s2         0.64  0.01      0.37
//     64->64, 3x3 at 16^2   0.78  0.38      0.62
//   No v1 time recorded to compare it with.
//
// The three GEMMs, per group g (Cg = C/groups, Kg = K/groups):
//   forward           Y[k, (n,p,q)]   = sum_{(c,r,s)} W[k, (c,r,s)]   * X_col[(c,r,s), (n,p,q)]
//   backward data     dX[c, (n,h,w)]  = sum_{(k,r,s)} W[k, c, r, s]   * dY_col[(k,r,s), (n,h,w)]
//   backward weights  dW[k, (c,r,s)]  = sum_{(n,p,q)} dY[k, (n,p,q)]  * X_col[(c,r,s), (n,p,q)]
// where X_col[(c,r,s), (n,p,q)] = x[n, g*Cg + c, p*sh - pt + r, q*sw - pl + s]
// (0 in the padding) and dY_col[(k,r,s), (n,h,w)] = dy[n, g*Kg + k, p, q] for
// the output (p, q) whose tap (r, s) reads input (h, w), 0 when there is none
// (stride > 1 leaves gaps). Backward data is thereby a gather as well: every
// dx element is written once, by one thread, without atomics.
#include <algorithm>

#include "kernels/cuda/conv2d_versions.cuh"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn::cuda {
namespace {

constexpr int kBM = 64, kBN = 64, kBK = 16;  // block tile: rows x columns x reduction step
constexpr int kTM = 4, kTN = 4;              // outputs per thread
constexpr int kGemmThreads = (kBM / kTM) * (kBN / kTN);  // 256

// ---- the three problems: sizes, operand gathers and result stores ----------
// a(row, kk) and b(kk, col) are only called inside [0, M) x [0, Kdim) and
// [0, Kdim) x [0, Ncols). kA_kk_fastest / kB_kk_fastest say which index runs
// along contiguous memory, so consecutive threads load neighbouring addresses.

struct ForwardProblem {
  static constexpr bool kA_kk_fastest = true;   // W row: (c,r,s) contiguous
  static constexpr bool kB_kk_fastest = false;  // X_col: q contiguous
  ConvShape s;
  const float* x;
  const float* w;
  const float* bias;
  float* y;
  int g;
  __device__ int rows() const { return s.Kg; }
  __device__ int cols() const { return s.N * s.P * s.Q; }
  __device__ int depth() const { return s.Cg * s.R * s.S; }
  __device__ float a(int k, int kk) const {
    return w[static_cast<int64_t>(g * s.Kg + k) * depth() + kk];
  }
  __device__ float b(int kk, int col) const {
    const int c = kk / (s.R * s.S), r = (kk / s.S) % s.R, t = kk % s.S;
    const int n = col / (s.P * s.Q), p = (col / s.Q) % s.P, q = col % s.Q;
    const int h = p * s.stride_h - s.pad_top + r, wc = q * s.stride_w - s.pad_left + t;
    if (h < 0 || h >= s.H || wc < 0 || wc >= s.W) return 0.0f;
    return x[s.x_at(n, g * s.Cg + c, h, wc)];
  }
  __device__ void store(int /*split*/, int k, int col, float v) const {
    const int n = col / (s.P * s.Q), p = (col / s.Q) % s.P, q = col % s.Q;
    const int kglobal = g * s.Kg + k;
    y[s.y_at(n, kglobal, p, q)] = bias ? v + bias[kglobal] : v;
  }
};

struct BackwardDataProblem {
  static constexpr bool kA_kk_fastest = true;   // W[k, c, r, s]: (r,s) contiguous
  static constexpr bool kB_kk_fastest = false;  // dY_col: w contiguous
  ConvShape s;
  const float* dy;
  const float* w;
  float* dx;
  int g;
  __device__ int rows() const { return s.Cg; }
  __device__ int cols() const { return s.N * s.H * s.W; }
  __device__ int depth() const { return s.Kg * s.R * s.S; }
  __device__ float a(int c, int kk) const {
    const int k = kk / (s.R * s.S), r = (kk / s.S) % s.R, t = kk % s.S;
    return w[s.w_at(g * s.Kg + k, c, r, t)];
  }
  __device__ float b(int kk, int col) const {
    const int k = kk / (s.R * s.S), r = (kk / s.S) % s.R, t = kk % s.S;
    const int n = col / (s.H * s.W), h = (col / s.W) % s.H, wc = col % s.W;
    const int ph = h + s.pad_top - r, qw = wc + s.pad_left - t;
    if (ph < 0 || qw < 0 || ph % s.stride_h != 0 || qw % s.stride_w != 0) return 0.0f;
    const int p = ph / s.stride_h, q = qw / s.stride_w;
    if (p >= s.P || q >= s.Q) return 0.0f;
    return dy[s.y_at(n, g * s.Kg + k, p, q)];
  }
  __device__ void store(int /*split*/, int c, int col, float v) const {
    const int n = col / (s.H * s.W), h = (col / s.W) % s.H, wc = col % s.W;
    dx[s.x_at(n, g * s.Cg + c, h, wc)] = v;
  }
};

struct BackwardWeightsProblem {
  static constexpr bool kA_kk_fastest = true;  // dY row: q contiguous
  static constexpr bool kB_kk_fastest = true;  // X_col along (n,p,q): w contiguous for stride 1
  ConvShape s;
  const float* x;
  const float* dy;
  float* out;            // dw itself, or the split-K workspace [splits][K][Cg*R*S]
  int64_t split_stride;  // elements between consecutive splits in `out` (0 when unsplit)
  int g;
  __device__ int rows() const { return s.Kg; }
  __device__ int cols() const { return s.Cg * s.R * s.S; }
  __device__ int depth() const { return s.N * s.P * s.Q; }
  __device__ float a(int k, int kk) const {
    const int n = kk / (s.P * s.Q), p = (kk / s.Q) % s.P, q = kk % s.Q;
    return dy[s.y_at(n, g * s.Kg + k, p, q)];
  }
  __device__ float b(int kk, int col) const {
    const int n = kk / (s.P * s.Q), p = (kk / s.Q) % s.P, q = kk % s.Q;
    const int c = col / (s.R * s.S), r = (col / s.S) % s.R, t = col % s.S;
    const int h = p * s.stride_h - s.pad_top + r, wc = q * s.stride_w - s.pad_left + t;
    if (h < 0 || h >= s.H || wc < 0 || wc >= s.W) return 0.0f;
    return x[s.x_at(n, g * s.Cg + c, h, wc)];
  }
  __device__ void store(int split, int k, int col, float v) const {
    out[split * split_stride + static_cast<int64_t>(g * s.Kg + k) * cols() + col] = v;
  }
};

// ---- the tiled GEMM over a problem --------------------------------------------
// Block (blockIdx.x, blockIdx.y, blockIdx.z) computes columns col0.. and rows
// row0.. of the result over the reduction slice [k_begin, k_end) of split
// blockIdx.z. Thread (tx, ty) owns rows ty*4.. and columns tx*4.. of the tile.
template <class Problem>
__global__ void __launch_bounds__(kGemmThreads) implicit_gemm_kernel(Problem pr, int k_per_split) {
  __shared__ float As[kBK][kBM + 4];  // As[kk][row]
  __shared__ float Bs[kBK][kBN + 4];  // Bs[kk][col]
  const int M = pr.rows(), Ncols = pr.cols(), depth = pr.depth();
  const int col0 = blockIdx.x * kBN, row0 = blockIdx.y * kBM;
  // In 64 bits: near 2^31 reduction terms, k_begin + k_per_split may not fit an int.
  const int64_t k_begin = static_cast<int64_t>(blockIdx.z) * k_per_split;
  const int64_t k_end = min(static_cast<int64_t>(depth), k_begin + k_per_split);
  const int tx = threadIdx.x % (kBN / kTN), ty = threadIdx.x / (kBN / kTN);

  float acc[kTM][kTN];
#pragma unroll
  for (int i = 0; i < kTM; ++i)
#pragma unroll
    for (int j = 0; j < kTN; ++j) acc[i][j] = 0.0f;

  for (int64_t k0 = k_begin; k0 < k_end; k0 += kBK) {
    for (int e = threadIdx.x; e < kBM * kBK; e += kGemmThreads) {
      const int kk = Problem::kA_kk_fastest ? e % kBK : e / kBM;
      const int row = Problem::kA_kk_fastest ? e / kBK : e % kBM;
      const bool inside = row0 + row < M && k0 + kk < k_end;
      As[kk][row] = inside ? pr.a(row0 + row, static_cast<int>(k0 + kk)) : 0.0f;
    }
    for (int e = threadIdx.x; e < kBN * kBK; e += kGemmThreads) {
      const int kk = Problem::kB_kk_fastest ? e % kBK : e / kBN;
      const int col = Problem::kB_kk_fastest ? e / kBK : e % kBN;
      const bool inside = col0 + col < Ncols && k0 + kk < k_end;
      Bs[kk][col] = inside ? pr.b(static_cast<int>(k0 + kk), col0 + col) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      float ra[kTM], rb[kTN];
#pragma unroll
      for (int i = 0; i < kTM; ++i) ra[i] = As[kk][ty * kTM + i];
#pragma unroll
      for (int j = 0; j < kTN; ++j) rb[j] = Bs[kk][tx * kTN + j];
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] += ra[i] * rb[j];
    }
    __syncthreads();  // the staged tiles are overwritten by the next step
  }

#pragma unroll
  for (int i = 0; i < kTM; ++i) {
    const int row = row0 + ty * kTM + i;
#pragma unroll
    for (int j = 0; j < kTN; ++j) {
      const int col = col0 + tx * kTN + j;
      if (row < M && col < Ncols) pr.store(blockIdx.z, row, col, acc[i][j]);
    }
  }
}

// dw[i] = sum over the splits of workspace[split][i], in split order (deterministic).
__global__ void sum_splits_kernel(const float* workspace, int splits, int64_t per_split, float* dw) {
  for (int64_t i = first_index(); i < per_split; i += grid_stride()) {
    float acc = 0.0f;
    for (int z = 0; z < splits; ++z) acc += workspace[z * per_split + i];
    dw[i] = acc;
  }
}

int tiles(int64_t n, int tile) { return static_cast<int>((n + tile - 1) / tile); }

template <class Problem>
void launch_gemm(const char* name, const Problem& pr, int64_t rows, int64_t cols, int64_t depth, int splits,
                 cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  // Slices of whole reduction steps; the last slices may come out empty (they store zeros).
  const int64_t per_split = ((depth + splits - 1) / splits + kBK - 1) / kBK * kBK;
  const int k_per_split = static_cast<int>(std::clamp<int64_t>(per_split, 1, 0x7fffffff));
  const int64_t tiles_m = tiles(rows, kBM);
  ASTRO_CHECK(tiles_m <= 65535 && splits <= 65535, "conv v2 (", name, "): ", rows,
              " GEMM rows exceed the launch limit");
  const dim3 grid(static_cast<unsigned>(tiles(cols, kBN)), static_cast<unsigned>(tiles_m),
                  static_cast<unsigned>(splits));
  launch(name, implicit_gemm_kernel<Problem>, grid, kGemmThreads, 0, stream, pr, k_per_split);
}

// How many slices to cut the backward-weights reduction (N*P*Q terms) into:
// enough blocks to occupy the GPU (about 4 per SM on large parts), but every
// slice at least 8 reduction steps long, and at most 64 slices.
int weight_splits(int64_t output_tiles, int64_t depth) {
  const int sms = device_multiprocessor_count();
  const int64_t wanted = (4 * static_cast<int64_t>(sms) + output_tiles - 1) / output_tiles;
  const int64_t longest = std::max<int64_t>(1, depth / (8 * kBK));
  return static_cast<int>(std::clamp<int64_t>(std::min(wanted, longest), 1, 64));
}

}  // namespace

void conv_v2_forward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y,
                     cudaStream_t stream) {
  for (int g = 0; g < s.groups; ++g) {
    const ForwardProblem pr{s, x, w, bias, y, g};
    launch_gemm("implicit_gemm_kernel<forward>", pr, s.Kg, static_cast<int64_t>(s.N) * s.P * s.Q,
                static_cast<int64_t>(s.Cg) * s.R * s.S, 1, stream);
  }
}

void conv_v2_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx,
                           cudaStream_t stream) {
  for (int g = 0; g < s.groups; ++g) {
    const BackwardDataProblem pr{s, dy, w, dx, g};
    launch_gemm("implicit_gemm_kernel<backward_data>", pr, s.Cg, static_cast<int64_t>(s.N) * s.H * s.W,
                static_cast<int64_t>(s.Kg) * s.R * s.S, 1, stream);
  }
}

void conv_v2_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw,
                              cudaStream_t stream) {
  const int64_t rows = s.Kg, cols = static_cast<int64_t>(s.Cg) * s.R * s.S;
  const int64_t depth = static_cast<int64_t>(s.N) * s.P * s.Q;
  const int64_t dw_size = static_cast<int64_t>(s.K) * cols;
  if (dw_size == 0) return;
  const int splits = weight_splits(static_cast<int64_t>(tiles(rows, kBM)) * tiles(cols, kBN) * s.groups, depth);
  if (splits == 1) {
    for (int g = 0; g < s.groups; ++g) {
      const BackwardWeightsProblem pr{s, x, dy, dw, 0, g};
      launch_gemm("implicit_gemm_kernel<backward_weights>", pr, rows, cols, depth, 1, stream);
    }
    return;
  }
  DeviceBuffer workspace(static_cast<size_t>(splits) * dw_size * sizeof(float));
  for (int g = 0; g < s.groups; ++g) {
    const BackwardWeightsProblem pr{s, x, dy, workspace.as<float>(), dw_size, g};
    launch_gemm("implicit_gemm_kernel<backward_weights>", pr, rows, cols, depth, splits, stream);
  }
  launch_1d("sum_splits_kernel", sum_splits_kernel, dw_size, stream, workspace.as<float>(), splits, dw_size,
            dw);
}

}  // namespace astrocnn::cuda
