// Dense, ReLU, sigmoid, softmax, add, scale: known values and gradient checks.
#include <catch2/catch.hpp>

#include "core/ops.h"
#include "gradcheck.h"
#include "layers/activation.h"

using namespace astrocnn;
using namespace astrocnn::testing;

TEST_CASE("dense known values", "[dense]") {
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor w = Tensor::from_vector<float>({1, 0, -1, 0.5f, 0.5f, 0.5f}, {2, 3});
  Tensor b = Tensor::from_vector<float>({10, -1}, {2});
  Tensor y = ops::dense(x, w, b);
  CHECK(y.shape() == Shape{2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{8, 2, 8, 6.5f});
}

TEST_CASE("dense rejects mismatched shapes", "[dense][errors]") {
  CHECK_THROWS_WITH(ops::dense(Tensor::zeros({2, 3}), Tensor::zeros({4, 5}), Tensor()),
                    Catch::Contains("input has 3 features but the weight expects 5"));
  CHECK_THROWS_WITH(ops::dense(Tensor::zeros({2, 3}), Tensor::zeros({4, 3}), Tensor::zeros({3})),
                    Catch::Contains("bias"));
  CHECK_THROWS_WITH(ops::dense(Tensor::zeros({2, 3, 1}), Tensor::zeros({4, 3}), Tensor()),
                    Catch::Contains("2 dimensions"));
  CHECK_THROWS_WITH(ops::dense(Tensor::zeros({2, 3}), Tensor::zeros({4, 3}, DType::F64), Tensor()),
                    Catch::Contains("share dtype"));
}

TEST_CASE("relu and sigmoid known values", "[activation]") {
  Tensor x = Tensor::from_vector<float>({-2, 0, 3, NAN}, {4});
  auto r = ops::relu(x).to_vector<float>();
  CHECK(r[0] == 0);
  CHECK(r[1] == 0);
  CHECK(r[2] == 3);
  CHECK(std::isnan(r[3]));  // NaN propagates
  auto s = ops::sigmoid(Tensor::from_vector<float>({0, 100, -100}, {3})).to_vector<float>();
  CHECK(s[0] == Approx(0.5));
  CHECK(s[1] == Approx(1.0));
  CHECK(s[2] == Approx(0.0).margin(1e-30));
}

TEST_CASE("leaky relu known values, as torch.nn.functional.leaky_relu", "[activation]") {
  Tensor x = Tensor::from_vector<float>({-2, 0, 3, NAN, -INFINITY}, {5});
  auto y = ops::leaky_relu(x, 0.1).to_vector<float>();
  CHECK(y[0] == Approx(-0.2));
  CHECK(y[1] == 0);
  CHECK(y[2] == 3);
  CHECK(std::isnan(y[3]));  // NaN propagates
  CHECK(y[4] == -INFINITY);
  CHECK(ops::leaky_relu(x, 0.0).to_vector<float>()[0] == 0);  // slope 0 is ReLU
  CHECK_THROWS_WITH(ops::leaky_relu(x, -0.5), Catch::Contains("slope must be finite and >= 0"));
  CHECK_THROWS_WITH(LeakyReLU(-1), Catch::Contains("slope must be >= 0"));
  // The gradient at exactly 0 is the slope (PyTorch's choice).
  Tensor z = Tensor::from_vector<double>({0.0}, {1});
  z.set_requires_grad(true);
  ops::leaky_relu(z, 0.25).backward();
  CHECK(z.grad().to_vector<double>()[0] == 0.25);
}

TEST_CASE("softmax is stable for large logits", "[activation]") {
  Tensor x = Tensor::from_vector<float>({1000, 1000, 0, -5, 0, 5}, {2, 3});
  auto y = ops::softmax(x).to_vector<float>();
  CHECK(y[0] == Approx(0.5));
  CHECK(y[1] == Approx(0.5));
  CHECK(y[2] == Approx(0.0).margin(1e-30));
  CHECK(y[3] + y[4] + y[5] == Approx(1.0));
  CHECK(y[5] == Approx(std::exp(5.0) / (std::exp(-5.0) + 1 + std::exp(5.0))));
}

