// The CPU backend built on oneDNN (Debian's libdnnl, the 2.x C++ API).
//
// oneDNN runs the compute-heavy ops (convolution, pooling, inner product,
// batch norm, softmax, sigmoid, add); the ops it lacks or gets subtly
// different from the interface (maxout, dropout, SGD, fill, scale, ReLU's NaN
// rule) are plain loops, and the losses, which are tiny, are delegated to the
// reference backend. Only float32 reaches this backend:
// backend_for() sends float64 tensors to the reference backend.
//
// This header is free of oneDNN types so that anything may include it; the
// oneDNN plumbing (engine, stream, primitive cache) lives in dnnl_context.h,
// and a cached primitive with its arguments (reorders included) in
// dnnl_primitive.h.
// Calls are serialised by one mutex (the cached primitives own scratch
// buffers); oneDNN parallelises inside each call.
#pragma once
#include <cstddef>
#include <string>

#include "kernels/backend.h"

namespace astrocnn {

// oneDNN's thread count. Debian's oneDNN uses OpenMP, so this sets OpenMP's
// default team size for the calling thread (OMP_NUM_THREADS gives the initial
// value) and drops the cached primitives, which oneDNN tunes for a thread count.
void set_cpu_threads(int threads);
int cpu_threads();

// How many op/shape entries the primitive cache holds (tests check that a
// repeated call builds nothing new).
size_t cpu_primitive_cache_size();

// The instruction set oneDNN's kernels run on, in oneDNN's own names
// ("avx2", "avx512_core", "avx512_core_bf16", "avx512_core_amx", ...): the
// best the CPU has, or lower where ONEDNN_MAX_CPU_ISA caps it. float32 sums
// differ between these code paths, which is why the test suite runs under
// each cap the machine allows (tests/CMakeLists.txt, the ISA matrix).
std::string cpu_isa_name();
// The cap set in the environment, as "ONEDNN_MAX_CPU_ISA=avx2" (or the
// older DNNL_MAX_CPU_ISA), or "" when none is.
std::string cpu_isa_cap();
// "2.6.3": the oneDNN library loaded at run time.
std::string onednn_version();
// Why bf16 is missing on this CPU ("oneDNN's bf16 kernels need AVX-512
// (avx512_core), and this CPU's code path is avx2"), or "" when it is there.
std::string bf16_unavailable_reason();

class OneDnnBackend final : public Backend {
 public:
  std::string name() const override { return "cpu-onednn"; }
  Device device() const override { return Device::CPU; }
  // fp32, and bf16 on CPUs with AVX-512 (native with AVX512_BF16 or AMX,
  // emulated by oneDNN on plain AVX-512). Not tf32: no CPU has it.
  bool supports(Precision p) const override;

  // Every op of the table, defined in this directory's file for its family
  // (the same names as kernels/reference/: activation, batchnorm, conv2d,
  // dense, dropout, elementwise, loss, maxout, pool, sgd). The losses are
  // delegated to the reference backend.
#define ASTROCNN_BACKEND_OP(name, params) void name params override;
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
};

// The process-wide instance (kernels/backend.cpp's backend_for(Device::CPU) returns it).
Backend& onednn_backend();

}  // namespace astrocnn
