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

// A numbered kernel family, as cuda_api.h exposes it.
struct VersionFamily {
  const char* what;
  int (*count)();
  std::string (*name)(int);
  Precision (*precision)(int);
  void (*set)(int);
};
const VersionFamily kConvolution{"convolution", conv_version_count, conv_version_name,
                                 conv_version_precision, set_conv_version};
const VersionFamily kSgemm{"SGEMM", sgemm_version_count, sgemm_version_name, sgemm_version_precision,
                           set_sgemm_version};

void check_every_version(const std::string& op) {
  Backend& cuda = *cuda_backend_if_device();
  const VersionFamily* family = starts_with(op, "conv2d") ? &kConvolution
                                : starts_with(op, "dense") ? &kSgemm
                                                           : nullptr;
  if (!family) return optest::check_op_against_reference(cuda, op);
  for (int v = 1; v <= family->count(); ++v) {
    INFO(family->what << " version " << family->name(v));
    family->set(v);
    // Each version carries its precision as data: a tensor-core version is
    // held to its format's bound (tests/backend_op_cases.h), the others to float32.
    const Precision precision = family->precision(v);
    if (precision == Precision::FP32)
      optest::check_op_against_reference(cuda, op);
    else
      optest::check_op_in_precision(cuda, op, precision);
  }
  family->set(0);
}

}  // namespace

#define ASTROCNN_BACKEND_OP(name, params)                                     \
  TEST_CASE("cuda against the reference: " #name, "[cuda][ops]") {           \
    check_every_version(#name);                                               \
  }
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
