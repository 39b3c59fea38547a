// The arithmetic precision of the matrix products: what convolutions and
// dense layers read their operands as. Everything else (activations between
// ops, batch-norm statistics, softmax, losses, master weights, optimiser
// state) stays float32 in every precision.
//
//   fp32  float32 operands, float32 (or wider) accumulation: exact as ever.
//   tf32  operands rounded to TensorFloat-32 (8-bit exponent, 10-bit
//         mantissa), float32 accumulation: NVIDIA tensor cores (sm_80+).
//   bf16  operands rounded to bfloat16 (8-bit exponent, 7-bit mantissa),
//         float32 accumulation: AVX-512 BF16 / AMX on the CPU, tensor cores
//         on the GPU.
//
// Both narrow formats keep float32's exponent range, so gradients neither
// overflow nor underflow more than in float32: mixed precision with them
// needs no loss scaling (float16, with its 5-bit exponent, would).
//
// The setting is process-wide, like PyTorch's matmul precision: the trainer
// sets it once from --precision; tests and benchmarks scope it with
// MathPrecisionGuard. The reference backend honours it by rounding its
// float32 operands (round to nearest even) before its exact loops, which
// makes it the oracle of each precision; float64 is never rounded.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "core/tensor/tensor.h"

namespace astrocnn {

enum class Precision { FP32, TF32, BF16 };

const char* precision_name(Precision p);          // "fp32", "tf32", "bf16"
Precision parse_precision(const std::string& s);  // the inverse; throws Error listing the names

// Mantissa bits kept (the implicit leading bit not counted): 23, 10, 7.
int mantissa_bits(Precision p);
// The unit roundoff u = 2^-(bits+1): the largest relative error of rounding
// one value to the format (round to nearest). A product of two rounded
// operands is off by at most about 2u relative.
double unit_roundoff(Precision p);

Precision math_precision();
void set_math_precision(Precision p);

// RAII: a precision while alive, the previous one after.
class MathPrecisionGuard {
 public:
  explicit MathPrecisionGuard(Precision p) : previous_(math_precision()) { set_math_precision(p); }
  ~MathPrecisionGuard() { set_math_precision(previous_); }
  MathPrecisionGuard(const MathPrecisionGuard&) = delete;
  MathPrecisionGuard& operator=(const MathPrecisionGuard&) = delete;

 private:
  Precision previous_;
};

// x rounded to nearest even, keeping `bits` mantissa bits; infinities and
// NaN pass through (a NaN stays a NaN), and values that round past the
// largest finite float become infinity, as the hardware conversions do.
inline float round_mantissa(float x, int bits) {
  if (bits >= 23) return x;
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;  // inf or NaN
  const int drop = 23 - bits;
  const uint32_t half = (1u << (drop - 1)) - 1 + ((u >> drop) & 1u);  // ties to even
  u = (u + half) & ~((1u << drop) - 1);
  std::memcpy(&x, &u, sizeof u);
  return x;
}
inline float round_to_bf16(float x) { return round_mantissa(x, 7); }
inline float round_to_tf32(float x) { return round_mantissa(x, 10); }

// t itself when the precision is fp32 or t is not float32; otherwise a copy
// with every element rounded to the precision's format (reference backend).
Tensor rounded_to_math_precision(const Tensor& t);

}  // namespace astrocnn
