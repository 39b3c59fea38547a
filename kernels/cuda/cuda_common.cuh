// Helpers shared by the .cu files of the CUDA backend: the stream, the
// launch helpers (grid sizes and launch checks), tensor pointer access with
// checks, a scratch buffer from the caching allocator and block-wide reductions.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/tensor/tensor.h"
#include "kernels/cuda/cuda_check.h"

namespace astrocnn::cuda {

// ---- runtime.cu ----
cudaStream_t stream();  // the one stream every kernel and copy runs on
// Reports a failed launch (bad configuration, no kernel image) naming the
// kernel. With ASTROCNN_CUDA_SYNC=1 in the environment it also waits for the
// kernel, so an illegal address is reported by the kernel that caused it
// rather than by a later copy (slow; for debugging).
void check_launch(const char* kernel);
void require_device();  // throws Error with the reason when no usable device is present
int device_compute_capability();  // major * 10 + minor
// Throws Error "<what> needs compute capability 8.0 or newer, this device
// has 7.5" unless device_compute_capability() >= needed (major * 10 + minor).
void require_compute_capability(int needed, const char* what);
int device_multiprocessor_count();  // SMs of the device, for grid-size heuristics

// ---- launch geometry ----
constexpr int kThreads = 256;  // block size of the flat (one thread per element) kernels

// Blocks for a grid-stride loop over n elements: enough to fill the GPU,
// never more than the loop needs, and never 0 (callers skip n == 0 anyway).
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, 65536));
}

__device__ __forceinline__ int64_t first_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_stride() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

// ---- launches ----
// Every kernel of the backend is launched through one of these two helpers,
// so each launch is checked and a failure names the kernel (check_launch).
// The arguments convert to the kernel's parameter types as in a <<<>>> launch.

// kernel<<<grid, block, smem, stream>>>(args...), then check_launch(name).
// For the launches whose grid the caller computes: 2-D/3-D tilings (grid
// ceil-divs each dimension by its tile), one block per row or channel, and
// grids capped on purpose.
template <class... Params, class... Args>
void launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
            cudaStream_t stream, Args&&... args) {
  kernel<<<grid, block, smem, stream>>>(std::forward<Args>(args)...);
  check_launch(name);
}

// A flat kernel over n elements: kThreads per block, grid_for(n) blocks
// (the ceil-div, capped). Only for kernels that walk their n elements with
// a grid-stride loop, for (i = first_index(); i < n; i += grid_stride()):
// past the cap a kernel without one would silently leave elements out.
// n is not passed to the kernel (put it in args). Launches nothing when n == 0.
template <class... Params, class... Args>
void launch_1d(const char* name, void (*kernel)(Params...), int64_t n, cudaStream_t stream,
               Args&&... args) {
  if (n <= 0) return;
  launch(name, kernel, grid_for(n), kThreads, 0, stream, std::forward<Args>(args)...);
}

// ---- tensor access ----
// The data of a float32 tensor on the CUDA device, or an Error naming the op
// (the CUDA backend takes nothing else; float64 runs on the CPU reference).
const float* in_f32(const Tensor& t, const char* op);
float* out_f32(Tensor& t, const char* op);
const int64_t* in_i64(const Tensor& t, const char* op);

// ---- scratch memory ----
// Device memory for a kernel's temporaries, taken from (and given back to)
// the caching allocator. Freed blocks are reused by later work on the same
// stream, which is ordered after the kernels that used them, so no sync is needed.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T> T* as() { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// ---- reductions (blockDim.x a multiple of 32, at most 1024) ----
__device__ __forceinline__ double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// The sum of v over the block, returned to every thread. The order of the
// additions depends only on blockDim, so results are reproducible run to run.
// Every thread of the block must call it (it synchronises).
__device__ __forceinline__ double block_sum(double v) {
  __shared__ double warp_sums[32];
  __shared__ double total;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x / 32) ? warp_sums[lane] : 0.0;
    v = warp_sum(v);
    if (lane == 0) total = v;
  }
  __syncthreads();
  const double result = total;
  __syncthreads();  // a following call may overwrite `total` only after everyone read it
  return result;
}

}  // namespace astrocnn::cuda
