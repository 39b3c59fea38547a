#include "layers/dense.h"

#include <cmath>

#include "core/init.h"
#include "core/ops.h"

namespace astrocnn {

Dense::Dense(int64_t in_features, int64_t out_features, bool bias)
    : in_features_(in_features), out_features_(out_features) {
  ASTRO_CHECK(in_features > 0 && out_features > 0, "Dense: feature counts must be positive, got ",
              in_features, " -> ", out_features);
  weight_ = register_parameter("weight", Tensor::empty({out_features, in_features}));
  if (bias) bias_ = register_parameter("bias", Tensor::empty({out_features}));
  reset_parameters();
}

void Dense::reset_parameters() {
  init::kaiming_uniform_(weight_, std::sqrt(5.0));
  if (bias_.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in_features_));
    init::uniform_(bias_, -bound, bound);
  }
}

Tensor Dense::forward(const Tensor& x) { return ops::dense(x, weight_, bias_); }

OnnxValue Dense::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  // Gemm: alpha * x * B' + beta * C with B = weight [out, in] (PyTorch's layout) and transB.
  return {g.add_node("Gemm", path, g.weighted_inputs(x.name, path, weight_, bias_),
                     {onnx_int("transB", 1)}),
          forward(x.probe)};
}

}  // namespace astrocnn
