// The op interface every backend implements: reference (plain loops, the
// oracle), cpu (oneDNN) and cuda (hand-written kernels).
//
// Conventions, the same for every backend:
// - Callers (core/ops/*.cpp) validate shapes and allocate every output; a
//   kernel writes every element of its outputs (tests poison them with NaN
//   first) and never resizes anything.
// - Backward kernels OVERWRITE their gradient outputs; autograd does the summing.
// - All tensors of one call live on the backend's device and share a dtype
//   (labels are int64). The reference backend takes float32 and float64.
// - A backend that lacks an op inherits the default, which throws
//   NotImplemented naming the op; test harnesses report that as SKIP.
//
// The ops themselves are listed once, in kernels/backend_ops.inc.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"
#include "kernels/params.h"
#include "kernels/precision.h"

namespace astrocnn {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Device device() const = 0;
  // Whether convolutions and dense layers honour this math precision
  // (kernels/precision.h). Every backend takes fp32; callers check the
  // others before setting them (the CLI's --precision does).
  virtual bool supports(Precision p) const { return p == Precision::FP32; }
  // Waits until the work queued on this backend's device is done (a GPU
  // backend's ops are asynchronous; the CPU's return when done). Timers
  // above the kernels (core/trace.cpp) call it, never a runtime directly.
  virtual void synchronize() {}

  // Every op, one virtual method each, from the op table (what each computes
  // is written there).
#define ASTROCNN_BACKEND_OP(name, params) virtual void name params;
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP

 protected:
  [[noreturn]] void missing(const char* op) const;
};

// The names of every op of the table, in its order (for test harnesses).
const std::vector<std::string>& backend_op_names();

// ---- registry ----
// The backend that runs ops on tensors of this device: for CPU the oneDNN
// backend when built, unless the reference backend is forced by
// ASTROCNN_BACKEND=reference or force_reference_backend(true).
Backend& backend_for(Device d);
Backend& reference_backend();
// Float64 tensors on the CPU always run on the reference backend (the only
// one that takes double), which is how gradient checks run in double.
inline Backend& backend_for(const Tensor& t) {
  if (t.device() == Device::CPU && t.dtype() != DType::F32) return reference_backend();
  return backend_for(t.device());
}
void register_backend(Device d, Backend* backend);  // not owned; nullptr unregisters
void force_reference_backend(bool on);
bool reference_backend_forced();

// RAII: run everything on the reference backend while alive (tests, oracles).
class ReferenceBackendGuard {
 public:
  ReferenceBackendGuard() : previous_(reference_backend_forced()) { force_reference_backend(true); }
  ~ReferenceBackendGuard() { force_reference_backend(previous_); }

 private:
  bool previous_;
};

}  // namespace astrocnn
