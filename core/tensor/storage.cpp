#include "core/tensor/storage.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/tensor/error.h"

namespace astrocnn {
namespace {

std::atomic<bool> g_poison{false};

// 64-byte aligned host memory: a cache line, and what AVX-512 loads like.
class HostAllocator final : public Allocator {
 public:
  void* allocate(size_t bytes) override {
    size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (!p) throw std::bad_alloc();
    if (g_poison.load()) std::memset(p, 0xFF, rounded == 0 ? 64 : rounded);  // 0xFFFFFFFF is a NaN
    return p;
  }
  void deallocate(void* ptr, size_t) override { std::free(ptr); }
  const char* name() const override { return "host-aligned"; }
};

class HostRuntime final : public DeviceRuntime {
 public:
  Allocator& allocator() override { return alloc_; }
  void copy_to_host(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void copy_from_host(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void copy_on_device(void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }

 private:
  HostAllocator alloc_;
};

HostRuntime g_host;
DeviceRuntime* g_runtimes[2] = {&g_host, nullptr};

}  // namespace

#if defined(ASTROCNN_HAVE_CUDA)
class Backend;
Backend* cuda_backend_if_device();  // kernels/cuda/runtime.cu: installs the CUDA runtime on first use
#endif

// The CUDA runtime is installed lazily by the first probe of the CUDA backend;
// a CUDA tensor may be the first thing a program creates, so probe here too.
static DeviceRuntime* runtime_or_probe(Device d) {
  DeviceRuntime* r = g_runtimes[static_cast<int>(d)];
#if defined(ASTROCNN_HAVE_CUDA)
  if (!r && d == Device::CUDA) {
    cuda_backend_if_device();
    r = g_runtimes[static_cast<int>(d)];
  }
#endif
  return r;
}

DeviceRuntime& device_runtime(Device d) {
  DeviceRuntime* r = runtime_or_probe(d);
  ASTRO_CHECK(r != nullptr, "device '", device_name(d),
              "' is not available: this build has no CUDA backend or no CUDA device was found "
              "(see `astrocnn info`)");
  return *r;
}

void set_device_runtime(Device d, DeviceRuntime* runtime) {
  g_runtimes[static_cast<int>(d)] = runtime ? runtime : (d == Device::CPU ? &g_host : nullptr);
}

bool device_available(Device d) { return runtime_or_probe(d) != nullptr; }

void set_poison_allocations(bool on) { g_poison.store(on); }
bool poison_allocations() { return g_poison.load(); }

Storage::Storage(size_t bytes, Device device)
    : bytes_(bytes), device_(device), allocator_(&device_runtime(device).allocator()) {
  data_ = allocator_->allocate(bytes);
}

Storage::~Storage() { allocator_->deallocate(data_, bytes_); }

}  // namespace astrocnn
