// The CUDA backend through the one backend harness
// (tests/backend_op_cases.h): one test case per op of the op table, with
// each op's default kernel version. tests/cuda_test_conv.cpp and
// cuda_test_gemm_dense.cpp sweep the numbered versions.
#include <catch2/catch.hpp>

#include "backend_op_cases.h"
#include "kernels/backend.h"
#include "kernels/cuda/cuda_api.h"

using namespace astrocnn;

#define ASTROCNN_BACKEND_OP(name, params)                                     \
  TEST_CASE("cuda against the reference: " #name, "[cuda][ops]") {           \
    optest::check_op_against_reference(*cuda_backend_if_device(), #name);    \
  }
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
