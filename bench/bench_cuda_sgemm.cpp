// Benchmark: every SGEMM version of the CUDA backend against cuBLAS, on the
// square 1024^3 and 4096^3 products and on the three GEMMs of every distinct
// dense layer of the five networks at the batches of ASTROCNN_BENCH_BATCHES
// (default 32,256; bench/network_layers.h), exactly as the backend's dense
// ops call them (kernels/cuda/dense.cu), timed with CUDA events on the
// backend's stream.
//
// Run names: sgemm/<shape>/<pass>/<version>, where a dense layer's shape is
// its label, e.g. sgemm/huertas@64#1/b256/dense 2048->4096/bwd_weights/v4_...
// so --benchmark_filter picks networks, batches, shapes, passes or versions.
// Counters: TFLOP/s; peak_share = TFLOP/s over the GPU's peak for the run's
// math (bench/gpu_peak.h); vs_cublas = cuBLAS's time / ours (above 1: ours is
// faster; bench_timing.h), FP32 versions against cuBLAS FP32, the TF32
// version against cuBLAS TF32. After the runs, one table of all.
//
// cuBLAS is only the yardstick here; the library never links it. Built as
// plain C++ by bench/CMakeLists.txt; without CUDA it only says so.
#include <benchmark/benchmark.h>

#include <cstdio>

#if defined(ASTROCNN_HAVE_CUDA)
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "bench/cuda_bench_harness.h"
#include "bench/network_layers.h"
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
#include <cublas_v2.h>
#endif

namespace {

using namespace astrocnn;
using namespace astrocnn::bench;

// C[M,N] = op(A)[M,K] op(B)[K,N], row-major.
struct Gemm {
  std::string label;  // the shape, or the dense layer's label
  std::string pass;   // "gemm" for the square products; fwd, bwd_data, bwd_weights for dense layers
  int64_t M, N, K;
  bool trans_a, trans_b;
  double flops() const { return 2.0 * static_cast<double>(M) * N * K; }
  std::string key() const { return label + "/" + pass; }
};

// The three GEMMs of a dense layer x [B,I], w [O,I], as dense.cu runs them:
//   forward          y [B,O]  = x w^T
//   backward data    dx [B,I] = dy w
//   backward weights dw [O,I] = dy^T x
std::vector<Gemm> dense_gemms(const NetworkDense& d) {
  const int64_t B = d.d.N, I = d.d.I, O = d.d.O;
  return {{d.label(), "fwd", B, O, I, false, true},
          {d.label(), "bwd_data", B, I, O, false, false},
          {d.label(), "bwd_weights", O, I, B, true, false}};
}

std::vector<Gemm> all_gemms() {
  std::vector<Gemm> gemms = {{"square 1024^3", "gemm", 1024, 1024, 1024, false, false},
                             {"square 4096^3", "gemm", 4096, 4096, 4096, false, false}};
  for (const NetworkDense& d : network_denses(bench_batches()))
    for (const Gemm& g : dense_gemms(d)) gemms.push_back(g);
  return gemms;
}

// Operands of one GEMM, allocated for its first run and shared by the rest.
struct Operands {
  Tensor A, B, C;
  int64_t lda, ldb, ldc;
};

Operands& operands(const Gemm& s) {
  static CurrentLayer<Operands> current;
  return current.get(&s, [&] {
    Operands o;
    o.A = random_device({s.M * s.K}, 1);
    o.B = random_device({s.K * s.N}, 2);
    o.C = Tensor::zeros({s.M * s.N}, DType::F32, Device::CUDA);
    o.lda = s.trans_a ? s.M : s.K;
    o.ldb = s.trans_b ? s.K : s.N;
    o.ldc = s.N;
    return o;
  });
}

void run_ours(const Gemm& s, int v) {
  Operands& o = operands(s);
  cuda_sgemm(s.trans_a, s.trans_b, s.M, s.N, s.K, 1.0f, o.A.data<float>(), o.lda, o.B.data<float>(), o.ldb,
             0.0f, o.C.data<float>(), o.ldc, v);
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
// BF16: cublasGemmEx on the same float32 operands with the compute type
// that rounds them to bfloat16 and accumulates in float32, as v7 does.
void run_cublas(const Gemm& s, Math math) {
  Operands& o = operands(s);
  if (math == Math::BF16) {
    const float alpha = 1.0f, beta = 0.0f;
    cublas_check(cublasGemmEx(cublas(), s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                              static_cast<int>(s.N), static_cast<int>(s.M), static_cast<int>(s.K), &alpha,
                              o.B.data<float>(), CUDA_R_32F, static_cast<int>(o.ldb), o.A.data<float>(), CUDA_R_32F,
                              static_cast<int>(o.lda), &beta, o.C.data<float>(), CUDA_R_32F,
                              static_cast<int>(o.ldc), CUBLAS_COMPUTE_32F_FAST_16BF, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx (BF16)");
    return;
  }
  cublas_check(cublasSetMathMode(cublas(), math == Math::TF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
               "cublasSetMathMode");
  const float alpha = 1.0f, beta = 0.0f;
  cublas_check(cublasSgemm(cublas(), s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                           static_cast<int>(s.N), static_cast<int>(s.M), static_cast<int>(s.K), &alpha,
                           o.B.data<float>(), static_cast<int>(o.ldb), o.A.data<float>(), static_cast<int>(o.lda),
                           &beta, o.C.data<float>(), static_cast<int>(o.ldc)),
               "cublasSgemm");
}

const char* cublas_version_name(Math math) {
  switch (math) {
    case Math::TF32: return "cublas_tf32";
    case Math::BF16: return "cublas_bf16";
    default: return "cublas_fp32";
  }
}

Math math_of(Precision p) {
  switch (p) {
    case Precision::TF32: return Math::TF32;
    case Precision::BF16: return Math::BF16;
    default: return Math::FP32;
  }
}

// cuBLAS's seconds per call per (GEMM, math). The cuBLAS run of that pair
// registers first and stores its own measurement here, so the ratios divide
// the times the table shows; when a filter left it out, the time is measured
// on first use the same way (bench_timing.h).
std::map<std::string, double>& cublas_times() {
  static std::map<std::string, double> times;
  return times;
}
std::string cublas_time_key(const Gemm& s, Math math) { return s.key() + "/" + cublas_version_name(math); }
double cublas_seconds(const Gemm& s, Math math) {
  const std::string key = cublas_time_key(s, math);
  auto it = cublas_times().find(key);
  if (it != cublas_times().end()) return it->second;
  return cublas_times()[key] = baseline_seconds_per_call([&] { run_cublas(s, math); });
}
#endif

void register_gemm(const Gemm& s) {
  const std::string base = "sgemm/" + s.label + "/" + s.pass + "/";
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
  for (Math math : {Math::FP32, Math::TF32, Math::BF16}) {
    register_run(base + cublas_version_name(math), [&s, math](benchmark::State& state) {
      guarded(state, [&] {
        const double seconds = run_timed(state, [&] { run_cublas(s, math); });
        cublas_times()[cublas_time_key(s, math)] = seconds;
        report(state, {s.label, s.pass, cublas_version_name(math), math, seconds, s.flops(), 1.0}, "vs_cublas");
      });
    });
  }
#endif
  for (int v = 1; v <= sgemm_version_count(); ++v) {
    register_run(base + sgemm_version_name(v), [&s, v](benchmark::State& state) {
      guarded(state, [&] {
        const Math math = math_of(sgemm_version_precision(v));
        const double seconds = run_timed(state, [&] { run_ours(s, v); });
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
        const double ratio = speedup_over_baseline(cublas_seconds(s, math), seconds);
#else
        const double ratio = NAN;
#endif
        report(state, {s.label, s.pass, sgemm_version_name(v), math, seconds, s.flops(), ratio}, "vs_cublas");
      });
    });
  }
}

void register_benchmarks() {
  static const std::vector<Gemm> gemms = all_gemms();
  std::printf("%zu GEMMs (2 square, 3 per dense shape) x (%d versions + cuBLAS FP32, TF32 and BF16)\n", gemms.size(),
              sgemm_version_count());
  for (const Gemm& s : gemms) register_gemm(s);
}

}  // namespace

int main(int argc, char** argv) {
#if defined(ASTROCNN_BENCH_WITH_CUBLAS)
  const char* baseline_missing = nullptr;
#else
  const char* baseline_missing = "built without cuBLAS: no vs_cublas ratios";
#endif
  return astrocnn::bench::run_cuda_benchmarks("bench_cuda_sgemm", baseline_missing, "vs_cublas", argc, argv,
                                              register_benchmarks);
}

#else  // !ASTROCNN_HAVE_CUDA

int main() {
  std::puts("bench_cuda_sgemm: this build has no CUDA backend; nothing to run");
  return 0;
}

#endif
