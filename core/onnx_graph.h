// The ONNX graph as the layers see it when `astrocnn export` writes a model
// (docs/EXPORT.md). Each layer maps itself onto ONNX nodes in its own file,
// in Module::export_onnx, through this interface, which holds no ONNX or
// protobuf type: io/onnx/onnx_export.h implements it with ONNX's classes.
//
//   OnnxValue ReLU::export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
//     return {g.add_node("Relu", path, {x.name}), forward(x.probe)};
//   }
//
// Nodes are named after their modules (`path`, the state_dict prefix such as
// "layer1.0.conv1"), and so are the results they compute; a layer's tensors
// become float32 initializers named like the state_dict ("layer1.0.conv1.weight").
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor/tensor.h"

namespace astrocnn {

// A value of the graph and the astrocnn tensor it stands for: the module's
// output on a probe image of batch size 1. Some attributes depend on the
// input size at that point (TensorFlow-style SAME padding, Maxout's reshape),
// which the layers read off the probe.
struct OnnxValue {
  std::string name;
  Tensor probe;
};

// One attribute of a node: an int, a float or a list of ints (onnx_int,
// onnx_float and onnx_ints make them).
struct OnnxAttribute {
  enum class Kind { Int, Float, Ints };
  std::string name;
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  std::vector<int64_t> ints;
};
using OnnxAttributes = std::vector<OnnxAttribute>;

inline OnnxAttribute onnx_int(std::string name, int64_t value) {
  return {std::move(name), OnnxAttribute::Kind::Int, value, 0, {}};
}
inline OnnxAttribute onnx_float(std::string name, double value) {
  return {std::move(name), OnnxAttribute::Kind::Float, 0, value, {}};
}
inline OnnxAttribute onnx_ints(std::string name, std::vector<int64_t> values) {
  return {std::move(name), OnnxAttribute::Kind::Ints, 0, 0, std::move(values)};
}

// The name of module `path`'s child `child` ("layer1" + "0" = "layer1.0").
inline std::string onnx_child_path(const std::string& path, const std::string& child) {
  return path.empty() ? child : path + "." + child;
}

class OnnxGraph {
 public:
  virtual ~OnnxGraph() = default;

  // Appends the node `op` (an ai.onnx operator) named `name`, which
  // computes one output, also named `name`, from `inputs`; returns `name`.
  virtual std::string add_node(const std::string& op, const std::string& name,
                               const std::vector<std::string>& inputs,
                               const OnnxAttributes& attributes = {}) = 0;
  // A float32 initializer named `name` holding t's values (a tensor of any
  // dtype and device is converted); returns `name`.
  virtual std::string add_initializer(const std::string& name, const Tensor& t) = 0;
  // A 1-D int64 initializer (a shape for Reshape); returns `name`.
  virtual std::string add_int64_initializer(const std::string& name,
                                            const std::vector<int64_t>& values) = 0;

  // The inputs of a Conv or Gemm named `name` on x: x, then the layer's
  // weight and, when defined, bias as initializers "name.weight", "name.bias".
  std::vector<std::string> weighted_inputs(const std::string& x, const std::string& name,
                                           const Tensor& weight, const Tensor& bias) {
    std::vector<std::string> inputs = {x, add_initializer(name + ".weight", weight)};
    if (bias.defined()) inputs.push_back(add_initializer(name + ".bias", bias));
    return inputs;
  }
};

}  // namespace astrocnn
