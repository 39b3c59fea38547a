// Choosing among the SGEMM versions (sgemm_v*.cu): a table of versions, the
// current choice (environment variable ASTROCNN_SGEMM_VERSION or
// set_sgemm_version, default v4), and the checked entry points.
#include <string>
#include <vector>

#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/sgemm.cuh"
#include "kernels/cuda/version_choice.h"

namespace astrocnn {
namespace cuda {
namespace {

struct SgemmVersion {
  const char* name;
  void (*launch)(const GemmArgs&, cudaStream_t);
  Precision precision;  // what its multiplies read the operands as (kernels/precision.h)
};

const SgemmVersion kVersions[] = {
    {"v1_naive", sgemm_v1_naive, Precision::FP32},
    {"v2_smem_tiles", sgemm_v2_smem_tiles, Precision::FP32},
    {"v3_register_blocking", sgemm_v3_register_blocking, Precision::FP32},
    {"v4_vectorized_double_buffer", sgemm_v4_vectorized_double_buffer, Precision::FP32},
    {"v5_tf32_wmma", sgemm_v5_tf32_wmma, Precision::TF32},
    {"v6_split_k", sgemm_v6_split_k, Precision::FP32},
    {"v7_bf16_mma", sgemm_v7_bf16_mma, Precision::BF16},
};
constexpr int kVersionCount = static_cast<int>(sizeof(kVersions) / sizeof(kVersions[0]));

std::vector<std::string> version_names() {
  std::vector<std::string> names;
  for (const SgemmVersion& v : kVersions) names.push_back(v.name);
  return names;
}

VersionChoice& choice() {
  static VersionChoice c("SGEMM", "ASTROCNN_SGEMM_VERSION", version_names(), 4 /* v4: the fastest exact-FP32 version; TF32 is opt-in */);
  return c;
}

}  // namespace

dim3 gemm_grid(const char* version, int64_t tiles_m, int64_t tiles_n) {
  ASTRO_CHECK(tiles_m <= 0x7fffffff && tiles_n <= 65535, "SGEMM ", version, ": the matrix needs a grid of ",
              tiles_m, " x ", tiles_n, " tiles, beyond the 2^31-1 x 65535 launch limit");
  return dim3(static_cast<unsigned>(tiles_m), static_cast<unsigned>(tiles_n));
}

void sgemm(const GemmArgs& g, int version) {
  if (version == 0) version = sgemm_version();
  choice().check(version, "sgemm");
  if (g.M == 0 || g.N == 0) return;
  kVersions[version - 1].launch(g, stream());
}

}  // namespace cuda

int sgemm_version_count() { return cuda::kVersionCount; }
int sgemm_version() { return cuda::choice().current(); }
void set_sgemm_version(int version) { cuda::choice().set(version, "set_sgemm_version"); }
std::string sgemm_version_name(int version) { return cuda::choice().name(version, "sgemm_version_name"); }

Precision sgemm_version_precision(int version) {
  cuda::choice().check(version, "sgemm_version_precision");
  return cuda::kVersions[version - 1].precision;
}

bool sgemm_version_is_tf32(int version) { return sgemm_version_precision(version) == Precision::TF32; }

void cuda_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                int64_t ldc, int version) {
  cuda::require_device();
  constexpr int64_t kMax = 0x7fffffff;
  ASTRO_CHECK(M >= 0 && N >= 0 && K >= 0 && M <= kMax && N <= kMax && K <= kMax, "cuda_sgemm: sizes M=", M,
              " N=", N, " K=", K, " must lie in [0, 2^31)");
  // The leading dimension is the row stride of the matrix as stored.
  ASTRO_CHECK(lda >= std::max<int64_t>(1, trans_a ? M : K) && lda <= kMax, "cuda_sgemm: lda=", lda,
              " is too small for ", trans_a ? "A^T" : "A", " (", M, " x ", K, ")");
  ASTRO_CHECK(ldb >= std::max<int64_t>(1, trans_b ? K : N) && ldb <= kMax, "cuda_sgemm: ldb=", ldb,
              " is too small for ", trans_b ? "B^T" : "B", " (", K, " x ", N, ")");
  ASTRO_CHECK(ldc >= std::max<int64_t>(1, N) && ldc <= kMax, "cuda_sgemm: ldc=", ldc,
              " is smaller than N=", N);
  cuda::GemmArgs g;
  g.trans_a = trans_a;
  g.trans_b = trans_b;
  g.M = static_cast<int>(M);
  g.N = static_cast<int>(N);
  g.K = static_cast<int>(K);
  g.alpha = alpha;
  g.beta = beta;
  g.A = A;
  g.lda = static_cast<int>(lda);
  g.B = B;
  g.ldb = static_cast<int>(ldb);
  g.C = C;
  g.ldc = static_cast<int>(ldc);
  cuda::sgemm(g, version);
}

}  // namespace astrocnn
