// CUDA kernels: dense (fully connected) layer on top of the SGEMM versions.
// x [N,I], w [O,I] (PyTorch's Linear layout), bias [O], y [N,O]:
//   forward           y  = x w^T (+ bias on every row)     GEMM  M=N, N=O, K=I, B transposed
//   backward data     dx = dy w                            GEMM  M=N, N=I, K=O
//   backward weights  dw = dy^T x,  dbias = column sums of dy   GEMM  M=O, N=I, K=N, A transposed
#include <algorithm>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm.cuh"

namespace astrocnn {
namespace {

__global__ void add_row_bias_kernel(float* y, const float* bias, int64_t cols, int64_t n) {
  for (int64_t i = cuda::first_index(); i < n; i += cuda::grid_stride()) y[i] += bias[i % cols];
}

// db[o] = sum_n dy[n, o], one thread per column (consecutive threads read
// consecutive addresses), summed in double in row order.
__global__ void column_sums_kernel(const float* dy, float* db, int64_t rows, int64_t cols) {
  for (int64_t o = cuda::first_index(); o < cols; o += cuda::grid_stride()) {
    double acc = 0;
    for (int64_t n = 0; n < rows; ++n) acc += dy[n * cols + o];
    db[o] = static_cast<float>(acc);
  }
}

int checked_int(int64_t v, const char* what) {
  ASTRO_CHECK(v <= 0x7fffffff, "cuda backend: dense: ", what, " = ", v, " exceeds 2^31-1");
  return static_cast<int>(v);
}

// A GEMM on contiguous row-major operands; the leading dimensions follow from the shapes.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
          const float* B, float* C) {
  cuda::GemmArgs g;
  g.trans_a = trans_a;
  g.trans_b = trans_b;
  g.M = checked_int(M, "M");
  g.N = checked_int(N, "N");
  g.K = checked_int(K, "K");
  g.A = A;
  g.lda = checked_int(std::max<int64_t>(1, trans_a ? M : K), "lda");
  g.B = B;
  g.ldb = checked_int(std::max<int64_t>(1, trans_b ? K : N), "ldb");
  g.C = C;
  g.ldc = checked_int(std::max<int64_t>(1, N), "ldc");
  cuda::sgemm(g);
}

}  // namespace

void CudaBackend::dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) {
  const float* px = cuda::in_f32(x, "dense_forward");
  const float* pw = cuda::in_f32(w, "dense_forward");
  const float* pb = bias ? cuda::in_f32(*bias, "dense_forward") : nullptr;
  float* py = cuda::out_f32(y, "dense_forward");
  const int64_t N = x.size(0), I = x.size(1), O = w.size(0);
  gemm(false, true, N, O, I, px, pw, py);
  if (pb && N * O > 0) {
    cuda::launch_1d("add_row_bias_kernel", add_row_bias_kernel, N * O, cuda::stream(), py, pb, O, N * O);
  }
}

void CudaBackend::dense_backward_data(const Tensor& dy, const Tensor& w, Tensor& dx) {
  const float* pdy = cuda::in_f32(dy, "dense_backward_data");
  const float* pw = cuda::in_f32(w, "dense_backward_data");
  float* pdx = cuda::out_f32(dx, "dense_backward_data");
  const int64_t N = dx.size(0), I = dx.size(1), O = w.size(0);
  gemm(false, false, N, I, O, pdy, pw, pdx);
}

void CudaBackend::dense_backward_weights(const Tensor& x, const Tensor& dy, Tensor& dw,
                                         Tensor* dbias) {
  const float* px = cuda::in_f32(x, "dense_backward_weights");
  const float* pdy = cuda::in_f32(dy, "dense_backward_weights");
  float* pdw = cuda::out_f32(dw, "dense_backward_weights");
  float* pdb = dbias ? cuda::out_f32(*dbias, "dense_backward_weights") : nullptr;
  const int64_t N = x.size(0), I = x.size(1), O = dw.size(0);
  gemm(true, false, O, I, N, pdy, px, pdw);
  if (pdb && O > 0) {
    cuda::launch_1d("column_sums_kernel", column_sums_kernel, O, cuda::stream(), pdy, pdb, N, O);
  }
}

}  // namespace astrocnn
