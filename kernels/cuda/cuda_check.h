// ASTRO_CUDA_CHECK(call): runs a CUDA runtime call and turns a failure into
// an astrocnn::Error that names the call, where it was made and what CUDA
// said, e.g.
//   CUDA call 'cudaMalloc(&p, size)' failed at kernels/cuda/runtime.cu:80:
//   out of memory (cudaErrorMemoryAllocation)
// Plain C++: usable from .cpp files (tests, benches) as well as from .cu files.
#pragma once
#include <cuda_runtime_api.h>

#include <string>

#include "core/tensor/error.h"

namespace astrocnn::cuda_detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                          int line) {
  // Reset the thread's "last error" so that a later launch check does not
  // report this failure again (sticky errors, which poison the context, stay).
  cudaGetLastError();
  throw Error(detail::concat("CUDA call '", call, "' failed at ", file, ":", line, ": ",
                             cudaGetErrorString(status), " (", cudaGetErrorName(status), ")"));
}

}  // namespace astrocnn::cuda_detail

#define ASTRO_CUDA_CHECK(call)                                                        \
  do {                                                                                \
    const cudaError_t astro_cuda_status_ = (call);                                    \
    if (astro_cuda_status_ != cudaSuccess)                                            \
      ::astrocnn::cuda_detail::throw_cuda_error(astro_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)
