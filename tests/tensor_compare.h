// The one comparator of the tests and benchmarks: how far a result may be
// from the reference's, for every mode of the backend harness (test, grad,
// perf: tests/backend_op_cases.h) and for the CUDA kernel-version tests
// (tests/cuda_test_common.h). Free of Catch2, so bench/ can use it.
//
// The rule: a NaN must meet a NaN at the same place, an infinity the same
// infinity; otherwise the comparison is normwise,
//   max |got - want| <= tolerance * max(max |want|, terms).
// Normwise, because a float32 sum taken in another order (a weight gradient
// adds N*P*Q products) errs in proportion to the size of its terms, not to
// the result, which may cancel to nearly 0; a wrong index errs by the order
// of the outputs themselves, thousands of times above the tolerance.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"
#include "kernels/precision.h"

namespace astrocnn::optest {

// Allowed normwise error. `terms` is the size of the terms an output is a
// sum of, for ops whose outputs can cancel to far less than their terms (a
// batch-norm input gradient over two samples is ~1e-6 from terms of ~1):
// float32 rounding follows the terms, not the result.
struct Tolerance {
  double normwise;
  double terms = 0;
};
constexpr Tolerance kExact{0};       // copies, selections, masks: bit for bit
constexpr Tolerance kFloat32{1e-4};  // float32 arithmetic in another order or formula
// Tensor-core operands: TF32 keeps a 10-bit mantissa (rounding error 2^-11
// per operand, ~1e-3 after a sum); bf16 a 7-bit one, 8x TF32's rounding.
constexpr Tolerance kTf32{5e-3};
constexpr Tolerance kBf16{4e-2};
// Finite differences in float64 (the grad mode): central differences with
// step 1e-6 err by ~1e-10 relative from truncation and cancellation.
constexpr Tolerance kFiniteDifference{1e-6};

// The loosest tolerance a kernel computing its products in `p` is held to.
Tolerance tolerance_of(Precision p);
// The looser of two tolerances, field by field.
Tolerance loosest(Tolerance a, Tolerance b);

struct Comparison {
  int64_t count = 0;
  double max_diff = 0, max_want = 0;
  int64_t worst = -1, nan_mismatches = 0, first_nan_mismatch = -1;
  double error() const;  // max_diff / max_want
  bool within(Tolerance t) const;
  // One line for a failure message: the error, where, and what was allowed.
  std::string describe(Tolerance t) const;
};

Comparison compare(const std::vector<double>& got, const std::vector<double>& want);
// Any devices and float dtypes; the shapes must agree (else Error).
Comparison compare(const Tensor& got, const Tensor& want);

}  // namespace astrocnn::optest
