// One harness for every backend: each op of the op table
// (kernels/backend_ops.inc) has cases here, and a backend passes an op when
// every case gives what the reference backend gives on the same inputs.
//
// One table, three modes, as ggml's test-backend-ops:
// - test: tests/test_backend_ops.cpp runs the cases on the oneDNN backend and
//   tests/cuda_test_backend_ops.cpp on the CUDA backend, one Catch2 test case
//   per op, generated from the op table, so a new op without a case fails and
//   says where to add one (the checks: backend_op_checks.cpp). An op a
//   backend does not implement (it throws NotImplemented) is reported as
//   SKIP, not as a pass or a failure.
// - perf: bench/bench_backend_ops.cpp times every case on every backend
//   (time per call, and GFLOP/s where a case counts its flops).
// - grad: tests/test_backend_op_grads.cpp checks, for every forward case
//   with a `grad`, the gradients its backward kernels give (through the
//   autograd Node of core/ops) against central finite differences, in
//   float64 on the reference. With the test mode, which holds every backend's
//   backward kernels to the reference's, that checks every backend's.
//
// The rules, the same for every backend:
// - Inputs are float32 random values (int64 for class labels) made on the
//   CPU and copied to the backend's device.
// - Outputs start as NaN (unless the op updates them in place), so an
//   element a kernel forgets to write is a NaN mismatch.
// - Outputs are compared by the one comparator (tests/tensor_compare.h):
//   NaN meets NaN, otherwise normwise within the case's tolerance.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor/tensor.h"
#include "kernels/backend.h"
#include "tensor_compare.h"

namespace astrocnn::optest {

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
  // The grad mode: the same op through core/ops (whose autograd Node calls
  // the backward kernels), on the case's inputs in float64. Set on the
  // forward cases of every op with backward kernels; empty where finite
  // differences do not apply (ties, NaN) or the op has no gradient.
  std::function<Tensor(const Tensors& in)> grad;
  int grad_inputs = -1;  // how many leading inputs are differentiated; -1: every float one
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
// `at_least` raises every case's tolerance to at least its own (for kernel
// versions in reduced precision).
void check_op_against_reference(Backend& backend, const std::string& op,
                                Tolerance at_least = kExact);

// Checks the gradients of each case of `op` that has a `grad` against finite
// differences (Catch2 assertions). An op with backward kernels whose forward
// has no such case fails, naming the file to add one to.
void check_op_gradients(const std::string& op);
// Whether `op` is the forward of an op family with backward kernels in the
// op table (conv2d_forward: conv2d_backward_data exists).
bool has_backward_kernels(const std::string& op);

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
// A shuffled ramp in [-1, 1): values all distinct and 2/numel apart, so a
// finite-difference step (1e-6) never changes which input of a max-pool
// window or maxout group wins: the grad mode's inputs for those ops.
Tensor distinct_f32(const Shape& shape, uint64_t seed);
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
