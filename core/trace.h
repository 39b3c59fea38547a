// A timeline of where the time of a piece of work goes, for chrome://tracing
// and https://ui.perfetto.dev (`astrocnn train --trace trace.json`).
//
// Code marks what it does with a Scope, an RAII slice: each op (core/ops/*.cpp)
// opens one for its forward pass, the autograd loop (core/autograd.cpp) one
// per node's backward, the optimiser one for its step; io/batches/traced_batches.h
// puts them all inside one "training step" slice. Slices nest by time, one
// row per thread. While nothing records (the normal case) a Scope costs one
// relaxed atomic load.
//
//   trace::start();
//   { trace::Scope op("conv2d", "forward", x); ... }   // one slice, with x's backend and shape
//   write_file_atomically("trace.json", trace::chrome_trace_json(trace::stop()), "--trace");
//
// Times are host wall-clock times. Kernels on a CUDA device run
// asynchronously, so while recording, a Scope on a CUDA tensor waits for the
// device at its start and end: each op's slice then holds its GPU time (and
// the run is slower than untraced).
#pragma once
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"

namespace astrocnn::trace {

struct Event {
  std::string name;      // "conv2d", "conv2d backward", "training step"
  std::string category;  // "forward", "backward", "loss", "optimizer", "step", "data"
  std::string backend;   // "reference", "cpu-onednn", "cuda"; empty for phases
  std::string shape;     // "[32,1,64,64]": an op's first input (forward) or the
                         // gradient it receives (backward); empty for phases
  std::string dtype;     // "float32"; empty for phases
  double start_us = 0;   // since start()
  double duration_us = 0;
  int thread = 0;        // 1 for the thread that called start(), 2, 3, ... for others
};

namespace detail {
inline std::atomic<bool> recording{false};
}

// Clears what was recorded and starts recording (from every thread).
void start();
// Stops recording and returns the slices, ordered by start time (a parent
// before the slices inside it).
std::vector<Event> stop();
inline bool recording() { return detail::recording.load(std::memory_order_relaxed); }

class Scope {
 public:
  // A phase of the work: "backward", "sgd step", "training step".
  explicit Scope(const char* name, const char* category = "step");
  // An op on `input` (its first input, or the gradient reaching a node's
  // backward): the slice records the backend that runs it and the tensor's
  // shape and dtype. `suffix` is appended to the name (" backward").
  Scope(const char* name, const char* category, const Tensor& input, const char* suffix = "");
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  void begin();

  bool active_ = false;
  bool on_cuda_ = false;
  const char* name_;
  const char* category_;
  const char* suffix_ = "";
  std::string backend_, shape_, dtype_;
  std::chrono::steady_clock::time_point start_;
};

// The Chrome trace event format: {"traceEvents": [{"name", "cat", "ph": "X",
// "ts", "dur", "pid", "tid", "args": {"backend", "shape", "dtype"}}, ...]},
// plus metadata events naming the process and the threads.
// (io/batches/traced_batches.cpp writes it, through io/output_file.h.)
std::string chrome_trace_json(const std::vector<Event>& events);

}  // namespace astrocnn::trace
