#include "layers/dropout.h"

#include "core/ops.h"
#include "core/tensor/philox.h"

namespace astrocnn {

Dropout::Dropout(double p) : p_(p) {
  ASTRO_CHECK(p >= 0 && p < 1, "Dropout: the probability p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training()) return x;
  // Each call takes a fresh slice of the global Philox stream, one position
  // per element, so successive masks differ, yet a run is reproducible from
  // manual_seed() and every backend draws the same mask.
  Rng& rng = global_rng();
  uint64_t offset = rng.reserve(static_cast<uint64_t>(x.numel()));
  return ops::dropout(x, p_, true, rng.seed(), offset);
}

OnnxValue Dropout::export_onnx(OnnxGraph&, const std::string&, const OnnxValue& x) {
  return {x.name, forward(x.probe)};
}

}  // namespace astrocnn
