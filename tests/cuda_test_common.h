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

// Tolerances and the comparison are the one comparator's
// (tests/tensor_compare.h): optest::kFloat32, kTf32, kBf16, tolerance_of().

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

// Bitwise equality of two float tensors (NaN payloads aside).
inline bool identical(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i)
    if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
  return true;
}

}  // namespace astrocnn::cudatest

// CHECK_CLOSE(pair, tol): (tol an optest::Tolerance) the CUDA result of `pair` matches its CPU result.
#define CHECK_CLOSE(pair, tol)                                                   \
  do {                                                                           \
    const auto cmp_ = ::astrocnn::optest::compare((pair).gpu, (pair).cpu);       \
    INFO(#pair ": " << cmp_.describe(tol));                                      \
    CHECK(cmp_.within(tol));                                                     \
  } while (0)

// CHECK_CLOSE_TENSORS(got, want, tol) for two tensors on any devices.
#define CHECK_CLOSE_TENSORS(got, want, tol)                                      \
  do {                                                                           \
    const auto cmp_ = ::astrocnn::optest::compare((got), (want));                \
    INFO(#got " vs " #want ": " << cmp_.describe(tol));                          \
    CHECK(cmp_.within(tol));                                                     \
  } while (0)
