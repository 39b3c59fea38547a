// What the CUDA benchmarks (bench_cuda_*.cpp) share: random operands on the
// device, event timing on the backend's stream (windows of back-to-back
// calls, bench_timing.h), the counters every run reports (TFLOP/s, share of
// the GPU's peak, time ratio against the baseline library), the summary
// table printed after the runs, and a main() that says which device (or why
// none) ran. Included only when the build has the CUDA backend.
#pragma once
#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "bench/gpu_peak.h"
#include "core/tensor/error.h"
#include "core/tensor/philox.h"
#include "core/tensor/tensor.h"
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

// The device data of one layer, kept only while its benchmarks run.
// Benchmarks run in registration order, all of a layer's together, so one
// entry is enough; dropping the previous layer's tensors (and the caching
// allocator's now unused blocks) keeps the largest layers of a long list
// from filling the GPU. `layer` is the address of the layer's description,
// which lives as long as the benchmarks (a cheap key: this runs per call).
template <class Data>
class CurrentLayer {
 public:
  template <class Make>
  Data& get(const void* layer, Make make) {
    if (!data_ || layer != key_) {
      data_.reset();
      cuda_release_cached_memory();
      data_ = std::make_unique<Data>(make());
      key_ = layer;
    }
    return *data_;
  }

 private:
  const void* key_ = nullptr;
  std::unique_ptr<Data> data_;
};

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

// Timed windows per run, ours and the baselines' alike: ASTROCNN_BENCH_WINDOWS
// (a positive integer), 10 when unset. Fixed rather than Google Benchmark's
// minimum time, so that a long layer list takes a predictable time:
// about (windows + 2) x max(kMinWindowSeconds, one call) per run.
inline int timed_windows() {
  static const int windows = [] {
    const char* text = std::getenv("ASTROCNN_BENCH_WINDOWS");
    if (!text) return 10;
    char* end = nullptr;
    const long n = std::strtol(text, &end, 10);
    ASTRO_CHECK(end != text && *end == '\0' && n >= 1 && n <= 1000,
                "ASTROCNN_BENCH_WINDOWS: expected a number of timed windows from 1 to 1000, got \"",
                text, "\"");
    return static_cast<int>(n);
  }();
  return windows;
}

// One benchmark iteration times a window of back-to-back calls of `work`
// (bench_timing.h says why) and records the seconds per call. Returns the
// mean seconds per call; report() turns it into counters.
template <class Work>
double run_timed(benchmark::State& state, Work work) {
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
  state.counters["calls_per_window"] = calls;
  return total / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}

// A baseline's mean seconds per call, measured exactly as run_timed measures
// ours (same warm-up, window rule and number of windows), outside a
// benchmark loop: the ratio counters divide one by the other.
template <class Work>
double baseline_seconds_per_call(Work work) {
  auto timer = stream_timer();
  work();
  cuda_synchronize();
  const int calls = choose_calls_per_window(timer, work);
  const int windows = timed_windows();
  double total = 0;
  for (int i = 0; i < windows; ++i) total += seconds_per_call(timer, work, calls);
  return total / windows;
}

// ---- the GPU's peak and the counters ----

enum class Math { FP32, TF32, BF16 };

// The peak of the device the backend runs on (bench/gpu_peak.h), queried once.
struct DevicePeak {
  GpuPeak peak;
  int cc_major = 0, cc_minor = 0, sms = 0;
  double clock_khz = 0;
};

inline const DevicePeak& device_peak() {
  static const DevicePeak d = [] {
    DevicePeak r;
    int device = 0, clock_khz = 0;
    ASTRO_CUDA_CHECK(cudaGetDevice(&device));
    ASTRO_CUDA_CHECK(cudaDeviceGetAttribute(&r.cc_major, cudaDevAttrComputeCapabilityMajor, device));
    ASTRO_CUDA_CHECK(cudaDeviceGetAttribute(&r.cc_minor, cudaDevAttrComputeCapabilityMinor, device));
    ASTRO_CUDA_CHECK(cudaDeviceGetAttribute(&r.sms, cudaDevAttrMultiProcessorCount, device));
    ASTRO_CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device));
    r.clock_khz = clock_khz;
    r.peak = gpu_peak(r.cc_major, r.cc_minor, r.sms, r.clock_khz);
    return r;
  }();
  return d;
}

inline double peak_flops(Math math) {
  switch (math) {
    case Math::TF32: return device_peak().peak.tf32;
    case Math::BF16: return device_peak().peak.bf16;
    default: return device_peak().peak.fp32;
  }
}

// One finished run, as the summary table shows it.
struct Measured {
  std::string layer;    // the layer's label, or the GEMM's shape
  std::string pass;     // fwd, bwd_data, bwd_weights
  std::string version;  // ours (v1_direct, ...) or the baseline (cudnn_fp32, ...)
  Math math = Math::FP32;
  double seconds = 0;   // per call
  double flops = 0;     // per call
  double ratio = NAN;   // baseline's time / ours; NaN without a baseline
};

inline std::vector<Measured>& measured_runs() {
  static std::vector<Measured> runs;
  return runs;
}

// Sets the run's counters -- TFLOP/s; peak_share, the achieved rate over the
// GPU's peak for its math (FP32 lanes, or TF32 tensor cores); and
// `ratio_name` (vs_cudnn, vs_cublas) when there is a baseline -- and keeps
// the run for the summary table.
inline void report(benchmark::State& state, const Measured& m, const char* ratio_name) {
  const double rate = m.seconds > 0 ? m.flops / m.seconds : 0;
  state.counters["TFLOP/s"] = rate * 1e-12;
  const double peak = peak_flops(m.math);
  if (peak > 0) state.counters["peak_share"] = rate / peak;
  if (!std::isnan(m.ratio)) state.counters[ratio_name] = m.ratio;
  measured_runs().push_back(m);
}

// Runs `body` (a benchmark's whole work), turning an exception -- a version
// that refuses a shape, a baseline library error -- into a skipped run with
// the reason, so the remaining runs go on.
template <class Body>
void guarded(benchmark::State& state, Body body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// Registers a run timed by manual time, in milliseconds, over
// timed_windows() windows.
template <class Fn>
void register_run(const std::string& name, Fn fn) {
  benchmark::RegisterBenchmark(name.c_str(), fn)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond)
      ->Iterations(timed_windows());
}

// ---- the summary table ----

// Every run of this process as one Markdown table (ready for
// docs/GPU-RUNS.md): layer, pass, version, ms per call, TFLOP/s, % of the
// peak for the run's math, and the time ratio baseline / ours.
inline void print_summary(const char* ratio_name) {
  const std::vector<Measured>& runs = measured_runs();
  if (runs.empty()) return;
  size_t layer_width = 5, version_width = 7;
  for (const Measured& m : runs) {
    layer_width = std::max(layer_width, m.layer.size());
    version_width = std::max(version_width, m.version.size());
  }
  const int lw = static_cast<int>(layer_width), vw = static_cast<int>(version_width);
  std::printf("\n| %-*s | %-11s | %-*s | %10s | %8s | %9s | %9s |\n", lw, "layer", "pass", vw,
              "version", "ms", "TFLOP/s", "% of peak", ratio_name);
  std::printf("|%s|:------------|%s|-----------:|---------:|----------:|----------:|\n",
              std::string(layer_width + 2, '-').c_str(), std::string(version_width + 2, '-').c_str());
  for (const Measured& m : runs) {
    const double rate = m.seconds > 0 ? m.flops / m.seconds : 0;
    const double peak = peak_flops(m.math);
    char share[32] = "-", ratio[32] = "-";
    if (peak > 0) std::snprintf(share, sizeof share, "%.1f%%", 100 * rate / peak);
    if (!std::isnan(m.ratio)) std::snprintf(ratio, sizeof ratio, "%.2f", m.ratio);
    std::printf("| %-*s | %-11s | %-*s | %10.4f | %8.2f | %9s | %9s |\n", lw, m.layer.c_str(),
                m.pass.c_str(), vw, m.version.c_str(), m.seconds * 1e3, rate * 1e-12, share, ratio);
  }
}

// ---- main ----

// The body of a CUDA benchmark's main(): without a device it says why and
// succeeds (CI has no GPU); otherwise it names the device and its peak,
// warns when the baseline library was not found (`baseline_missing`, or
// null), registers the benchmarks, runs them and prints the summary table.
inline int run_cuda_benchmarks(const char* program, const char* baseline_missing,
                               const char* ratio_name, int argc, char** argv,
                               void (*register_benchmarks)()) {
  if (cuda_backend_if_device() == nullptr) {
    std::printf("%s: no CUDA device: %s\n", program, cuda_unavailable_reason().c_str());
    return 0;
  }
  try {
    std::printf("CUDA device: %s\n", cuda_device_summary().c_str());
    const DevicePeak& d = device_peak();
    std::printf("peak (%d SMs at %.0f MHz, sm_%d%d): %.1f TFLOP/s FP32, ", d.sms, d.clock_khz * 1e-3,
                d.cc_major, d.cc_minor, d.peak.fp32 * 1e-12);
    if (d.peak.tf32 > 0)
      std::printf("%.1f TFLOP/s TF32, %.1f TFLOP/s BF16\n", d.peak.tf32 * 1e-12, d.peak.bf16 * 1e-12);
    else
      std::printf("TF32 peak not tabulated (bench/gpu_peak.h)\n");
    if (baseline_missing) std::printf("%s: %s\n", program, baseline_missing);
    benchmark::Initialize(&argc, argv);
    register_benchmarks();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    print_summary(ratio_name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 2;
  }
  return 0;
}

}  // namespace astrocnn::bench
