// The math precisions (kernels/precision.h): rounding to bfloat16 and
// TensorFloat-32, and the reference backend as the oracle of each precision.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "backend_op_cases.h"
#include "kernels/backend.h"
#include "kernels/precision.h"

using namespace astrocnn;

namespace {
uint32_t bits_of(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
}  // namespace

TEST_CASE("precision: names round-trip and unknown names are refused", "[precision]") {
  for (Precision p : {Precision::FP32, Precision::TF32, Precision::BF16})
    CHECK(parse_precision(precision_name(p)) == p);
  CHECK_THROWS_WITH(parse_precision("fp16"), Catch::Contains("fp32, tf32 or bf16"));
  CHECK(unit_roundoff(Precision::BF16) == std::ldexp(1.0, -8));
  CHECK(unit_roundoff(Precision::TF32) == std::ldexp(1.0, -11));
}

TEST_CASE("precision: bfloat16 rounding is round-to-nearest-even on the top 16 bits", "[precision]") {
  CHECK(round_to_bf16(1.0f) == 1.0f);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
  CHECK(round_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 1.0f);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
  CHECK(round_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 1.0f + std::ldexp(1.0f, -6));
  // Just above halfway rounds up.
  CHECK(round_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)) == 1.0f + std::ldexp(1.0f, -7));
  CHECK(round_to_bf16(-3.14159265f) == -3.140625f);
  CHECK((bits_of(round_to_bf16(1e-40f)) & 0xffffu) == 0);  // subnormals too (absolute steps there)
  for (float x : {0.1f, -7.3e-20f, 6.02e23f}) {
    const float r = round_to_bf16(x);
    CHECK((bits_of(r) & 0xffffu) == 0);  // 16 low bits gone
    CHECK(std::fabs(r - x) <= std::ldexp(1.0, -8) * std::fabs(x));
  }
  // Special values pass through; the largest float rounds up to infinity.
  CHECK(std::isnan(round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  CHECK(round_to_bf16(INFINITY) == INFINITY);
  CHECK(round_to_bf16(-INFINITY) == -INFINITY);
  CHECK(round_to_bf16(std::numeric_limits<float>::max()) == INFINITY);
  CHECK(std::signbit(round_to_bf16(-0.0f)));
}

TEST_CASE("precision: TensorFloat-32 keeps 10 mantissa bits", "[precision]") {
  CHECK(round_to_tf32(1.0f + std::ldexp(1.0f, -11)) == 1.0f);  // a tie, to even
  CHECK(round_to_tf32(1.0f + 3 * std::ldexp(1.0f, -11)) == 1.0f + std::ldexp(1.0f, -9));
  const float r = round_to_tf32(0.1f);
  CHECK((bits_of(r) & 0x1fffu) == 0);
  CHECK(std::fabs(r - 0.1f) <= std::ldexp(1.0, -11) * 0.1);
}

TEST_CASE("precision: a guard sets the math precision and restores the previous one", "[precision]") {
  REQUIRE(math_precision() == Precision::FP32);
  {
    MathPrecisionGuard bf16(Precision::BF16);
    CHECK(math_precision() == Precision::BF16);
    {
      MathPrecisionGuard tf32(Precision::TF32);
      CHECK(math_precision() == Precision::TF32);
    }
    CHECK(math_precision() == Precision::BF16);
  }
  CHECK(math_precision() == Precision::FP32);
}

TEST_CASE("precision: rounded_to_math_precision leaves fp32 and float64 alone", "[precision]") {
  Tensor x = optest::random_f32({3, 5}, 7);
  CHECK(rounded_to_math_precision(x).raw() == x.raw());  // fp32: the same tensor
  MathPrecisionGuard bf16(Precision::BF16);
  Tensor d = x.to(DType::F64);
  CHECK(rounded_to_math_precision(d).raw() == d.raw());
  Tensor r = rounded_to_math_precision(x);
  CHECK(r.raw() != x.raw());
  const auto xv = x.to_vector<float>(), rv = r.to_vector<float>();
  for (size_t i = 0; i < xv.size(); ++i) CHECK(rv[i] == round_to_bf16(xv[i]));
}

// The oracle itself: the reference backend's rounded operands keep every
// convolution and dense output within the format's bound of the exact one
// (this checks the bound the backends are held to, and the rounding).
TEST_CASE("precision: the reference in bf16 and tf32 is within the formats' bounds", "[precision][ops]") {
  for (Precision p : {Precision::BF16, Precision::TF32})
    for (const std::string& op : backend_op_names())
      if (optest::is_matrix_product(op)) optest::check_op_in_precision(reference_backend(), op, p);
}
