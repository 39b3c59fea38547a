// Every SGEMM version against a double-precision GEMM on the host, for every
// transpose combination and awkward sizes. (The dense layer with every SGEMM
// version is in the one backend harness, tests/cuda_test_backend_ops.cpp.)
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

namespace {

struct GemmCase {
  int64_t M, N, K;
};

// Not tile multiples, degenerate (1), tall/flat, deep; 128 x 128 x 8 is exactly one v3/v4 tile.
const std::vector<GemmCase> kGemmCases = {{1, 1, 1},    {7, 13, 5},     {65, 33, 129}, {128, 128, 8},
                                          {130, 257, 31}, {300, 200, 100}, {1, 500, 3},  {64, 1, 1024},
                                          {33, 70, 0}};

// C = alpha * op(A) op(B) + beta * C in double, row-major with leading dimensions.
std::vector<float> host_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                             const std::vector<float>& A, int64_t lda, const std::vector<float>& B,
                             int64_t ldb, float beta, std::vector<float> C, int64_t ldc) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = ta ? A[static_cast<size_t>(k * lda + m)] : A[static_cast<size_t>(m * lda + k)];
        const double b = tb ? B[static_cast<size_t>(n * ldb + k)] : B[static_cast<size_t>(k * ldb + n)];
        acc += a * b;
      }
      float& c = C[static_cast<size_t>(m * ldc + n)];
      c = static_cast<float>(beta == 0 ? alpha * acc : alpha * acc + beta * static_cast<double>(c));
    }
  return C;
}

// Runs one GEMM on the device with operands stored at `offset` floats into
// their buffers (offset 1 makes the pointers 4-byte but not 16-byte aligned)
// and row strides padded by `pad`, and compares with host_gemm.
void check_gemm(int version, bool ta, bool tb, const GemmCase& c, float alpha, float beta, int64_t offset,
                int64_t pad) {
  CAPTURE(version, ta, tb, c.M, c.N, c.K, alpha, beta, offset, pad);
  const int64_t a_rows = ta ? c.K : c.M, a_cols = ta ? c.M : c.K;
  const int64_t b_rows = tb ? c.N : c.K, b_cols = tb ? c.K : c.N;
  const int64_t lda = std::max<int64_t>(1, a_cols + pad), ldb = std::max<int64_t>(1, b_cols + pad);
  const int64_t ldc = std::max<int64_t>(1, c.N + pad);
  const Tensor A = random_cpu({offset + a_rows * lda}, 11);
  const Tensor B = random_cpu({offset + b_rows * ldb}, 12);
  Tensor C = random_cpu({offset + c.M * ldc}, 13);
  if (beta == 0) ref().fill(C, NAN);  // beta == 0 must not read C

  const std::vector<float> a = A.to_vector<float>(), b = B.to_vector<float>(), c0 = C.to_vector<float>();
  const std::vector<float> a_view(a.begin() + offset, a.end()), b_view(b.begin() + offset, b.end());
  std::vector<float> want = host_gemm(ta, tb, c.M, c.N, c.K, alpha, a_view, lda, b_view, ldb, beta,
                                      std::vector<float>(c0.begin() + offset, c0.end()), ldc);

  const Tensor dA = A.to(Device::CUDA), dB = B.to(Device::CUDA);
  Tensor dC = C.to(Device::CUDA);
  cuda_sgemm(ta, tb, c.M, c.N, c.K, alpha, dA.data<float>() + offset, lda, dB.data<float>() + offset, ldb, beta,
             dC.data<float>() + offset, ldc, version);
  const std::vector<float> got_all = dC.to_vector<float>();

  // Compare the M x N results; the padding columns between rows must be untouched.
  std::vector<float> got, expected;
  bool padding_untouched = true;
  for (int64_t m = 0; m < c.M; ++m)
    for (int64_t n = 0; n < ldc; ++n) {
      const auto i = static_cast<size_t>(offset + m * ldc + n);
      if (n < c.N) {
        got.push_back(got_all[i]);
        expected.push_back(want[static_cast<size_t>(m * ldc + n)]);
      } else if (!(got_all[i] == c0[i] || (std::isnan(got_all[i]) && std::isnan(c0[i])))) {
        padding_untouched = false;
      }
    }
  CHECK(padding_untouched);
  if (got.empty()) return;
  const int64_t count = static_cast<int64_t>(got.size());
  CHECK_CLOSE_TENSORS(Tensor::from_vector(got, {count}), Tensor::from_vector(expected, {count}),
                      optest::tolerance_of(sgemm_version_precision(version)));
}

}  // namespace

TEST_CASE("every SGEMM version matches a double GEMM for every transpose", "[cuda][gemm]") {
  for (int v = 1; v <= sgemm_version_count(); ++v)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (const GemmCase& c : kGemmCases) check_gemm(v, ta, tb, c, 1.0f, 0.0f, 0, 0);
}

TEST_CASE("SGEMM versions handle alpha, beta, padded strides and unaligned pointers", "[cuda][gemm]") {
  for (int v = 1; v <= sgemm_version_count(); ++v)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        check_gemm(v, ta, tb, {67, 45, 37}, 0.5f, -2.0f, 0, 0);
        check_gemm(v, ta, tb, {67, 45, 37}, 1.0f, 0.0f, 1, 3);   // unaligned, odd strides: scalar loads
        check_gemm(v, ta, tb, {129, 131, 20}, -1.5f, 1.0f, 4, 4);  // aligned again, padded strides
      }
}

TEST_CASE("SGEMM versions agree on a large product", "[cuda][gemm]") {
  for (int v = 1; v <= sgemm_version_count(); ++v) check_gemm(v, false, true, {512, 384, 256}, 1.0f, 0.0f, 0, 0);
}

TEST_CASE("SGEMM rejects bad arguments", "[cuda][gemm][errors]") {
  Tensor a = Tensor::zeros({16}, DType::F32, Device::CUDA);
  float* p = a.data<float>();
  CHECK_THROWS_WITH(cuda_sgemm(false, false, 2, 2, 4, 1, p, 3, p, 2, 0, p, 2), Catch::Contains("lda=3"));
  CHECK_THROWS_WITH(cuda_sgemm(false, false, -1, 2, 2, 1, p, 2, p, 2, 0, p, 2), Catch::Contains("M=-1"));
  CHECK_THROWS_WITH(cuda_sgemm(false, false, 2, 2, 2, 1, p, 2, p, 2, 0, p, 2, 42),
                    Catch::Contains("unknown SGEMM version 42"));
}
