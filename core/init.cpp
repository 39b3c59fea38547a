#include "core/init.h"

#include <cmath>
#include <vector>

namespace astrocnn::init {

namespace {

void check_floating(const char* fn, const Tensor& t) {
  ASTRO_CHECK(t.defined(), "init::", fn, ": the tensor is undefined");
  ASTRO_CHECK(t.dtype() != DType::I64, "init::", fn,
              ": expected a floating-point tensor, got ", t.str());
}

// Overwrites t with values computed on the host in double, converted to t's
// dtype and device. copy_from writes the storage directly, so parameters keep
// their identity and nothing is recorded on the autograd tape.
void assign_host_values(Tensor& t, const std::vector<double>& values) {
  Tensor host = Tensor::from_vector(values, t.shape());
  t.copy_from(host.to(t.dtype()).to(t.device()));
}

int64_t chosen_fan(const Tensor& t, FanMode mode) {
  Fans f = compute_fans(t.shape());
  return mode == FanMode::FanIn ? f.fan_in : f.fan_out;
}

}  // namespace

Fans compute_fans(const Shape& shape) {
  ASTRO_CHECK(shape.size() >= 2, "init: fan in/out needs a weight with at least 2 dimensions, got ",
              shape_str(shape));
  // Everything after the two channel dimensions is the receptive field (R*S).
  int64_t receptive_field = 1;
  for (size_t d = 2; d < shape.size(); ++d) receptive_field *= shape[d];
  return Fans{shape[1] * receptive_field, shape[0] * receptive_field};
}

double leaky_relu_gain(double a) { return std::sqrt(2.0 / (1.0 + a * a)); }

void normal_(Tensor& t, double mean, double std, Rng& rng) {
  check_floating("normal_", t);
  ASTRO_CHECK(std >= 0, "init::normal_: std must be >= 0, got ", std);
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (double& x : v) x = mean + std * rng.normal();
  assign_host_values(t, v);
}

void uniform_(Tensor& t, double lo, double hi, Rng& rng) {
  check_floating("uniform_", t);
  ASTRO_CHECK(lo <= hi, "init::uniform_: needs lo <= hi, got [", lo, ", ", hi, ")");
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (double& x : v) x = lo + (hi - lo) * static_cast<double>(rng.uniform());
  assign_host_values(t, v);
}

void constant_(Tensor& t, double value) {
  check_floating("constant_", t);
  assign_host_values(t, std::vector<double>(static_cast<size_t>(t.numel()), value));
}

void kaiming_normal_(Tensor& t, double a, FanMode mode, Rng& rng) {
  check_floating("kaiming_normal_", t);
  double std = leaky_relu_gain(a) / std::sqrt(static_cast<double>(chosen_fan(t, mode)));
  normal_(t, 0.0, std, rng);
}

void kaiming_uniform_(Tensor& t, double a, FanMode mode, Rng& rng) {
  check_floating("kaiming_uniform_", t);
  // A uniform on [-b, b] has standard deviation b / sqrt(3).
  double bound = leaky_relu_gain(a) * std::sqrt(3.0 / static_cast<double>(chosen_fan(t, mode)));
  uniform_(t, -bound, bound, rng);
}

void xavier_normal_(Tensor& t, double gain, Rng& rng) {
  check_floating("xavier_normal_", t);
  Fans f = compute_fans(t.shape());
  normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(f.fan_in + f.fan_out)), rng);
}

void xavier_uniform_(Tensor& t, double gain, Rng& rng) {
  check_floating("xavier_uniform_", t);
  Fans f = compute_fans(t.shape());
  double bound = gain * std::sqrt(6.0 / static_cast<double>(f.fan_in + f.fan_out));
  uniform_(t, -bound, bound, rng);
}

// ---- the same, drawing from the process-wide generator ----
void normal_(Tensor& t, double mean, double std) { normal_(t, mean, std, global_rng()); }
void uniform_(Tensor& t, double lo, double hi) { uniform_(t, lo, hi, global_rng()); }
void kaiming_normal_(Tensor& t, double a, FanMode mode) { kaiming_normal_(t, a, mode, global_rng()); }
void kaiming_uniform_(Tensor& t, double a, FanMode mode) { kaiming_uniform_(t, a, mode, global_rng()); }
void xavier_normal_(Tensor& t, double gain) { xavier_normal_(t, gain, global_rng()); }
void xavier_uniform_(Tensor& t, double gain) { xavier_uniform_(t, gain, global_rng()); }

}  // namespace astrocnn::init
