// Parameter-free activation layers: ReLU, LeakyReLU and Maxout (header only: each is one op call).
#pragma once
#include <cstdint>
#include <string>

#include "core/module.h"
#include "core/ops.h"

namespace astrocnn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::relu(x); }
  std::string type_name() const override { return "ReLU"; }
};

// Leaky ReLU (Maas et al., 2013): slope * x for x <= 0, as torch.nn.LeakyReLU.
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope_(slope) {
    ASTRO_CHECK(slope >= 0, "LeakyReLU: the slope must be >= 0, got ", slope);
  }
  Tensor forward(const Tensor& x) override { return ops::leaky_relu(x, slope_); }
  std::string type_name() const override { return "LeakyReLU"; }
  double slope() const { return slope_; }

 private:
  double slope_;
};

// Maxout (Goodfellow et al., 2013): the maximum over groups of k consecutive
// channels (or features of an [N,F] input), so dimension 1 shrinks k-fold.
class Maxout : public Module {
 public:
  explicit Maxout(int64_t k) : k_(k) {
    ASTRO_CHECK(k > 0, "Maxout: the group size k must be positive, got ", k);
  }
  Tensor forward(const Tensor& x) override { return ops::maxout(x, k_); }
  std::string type_name() const override { return "Maxout"; }
  int64_t k() const { return k_; }

 private:
  int64_t k_;
};

}  // namespace astrocnn
