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

}  // namespace astrocnn
