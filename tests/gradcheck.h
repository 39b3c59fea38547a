// Test helpers: finite-difference gradient checks and tensor comparisons.
//
// check_gradients(f, inputs) runs f on float64 inputs, reduces the output to
// a scalar with a fixed random projection (so every output element matters,
// each with a different weight), backpropagates, and compares every input
// gradient with central differences (f(x+h) - f(x-h)) / 2h, element by element.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor/philox.h"
#include "core/tensor/tensor.h"

namespace astrocnn::testing {

// Uniform values in [lo, hi) from a seeded Philox stream.
inline Tensor random_tensor(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1,
                            DType dtype = DType::F64) {
  Rng rng(seed);
  std::vector<double> v(shape_numel(shape));
  for (double& x : v) x = lo + (hi - lo) * rng.uniform();
  return Tensor::from_vector(v, shape).to(dtype);
}

// Reduces any tensor to a scalar: sum_i y_i * r_i with r fixed by `seed`.
inline Tensor project(const Tensor& y, uint64_t seed = 977) {
  Tensor flat = y.reshape({1, -1});
  Tensor r = random_tensor({1, flat.size(1)}, seed, -1, 1, y.dtype());
  return ops::dense(flat, r, Tensor());
}

struct GradcheckOptions {
  double eps = 1e-6;         // finite-difference step
  double atol = 1e-6;        // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-5;
  int64_t max_elements = 400;  // per input; larger inputs are sampled evenly
};

// f maps the inputs to any tensor; inputs must be float64 CPU tensors.
inline void check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                            std::vector<Tensor> inputs, const GradcheckOptions& opt = {}) {
  for (auto& t : inputs) {
    REQUIRE(t.dtype() == DType::F64);
    t.set_requires_grad(true);
    t.zero_grad();
  }
  Tensor loss = project(f(inputs));
  loss.backward();

  NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    Tensor g = x.grad();
    INFO("input " << k << " " << x.str());
    REQUIRE(g.defined());
    std::vector<double> analytic = g.to_vector<double>();
    double* d = x.data<double>();
    int64_t n = x.numel();
    int64_t step = std::max<int64_t>(1, n / opt.max_elements);
    for (int64_t i = 0; i < n; i += step) {
      double saved = d[i];
      d[i] = saved + opt.eps;
      double up = project(f(inputs)).item();
      d[i] = saved - opt.eps;
      double down = project(f(inputs)).item();
      d[i] = saved;
      double numeric = (up - down) / (2 * opt.eps);
      INFO("element " << i << ": analytic " << analytic[i] << " vs finite difference " << numeric
                      << " (a wrong backward kernel or a missing term in the op's Node)");
      CHECK(std::abs(analytic[i] - numeric) <= opt.atol + opt.rtol * std::abs(numeric));
    }
  }
}

// Element-wise closeness: |a - b| <= atol + rtol * |b|, NaN never close.
template <class T>
inline void check_close(const std::vector<T>& a, const std::vector<T>& b, double rtol = 1e-5,
                        double atol = 1e-6, const std::string& what = "") {
  REQUIRE(a.size() == b.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double diff = std::abs(static_cast<double>(a[i]) - b[i]);
    if (!(diff <= atol + rtol * std::abs(static_cast<double>(b[i])))) {
      if (bad++ == 0) first = i;
    }
  }
  INFO(what << ": " << bad << " of " << a.size() << " elements differ; first at " << first
            << " (got " << (a.empty() ? 0.0 : double(a[first])) << ", expected "
            << (b.empty() ? 0.0 : double(b[first])) << ")");
  CHECK(bad == 0);
}

inline void check_close(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-6,
                        const std::string& what = "") {
  REQUIRE(a.shape() == b.shape());
  check_close(a.to(DType::F64).to_vector<double>(), b.to(DType::F64).to_vector<double>(), rtol,
              atol, what);
}

}  // namespace astrocnn::testing
