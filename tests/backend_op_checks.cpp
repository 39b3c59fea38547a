// The checking modes of the one backend harness (tests/backend_op_cases.h):
// test (each case of the table run on a backend and compared with the
// reference backend, in float32 and in the reduced precisions) and grad
// (each forward case's gradients against finite differences).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "backend_op_cases.h"
#include "core/tensor/error.h"
#include "gradcheck.h"

namespace astrocnn::optest {

void check_op_against_reference(Backend& backend, const std::string& op, Tolerance at_least) {
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
    const Tolerance tolerance = loosest(c.tolerance, at_least);
    for (size_t i = 0; i < got.size(); ++i) {
      const Comparison cmp = compare(got[i], want[i]);
      INFO(backend.name() << " " << op << " " << c.what << ", output " << i << " of " << got.size()
                          << ": " << cmp.describe(tolerance)
                          << ". The kernel disagrees with kernels/reference/ on the contract in "
                             "kernels/backend_ops.inc; an element left unwritten shows as NaN.");
      CHECK(cmp.within(tolerance));
    }
  }
  INFO("op '" << op << "' of kernels/backend_ops.inc has no case: add one to tests/backend_op_cases.cpp");
  CHECK(found > 0);
}

// ---- Gradients ----

bool has_backward_kernels(const std::string& op) {
  const size_t at = op.find("_forward");
  if (at == std::string::npos) return false;
  const std::string backward = op.substr(0, at) + "_backward";
  for (const std::string& name : backend_op_names())
    if (name.rfind(backward, 0) == 0) return true;
  return false;
}

namespace {

// The cost of one run of a case, in elements touched or flops: what the
// finite differences repeat twice per sampled element.
double cost_of(const OpCase& c) {
  double elements = 0;
  for (const Tensor& t : c.inputs) elements += static_cast<double>(t.numel());
  for (const Output& o : c.outputs) elements += static_cast<double>(shape_numel(o.shape));
  return std::max(elements, c.flops);
}

}  // namespace

void check_op_gradients(const std::string& op) {
  int64_t found = 0;
  for (const OpCase& c : all_op_cases()) {
    if (c.op != op || !c.grad) continue;
    ++found;
    testing::GradcheckOptions opt;
    opt.what = op + " " + c.what;
    Tensors inputs;
    int floats = 0;
    for (const Tensor& t : c.inputs) {
      const bool is_float = t.dtype() == DType::F32 || t.dtype() == DType::F64;
      floats += is_float;
      inputs.push_back(is_float ? t.to(DType::F64) : t);
    }
    opt.differentiate = c.grad_inputs < 0 ? floats : c.grad_inputs;
    // About 5e7 element-operations per case (a tenth of a second in the
    // reference's double loops): large cases are sampled more thinly, small
    // ones whole.
    const double budget = 5e7 / (2.0 * std::max(opt.differentiate, 1) * cost_of(c));
    opt.max_elements = std::clamp<int64_t>(static_cast<int64_t>(budget), 6, 400);
    testing::check_gradients(c.grad, inputs, opt);
  }
  if (has_backward_kernels(op)) {
    INFO("op '" << op << "' has backward kernels but no case with a `grad` (the op through core/ops) "
                   "to check them against finite differences: add one in tests/backend_op_cases.cpp");
    CHECK(found > 0);
  }
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
      CHECK(cmp.within(loosest(c.tolerance, kFloat32)));
    }
  }
}

}  // namespace astrocnn::optest
