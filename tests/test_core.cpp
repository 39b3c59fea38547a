// Tensor, storage, autograd tape and RNG basics.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor/philox.h"
#include "gradcheck.h"
#include "kernels/backend.h"

using namespace astrocnn;
using namespace astrocnn::testing;

TEST_CASE("tensor shape, strides and conversions", "[core]") {
  Tensor t = Tensor::zeros({2, 3, 4});
  CHECK(t.numel() == 24);
  CHECK(t.strides() == Shape{12, 4, 1});
  CHECK(t.size(-1) == 4);
  CHECK(t.str() == "float32[2,3,4] cpu");
  Tensor d = Tensor::from_vector<float>({1.5f, -2.f}, {2}).to(DType::F64);
  CHECK(d.dtype() == DType::F64);
  CHECK(d.to_vector<double>() == std::vector<double>{1.5, -2.0});
  Tensor r = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}).reshape({3, -1});
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.to_vector<float>()[5] == 6.f);
  CHECK_THROWS_WITH(Tensor::zeros({2, 3}).reshape({4, 2}), Catch::Contains("cannot reshape"));
  CHECK_THROWS_WITH(Tensor::empty({2, -1}), Catch::Contains("negative"));
  CHECK_THROWS_WITH(Tensor::zeros({2}).data<double>(), Catch::Contains("accessed as float64"));
  CHECK_THROWS(Tensor().shape());
}

TEST_CASE("views share storage; clone does not", "[core]") {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  Tensor v = a.reshape({4});
  Tensor c = a.clone();
  a.data<float>()[0] = 9;
  CHECK(v.to_vector<float>()[0] == 9);
  CHECK(c.to_vector<float>()[0] == 1);
}

TEST_CASE("philox matches the published known-answer vectors", "[core][rng]") {
  // Random123's kat_vectors for philox4x32_10: counter {0,0,0,0}, key {0,0}.
  auto r = philox::philox4x32(0, 0);
  CHECK(r.v[0] == 0x6627e8d5u);
  CHECK(r.v[1] == 0xe169c58du);
  CHECK(r.v[2] == 0xbc57ac4cu);
  CHECK(r.v[3] == 0x9b00dbd8u);
}

TEST_CASE("philox uniform stream is reproducible and roughly uniform", "[core][rng]") {
  Rng a(42), b(42), c(43);
  double sum = 0;
  bool differs = false;
  for (int i = 0; i < 10000; ++i) {
    float x = a.uniform();
    REQUIRE(x >= 0.f);
    REQUIRE(x < 1.f);
    CHECK(x == b.uniform());
    differs |= (x != c.uniform());
    sum += x;
  }
  CHECK(differs);
  CHECK(sum / 10000 == Approx(0.5).margin(0.01));
  Rng n(7);
  double m = 0, s2 = 0;
  for (int i = 0; i < 20000; ++i) {
    double v = n.normal();
    m += v;
    s2 += v * v;
  }
  CHECK(m / 20000 == Approx(0).margin(0.03));
  CHECK(s2 / 20000 == Approx(1).margin(0.05));
}

TEST_CASE("autograd accumulates gradients over reuse and over calls", "[core][autograd]") {
  // y = relu(x) + relu(x): dy/dx = 2 where x > 0.
  Tensor x = Tensor::from_vector<double>({-1.0, 2.0, 3.0}, {1, 3}).set_requires_grad(true);
  Tensor w = Tensor::from_vector<double>({1.0, 1.0, 1.0}, {1, 3});
  auto f = [&] { Tensor r = ops::relu(x); return ops::dense(ops::add(r, r), w, Tensor()); };
  f().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 2, 2});
  f().backward();  // a second backward adds into .grad
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 4, 4});
  x.zero_grad();
  CHECK(!x.grad().defined());
}

TEST_CASE("no-grad guard records nothing", "[core][autograd]") {
  Tensor x = Tensor::from_vector<double>({1.0, 2.0}, {1, 2}).set_requires_grad(true);
  {
    NoGradGuard g;
    Tensor y = ops::relu(x);
    CHECK(!y.requires_grad());
    CHECK(y.is_leaf());
  }
  Tensor y = ops::relu(x);
  CHECK(y.requires_grad());
  CHECK(std::string(y.grad_fn()->name()) == "relu");
}

TEST_CASE("backward needs a scalar that requires grad", "[core][autograd]") {
  Tensor x = Tensor::from_vector<double>({1.0, 2.0}, {1, 2}).set_requires_grad(true);
  CHECK_THROWS_WITH(ops::relu(x).backward(), Catch::Contains("scalar"));
  CHECK_THROWS_WITH(Tensor::scalar(1.0).backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("backend registry: float64 and forced reference run on the reference backend", "[core]") {
  CHECK(backend_for(Tensor::zeros({1}, DType::F64)).name() == "reference");
  {
    ReferenceBackendGuard g;
    CHECK(backend_for(Device::CPU).name() == "reference");
  }
  Tensor out = Tensor::empty({1, 1}, DType::I64);
  CHECK_THROWS_WITH(reference_backend().maxout_forward(2, Tensor::zeros({1, 2}, DType::I64), out),
                    Catch::Contains("int64"));
}

TEST_CASE("poisoned allocations are NaN", "[core]") {
  REQUIRE(poison_allocations());
  Tensor t = Tensor::empty({5});
  for (float v : t.to_vector<float>()) CHECK(std::isnan(v));
}
