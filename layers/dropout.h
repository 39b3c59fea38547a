// Inverted dropout, like torch.nn.Dropout: in training each element is zeroed
// with probability p and the survivors are scaled by 1/(1-p); in evaluation
// the layer is the identity.
#pragma once
#include <string>

#include "core/module.h"

namespace astrocnn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  // No node: the identity at inference.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace astrocnn
