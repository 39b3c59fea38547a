// Fully connected layer, like torch.nn.Linear: y = x weight^T + bias, with
// parameters "weight" [out, in] and, unless disabled, "bias" [out].
#pragma once
#include <cstdint>
#include <string>

#include "core/module.h"

namespace astrocnn {

class Dense : public Module {
 public:
  Dense(int64_t in_features, int64_t out_features, bool bias = true);

  Tensor forward(const Tensor& x) override;  // x [N, in] -> [N, out]
  std::string type_name() const override { return "Dense"; }
  // Gemm with transB: the weight stays in its [out, in] layout.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }  // undefined when the layer has no bias

  // PyTorch's default: weight and bias uniform in +-1/sqrt(in_features)
  // (kaiming_uniform_ with a = sqrt(5) gives exactly that bound).
  void reset_parameters();

 private:
  int64_t in_features_, out_features_;
  Tensor weight_, bias_;
};

}  // namespace astrocnn
