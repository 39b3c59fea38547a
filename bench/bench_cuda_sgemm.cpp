// Benchmark: every SGEMM version of the CUDA backend against cuBLAS, at
// 1024^3 and 4096^3 and on a dense-layer shape, timed with CUDA events on the
// backend's stream. Counters: GFLOP/s, and vs_cublas = cuBLAS's time / ours
// (above 1: ours is faster; bench_timing.h), FP32 versions against cuBLAS
// FP32, the TF32 version against cuBLAS TF32.
//
// cuBLAS is only the yardstick here; the library never links it. Built as
// plain C++ by bench/CMakeLists.txt; without CUDA it only says so.
#include <benchmark/benchmark.h>

#include <cstdio>

#if defined(ASTROCNN_HAVE_CUDA)
#include <map>
#include <string>

#include "bench/cuda_bench_harness.h"
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
#include <cublas_v2.h>
#endif

namespace {

using namespace astrocnn;
using namespace astrocnn::bench;

struct Shape3 {
  const char* label;
  int64_t M, N, K;
  bool trans_a, trans_b;
  double flops() const { return 2.0 * static_cast<double>(M) * N * K; }
};

const Shape3 kShapes[] = {
    {"1024", 1024, 1024, 1024, false, false},
    {"4096", 4096, 4096, 4096, false, false},
    {"dense_fwd_b256_4096to512", 256, 512, 4096, false, true},  // y = x w^T
};

// Operands of one shape, allocated once and shared by every benchmark of it.
struct Operands {
  Tensor A, B, C;
  int64_t lda, ldb, ldc;
};

Operands& operands(const Shape3& s) {
  static std::map<std::string, Operands> cache;
  auto it = cache.find(s.label);
  if (it != cache.end()) return it->second;
  Operands o;
  o.A = random_device({s.M * s.K}, 1);
  o.B = random_device({s.K * s.N}, 2);
  o.C = Tensor::zeros({s.M * s.N}, DType::F32, Device::CUDA);
  o.lda = s.trans_a ? s.M : s.K;
  o.ldb = s.trans_b ? s.K : s.N;
  o.ldc = s.N;
  return cache.emplace(s.label, std::move(o)).first->second;
}

#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
void cublas_check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) throw Error(std::string("cuBLAS ") + what + " failed with status " +
                                                   std::to_string(static_cast<int>(status)));
}

cublasHandle_t cublas() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h = nullptr;
    cublas_check(cublasCreate(&h), "cublasCreate");
    cublas_check(cublasSetStream(h, bench_stream()), "cublasSetStream");
    return h;
  }();
  return handle;
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
void cublas_sgemm(const Shape3& s, Operands& o, bool tf32) {
  cublas_check(cublasSetMathMode(cublas(), tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
               "cublasSetMathMode");
  const float alpha = 1.0f, beta = 0.0f;
  cublas_check(cublasSgemm(cublas(), s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                           static_cast<int>(s.N), static_cast<int>(s.M), static_cast<int>(s.K), &alpha,
                           o.B.data<float>(), static_cast<int>(o.ldb), o.A.data<float>(), static_cast<int>(o.lda),
                           &beta, o.C.data<float>(), static_cast<int>(o.ldc)),
               "cublasSgemm");
}

// cuBLAS's seconds per call per (shape, math mode), measured once on first
// use the same way as ours (bench_timing.h).
double cublas_seconds(const Shape3& s, bool tf32) {
  static std::map<std::string, double> cache;
  const std::string key = std::string(s.label) + (tf32 ? "/tf32" : "/fp32");
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  Operands& o = operands(s);
  return cache[key] = baseline_seconds_per_call([&] { cublas_sgemm(s, o, tf32); });
}
#endif

void register_benchmarks() {
  for (const Shape3& s : kShapes) {
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
    for (bool tf32 : {false, true}) {
      const std::string name = std::string("sgemm/") + s.label + (tf32 ? "/cublas_tf32" : "/cublas_fp32");
      benchmark::RegisterBenchmark(name.c_str(), [s, tf32](benchmark::State& state) {
        Operands& o = operands(s);
        run_timed(state, s.flops(), [&] { cublas_sgemm(s, o, tf32); });
        state.counters["vs_cublas"] = 1.0;
      })->UseManualTime()->Unit(benchmark::kMillisecond);
    }
#endif
    for (int v = 1; v <= sgemm_version_count(); ++v) {
      const std::string name = std::string("sgemm/") + s.label + "/" + sgemm_version_name(v);
      benchmark::RegisterBenchmark(name.c_str(), [s, v](benchmark::State& state) {
        Operands& o = operands(s);
        const double seconds = run_timed(state, s.flops(), [&] {
          cuda_sgemm(s.trans_a, s.trans_b, s.M, s.N, s.K, 1.0f, o.A.data<float>(), o.lda, o.B.data<float>(),
                     o.ldb, 0.0f, o.C.data<float>(), o.ldc, v);
        });
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
        state.counters["vs_cublas"] = speedup_over_baseline(cublas_seconds(s, sgemm_version_is_tf32(v)), seconds);
#else
        (void)seconds;
#endif
      })->UseManualTime()->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
  const char* baseline_missing = nullptr;
#else
  const char* baseline_missing = "built without cuBLAS: no vs_cublas ratios";
#endif
  return astrocnn::bench::run_cuda_benchmarks("bench_cuda_sgemm", baseline_missing, argc, argv,
                                              register_benchmarks);
}

#else  // !ASTROCNN_HAVE_CUDA

int main() {
  std::puts("bench_cuda_sgemm: this build has no CUDA backend; nothing to run");
  return 0;
}

#endif
