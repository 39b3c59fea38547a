// The CUDA device runtime: probing for a device, the caching allocator, the
// one stream, host <-> device copies, and the backend instance.
//
// Nothing here runs at program start: the first call of
// cuda_backend_if_device() probes the driver. A machine without a GPU, or
// without a driver at all (cudaGetDeviceCount then returns an error), simply
// has no CUDA backend, and the reason is kept for `astrocnn info` and for the
// tests' skip message.
#include <cuda_runtime.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "core/tensor/storage.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_common.cuh"

namespace astrocnn {
namespace cuda {
namespace {

// ---- the caching allocator ---------------------------------------------------
//
// cudaMalloc and cudaFree are slow (cudaFree synchronises the device), and a
// training step allocates the same sizes every iteration. So freed blocks are
// kept on free lists, one per size class, and handed out again: after the
// first step no allocation reaches cudaMalloc. Reuse needs no synchronisation
// because every kernel and copy runs on the one stream: work queued after the
// free is ordered after the work that used the block.

// Sizes are rounded up to one of four classes per power of two (so at most
// 25% is wasted), and never below kMinBlock.
constexpr size_t kMinBlock = 512;

size_t size_class(size_t bytes) {
  if (bytes <= kMinBlock) return kMinBlock;
  size_t pow2 = kMinBlock;  // the largest power of two below `bytes`
  while (pow2 * 2 < bytes) pow2 *= 2;
  const size_t step = std::max(kMinBlock, pow2 / 4);
  return (bytes + step - 1) / step * step;
}

class CachingDeviceAllocator final : public Allocator {
 public:
  explicit CachingDeviceAllocator(cudaStream_t stream) : stream_(stream) {}

  void* allocate(size_t bytes) override {
    const size_t size = size_class(bytes);
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<void*>& list = free_[size];
      if (!list.empty()) {
        p = list.back();
        list.pop_back();
        bytes_cached_ -= size;
        ++cache_hits_;
      } else {
        p = device_malloc_locked(size);
      }
      bytes_in_use_ += size;
    }
    // Tests turn poisoning on: every block comes back full of NaN (0xFFFFFFFF),
    // so a kernel that leaves an output element unwritten is caught.
    if (poison_allocations()) ASTRO_CUDA_CHECK(cudaMemsetAsync(p, 0xFF, size, stream_));
    return p;
  }

  // Called from ~Storage, so it must not throw, and it makes no CUDA call:
  // the block only goes back on its free list.
  void deallocate(void* ptr, size_t bytes) override {
    if (!ptr) return;
    const size_t size = size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      free_[size].push_back(ptr);
      bytes_cached_ += size;
    } catch (const std::bad_alloc&) {
      // No room to remember the block: leak it rather than throw from a destructor.
    }
    bytes_in_use_ -= size;
  }

  const char* name() const override { return "cuda-caching"; }

  CudaAllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    CudaAllocatorStats s;
    s.device_mallocs = device_mallocs_;
    s.cache_hits = cache_hits_;
    s.bytes_in_use = bytes_in_use_;
    s.bytes_cached = bytes_cached_;
    return s;
  }

  void release_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  }

 private:
  // cudaMalloc; when the device is full, give every cached block back and try once more.
  void* device_malloc_locked(size_t size) {
    void* p = nullptr;
    cudaError_t status = cudaMalloc(&p, size);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear the error before retrying
      release_cached_locked();
      status = cudaMalloc(&p, size);
    }
    if (status != cudaSuccess) {
      cudaGetLastError();
      throw Error(detail::concat("CUDA allocator: cannot allocate ", size, " bytes on the device (",
                                 bytes_in_use_, " bytes in use): ", cudaGetErrorString(status)));
    }
    ++device_mallocs_;
    return p;
  }

  void release_cached_locked() {
    // cudaFree synchronises with the device, so no kernel still uses these blocks.
    for (auto& [size, list] : free_) {
      for (void* p : list) ASTRO_CUDA_CHECK(cudaFree(p));
      bytes_cached_ -= size * list.size();
      list.clear();
    }
  }

  cudaStream_t stream_;
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> free blocks
  uint64_t device_mallocs_ = 0, cache_hits_ = 0;
  size_t bytes_in_use_ = 0, bytes_cached_ = 0;
};

// ---- copies -------------------------------------------------------------------
//
// Uploads go through two pinned (page-locked) staging buffers: the host data
// is copied into one while the DMA engine drains the other, and the call
// returns as soon as the last chunk is staged (the caller may free its buffer
// at once). A buffer is refilled only after the event recorded behind its
// previous DMA has completed. Downloads wait for the stream, since the
// caller reads the data right after.
class Staging {
 public:
  static constexpr size_t kChunk = size_t(4) << 20;  // 4 MiB per buffer

  // False when pinned memory is not available; uploads then copy directly.
  bool ready() {
    if (tried_) return buffers_[0].host != nullptr;
    tried_ = true;
    for (Buffer& b : buffers_) {
      if (cudaHostAlloc(&b.host, kChunk, cudaHostAllocDefault) != cudaSuccess ||
          cudaEventCreateWithFlags(&b.done, cudaEventDisableTiming) != cudaSuccess) {
        cudaGetLastError();
        b.host = nullptr;
        buffers_[0].host = nullptr;  // all or nothing
        return false;
      }
    }
    return true;
  }

  void upload(void* dev_dst, const void* host_src, size_t bytes, cudaStream_t stream) {
    auto* dst = static_cast<char*>(dev_dst);
    auto* src = static_cast<const char*>(host_src);
    for (size_t done = 0; done < bytes; done += kChunk) {
      const size_t n = std::min(kChunk, bytes - done);
      Buffer& b = buffers_[next_];
      next_ = 1 - next_;
      if (b.in_flight) ASTRO_CUDA_CHECK(cudaEventSynchronize(b.done));
      std::memcpy(b.host, src + done, n);
      ASTRO_CUDA_CHECK(cudaMemcpyAsync(dst + done, b.host, n, cudaMemcpyHostToDevice, stream));
      ASTRO_CUDA_CHECK(cudaEventRecord(b.done, stream));
      b.in_flight = true;
    }
  }

 private:
  struct Buffer {
    void* host = nullptr;
    cudaEvent_t done = nullptr;
    bool in_flight = false;
  };
  Buffer buffers_[2];
  int next_ = 0;
  bool tried_ = false;
};

class CudaRuntime final : public DeviceRuntime {
 public:
  CudaRuntime() {
    ASTRO_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    allocator_ = new CachingDeviceAllocator(stream_);
  }

  Allocator& allocator() override { return *allocator_; }
  CachingDeviceAllocator& caching_allocator() { return *allocator_; }
  cudaStream_t stream() const { return stream_; }

  void copy_to_host(void* host_dst, const void* dev_src, size_t bytes) override {
    if (bytes == 0) return;
    ASTRO_CUDA_CHECK(cudaMemcpyAsync(host_dst, dev_src, bytes, cudaMemcpyDeviceToHost, stream_));
    ASTRO_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  void copy_from_host(void* dev_dst, const void* host_src, size_t bytes) override {
    if (bytes == 0) return;
    std::lock_guard<std::mutex> lock(staging_mutex_);
    // Small copies are not worth staging: the driver stages pageable memory itself.
    if (bytes >= kStageAbove && staging_.ready()) {
      staging_.upload(dev_dst, host_src, bytes, stream_);
    } else {
      ASTRO_CUDA_CHECK(cudaMemcpyAsync(dev_dst, host_src, bytes, cudaMemcpyHostToDevice, stream_));
    }
  }

  void copy_on_device(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    ASTRO_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
  }

 private:
  static constexpr size_t kStageAbove = size_t(64) << 10;
  cudaStream_t stream_ = nullptr;
  CachingDeviceAllocator* allocator_ = nullptr;  // lives as long as the process
  std::mutex staging_mutex_;
  Staging staging_;
};

// ---- the probe ------------------------------------------------------------------

// A kernel whose only use is to ask whether this binary holds code for the device.
__global__ void probe_kernel() {}

struct DeviceState {
  bool usable = false;
  std::string reason;  // why not usable
  cudaDeviceProp prop{};
  int driver_version = 0, runtime_version = 0;
  // Created once and never destroyed: tensors freed during static destruction
  // still return their blocks here, and the CUDA runtime may already be gone
  // by then, so there is no safe moment to tear it down.
  CudaRuntime* runtime = nullptr;
};

std::string error_text(cudaError_t status) {
  return detail::concat(cudaGetErrorString(status), " (", cudaGetErrorName(status), ")");
}

DeviceState probe() {
  DeviceState s;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    s.reason = "the CUDA runtime cannot use a device here: " + error_text(status);
    return s;
  }
  if (count == 0) {
    s.reason = "no CUDA device found";
    return s;
  }
  cudaDriverGetVersion(&s.driver_version);
  cudaRuntimeGetVersion(&s.runtime_version);
  status = cudaGetDeviceProperties(&s.prop, 0);
  if (status == cudaSuccess) status = cudaSetDevice(0);
  if (status != cudaSuccess) {
    cudaGetLastError();
    s.reason = "CUDA device 0 cannot be opened: " + error_text(status);
    return s;
  }
  cudaFuncAttributes attributes{};
  status = cudaFuncGetAttributes(&attributes, probe_kernel);
  if (status != cudaSuccess) {
    cudaGetLastError();
    s.reason = detail::concat("device '", s.prop.name, "' (compute ", s.prop.major, ".",
                              s.prop.minor, ") has no kernel code in this build (",
                              error_text(status), "); rebuild with -DASTROCNN_CUDA_ARCHS=",
                              s.prop.major, s.prop.minor);
    return s;
  }
  try {
    s.runtime = new CudaRuntime();
  } catch (const Error& e) {
    s.reason = std::string("the CUDA runtime could not be set up: ") + e.what();
    return s;
  }
  s.usable = true;
  set_device_runtime(Device::CUDA, s.runtime);
  return s;
}

const DeviceState& device_state() {
  static const DeviceState state = probe();  // thread-safe, once
  return state;
}

CudaRuntime& runtime() {
  require_device();
  return *device_state().runtime;
}

bool sync_after_every_launch() {
  static const bool on = [] {
    const char* v = std::getenv("ASTROCNN_CUDA_SYNC");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
}

}  // namespace

void require_device() {
  const DeviceState& s = device_state();
  ASTRO_CHECK(s.usable, "the CUDA backend is not available: ", s.reason);
}

int device_compute_capability() {
  require_device();
  return device_state().prop.major * 10 + device_state().prop.minor;
}

void require_compute_capability(int needed, const char* what) {
  const int have = device_compute_capability();
  ASTRO_CHECK(have >= needed, what, " needs compute capability ", needed / 10, ".", needed % 10,
              " or newer, this device has ", have / 10, ".", have % 10);
}

int device_multiprocessor_count() {
  require_device();
  return device_state().prop.multiProcessorCount;
}

cudaStream_t stream() { return runtime().stream(); }

void check_launch(const char* kernel) {
  cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess)
    throw Error(detail::concat("CUDA kernel '", kernel, "' could not be launched: ", error_text(status)));
  if (sync_after_every_launch()) {
    status = cudaStreamSynchronize(stream());
    if (status != cudaSuccess)
      throw Error(detail::concat("CUDA kernel '", kernel, "' failed: ", error_text(status)));
  }
}

static void check_tensor(const Tensor& t, DType dtype, const char* op) {
  ASTRO_CHECK(t.defined(), "cuda backend: ", op, ": a tensor argument is undefined");
  ASTRO_CHECK(t.device() == Device::CUDA && t.dtype() == dtype, "cuda backend: ", op, " takes ",
              dtype_name(dtype), " tensors on the cuda device, got ", t.str());
}

const float* in_f32(const Tensor& t, const char* op) {
  check_tensor(t, DType::F32, op);
  return static_cast<const float*>(t.raw());
}

float* out_f32(Tensor& t, const char* op) {
  check_tensor(t, DType::F32, op);
  return static_cast<float*>(t.raw());
}

const int64_t* in_i64(const Tensor& t, const char* op) {
  check_tensor(t, DType::I64, op);
  return static_cast<const int64_t*>(t.raw());
}

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  ptr_ = runtime().allocator().allocate(bytes);
}

DeviceBuffer::~DeviceBuffer() { device_state().runtime->allocator().deallocate(ptr_, bytes_); }

}  // namespace cuda

// ---- the public API (kernels/cuda/cuda_api.h) --------------------------------------

Backend* cuda_backend_if_device() {
  static CudaBackend backend;
  return cuda::device_state().usable ? &backend : nullptr;
}

std::string cuda_unavailable_reason() { return cuda::device_state().reason; }

std::string cuda_device_summary() {
  const auto& s = cuda::device_state();
  if (!s.usable) return "not available: " + s.reason;
  char numbers[256];
  std::snprintf(numbers, sizeof numbers,
                "compute %d.%d, %d SMs, %.1f GiB memory, driver %d.%d, runtime %d.%d",
                s.prop.major, s.prop.minor, s.prop.multiProcessorCount,
                static_cast<double>(s.prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0),
                s.driver_version / 1000, (s.driver_version % 1000) / 10,
                s.runtime_version / 1000, (s.runtime_version % 1000) / 10);
  return std::string(s.prop.name) + ", " + numbers;
}

void cuda_poison(Tensor& t) {
  ASTRO_CHECK(t.device() == Device::CUDA, "cuda_poison: expected a cuda tensor, got ", t.str());
  if (t.nbytes() == 0) return;
  ASTRO_CUDA_CHECK(cudaMemsetAsync(t.raw(), 0xFF, t.nbytes(), cuda::stream()));
}

void cuda_synchronize() { ASTRO_CUDA_CHECK(cudaStreamSynchronize(cuda::stream())); }

void* cuda_stream_handle() { return static_cast<void*>(cuda::stream()); }

CudaAllocatorStats cuda_allocator_stats() {
  return cuda::runtime().caching_allocator().stats();
}

void cuda_release_cached_memory() {
  ASTRO_CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
  cuda::runtime().caching_allocator().release_cached();
}

}  // namespace astrocnn
