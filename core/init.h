// Weight initialisers, with PyTorch's names and formulas (torch.nn.init).
//
// Each function overwrites the tensor's values in place (it keeps its
// identity, dtype and device, and the call is not recorded by autograd).
// Values are drawn on the host in double from a Philox stream and then
// converted, so a seed gives the same weights on every device. The overloads
// without an Rng draw from global_rng().
#pragma once
#include <cstdint>

#include "core/tensor/philox.h"
#include "core/tensor/tensor.h"

namespace astrocnn::init {

// Fan-in and fan-out of a weight, as PyTorch computes them: for a dense
// weight [out, in] they are in and out; for a convolution weight
// [K, C/groups, R, S] they are C/groups*R*S and K*R*S. Needs at least 2 dimensions.
struct Fans {
  int64_t fan_in = 0, fan_out = 0;
};
Fans compute_fans(const Shape& shape);

enum class FanMode { FanIn, FanOut };

// Gain of the leaky ReLU with negative slope `a`: sqrt(2 / (1 + a^2)).
// a = 0 is the ReLU gain sqrt(2); a = sqrt(5) is what PyTorch's default layer
// initialisation uses (it makes the bound of kaiming_uniform_ 1/sqrt(fan_in)).
double leaky_relu_gain(double a);

void normal_(Tensor& t, double mean, double std, Rng& rng);
void normal_(Tensor& t, double mean = 0, double std = 1);

// Uniform in [lo, hi).
void uniform_(Tensor& t, double lo, double hi, Rng& rng);
void uniform_(Tensor& t, double lo = 0, double hi = 1);

void constant_(Tensor& t, double value);

// He et al. (2015): std = gain / sqrt(fan), gain = leaky_relu_gain(a).
// The uniform variant draws in [-bound, bound] with bound = sqrt(3) * std.
void kaiming_normal_(Tensor& t, double a, FanMode mode, Rng& rng);
void kaiming_normal_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn);
void kaiming_uniform_(Tensor& t, double a, FanMode mode, Rng& rng);
void kaiming_uniform_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn);

// Glorot & Bengio (2010): std = gain * sqrt(2 / (fan_in + fan_out)); the
// uniform variant draws in [-bound, bound] with bound = sqrt(3) * std.
void xavier_normal_(Tensor& t, double gain, Rng& rng);
void xavier_normal_(Tensor& t, double gain = 1);
void xavier_uniform_(Tensor& t, double gain, Rng& rng);
void xavier_uniform_(Tensor& t, double gain = 1);

}  // namespace astrocnn::init
