// What the CUDA benchmarks (bench_cuda_*.cpp) share: random operands on the
// device, event timing on the backend's stream (windows of back-to-back
// calls, bench_timing.h), a Google Benchmark loop that reports GFLOP/s, and a main() that says which device (or why none) ran.
// Included only when the build has the CUDA backend.
#pragma once
#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "bench/bench_timing.h"
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

// The backend stream's event timer, in the form bench_timing.h takes.
inline auto stream_timer() {
  return [](auto work) { return time_on_stream(work); };
}

// One benchmark iteration times a window of back-to-back calls of `work`
// (bench_timing.h says why) and records the seconds per call. Reports
// GFLOP/s and returns the mean seconds per call, for the ratio counters.
template <class Work>
double run_timed(benchmark::State& state, double flops, Work work) {
  auto timer = stream_timer();
  work();  // warm-up: first-launch costs stay out of the numbers
  cuda_synchronize();
  const int calls = choose_calls_per_window(timer, work);
  double total = 0;
  for (auto _ : state) {
    const double seconds = seconds_per_call(timer, work, calls);
    state.SetIterationTime(seconds);
    total += seconds;
  }
  const double mean = total / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["GFLOP/s"] = mean > 0 ? flops / mean * 1e-9 : 0;
  state.counters["calls_per_window"] = calls;
  return mean;
}

// A baseline's mean seconds per call, measured exactly as run_timed measures
// ours (same warm-up, window rule and number of windows), outside a
// benchmark loop: the ratio counters divide one by the other.
template <class Work>
double baseline_seconds_per_call(Work work, int windows = 20) {
  auto timer = stream_timer();
  work();
  cuda_synchronize();
  const int calls = choose_calls_per_window(timer, work);
  double total = 0;
  for (int i = 0; i < windows; ++i) total += seconds_per_call(timer, work, calls);
  return total / windows;
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
