// One harness for every backend: each op of the op table
// (kernels/backend_ops.inc) has cases here, and a backend passes an op when
// every case gives what the reference backend gives on the same inputs.
//
// One table, two modes so far (ggml's test-backend-ops has three):
// - test: tests/test_backend_ops.cpp runs the cases on the oneDNN backend and
//   tests/cuda_test_backend_ops.cpp on the CUDA backend, one Catch2 test case
//   per op, generated from the op table, so a new op without a case fails and
//   says where to add one (the checks: backend_op_checks.cpp). An op a
//   backend does not implement (it throws NotImplemented) is reported as
//   SKIP, not as a pass or a failure.
// - perf: bench/bench_backend_ops.cpp times every case on every backend
//   (time per call, and GFLOP/s where a case counts its flops).
// The gradient checks (tests/gradcheck.h) still keep their own shapes.
//
// The rules, the same for every backend:
// - Inputs are float32 random values (int64 for class labels) made on the
//   CPU and copied to the backend's device.
// - Outputs start as NaN (unless the op updates them in place), so an
//   element a kernel forgets to write is a NaN mismatch.
// - A NaN must meet a NaN at the same place; otherwise the comparison is
//   normwise: max |got - want| <= tolerance * max |want|. Normwise, because a
//   float32 sum taken in another order (a weight gradient adds N*P*Q
//   products) errs in proportion to the size of its terms, not to the
//   result, which may cancel to nearly 0; a wrong index errs by the order of
//   the outputs themselves, thousands of times above the tolerance.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor/tensor.h"
#include "kernels/backend.h"

namespace astrocnn::optest {

// Allowed normwise error: max |got - want| <= normwise * max(max |want|, terms).
// `terms` is the size of the terms an output is a sum of, for ops whose
// outputs can cancel to far less than their terms (a batch-norm input
// gradient over two samples is ~1e-6 from terms of ~1): float32 rounding
// follows the terms, not the result.
struct Tolerance {
  double normwise;
  double terms = 0;
};
constexpr Tolerance kExact{0};       // copies, selections, masks: bit for bit
constexpr Tolerance kFloat32{1e-4};  // float32 arithmetic in another order or formula
// A kernel version with TF32 tensor cores (10-bit mantissa: rounding error
// 2^-11 per operand, ~1e-3 after a sum) is held to at least this.
constexpr Tolerance kTf32{5e-3};

using Tensors = std::vector<Tensor>;

// One output of a case: NaN before the op runs, unless `initial` holds the
// contents an in-place op starts from (running statistics, SGD parameters).
struct Output {
  Output(Shape shape) : shape(std::move(shape)) {}  // NOLINT: {shape} in case tables
  Output(Shape shape, Tensor initial) : shape(std::move(shape)), initial(std::move(initial)) {}
  Shape shape;
  Tensor initial;  // undefined: NaN
};

struct OpCase {
  std::string op;    // its name in the op table
  std::string what;  // shapes and options, for messages
  Tensors inputs;    // on the CPU
  std::vector<Output> outputs;
  std::function<void(Backend&, const Tensors& in, Tensors& out)> run;
  Tolerance tolerance = kFloat32;
  double flops = 0;  // floating-point operations, where counted (convolutions, dense)
};

// Every case, for every op.
const std::vector<OpCase>& all_op_cases();

// The case's inputs and outputs on `backend`'s device, the outputs NaN (or
// their initial contents): what c.run takes.
struct CaseTensors {
  Tensors in, out;
};
CaseTensors prepare_case(const Backend& backend, const OpCase& c);
// Runs the case on `backend`; the outputs come back on the CPU.
Tensors run_case(Backend& backend, const OpCase& c);

// Runs each case of `op` on `backend` and on the reference backend and
// CHECKs the outputs (Catch2 assertions; a missing op is a WARN "SKIP").
// `loosest` raises every case's tolerance to at least its own (for kernel
// versions in reduced precision).
void check_op_against_reference(Backend& backend, const std::string& op,
                                Tolerance loosest = kExact);

// ---- Mixed precision (kernels/precision.h) ----
// Whether `op` is a convolution or dense op: the ops the math precision affects.
bool is_matrix_product(const std::string& op);
// Runs each case of a matrix-product `op` on `backend` in `precision` and
// CHECKs two things: every output element is within the bound the format
// implies, (2u + u^2) * sum |a||b| of the exact (float32-operand) result, u
// being the format's unit roundoff (bf16 2^-8, tf32 2^-11); and it matches
// the reference run in the same precision (the same rounded operands) to
// float32 accumulation error.
void check_op_in_precision(Backend& backend, const std::string& op, Precision precision);

// ---- Inputs ----
// Uniform float32 values in [lo, hi) from a seeded Philox stream.
Tensor random_f32(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1);
// Small integers 0 .. levels-1 as float32: inputs full of exact ties.
Tensor ties_f32(const Shape& shape, uint64_t seed, int levels = 3);

// ---- Convolution and pooling geometry, shared with the CUDA version sweeps ----
Conv2dParams conv_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R,
                         int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_top,
                         int64_t pad_left, int64_t pad_bottom, int64_t pad_right,
                         int64_t groups = 1);
// TensorFlow's SAME padding (asymmetric when the total is odd).
Conv2dParams conv_same(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R,
                       int64_t S, int64_t stride);
// The source networks' layers (64x64 inputs; 6x6/5x5/3x3/7x7 kernels) and
// awkward shapes (batch 1, odd sizes, strides, asymmetric padding, groups, 1x1,
// a kernel covering the image, K beyond one 64-wide tile).
std::vector<Conv2dParams> conv_test_shapes();
Shape conv_x(const Conv2dParams& p);
Shape conv_w(const Conv2dParams& p);
Shape conv_y(const Conv2dParams& p);

Pool2dParams pool_params(int64_t N, int64_t C, int64_t H, int64_t W, int64_t R, int64_t S,
                         int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left,
                         int64_t pad_bottom, int64_t pad_right, bool count_include_pad);
Shape pool_x(const Pool2dParams& p);
Shape pool_y(const Pool2dParams& p);

// Dense layer sizes: x [N,I] -> y [N,O].
struct DenseShape {
  int64_t N, I, O;
};
std::vector<DenseShape> dense_test_shapes();

}  // namespace astrocnn::optest
