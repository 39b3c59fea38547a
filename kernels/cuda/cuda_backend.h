// The CUDA backend: hand-written kernels, float32 only. Its methods are
// defined next to the kernels they launch, one op family per .cu file in this
// directory (elementwise, activation, dense, conv2d, pool, maxout, dropout,
// batchnorm, loss, sgd). Every launch goes to the one stream of runtime.cu, so
// kernels, copies and the caching allocator's reuse of freed blocks are
// ordered without further synchronisation.
#pragma once
#include "kernels/backend.h"
#include "kernels/cuda/cuda_api.h"

namespace astrocnn {

class CudaBackend final : public Backend {
 public:
  std::string name() const override { return "cuda"; }
  Device device() const override { return Device::CUDA; }
  void synchronize() override { cuda_synchronize(); }

  // Every op of the table, defined in this directory's .cu file for its family.
#define ASTROCNN_BACKEND_OP(name, params) void name params override;
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP
};

}  // namespace astrocnn
