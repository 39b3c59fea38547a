// The host-side API of the CUDA backend, in plain C++ (no CUDA headers), for
// the command line (`astrocnn info`), tests and benchmarks. Everything here
// exists only in builds with ASTROCNN_HAVE_CUDA.
//
// Nothing touches the GPU before the first call of cuda_backend_if_device()
// (directly, through backend_for(Device::CUDA) or through any function here);
// that first call probes the driver, and when a usable device is present it
// installs the CUDA DeviceRuntime (caching allocator, copies) for Device::CUDA.
// On a machine without a GPU or without a driver every function below still
// works: the backend is simply absent and unavailable_reason() says why.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/backend.h"

namespace astrocnn {

// The CUDA backend, or nullptr when no usable CUDA device is present.
Backend* cuda_backend_if_device();
// Why cuda_backend_if_device() is nullptr ("" when a device is present).
std::string cuda_unavailable_reason();
// One line for `astrocnn info`: device name, compute capability, SMs, memory,
// driver and runtime versions -- or "not available: <reason>".
std::string cuda_device_summary();

// ---- kernel versions (see the numbered files in kernels/cuda/) ----
// Version 0 means "the default". The environment variables ASTROCNN_SGEMM_VERSION
// and ASTROCNN_CONV_VERSION set the starting choice; set_*_version overrides it.
// Setting an unknown version throws Error listing the known ones.
int sgemm_version_count();
int sgemm_version();                   // the version dense layers use now (resolved, >= 1)
void set_sgemm_version(int version);   // 0 restores the default
std::string sgemm_version_name(int version);
// What a version's multiplies read the operands as: fp32, or tf32 / bf16 for
// the tensor-core versions (kernels/precision.h), which tests hold to that
// format's error bound.
Precision sgemm_version_precision(int version);
bool sgemm_version_is_tf32(int version);
int conv_version_count();
int conv_version();
void set_conv_version(int version);
std::string conv_version_name(int version);
Precision conv_version_precision(int version);  // as sgemm_version_precision

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major, on raw
// device pointers, with the current (or the given, when version > 0) SGEMM
// version, on the backend's stream. op(A) = A^T when trans_a (A is then
// stored K x M). When beta == 0, C is never read (it may hold NaN).
void cuda_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                int64_t ldc, int version = 0);

// ---- testing / benchmarking hooks ----
void cuda_poison(Tensor& t);  // fills a CUDA tensor with NaN bytes (0xFF) on the device
void cuda_synchronize();      // waits for the backend's stream; reports pending kernel errors
// The backend's stream, as an opaque pointer (a cudaStream_t), for benchmarks
// that time our kernels with CUDA events or run baselines on the same stream.
void* cuda_stream_handle();

struct CudaAllocatorStats {
  uint64_t device_mallocs = 0;   // cudaMalloc calls so far (flat in the steady state)
  uint64_t cache_hits = 0;       // allocations served from the free lists
  size_t bytes_in_use = 0;       // held by live tensors (in size-class units)
  size_t bytes_cached = 0;       // free blocks kept for reuse
};
CudaAllocatorStats cuda_allocator_stats();
void cuda_release_cached_memory();  // cudaFree every cached (unused) block

}  // namespace astrocnn
