// The backend instance and the thread-count control.
#include "kernels/cpu/onednn_backend.h"

#include <dlfcn.h>

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

bool OneDnnBackend::supports(Precision p) const {
  if (p == Precision::FP32) return true;
  // oneDNN 2.x implements bf16 convolutions and inner products from
  // AVX-512 (avx512_core) up; below that it has none.
  if (p == Precision::BF16) {
    const auto isa = dnnl::get_effective_cpu_isa();
    return isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
           isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
  }
  return false;
}

Backend& onednn_backend() {
  static OneDnnBackend instance;
  return instance;
}

}  // namespace astrocnn
