// How the CUDA benchmarks time one call of a kernel, and how they compare
// two kernels. Host-only (no CUDA here), so tests/test_bench_timing.cpp can
// check the rule with a simulated clock.
//
// Why a rule at all: a timer window (two CUDA events) costs a fixed few
// microseconds of launch latency on top of the work inside it. Timing one
// call per window charges that cost to every call; timing many calls per
// window spreads it thin. The first benchmark version timed our kernels one
// call per window and the baseline ten calls per window, so a small layer
// that ran 1.25x faster than cuDNN was reported at 0.51x. Now both sides go
// through seconds_per_call() with the same window length, and the ratio is
// a ratio of those times.
#pragma once
#include <algorithm>
#include <cmath>

namespace astrocnn::bench {

// A timer window should hold at least this much work, so the window's own
// cost is a small share of it.
constexpr double kMinWindowSeconds = 2e-3;
// ... but never more than this many calls (a window of trivial work).
constexpr int kMaxCallsPerWindow = 1000;

// Calls per window for work that takes about `one_call_seconds` (measured
// once, alone): enough to fill kMinWindowSeconds.
inline int calls_per_window(double one_call_seconds) {
  if (!(one_call_seconds > 0)) return kMaxCallsPerWindow;
  const double calls = std::ceil(kMinWindowSeconds / one_call_seconds);
  return static_cast<int>(std::clamp(calls, 1.0, static_cast<double>(kMaxCallsPerWindow)));
}

// Seconds per call of `work`, timed as `calls` back-to-back calls inside one
// window of `timer` (a callable: timer(f) runs f and returns its seconds).
template <class Timer, class Work>
double seconds_per_call(Timer& timer, Work& work, int calls) {
  const double seconds = timer([&] {
    for (int i = 0; i < calls; ++i) work();
  });
  return seconds / calls;
}

// The calls per window for `work`: one call timed alone sizes the window.
template <class Timer, class Work>
int choose_calls_per_window(Timer& timer, Work& work) {
  return calls_per_window(seconds_per_call(timer, work, 1));
}

// How many times faster ours is than the baseline (time ratio baseline ÷
// ours): above 1, ours is faster. Both times must come from
// seconds_per_call().
inline double speedup_over_baseline(double baseline_seconds_per_call, double our_seconds_per_call) {
  return baseline_seconds_per_call / our_seconds_per_call;
}

}  // namespace astrocnn::bench
