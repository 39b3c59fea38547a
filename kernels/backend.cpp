#include "kernels/backend.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace astrocnn {

void Backend::missing(const char* op) const {
  throw NotImplemented(detail::concat("op '", op, "' is not implemented by the ", name(),
                                     " backend"));
}

// The defaults: an op a backend does not override throws NotImplemented.
// (Their parameters are unused by design.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define ASTROCNN_BACKEND_OP(name, params) \
  void Backend::name params { missing(#name); }
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
#pragma GCC diagnostic pop

const std::vector<std::string>& backend_op_names() {
  static const std::vector<std::string> names = {
#define ASTROCNN_BACKEND_OP(name, params) #name,
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
  };
  return names;
}

namespace {
Backend* g_backends[2] = {nullptr, nullptr};
std::atomic<int> g_force_reference{-1};  // -1: not decided yet, read the environment once

bool env_forces_reference() {
  const char* v = std::getenv("ASTROCNN_BACKEND");
  return v && std::strcmp(v, "reference") == 0;
}
}  // namespace

void register_backend(Device d, Backend* backend) { g_backends[static_cast<int>(d)] = backend; }

void force_reference_backend(bool on) { g_force_reference.store(on ? 1 : 0); }

bool reference_backend_forced() {
  int v = g_force_reference.load();
  if (v < 0) {
    v = env_forces_reference() ? 1 : 0;
    g_force_reference.store(v);
  }
  return v == 1;
}

// The built-in fast backends are reached through these functions rather than
// static registrar objects: a registrar in a static library is dropped by the
// linker when nothing refers to its object file.
#if defined(ASTROCNN_HAVE_ONEDNN)
Backend& onednn_backend();  // kernels/cpu/
#endif
#if defined(ASTROCNN_HAVE_CUDA)
Backend* cuda_backend_if_device();  // kernels/cuda/: nullptr when no CUDA device is present
#endif

Backend& backend_for(Device d) {
  if (d == Device::CPU) {
    if (reference_backend_forced()) return reference_backend();
    if (g_backends[0]) return *g_backends[0];
#if defined(ASTROCNN_HAVE_ONEDNN)
    return onednn_backend();
#else
    return reference_backend();
#endif
  }
  Backend* b = g_backends[static_cast<int>(d)];
#if defined(ASTROCNN_HAVE_CUDA)
  if (!b) b = cuda_backend_if_device();
#endif
  ASTRO_CHECK(b != nullptr, "no backend for device '", device_name(d),
              "': this build has no CUDA backend or no CUDA device was found");
  return *b;
}

}  // namespace astrocnn
