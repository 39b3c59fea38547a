// Flattens every dimension from start_dim on into one ([N,C,H,W] -> [N,C*H*W]
// by default), like torch.nn.Flatten. A view: no copy.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/module.h"

namespace astrocnn {

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1) : start_dim_(start_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim_); }
  std::string type_name() const override { return "Flatten"; }
  // Flatten for start_dim 1, else a Reshape to [0, ..., 0, -1] (0 copies
  // the input's dimension, -1 takes what is left).
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override {
    if (start_dim_ == 1)
      return {g.add_node("Flatten", path, {x.name}, {onnx_int("axis", 1)}), forward(x.probe)};
    std::vector<int64_t> shape(static_cast<size_t>(start_dim_), 0);
    shape.push_back(-1);
    const std::string shape_name = g.add_int64_initializer(path + ".shape", shape);
    return {g.add_node("Reshape", path, {x.name, shape_name}), forward(x.probe)};
  }
  int64_t start_dim() const { return start_dim_; }

 private:
  int64_t start_dim_;
};

}  // namespace astrocnn
