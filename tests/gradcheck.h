// Test helpers: finite-difference gradient checks and tensor comparisons.
//
// check_gradients(f, inputs) runs f on float64 inputs, reduces the output to
// a scalar with a fixed random projection (so every output element matters,
// each with a different weight), backpropagates, and compares each input's
// gradient with central differences (f(x+h) - f(x-h)) / 2h on an even sample
// of its elements, by the one comparator (tests/tensor_compare.h). The grad
// mode of the backend harness (tests/test_backend_op_grads.cpp) runs it on
// every op of the op table; the layer tests run it on whole modules.
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
#include "tensor_compare.h"

namespace astrocnn::testing {

// Uniform values in [lo, hi) from a seeded Philox stream.
inline Tensor random_tensor(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1,
                            DType dtype = DType::F64) {
  Rng rng(seed);
  std::vector<double> v(shape_numel(shape));
  for (double& x : v) x = lo + (hi - lo) * rng.uniform();
  return Tensor::from_vector(v, shape).to(dtype);
}

// Reduces a tensor of n elements to a scalar: sum_i y_i * r_i with r fixed
// by `seed` (made once: finite differences project thousands of times).
class Projection {
 public:
  Projection(const Tensor& y, uint64_t seed = 977)
      : r_(random_tensor({1, y.numel()}, seed, -1, 1, y.dtype())) {}
  Tensor operator()(const Tensor& y) const { return ops::dense(y.reshape({1, -1}), r_, Tensor()); }
  // sum_i |y_i r_i|: the size of the terms the scalar adds, which bounds
  // the rounding error of a finite difference.
  double scale(const Tensor& y) const {
    const std::vector<double> v = y.to(DType::F64).to_vector<double>();
    const std::vector<double> r = r_.to(DType::F64).to_vector<double>();
    double s = 0;
    for (size_t i = 0; i < v.size(); ++i) s += std::abs(v[i] * r[i]);
    return s;
  }

 private:
  Tensor r_;
};

struct GradcheckOptions {
  double eps = 1e-6;           // finite-difference step
  int64_t max_elements = 400;  // per input; larger inputs are sampled evenly
  int differentiate = -1;      // how many leading inputs; -1: all (the rest pass through as they are)
  std::string what;            // for messages: the op and case
};

// The tolerance of a finite-difference check, by the one comparator
// (tests/tensor_compare.h): normwise 1e-5 of the largest gradient, but never
// below 1e-8 of `scale`, the sum of |y_i r_i| the projected scalar adds up.
// Central differences in float64 with step h err by about
// 2^-52 * scale / h (2.2e-10 * scale at h = 1e-6) from rounding, plus h^2
// times a third derivative: far below both terms. A wrong backward errs by
// the order of the gradient itself.
inline optest::Tolerance finite_difference_tolerance(double scale) { return {1e-5, 1e-3 * scale}; }

// f maps the inputs to any tensor; the differentiated inputs must be float64
// CPU tensors (the reference backend, the oracle, in double).
inline void check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                            std::vector<Tensor> inputs, const GradcheckOptions& opt = {}) {
  const size_t n = opt.differentiate < 0 ? inputs.size() : static_cast<size_t>(opt.differentiate);
  for (size_t k = 0; k < n; ++k) {
    REQUIRE(inputs[k].dtype() == DType::F64);
    inputs[k].set_requires_grad(true);
    inputs[k].zero_grad();
  }
  const Tensor y = f(inputs);
  const Projection project(y);
  project(y).backward();

  NoGradGuard no_grad;
  for (size_t k = 0; k < n; ++k) {
    Tensor& x = inputs[k];
    INFO(opt.what << ": input " << k << " " << x.str());
    REQUIRE(x.grad().defined());
    const std::vector<double> all = x.grad().to_vector<double>();
    double* d = x.data<double>();
    const int64_t step = std::max<int64_t>(1, x.numel() / opt.max_elements);
    std::vector<double> analytic, numeric;
    for (int64_t i = 0; i < x.numel(); i += step) {
      const double saved = d[i];
      d[i] = saved + opt.eps;
      const double up = project(f(inputs)).item();
      d[i] = saved - opt.eps;
      const double down = project(f(inputs)).item();
      d[i] = saved;
      analytic.push_back(all[static_cast<size_t>(i)]);
      numeric.push_back((up - down) / (2 * opt.eps));
    }
    const optest::Tolerance tol = finite_difference_tolerance(project.scale(y));
    const optest::Comparison cmp = optest::compare(analytic, numeric);
    INFO(analytic.size() << " of " << x.numel() << " elements (evenly spaced), backward against finite differences: "
                         << cmp.describe(tol)
                  << " (a wrong backward kernel, or a missing term in the op's Node in core/ops/)");
    CHECK(cmp.within(tol));
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
