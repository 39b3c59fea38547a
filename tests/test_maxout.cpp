// Maxout: known values (rank 2 and 4, ties, NaN), gradient checks, bad inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "core/ops.h"
#include "gradcheck.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

// The gradient of sum_i w_i * y_i with respect to x, for fixed weights w.
std::vector<double> grad_of_weighted_sum(const Tensor& x, int64_t k, const std::vector<double>& w) {
  Tensor xg = x.clone().set_requires_grad(true);
  Tensor y = ops::maxout(xg, k);
  Tensor weights = Tensor::from_vector(w, {1, y.numel()});
  ops::dense(y.reshape({1, -1}), weights, Tensor()).backward();
  return xg.grad().to_vector<double>();
}

}  // namespace

TEST_CASE("maxout rank 2 known values", "[maxout]") {
  // [2, 6]: groups of k=2 are features (0,1) (2,3) (4,5); of k=3, (0,1,2) (3,4,5).
  Tensor x = Tensor::from_vector<float>({1, 5, -2, -3, 7, 7,  //
                                         0, -1, 4, 9, -6, 2},
                                        {2, 6});
  Tensor y2 = ops::maxout(x, 2);
  CHECK(y2.shape() == Shape{2, 3});
  CHECK(y2.to_vector<float>() == std::vector<float>{5, -2, 7, 0, 9, 2});
  Tensor y3 = ops::maxout(x, 3);
  CHECK(y3.shape() == Shape{2, 2});
  CHECK(y3.to_vector<float>() == std::vector<float>{5, 7, 4, 9});
  // k = 1 is the identity; k = C is a max over all features.
  CHECK(ops::maxout(x, 1).to_vector<float>() == x.to_vector<float>());
  CHECK(ops::maxout(x, 6).to_vector<float>() == std::vector<float>{7, 9});
}

TEST_CASE("maxout rank 4 groups channels at every pixel", "[maxout]") {
  // [1, 4, 2, 2]: channel pairs (0,1) and (2,3), with the winner changing per pixel.
  Tensor x = Tensor::from_vector<double>({1, 8, 3, 4,     // channel 0
                                          2, 7, 9, 0,     // channel 1
                                          -1, -2, -3, -4,  // channel 2
                                          -5, 0, -3, -9},  // channel 3
                                         {1, 4, 2, 2});
  Tensor y = ops::maxout(x, 2);
  CHECK(y.shape() == Shape{1, 2, 2, 2});
  CHECK(y.to_vector<double>() == std::vector<double>{2, 8, 9, 4, -1, 0, -3, -4});

  // Batch of 2 with k = 3 on odd spatial sizes: compare with a direct loop.
  Tensor xb = random_tensor({2, 6, 3, 5}, 21);
  auto v = xb.to_vector<double>();
  auto yb = ops::maxout(xb, 3).to_vector<double>();
  REQUIRE(yb.size() == 2u * 2 * 15);
  for (int n = 0; n < 2; ++n)
    for (int j = 0; j < 2; ++j)
      for (int s = 0; s < 15; ++s) {
        double expected = -INFINITY;
        for (int i = 0; i < 3; ++i) expected = std::max(expected, v[(n * 6 + j * 3 + i) * 15 + s]);
        CHECK(yb[(n * 2 + j) * 15 + s] == expected);
      }
}

TEST_CASE("maxout backward routes the gradient to the first maximum", "[maxout]") {
  // Row 0 has a tie (7, 7) in its last group: only the first 7 gets gradient.
  Tensor x = Tensor::from_vector<double>({1, 5, -2, -3, 7, 7,  //
                                          0, -1, 4, 9, -6, 2},
                                         {2, 6});
  auto dx = grad_of_weighted_sum(x, 2, {10, 20, 30, 40, 50, 60});
  CHECK(dx == std::vector<double>{0, 10, 20, 0, 30, 0,  //
                                  40, 0, 0, 50, 0, 60});

  // A three-way tie with k = 3: the first of the three wins.
  Tensor t = Tensor::from_vector<double>({2, 2, 2, 1, 3, 3}, {1, 6});
  CHECK(ops::maxout(t, 3).to_vector<double>() == std::vector<double>{2, 3});
  CHECK(grad_of_weighted_sum(t, 3, {-1, 4}) == std::vector<double>{-1, 0, 0, 0, 4, 0});
}

TEST_CASE("maxout propagates NaN", "[maxout]") {
  // float64 runs on the reference backend; the interface leaves NaN to each backend.
  Tensor x = Tensor::from_vector<double>({1, NAN, NAN, 3, 4, 5}, {1, 6});
  auto y = ops::maxout(x, 2).to_vector<double>();
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[1]));
  CHECK(y[2] == 5);
}

TEST_CASE("maxout rejects bad inputs", "[maxout][errors]") {
  CHECK_THROWS_WITH(ops::maxout(Tensor::zeros({2, 7}), 2),
                    Catch::Contains("7 channels") && Catch::Contains("not divisible") &&
                        Catch::Contains("k = 2"));
  CHECK_THROWS_WITH(ops::maxout(Tensor::zeros({2, 6, 3, 3}), 4), Catch::Contains("not divisible"));
  CHECK_THROWS_WITH(ops::maxout(Tensor::zeros({2, 6}), 0), Catch::Contains("at least 1"));
  CHECK_THROWS_WITH(ops::maxout(Tensor::zeros({2, 6}), -3), Catch::Contains("at least 1"));
  CHECK_THROWS_WITH(ops::maxout(Tensor::zeros({2, 6, 4}), 2),
                    Catch::Contains("[N,C] or [N,C,H,W]"));
  CHECK_THROWS_WITH(ops::maxout(Tensor::zeros({6}), 2), Catch::Contains("[N,C] or [N,C,H,W]"));
  CHECK_THROWS_WITH(ops::maxout(Tensor::zeros({2, 6}, DType::I64), 2),
                    Catch::Contains("floating-point"));
}
