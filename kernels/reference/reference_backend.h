// The reference backend: plain loops, obviously correct, templated on the
// scalar type so that tests can run them in double. It is the oracle every
// other backend is tested against. Its methods are defined next to the loops
// they call, one op family per file in this directory.
#pragma once
#include "kernels/backend.h"

namespace astrocnn {

// Not final: bench/recording_backend.h replaces two of its ops.
class ReferenceBackend : public Backend {
 public:
  std::string name() const override { return "reference"; }
  Device device() const override { return Device::CPU; }
  // Every precision, by rounding the operands (kernels/precision.h).
  bool supports(Precision) const override { return true; }

  // Every op of the table, defined in this directory's file for its family.
#define ASTROCNN_BACKEND_OP(name, params) void name params override;
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
};

// Runs `body` with T = float or double according to `dtype`.
#define ASTRO_REFERENCE_DISPATCH(dtype, T, ...)                                        \
  do {                                                                                 \
    switch (dtype) {                                                                   \
      case ::astrocnn::DType::F32: { using T = float; __VA_ARGS__; break; }            \
      case ::astrocnn::DType::F64: { using T = double; __VA_ARGS__; break; }           \
      default: throw ::astrocnn::Error("reference backend: unsupported dtype int64"); \
    }                                                                                  \
  } while (0)

}  // namespace astrocnn
