// The test modes of the one backend harness (tests/backend_op_cases.h):
// each case of the table run on a backend and compared with the reference
// backend, in float32 and in the reduced precisions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "backend_op_cases.h"
#include "core/tensor/error.h"

namespace astrocnn::optest {

namespace {

struct Comparison {
  double max_diff = 0, max_want = 0;
  int64_t worst = -1, nan_mismatches = 0, first_nan_mismatch = -1;
  double error() const { return max_diff / std::max(max_want, 1e-30); }
};

Comparison compare(const Tensor& got, const Tensor& want) {
  const std::vector<double> g = got.to(DType::F64).to_vector<double>();
  const std::vector<double> w = want.to(DType::F64).to_vector<double>();
  Comparison c;
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::isnan(g[i]) || std::isnan(w[i])) {
      if (std::isnan(g[i]) != std::isnan(w[i]) && c.nan_mismatches++ == 0)
        c.first_nan_mismatch = static_cast<int64_t>(i);
      continue;
    }
    if (std::isinf(w[i]) || std::isinf(g[i])) {  // infinities must match exactly
      if (g[i] != w[i]) c.max_diff = INFINITY, c.worst = static_cast<int64_t>(i);
      continue;
    }
    const double diff = std::fabs(g[i] - w[i]);
    if (diff > c.max_diff) c.max_diff = diff, c.worst = static_cast<int64_t>(i);
    c.max_want = std::max(c.max_want, std::fabs(w[i]));
  }
  return c;
}

}  // namespace

void check_op_against_reference(Backend& backend, const std::string& op, Tolerance loosest) {
  int64_t found = 0;
  for (const OpCase& c : all_op_cases()) {
    if (c.op != op) continue;
    ++found;
    Tensors got;
    try {
      got = run_case(backend, c);
    } catch (const NotImplemented& e) {
      WARN("SKIP: " << backend.name() << " " << op << ": " << e.what());
      return;
    }
    const Tensors want = run_case(reference_backend(), c);
    const double tolerance = std::max(c.tolerance.normwise, loosest.normwise);
    for (size_t i = 0; i < got.size(); ++i) {
      const Comparison cmp = compare(got[i], want[i]);
      INFO(backend.name() << " " << op << " " << c.what << ", output " << i << " of " << got.size()
                          << ": error " << cmp.error() << " (max |diff| " << cmp.max_diff << " at element "
                          << cmp.worst << ", max |reference| " << cmp.max_want << "; allowed "
                          << tolerance << " of max(that, " << c.tolerance.terms << ")), " << cmp.nan_mismatches
                          << " NaN on one side only (first at element " << cmp.first_nan_mismatch
                          << "). The kernel disagrees with kernels/reference/ on the contract in "
                             "kernels/backend_ops.inc; an element left unwritten shows as NaN.");
      CHECK(cmp.nan_mismatches == 0);
      CHECK(cmp.max_diff <= tolerance * std::max(cmp.max_want, c.tolerance.terms));
    }
  }
  INFO("op '" << op << "' of kernels/backend_ops.inc has no case: add one to tests/backend_op_cases.cpp");
  CHECK(found > 0);
}

// ---- Mixed precision ----

bool is_matrix_product(const std::string& op) {
  return op.rfind("conv2d_", 0) == 0 || op.rfind("dense_", 0) == 0;
}

namespace {

// The case with every input replaced by its absolute value.
OpCase with_absolute_inputs(const OpCase& c) {
  OpCase a = c;
  for (Tensor& t : a.inputs) {
    Tensor abs = t.clone();
    float* v = abs.data<float>();
    for (int64_t i = 0, n = abs.numel(); i < n; ++i) v[i] = std::fabs(v[i]);
    t = abs;
  }
  return a;
}

Tensors run_in(Precision precision, Backend& backend, const OpCase& c) {
  MathPrecisionGuard guard(precision);
  return run_case(backend, c);
}

}  // namespace

void check_op_in_precision(Backend& backend, const std::string& op, Precision precision) {
  const double u = unit_roundoff(precision);
  for (const OpCase& c : all_op_cases()) {
    if (c.op != op) continue;
    Tensors got;
    try {
      got = run_in(precision, backend, c);
    } catch (const NotImplemented& e) {
      WARN("SKIP: " << backend.name() << " " << op << ": " << e.what());
      return;
    }
    const Tensors exact = run_in(Precision::FP32, reference_backend(), c);
    const Tensors oracle = run_in(precision, reference_backend(), c);
    const Tensors size = run_in(Precision::FP32, reference_backend(), with_absolute_inputs(c));
    for (size_t i = 0; i < got.size(); ++i) {
      const auto g = got[i].to(DType::F64).to_vector<double>();
      const auto e = exact[i].to(DType::F64).to_vector<double>();
      const auto m = size[i].to(DType::F64).to_vector<double>();
      const double max_size = *std::max_element(m.begin(), m.end());
      // Rounding both operands of a product to the format errs by at most
      // (2u + u^2) of |a||b|, so output j is within (2u + u^2) * size_j of the
      // exact result, size_j being the sum of the |a||b| it adds; float32
      // accumulation in another order adds kFloat32 of the largest size.
      int64_t beyond = 0, first = -1;
      double worst_ratio = 0;
      for (size_t j = 0; j < g.size(); ++j) {
        const double allowed = (2 * u + u * u) * m[j] + kFloat32.normwise * max_size;
        const double diff = std::fabs(g[j] - e[j]);
        if (!(diff <= allowed) && beyond++ == 0) first = static_cast<int64_t>(j);
        worst_ratio = std::max(worst_ratio, diff / std::max(allowed, 1e-30));
      }
      INFO(backend.name() << " " << op << " in " << precision_name(precision) << ", " << c.what
                          << ", output " << i << ": " << beyond << " elements beyond the format's bound "
                          << "(2u + u^2) * sum|a||b| + 1e-4 max (u = " << u << "; first at element "
                          << first << ", worst at " << worst_ratio << " of its bound). Are the operands "
                          << "rounded to " << precision_name(precision) << " and accumulated in float32?");
      CHECK(beyond == 0);
      // The same operands as the oracle (the reference rounds them to
      // nearest even): then only the order of the float32 sums differs.
      const Comparison cmp = compare(got[i], oracle[i]);
      INFO("against the reference in " << precision_name(precision) << ": error " << cmp.error()
                                       << " (max |diff| " << cmp.max_diff << " at element " << cmp.worst
                                       << "); a larger one means other rounding than round-to-nearest-even");
      CHECK(cmp.nan_mismatches == 0);
      CHECK(cmp.max_diff <= std::max(c.tolerance.normwise, kFloat32.normwise) *
                                std::max(cmp.max_want, c.tolerance.terms));
    }
  }
}

}  // namespace astrocnn::optest
