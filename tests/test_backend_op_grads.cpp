// The grad mode of the one backend harness (tests/backend_op_cases.h): one
// test case per op of the op table. Each forward case with a `grad` runs its
// op through core/ops in float64 on the reference backend, and the gradients
// its backward kernels give are compared with central finite differences.
// The test mode then holds every other backend's backward kernels to the
// reference's, so together they check every backend's gradients.
#include <catch2/catch.hpp>

#include "backend_op_cases.h"
#include "kernels/backend.h"

using namespace astrocnn;

#define ASTROCNN_BACKEND_OP(name, params)                                  \
  TEST_CASE("grad: " #name " against finite differences", "[gradcheck][ops]") { \
    optest::check_op_gradients(#name);                                     \
  }
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
