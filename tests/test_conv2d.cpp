// conv2d: known values, gradient checks and argument errors.
// Known-value cases run on the reference backend (the oracle every fast
// backend is compared with); gradient checks run in float64, which always
// takes the reference backend.
#include <catch2/catch.hpp>

#include "core/ops.h"
#include "kernels/backend.h"
#include "gradcheck.h"

using namespace astrocnn;
using namespace astrocnn::testing;
using ops::SamePadding;

namespace {

// Elements [begin, end) along dimension `dim` of a contiguous tensor (a copy).
Tensor slice(const Tensor& t, int64_t dim, int64_t begin, int64_t end) {
  const Shape& s = t.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= s[d];
  for (int64_t d = dim + 1; d < t.dim(); ++d) inner *= s[d];
  std::vector<double> in = t.to(DType::F64).to_vector<double>(), out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = 0; j < inner; ++j) out.push_back(in[(o * s[dim] + i) * inner + j]);
  Shape shape = s;
  shape[dim] = end - begin;
  return Tensor::from_vector(out, shape).to(t.dtype());
}

Conv2dGeometry padded(int64_t top, int64_t left, int64_t bottom, int64_t right,
                     int64_t stride = 1, int64_t groups = 1) {
  return {stride, stride, top, left, bottom, right, groups};
}

}  // namespace

TEST_CASE("conv2d known values: 3x3 input, 2x2 kernel", "[conv2d]") {
  ReferenceBackendGuard reference;
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Tensor w = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor y = ops::conv2d(x, w, Tensor(), {});
  CHECK(y.shape() == Shape{1, 1, 2, 2});
  // y[0,0] = 1*1 + 2*2 + 4*3 + 5*4, and so on across the image.
  CHECK(y.to_vector<float>() == std::vector<float>{37, 47, 67, 77});

  Tensor b = Tensor::from_vector<float>({0.5f}, {1});
  CHECK(ops::conv2d(x, w, b, {}).to_vector<float>() == std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f});
}

TEST_CASE("conv2d known values: two input channels are summed", "[conv2d]") {
  ReferenceBackendGuard reference;
  // Channel 0 = 1..4, channel 1 = 10 everywhere; a 1x1 kernel (2, -1) per output.
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 10, 10, 10, 10}, {1, 2, 2, 2});
  Tensor w = Tensor::from_vector<float>({2, -1, 0, 1}, {2, 2, 1, 1});
  Tensor y = ops::conv2d(x, w, Tensor(), {});
  CHECK(y.shape() == Shape{1, 2, 2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{-8, -6, -4, -2, 10, 10, 10, 10});
}

TEST_CASE("conv2d with a centred identity kernel and padding 1 returns its input", "[conv2d]") {
  ReferenceBackendGuard reference;
  const int64_t C = 3;
  Tensor x = random_tensor({2, C, 5, 4}, 21, -1, 1, DType::F32);
  // Output channel k copies input channel k: w[k,k,1,1] = 1, zero elsewhere.
  std::vector<float> wv(C * C * 9, 0.0f);
  for (int64_t k = 0; k < C; ++k) wv[(k * C + k) * 9 + 4] = 1.0f;
  Tensor w = Tensor::from_vector(wv, {C, C, 3, 3});
  Tensor y = ops::conv2d(x, w, Tensor(), Conv2dGeometry::symmetric(1, 1));
  CHECK(y.shape() == x.shape());
  CHECK(y.to_vector<float>() == x.to_vector<float>());
}

TEST_CASE("conv2d known values: stride 2", "[conv2d]") {
  ReferenceBackendGuard reference;
  std::vector<float> v(25);
  for (int i = 0; i < 25; ++i) v[i] = static_cast<float>(i);
  Tensor x = Tensor::from_vector(v, {1, 1, 5, 5});
  // A 1x1 kernel of 2 with stride 2 samples every other row and column.
  Tensor y = ops::conv2d(x, Tensor::from_vector<float>({2}, {1, 1, 1, 1}), Tensor(),
                         Conv2dGeometry::symmetric(2, 0));
  CHECK(y.shape() == Shape{1, 1, 3, 3});
  CHECK(y.to_vector<float>() == std::vector<float>{0, 4, 8, 20, 24, 28, 40, 44, 48});
  // A 2x2 kernel of ones with stride 2 sums disjoint blocks; the last row/column is not reached.
  Tensor ones = Tensor::full({1, 1, 2, 2}, 1.0);
  Tensor z = ops::conv2d(x, ones, Tensor(), Conv2dGeometry::symmetric(2, 0));
  CHECK(z.shape() == Shape{1, 1, 2, 2});
  CHECK(z.to_vector<float>() == std::vector<float>{0 + 1 + 5 + 6, 2 + 3 + 7 + 8, 10 + 11 + 15 + 16,
                                                   12 + 13 + 17 + 18});
}

TEST_CASE("conv2d known values: asymmetric zero padding", "[conv2d]") {
  ReferenceBackendGuard reference;
  // Padding one row on top and one column on the right gives the padded image
  //   0 0 0
  //   1 2 0
  //   3 4 0
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor ones = Tensor::full({1, 1, 2, 2}, 1.0);
  Tensor y = ops::conv2d(x, ones, Tensor(), padded(1, 0, 0, 1));
  CHECK(y.shape() == Shape{1, 1, 2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{3, 2, 10, 6});
}

TEST_CASE("conv2d with groups=2 equals two separate convolutions", "[conv2d]") {
  ReferenceBackendGuard reference;
  Tensor x = random_tensor({2, 4, 6, 5}, 31, -1, 1, DType::F32);
  Tensor w = random_tensor({6, 2, 3, 3}, 32, -1, 1, DType::F32);
  Tensor b = random_tensor({6}, 33, -1, 1, DType::F32);
  const Conv2dGeometry opt = padded(1, 0, 1, 2, /*stride=*/2, /*groups=*/2);
  Tensor y = ops::conv2d(x, w, b, opt);
  REQUIRE(y.shape() == Shape{2, 6, 3, 3});

  Conv2dGeometry single = opt;
  single.groups = 1;
  for (int64_t g = 0; g < 2; ++g) {
    CAPTURE(g);
    Tensor yg = ops::conv2d(slice(x, 1, 2 * g, 2 * g + 2), slice(w, 0, 3 * g, 3 * g + 3),
                            slice(b, 0, 3 * g, 3 * g + 3), single);
    check_close(slice(y, 1, 3 * g, 3 * g + 3), yg, 1e-6, 1e-6, "group output");
  }
}

TEST_CASE("conv2d LeNet case: 7x7 SAME convolution keeps 64x64", "[conv2d]") {
  ReferenceBackendGuard reference;
  const SamePadding pad = ops::same_padding(64, 7, 1);
  CHECK(pad.before == 3);
  CHECK(pad.after == 3);
  Tensor x = Tensor::full({1, 2, 64, 64}, 1.0);
  Tensor w = Tensor::full({3, 2, 7, 7}, 1.0);
  Tensor b = Tensor::full({3}, 0.5);
  Tensor y = ops::conv2d(x, w, b, padded(pad.before, pad.before, pad.after, pad.after));
  REQUIRE(y.shape() == Shape{1, 3, 64, 64});
  // With all-ones data, an output counts the real pixels under its window (times 2 channels).
  auto v = y.to_vector<float>();
  auto at = [&](int64_t k, int64_t h, int64_t w) { return v[(k * 64 + h) * 64 + w]; };
  CHECK(at(0, 32, 32) == 2 * 49 + 0.5f);  // interior: the whole 7x7 window
  CHECK(at(1, 0, 0) == 2 * 16 + 0.5f);    // corner: rows 0..3 x cols 0..3
  CHECK(at(2, 63, 63) == 2 * 16 + 0.5f);  // opposite corner, padded by 3 as well
  CHECK(at(2, 0, 40) == 2 * 28 + 0.5f);   // top edge: 4 rows x 7 columns
}

TEST_CASE("conv2d computes gradients only for inputs that require them", "[conv2d]") {
  Tensor x = random_tensor({2, 2, 4, 4}, 41);
  Tensor w = random_tensor({3, 2, 3, 3}, 42);
  Tensor b = random_tensor({3}, 43);
  x.set_requires_grad(true);
  const Tensor y0 = ops::conv2d(x, w, b, Conv2dGeometry::symmetric(1, 1));
  const Projection project(y0);
  project(y0).backward();
  CHECK(x.grad().defined());
  CHECK_FALSE(w.grad().defined());
  CHECK_FALSE(b.grad().defined());

  // Bias gradient = sum of the upstream gradient over N, P, Q: with a plain sum
  // (ones projection) it is N*P*Q for every output channel.
  Tensor x2 = random_tensor({2, 2, 4, 4}, 44);
  Tensor b2 = Tensor::zeros({3}, DType::F64);
  b2.set_requires_grad(true);
  Tensor y = ops::conv2d(x2, w, b2, Conv2dGeometry::symmetric(1, 1));
  ops::dense(y.reshape({1, -1}), Tensor::full({1, y.numel()}, 1.0, DType::F64), Tensor()).backward();
  CHECK(b2.grad().to_vector<double>() == std::vector<double>{32, 32, 32});
}

TEST_CASE("conv2d rejects bad arguments", "[conv2d][errors]") {
  Tensor x = Tensor::zeros({1, 2, 5, 5});
  Tensor w = Tensor::zeros({3, 2, 3, 3});
  Conv2dGeometry none;
  CHECK_THROWS_WITH(ops::conv2d(Tensor::zeros({1, 1, 3, 3}), Tensor::zeros({1, 1, 5, 5}), Tensor(),
                                Conv2dGeometry::symmetric(1, 0)),
                    Catch::Contains("kernel 5x5 is larger than the padded input 3x3"));
  CHECK_THROWS_WITH(ops::conv2d(Tensor::zeros({1, 3, 5, 5}), w, Tensor(), none),
                    Catch::Contains("input has 3 channels") && Catch::Contains("expects 2"));
  CHECK_THROWS_WITH(ops::conv2d(Tensor::zeros({1, 2, 5}), w, Tensor(), none),
                    Catch::Contains("input must have 4 dimensions"));
  CHECK_THROWS_WITH(ops::conv2d(x, Tensor::zeros({3, 2, 3}), Tensor(), none),
                    Catch::Contains("weight must have 4 dimensions"));
  CHECK_THROWS_WITH(ops::conv2d(x, w, Tensor::zeros({2}), none), Catch::Contains("bias"));
  CHECK_THROWS_WITH(ops::conv2d(x, w, Tensor(), Conv2dGeometry::symmetric(0, 0)),
                    Catch::Contains("stride must be positive"));
  CHECK_THROWS_WITH(ops::conv2d(x, w, Tensor(), Conv2dGeometry::symmetric(1, -1)),
                    Catch::Contains("padding must be >= 0"));
  CHECK_THROWS_WITH(ops::conv2d(x, w, Tensor(), Conv2dGeometry::symmetric(1, 0, 0)),
                    Catch::Contains("groups must be positive"));
  // 3 output channels cannot be split into 2 groups.
  CHECK_THROWS_WITH(ops::conv2d(x, Tensor::zeros({3, 1, 3, 3}), Tensor(), Conv2dGeometry::symmetric(1, 0, 2)),
                    Catch::Contains("groups must divide"));
  CHECK_THROWS_WITH(ops::conv2d(Tensor::zeros({0, 2, 5, 5}), w, Tensor(), none),
                    Catch::Contains("input sizes must be positive"));
  CHECK_THROWS_WITH(ops::conv2d(x, Tensor::zeros({0, 2, 3, 3}), Tensor(), none),
                    Catch::Contains("kernel sizes must be positive"));
  CHECK_THROWS_WITH(ops::conv2d(x, Tensor::zeros({3, 2, 3, 3}, DType::F64), Tensor(), none),
                    Catch::Contains("share dtype"));
}
