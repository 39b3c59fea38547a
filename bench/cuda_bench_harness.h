// What the CUDA benchmarks (bench_cuda_*.cpp) share: random operands on the
// device, event timing on the backend's stream, a Google Benchmark loop that
// reports GFLOP/s, and a main() that says which device (or why none) ran.
// Included only when the build has the CUDA backend.
#pragma once
#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#include <vector>

#include "core/philox.h"
#include "core/tensor.h"
#include "kernels/backend.h"
#include "kernels/cuda/cuda_api.h"
#include "kernels/cuda/cuda_check.h"

namespace astrocnn::bench {

inline cudaStream_t bench_stream() { return static_cast<cudaStream_t>(cuda_stream_handle()); }

// A float32 device tensor of uniform values in [-1, 1) drawn from `seed`.
inline Tensor random_device(const Shape& shape, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (float& x : v) x = rng.uniform() * 2.0f - 1.0f;
  return Tensor::from_vector(v, shape, Device::CUDA);
}

// Seconds taken by `work` on the backend stream, measured with CUDA events.
template <class Work>
double time_on_stream(Work work) {
  cudaEvent_t start, stop;
  ASTRO_CUDA_CHECK(cudaEventCreate(&start));
  ASTRO_CUDA_CHECK(cudaEventCreate(&stop));
  ASTRO_CUDA_CHECK(cudaEventRecord(start, bench_stream()));
  work();
  ASTRO_CUDA_CHECK(cudaEventRecord(stop, bench_stream()));
  ASTRO_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  ASTRO_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  ASTRO_CUDA_CHECK(cudaEventDestroy(start));
  ASTRO_CUDA_CHECK(cudaEventDestroy(stop));
  return ms * 1e-3;
}

// Runs `work` once per benchmark iteration with manual (event) timing and
// reports GFLOP/s; returns it for the ratio counters.
template <class Work>
double run_timed(benchmark::State& state, double flops, Work work) {
  work();  // warm-up: first-launch costs stay out of the numbers
  cuda_synchronize();
  double total = 0;
  for (auto _ : state) {
    const double seconds = time_on_stream(work);
    state.SetIterationTime(seconds);
    total += seconds;
  }
  const double gflops = total > 0 ? flops * static_cast<double>(state.iterations()) / total * 1e-9 : 0;
  state.counters["GFLOP/s"] = gflops;
  return gflops;
}

// The body of a CUDA benchmark's main(): without a device it says why and
// succeeds (CI has no GPU); otherwise it names the device, warns when the
// baseline library was not found (`baseline_missing`, or null), registers
// the benchmarks and runs them.
inline int run_cuda_benchmarks(const char* program, const char* baseline_missing, int argc,
                               char** argv, void (*register_benchmarks)()) {
  if (cuda_backend_if_device() == nullptr) {
    std::printf("%s: no CUDA device: %s\n", program, cuda_unavailable_reason().c_str());
    return 0;
  }
  std::printf("CUDA device: %s\n", cuda_device_summary().c_str());
  if (baseline_missing) std::printf("%s: %s\n", program, baseline_missing);
  benchmark::Initialize(&argc, argv);
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace astrocnn::bench
