// Chain: layers applied in order, each under a name of our choosing, so a
// network built from it reads like its layer table and its state_dict names
// are those of the PyTorch module it mirrors ("conv1.weight", "layer1.0.bn1.*",
// "features.0.weight"). Sequential would name its children "0", "1", ...
// Layers without parameters (ReLU, pooling) still get a name, which appears
// nowhere in the state_dict.
#pragma once
#include <memory>
#include <string>
#include <utility>

#include "core/module.h"

namespace astrocnn::models {

class Chain : public Module {
 public:
  explicit Chain(std::string type_name) : type_name_(std::move(type_name)) {}

  // Appends m under `name` and returns it (typed, for later access).
  template <class M>
  std::shared_ptr<M> add(const std::string& name, std::shared_ptr<M> m) {
    return register_module(name, std::move(m));
  }

  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& [name, child] : children()) y = child->forward(y);
    return y;
  }
  std::string type_name() const override { return type_name_; }
  // The children's nodes in order (core/onnx_graph.h).
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override {
    return export_children_onnx(g, path, x);
  }

 private:
  std::string type_name_;
};

}  // namespace astrocnn::models
