#include "kernels/precision.h"

#include <atomic>
#include <cmath>

#include "core/tensor/error.h"

namespace astrocnn {
namespace {
std::atomic<Precision> g_math_precision{Precision::FP32};
}  // namespace

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::FP32: return "fp32";
    case Precision::TF32: return "tf32";
    case Precision::BF16: return "bf16";
  }
  return "?";
}

Precision parse_precision(const std::string& s) {
  for (Precision p : {Precision::FP32, Precision::TF32, Precision::BF16})
    if (s == precision_name(p)) return p;
  throw Error(detail::concat("unknown precision '", s, "': use fp32, tf32 or bf16"));
}

int mantissa_bits(Precision p) {
  switch (p) {
    case Precision::FP32: return 23;
    case Precision::TF32: return 10;
    case Precision::BF16: return 7;
  }
  return 23;
}

double unit_roundoff(Precision p) { return std::ldexp(1.0, -(mantissa_bits(p) + 1)); }

Precision math_precision() { return g_math_precision.load(std::memory_order_relaxed); }
void set_math_precision(Precision p) { g_math_precision.store(p, std::memory_order_relaxed); }

Tensor rounded_to_math_precision(const Tensor& t) {
  const Precision p = math_precision();
  if (p == Precision::FP32 || t.dtype() != DType::F32) return t;
  Tensor r = t.clone();
  float* v = r.data<float>();
  const int bits = mantissa_bits(p);
  for (int64_t i = 0, n = r.numel(); i < n; ++i) v[i] = round_mantissa(v[i], bits);
  return r;
}

}  // namespace astrocnn
