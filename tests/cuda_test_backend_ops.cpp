// The CUDA backend through the one backend harness
// (tests/backend_op_cases.h): one test case per op of the op table. Ops
// whose kernels come in numbered versions (convolution; dense layers, through
// SGEMM) run every case once per version; tensor-core versions (TF32, BF16)
// are held to their format's error bound instead (check_op_in_precision).
#include <catch2/catch.hpp>

#include <string>

#include "backend_op_cases.h"
#include "kernels/backend.h"
#include "kernels/cuda/cuda_api.h"

using namespace astrocnn;

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

void check_every_version(const std::string& op) {
  Backend& cuda = *cuda_backend_if_device();
  if (starts_with(op, "conv2d")) {
    for (int v = 1; v <= conv_version_count(); ++v) {
      INFO("convolution version " << conv_version_name(v));
      set_conv_version(v);
      optest::check_op_against_reference(cuda, op);
    }
    set_conv_version(0);
  } else if (starts_with(op, "dense")) {
    for (int v = 1; v <= sgemm_version_count(); ++v) {
      INFO("SGEMM version " << sgemm_version_name(v));
      set_sgemm_version(v);
      const Precision precision = sgemm_version_precision(v);
      if (precision == Precision::FP32)
        optest::check_op_against_reference(cuda, op);
      else  // a tensor-core version: held to its format's bound (tests/backend_op_cases.h)
        optest::check_op_in_precision(cuda, op, precision);
    }
    set_sgemm_version(0);
  } else {
    optest::check_op_against_reference(cuda, op);
  }
}

}  // namespace

#define ASTROCNN_BACKEND_OP(name, params)                                     \
  TEST_CASE("cuda against the reference: " #name, "[cuda][ops]") {           \
    check_every_version(#name);                                               \
  }
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
