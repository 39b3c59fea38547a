// The Catch2 main for the test executables. Before any test runs it turns on
// NaN-poisoning of new CPU allocations, so a kernel that leaves an output
// element unwritten produces NaN and fails its comparison.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "core/storage.h"

int main(int argc, char* argv[]) {
  astrocnn::set_poison_allocations(true);
  return Catch::Session().run(argc, argv);
}
