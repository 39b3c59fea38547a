// Flattens every dimension from start_dim on into one ([N,C,H,W] -> [N,C*H*W]
// by default), like torch.nn.Flatten. A view: no copy.
#pragma once
#include <cstdint>
#include <string>

#include "core/module.h"

namespace astrocnn {

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1) : start_dim_(start_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim_); }
  std::string type_name() const override { return "Flatten"; }
  int64_t start_dim() const { return start_dim_; }

 private:
  int64_t start_dim_;
};

}  // namespace astrocnn
