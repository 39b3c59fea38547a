// The perf mode of the one backend harness (tests/backend_op_cases.h): every
// case of the op table, timed on every backend this build and machine have,
// from the same inputs the test mode checks. A new op or case is timed as
// soon as it has a case; nothing here lists shapes of its own.
//
// Each benchmark is named OP/BACKEND/CASE and reports the time per call
// (Google Benchmark's own timer; a GPU backend is synchronised after the
// calls, so the time is the device's) and, for the convolution and dense
// cases, GFLOP/s. Each case's first run is checked against the reference
// first (the one comparator, tests/tensor_compare.h): a wrong one is not timed.
//
//   bench_backend_ops --benchmark_filter='conv2d_forward/.*'     one op
//   bench_backend_ops --benchmark_filter='/cpu-onednn/'          one backend
//   OMP_NUM_THREADS=2 bench_backend_ops --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/tensor/error.h"
#include "kernels/backend.h"
#include "tests/backend_op_cases.h"

namespace {

using namespace astrocnn;
using namespace astrocnn::optest;

// The backends to time: the reference always, the CPU's default (oneDNN)
// when it is another, and CUDA when a device is there.
std::vector<Backend*> backends() {
  std::vector<Backend*> all{&reference_backend()};
  if (Backend& cpu = backend_for(Device::CPU); &cpu != &reference_backend()) all.push_back(&cpu);
  try {
    all.push_back(&backend_for(Device::CUDA));
  } catch (const Error&) {
    // no CUDA backend or no device: CPU backends only
  }
  return all;
}

// A fast wrong kernel is no result: the first (warm-up) run is held to the
// reference by the test mode's comparator and tolerance, as llm.c's dev/cuda
// programs check before they time. Empty when it agrees.
std::string disagreement(const Tensors& got, const OpCase& c) {
  const Tensors want = run_case(reference_backend(), c);
  for (size_t i = 0; i < got.size(); ++i) {
    const Comparison cmp = compare(got[i], want[i]);
    if (!cmp.within(c.tolerance)) return "output " + std::to_string(i) + ": " + cmp.describe(c.tolerance);
  }
  return "";
}

void time_case(benchmark::State& state, Backend* backend, const OpCase* c) {
  CaseTensors t = prepare_case(*backend, *c);
  try {
    c->run(*backend, t.in, t.out);  // warm-up: builds and caches primitives
  } catch (const NotImplemented& e) {
    state.SkipWithError(("SKIP: " + std::string(e.what())).c_str());
    return;
  }
  if (backend != &reference_backend()) {
    Tensors got;
    for (const Tensor& y : t.out) got.push_back(y.to(Device::CPU));
    if (const std::string wrong = disagreement(got, *c); !wrong.empty()) {
      state.SkipWithError(("WRONG against the reference: " + wrong).c_str());
      return;
    }
  }
  backend->synchronize();
  for (auto _ : state) c->run(*backend, t.in, t.out);
  backend->synchronize();
  if (c->flops > 0)
    state.counters["GFLOP/s"] =
        benchmark::Counter(c->flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  for (Backend* backend : backends())
    for (const OpCase& c : all_op_cases()) {
      const std::string what = c.what.substr(c.what.find_first_not_of(' '));
      const std::string name = c.op + "/" + backend->name() + "/" + what;
      benchmark::RegisterBenchmark(name.c_str(), time_case, backend, &c)->Unit(benchmark::kMicrosecond);
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
