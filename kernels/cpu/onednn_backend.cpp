// The backend instance and the thread-count control.
#include "kernels/cpu/onednn_backend.h"

#include <dlfcn.h>

#include <cstdlib>
#include <thread>

#include "kernels/cpu/dnnl_context.h"

namespace astrocnn {
namespace {

// Debian's oneDNN is built on OpenMP (libgomp), which has no oneDNN-level
// thread control in the 2.x API. libgomp is already loaded as a dependency of
// libdnnl, so its two entry points are looked up at run time rather than
// linked: linking them would need -fopenmp on the whole library.
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();

SetThreadsFn omp_set_threads() {
  static auto fn = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  return fn;
}
GetThreadsFn omp_max_threads() {
  static auto fn = reinterpret_cast<GetThreadsFn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  return fn;
}

}  // namespace

void set_cpu_threads(int threads) {
  ASTRO_CHECK(threads > 0, "set_cpu_threads: thread count must be positive, got ", threads);
  SetThreadsFn set = omp_set_threads();
  ASTRO_CHECK(set != nullptr,
              "set_cpu_threads: this oneDNN does not use OpenMP; set its threads another way");
  cpu::Context& ctx = cpu::Context::get();
  auto lock = ctx.lock();
  set(threads);
  ctx.clear_cache();  // primitives are specialised for the thread count they were built with
}

int cpu_threads() {
  GetThreadsFn get = omp_max_threads();
  if (get) return get();
  return static_cast<int>(std::thread::hardware_concurrency());
}

size_t cpu_primitive_cache_size() {
  cpu::Context& ctx = cpu::Context::get();
  auto lock = ctx.lock();
  return ctx.cache_size();
}

std::string cpu_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "generic (no vector ISA oneDNN knows)";
  }
}

std::string cpu_isa_cap() {
  for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"})
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0')
      return std::string(name) + "=" + value;
  return "";
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

namespace {
// oneDNN 2.x implements bf16 convolutions and inner products from AVX-512
// (avx512_core) up; below that it has none.
bool has_bf16_kernels() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
         isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}
}  // namespace

std::string bf16_unavailable_reason() {
  if (has_bf16_kernels()) return "";
  const std::string cap = cpu_isa_cap();
  return "oneDNN's bf16 kernels need AVX-512 (avx512_core), and this CPU's code path is " +
         cpu_isa_name() + (cap.empty() ? "" : ", capped by " + cap);
}

bool OneDnnBackend::supports(Precision p) const {
  if (p == Precision::FP32) return true;
  if (p == Precision::BF16) return has_bf16_kernels();
  return false;
}

Backend& onednn_backend() {
  static OneDnnBackend instance;
  return instance;
}

}  // namespace astrocnn
