#include "core/trace.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>

#include "kernels/backend.h"

namespace astrocnn::trace {

namespace {

using Clock = std::chrono::steady_clock;

// What is being recorded. Slices arrive from any thread as their scopes end.
struct Recording {
  std::mutex mutex;
  std::vector<Event> events;
  Clock::time_point origin;
  int generation = 0;  // bumped by start(), so thread ids restart at each recording
  int next_thread = 2;
};

Recording& recording_state() {
  static Recording r;
  return r;
}

// This thread's id in the current recording (caller holds the mutex).
thread_local int t_generation = -1;
thread_local int t_thread = 0;

int thread_id(Recording& r) {
  if (t_generation != r.generation) {
    t_generation = r.generation;
    t_thread = r.next_thread++;
  }
  return t_thread;
}

void wait_for_device(bool on_cuda) {
  if (on_cuda) backend_for(Device::CUDA).synchronize();
}

double microseconds(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

void start() {
  Recording& r = recording_state();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.events.clear();
  r.origin = Clock::now();
  ++r.generation;
  r.next_thread = 2;
  t_generation = r.generation;  // the caller is thread 1
  t_thread = 1;
  detail::recording.store(true);
}

std::vector<Event> stop() {
  Recording& r = recording_state();
  detail::recording.store(false);
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<Event> events = std::move(r.events);
  r.events.clear();
  // Slices are recorded as they end (children first); a parent starts no
  // later than its children and lasts longer.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.start_us != b.start_us) return a.start_us < b.start_us;
    return a.duration_us > b.duration_us;
  });
  return events;
}

Scope::Scope(const char* name, const char* category) : name_(name), category_(category) {
  if (recording()) begin();
}

Scope::Scope(const char* name, const char* category, const Tensor& input, const char* suffix)
    : name_(name), category_(category), suffix_(suffix) {
  if (!recording()) return;
  if (input.defined()) {
    backend_ = backend_for(input).name();
    shape_ = shape_str(input.shape());
    dtype_ = dtype_name(input.dtype());
    on_cuda_ = input.device() == Device::CUDA;
  }
  begin();
}

void Scope::begin() {
  active_ = true;
  wait_for_device(on_cuda_);  // earlier asynchronous work is not this slice's
  start_ = Clock::now();
}

Scope::~Scope() {
  if (!active_) return;
  wait_for_device(on_cuda_);
  const Clock::time_point end = Clock::now();
  if (!recording()) return;  // stop() came first: the slice is not part of the trace
  Recording& r = recording_state();
  std::lock_guard<std::mutex> lock(r.mutex);
  Event e;
  e.name = std::string(name_) + suffix_;
  e.category = category_;
  e.backend = std::move(backend_);
  e.shape = std::move(shape_);
  e.dtype = std::move(dtype_);
  e.start_us = microseconds(start_ - r.origin);
  e.duration_us = microseconds(end - start_);
  e.thread = thread_id(r);
  r.events.push_back(std::move(e));
}

std::string chrome_trace_json(const std::vector<Event>& events) {
  using nlohmann::json;
  json all = json::array();
  all.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "astrocnn"}}}});
  std::vector<int> threads;
  for (const Event& e : events) {
    json slice = {{"name", e.name}, {"cat", e.category}, {"ph", "X"}, {"ts", e.start_us},
                  {"dur", e.duration_us}, {"pid", 1}, {"tid", e.thread}};
    if (!e.backend.empty()) slice["args"] = {{"backend", e.backend}, {"shape", e.shape}, {"dtype", e.dtype}};
    all.push_back(std::move(slice));
    if (std::find(threads.begin(), threads.end(), e.thread) == threads.end()) threads.push_back(e.thread);
  }
  std::sort(threads.begin(), threads.end());
  for (int t : threads)
    all.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", t},
                   {"args", {{"name", t == 1 ? "main" : "worker " + std::to_string(t - 1)}}}});
  return json{{"traceEvents", all}, {"displayTimeUnit", "ms"}}.dump(1) + "\n";
}

}  // namespace astrocnn::trace
