// Helpers of the CUDA-only tests (tests/cuda_test_*.cpp: the numbered kernel
// versions, the runtime, autograd on the device). Each op runs on the
// reference backend (CPU, the oracle) and on the CUDA backend with the same
// float32 inputs, and the outputs are compared. The op-by-op comparison of
// the default kernels is the one backend harness's (tests/backend_op_cases.h).
//
// A `Pair` holds the CPU and the CUDA copy of one tensor. Outputs start as
// NaN on both sides (tests/cuda_main.cpp turns on NaN-poisoning of every new
// allocation, and output() poisons the CUDA side explicitly as well), so an
// element a kernel forgets to write shows up as a NaN mismatch.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "backend_op_cases.h"
#include "core/tensor/tensor.h"
#include "kernels/backend.h"
#include "kernels/cuda/cuda_api.h"

namespace astrocnn::cudatest {

constexpr double kFp32Tol = 1e-4;  // relative error allowed for float32 kernels
constexpr double kTf32Tol = 5e-3;  // ... and for TF32 tensor-core kernels (10-bit mantissa)
constexpr double kBf16Tol = 4e-2;  // ... and for bf16 ones (7-bit: 8x TF32's rounding)

inline Backend& cuda() { return *cuda_backend_if_device(); }  // present: cuda_main.cpp checked
inline Backend& ref() { return reference_backend(); }

// Random and tie-filled float32 inputs: the harness's (tests/backend_op_cases.h).
inline Tensor random_cpu(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1) {
  return optest::random_f32(shape, seed, lo, hi);
}

// A CUDA tensor full of NaN (0xFF bytes), as an output looks before a kernel runs.
inline Tensor poisoned_cuda(const Shape& shape, DType dtype = DType::F32) {
  Tensor t = Tensor::empty(shape, dtype, Device::CUDA);
  cuda_poison(t);
  return t;
}

struct Pair {
  Tensor cpu, gpu;
};

inline Pair same_on_both(const Tensor& cpu) { return Pair{cpu, cpu.to(Device::CUDA)}; }
inline Pair input(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1) {
  return same_on_both(random_cpu(shape, seed, lo, hi));
}
inline Pair output(const Shape& shape, DType dtype = DType::F32) {
  Tensor cpu = Tensor::empty(shape, dtype);
  if (dtype != DType::I64) ref().fill(cpu, NAN);
  return Pair{cpu, poisoned_cuda(shape, dtype)};
}

// Normwise comparison: rel_err = max_i |got_i - want_i| / max_i |want_i|.
// A NaN must meet a NaN: a NaN on one side only is a mismatch of its own.
struct Comparison {
  double max_abs_err = 0, max_abs_want = 0;
  int64_t nan_mismatches = 0, first_nan_mismatch = -1, worst_index = -1;
  int64_t count = 0;
  double rel_err() const { return max_abs_err / std::max(max_abs_want, 1e-30); }
  bool within(double tol) const { return nan_mismatches == 0 && rel_err() <= tol; }
  std::string describe() const {
    std::ostringstream s;
    s << count << " elements: relative error " << rel_err() << " (max |diff| " << max_abs_err
      << " at " << worst_index << ", max |want| " << max_abs_want << "), " << nan_mismatches
      << " NaN mismatches (first at " << first_nan_mismatch << ")";
    return s.str();
  }
};

inline Comparison compare(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  const std::vector<float> g = got.to(DType::F32).to_vector<float>();
  const std::vector<float> w = want.to(DType::F32).to_vector<float>();
  Comparison c;
  c.count = static_cast<int64_t>(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const bool gn = std::isnan(g[i]), wn = std::isnan(w[i]);
    if (gn || wn) {
      if (gn != wn && c.nan_mismatches++ == 0) c.first_nan_mismatch = static_cast<int64_t>(i);
      continue;
    }
    const double diff = std::fabs(static_cast<double>(g[i]) - w[i]);
    if (diff > c.max_abs_err || c.worst_index < 0) {
      c.max_abs_err = diff;
      c.worst_index = static_cast<int64_t>(i);
    }
    c.max_abs_want = std::max(c.max_abs_want, std::fabs(static_cast<double>(w[i])));
  }
  return c;
}

// Bitwise equality of two float tensors (NaN payloads aside).
inline bool identical(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
  return true;
}

}  // namespace astrocnn::cudatest

// CHECK_CLOSE(pair, tol): the CUDA result of `pair` matches its CPU result.
#define CHECK_CLOSE(pair, tol)                                                   \
  do {                                                                           \
    const auto cmp_ = ::astrocnn::cudatest::compare((pair).gpu, (pair).cpu);     \
    INFO(#pair ": " << cmp_.describe());                                         \
    CHECK(cmp_.within(tol));                                                     \
  } while (0)

// CHECK_CLOSE_TENSORS(got, want, tol) for two tensors on any devices.
#define CHECK_CLOSE_TENSORS(got, want, tol)                                      \
  do {                                                                           \
    const auto cmp_ = ::astrocnn::cudatest::compare((got), (want));              \
    INFO(#got " vs " #want ": " << cmp_.describe());                             \
    CHECK(cmp_.within(tol));                                                     \
  } while (0)
