// Reference-counted raw memory from a pluggable allocator.
//
// A Storage is one allocation; tensors hold it through shared_ptr, so views
// (reshape, detach) share it and it is freed when the last user goes away.
// Each device has one current Allocator; the CUDA backend installs a caching
// allocator for Device::CUDA, and tests may install a poisoning one for CPU.
#pragma once
#include <cstddef>
#include <memory>

#include "core/tensor/dtype.h"

namespace astrocnn {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  virtual const char* name() const = 0;
};

// Moves bytes between devices (host <-> device); installed per device by its backend.
class DeviceRuntime {
 public:
  virtual ~DeviceRuntime() = default;
  virtual Allocator& allocator() = 0;
  virtual void copy_to_host(void* host_dst, const void* dev_src, size_t bytes) = 0;
  virtual void copy_from_host(void* dev_dst, const void* host_src, size_t bytes) = 0;
  virtual void copy_on_device(void* dst, const void* src, size_t bytes) = 0;
};

// The runtime for a device, or an Error naming the device when none is installed.
DeviceRuntime& device_runtime(Device d);
void set_device_runtime(Device d, DeviceRuntime* runtime);  // not owned
bool device_available(Device d);

// Replaces the CPU allocator's behaviour: when on, every new CPU allocation is
// filled with NaN bytes so a kernel that leaves an output element unwritten
// is caught by the tests. Off by default.
void set_poison_allocations(bool on);
bool poison_allocations();

class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
  Allocator* allocator_;
};

}  // namespace astrocnn
