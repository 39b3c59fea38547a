// A chain of modules applied in order, like torch.nn.Sequential. Children are
// named "0", "1", ... so state_dict names read "0.weight", "3.running_mean".
#pragma once
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>

#include "core/module.h"

namespace astrocnn {

class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  // Appends m under the next index and returns it (typed, for later access).
  template <class M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    return register_module(std::to_string(children().size()), std::move(m));
  }

  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  // The children's nodes in order.
  OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) override;

  size_t size() const { return children().size(); }
  Module& operator[](size_t i) const;
};

}  // namespace astrocnn
