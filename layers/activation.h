// Parameter-free activation layers: ReLU, LeakyReLU, SiLU and Maxout (header
// only: each is one op call, and a node or two of ONNX), and the registry of
// the activations a network can be built with (make_activation).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/module.h"
#include "core/ops.h"

namespace astrocnn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::relu(x); }
  std::string type_name() const override { return "ReLU"; }
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override {
    return {g.add_node("Relu", path, {x.name}), forward(x.probe)};
  }
};

// Leaky ReLU (Maas et al., 2013): slope * x for x <= 0, as torch.nn.LeakyReLU.
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope_(slope) {
    ASTRO_CHECK(slope >= 0, "LeakyReLU: the slope must be >= 0, got ", slope);
  }
  Tensor forward(const Tensor& x) override { return ops::leaky_relu(x, slope_); }
  std::string type_name() const override { return "LeakyReLU"; }
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override {
    return {g.add_node("LeakyRelu", path, {x.name}, {onnx_float("alpha", slope_)}),
            forward(x.probe)};
  }
  double slope() const { return slope_; }

 private:
  double slope_;
};

// SiLU, or swish (Elfwing et al., 2018; Ramachandran et al., 2017): x * sigmoid(x),
// as torch.nn.SiLU. Smooth where ReLU has a kink, and it lets a little
// negative signal through.
class SiLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::silu(x); }
  std::string type_name() const override { return "SiLU"; }
  // ONNX has no SiLU up to opset 23 (Swish comes in 24): x * Sigmoid(x),
  // the two nodes PyTorch exports.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override {
    const std::string s = g.add_node("Sigmoid", path + ".sigmoid", {x.name});
    return {g.add_node("Mul", path, {x.name, s}), forward(x.probe)};
  }
};

// The activations a network can be built with, by the name `--activation`
// takes (models/models.h, ModelOptions::activation). A new activation is one
// line of this table.
struct ActivationEntry {
  const char* name;
  std::shared_ptr<Module> (*make)();
};
inline const std::vector<ActivationEntry>& activations() {
  static const std::vector<ActivationEntry> table = {
      {"relu", [] { return std::shared_ptr<Module>(std::make_shared<ReLU>()); }},
      {"leaky_relu", [] { return std::shared_ptr<Module>(std::make_shared<LeakyReLU>(0.01)); }},
      {"silu", [] { return std::shared_ptr<Module>(std::make_shared<SiLU>()); }},
  };
  return table;
}
// The activation called `name`; an unknown name throws Error listing the known ones.
inline std::shared_ptr<Module> make_activation(const std::string& name) {
  std::string known;
  for (const ActivationEntry& a : activations()) {
    if (name == a.name) return a.make();
    known += (known.empty() ? "" : ", ") + std::string(a.name);
  }
  throw Error("unknown activation '" + name + "' (known: " + known + ")");
}

// Maxout (Goodfellow et al., 2013): the maximum over groups of k consecutive
// channels (or features of an [N,F] input), so dimension 1 shrinks k-fold.
class Maxout : public Module {
 public:
  explicit Maxout(int64_t k) : k_(k) {
    ASTRO_CHECK(k > 0, "Maxout: the group size k must be positive, got ", k);
  }
  Tensor forward(const Tensor& x) override { return ops::maxout(x, k_); }
  std::string type_name() const override { return "Maxout"; }
  // [N, n*k, rest...] -> Reshape [N, n, k, rest...] -> ReduceMax over the k
  // axis: entries j*k .. j*k+k-1 of dimension 1 (one group) become row j.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override {
    const Shape& in = x.probe.shape();
    ASTRO_CHECK(in.size() >= 2 && in[1] % k_ == 0, "ONNX export of Maxout '", path, "': ",
                in.size() >= 2 ? in[1] : 0, " features do not split into groups of ", k_);
    std::vector<int64_t> grouped = {0, in[1] / k_, k_};
    grouped.insert(grouped.end(), in.begin() + 2, in.end());
    const std::string shape = g.add_int64_initializer(path + ".shape", grouped);
    const std::string pieces = g.add_node("Reshape", path + ".pieces", {x.name, shape});
    // axes: an attribute up to opset 17, an input from 18 on.
    const OnnxAttributes over_k = {onnx_ints("axes", {2}), onnx_int("keepdims", 0)};
    return {g.add_node("ReduceMax", path, {pieces}, over_k), forward(x.probe)};
  }
  int64_t k() const { return k_; }

 private:
  int64_t k_;
};

}  // namespace astrocnn
