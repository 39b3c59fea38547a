// The CUDA benchmarks' timing rule (bench/bench_timing.h), checked with a
// simulated clock: each timer window costs a fixed overhead on top of the
// work inside it, as a pair of CUDA events around launches does.
#include <catch2/catch.hpp>

#include "bench/bench_timing.h"

using namespace astrocnn::bench;

namespace {

// A kernel that takes `seconds` per call, on a device whose timer windows
// each add `window_overhead` seconds.
struct SimulatedDevice {
  double window_overhead;
  double clock = 0;
  double run(double seconds) { return clock += seconds, seconds; }
  template <class F>
  double operator()(F f) {
    const double start = clock;
    f();
    return clock - start + window_overhead;
  }
};

}  // namespace

TEST_CASE("bench timing: the speedup is the baseline's time over ours, measured alike") {
  // Issue 13's example: ours 0.164 ms, cuDNN 0.205 ms per call on the H200,
  // with a 0.1 ms window overhead (enough to turn 1.25 into about 0.5 when the
  // two sides were timed one and ten calls per window).
  SimulatedDevice device{1e-4};
  auto ours = [&] { device.run(0.164e-3); };
  auto cudnn = [&] { device.run(0.205e-3); };
  const double our_time = seconds_per_call(device, ours, choose_calls_per_window(device, ours));
  const double cudnn_time = seconds_per_call(device, cudnn, choose_calls_per_window(device, cudnn));
  CHECK(speedup_over_baseline(cudnn_time, our_time) == Approx(0.205 / 0.164).epsilon(0.05));

  // The old procedure, for the record of what went wrong: it inverted the verdict.
  const double old_ours = seconds_per_call(device, ours, 1);
  const double old_cudnn = seconds_per_call(device, cudnn, 10);
  CHECK(speedup_over_baseline(old_cudnn, old_ours) < 1.0);
}

TEST_CASE("bench timing: a window holds at least 2 ms of work, and at most 1000 calls") {
  CHECK(calls_per_window(1.0) == 1);
  CHECK(calls_per_window(kMinWindowSeconds) == 1);
  CHECK(calls_per_window(0.164e-3) == 13);  // ceil(2 / 0.164)
  CHECK(calls_per_window(1e-9) == kMaxCallsPerWindow);
  CHECK(calls_per_window(0.0) == kMaxCallsPerWindow);
  // The window overhead is then at most overhead / calls of each call's time.
  SimulatedDevice device{1e-4};
  auto tiny = [&] { device.run(10e-6); };
  const int calls = choose_calls_per_window(device, tiny);
  CHECK(calls == 19);  // one call alone looks like 110 us: ceil(2000 / 110)
  CHECK(seconds_per_call(device, tiny, calls) == Approx(10e-6 + 1e-4 / 19));
}
