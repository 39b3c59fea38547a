// The Catch2 main for the test executables. Before any test runs it turns on
// NaN-poisoning of new CPU allocations, so a kernel that leaves an output
// element unwritten produces NaN and fails its comparison.
//
// The ISA matrix (tests/CMakeLists.txt) runs this program once per oneDNN
// instruction-set cap, with ONEDNN_MAX_CPU_ISA=X and ASTROCNN_TEST_ISA=X. A
// cap is only a ceiling: on a CPU without X oneDNN silently runs something
// lower, and the entry would test nothing new. So when oneDNN's code path is
// not X, the program says why and exits with 4, which CTest counts as
// skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/tensor/storage.h"
#if defined(ASTROCNN_HAVE_ONEDNN)
#include "kernels/cpu/onednn_backend.h"
#endif

namespace {

constexpr int kSkipped = 4;  // SKIP_RETURN_CODE of the ISA matrix entries

// True when the ISA the matrix asks for is the one oneDNN runs.
bool on_requested_isa() {
  const char* wanted = std::getenv("ASTROCNN_TEST_ISA");
  if (wanted == nullptr || *wanted == '\0') return true;
#if defined(ASTROCNN_HAVE_ONEDNN)
  const std::string running = astrocnn::cpu_isa_name();
  if (running == wanted) {
    std::printf("oneDNN code path: %s (%s)\n", running.c_str(), astrocnn::cpu_isa_cap().c_str());
    return true;
  }
  std::printf("SKIP: ASTROCNN_TEST_ISA=%s, but oneDNN runs %s here: this CPU lacks %s\n", wanted,
              running.c_str(), wanted);
#else
  std::printf("SKIP: ASTROCNN_TEST_ISA=%s needs the oneDNN backend, which this build lacks\n", wanted);
#endif
  return false;
}

}  // namespace

int main(int argc, char* argv[]) {
  if (!on_requested_isa()) return kSkipped;
  astrocnn::set_poison_allocations(true);
  return Catch::Session().run(argc, argv);
}
