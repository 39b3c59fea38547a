// Weight initialisers: fans, sample statistics, bounds, dtypes, reproducibility.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/init.h"

using namespace astrocnn;

namespace {

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

Stats stats_of(const Tensor& t) {
  std::vector<double> v = t.to(DType::F64).to_vector<double>();
  Stats s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(ss / v.size());
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

}  // namespace

TEST_CASE("fans follow PyTorch's rule", "[init]") {
  // Dense [out, in]: fan_in = in, fan_out = out.
  CHECK(init::compute_fans({10, 300}).fan_in == 300);
  CHECK(init::compute_fans({10, 300}).fan_out == 10);
  // Convolution [K, C/groups, R, S]: the receptive field R*S multiplies both.
  CHECK(init::compute_fans({8, 3, 5, 5}).fan_in == 3 * 25);
  CHECK(init::compute_fans({8, 3, 5, 5}).fan_out == 8 * 25);
  // Grouped: weight [32, 64/4, 3, 3] has fan_in 16 * 9.
  CHECK(init::compute_fans({32, 16, 3, 3}).fan_in == 144);
  CHECK_THROWS_WITH(init::compute_fans({7}), Catch::Contains("at least 2 dimensions"));
  CHECK(init::leaky_relu_gain(0) == Approx(std::sqrt(2.0)));
  CHECK(init::leaky_relu_gain(std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
}

TEST_CASE("constant_ writes the exact value in any float dtype", "[init]") {
  Tensor f = Tensor::zeros({3, 4});
  Tensor d = Tensor::zeros({5}, DType::F64);
  init::constant_(f, 0.25);
  init::constant_(d, -1.0 / 3.0);
  for (float x : f.to_vector<float>()) CHECK(x == 0.25f);
  for (double x : d.to_vector<double>()) CHECK(x == -1.0 / 3.0);
  CHECK(d.dtype() == DType::F64);
}

TEST_CASE("normal_ has the requested mean and standard deviation", "[init]") {
  // 200k samples: the standard error of the mean is std/447, of the std about std/632.
  Tensor t = Tensor::empty({400, 500});
  Rng rng(7);
  init::normal_(t, 0.5, 2.0, rng);
  Stats s = stats_of(t);
  CHECK(s.mean == Approx(0.5).margin(0.02));
  CHECK(s.std == Approx(2.0).epsilon(0.01));
  // Box-Muller tails: 200k draws reach beyond 4 sigma on both sides.
  CHECK(s.min < 0.5 - 4 * 2.0);
  CHECK(s.max > 0.5 + 4 * 2.0);
}

TEST_CASE("uniform_ stays within lo <= x < hi and covers the range", "[init]") {
  Tensor t = Tensor::empty({100000}, DType::F64);
  Rng rng(8);
  init::uniform_(t, -3.0, 5.0, rng);
  Stats s = stats_of(t);
  CHECK(s.min >= -3.0);
  CHECK(s.max < 5.0);
  CHECK(s.min < -3.0 + 0.01);
  CHECK(s.max > 5.0 - 0.01);
  CHECK(s.mean == Approx(1.0).margin(0.03));
  CHECK(s.std == Approx(8.0 / std::sqrt(12.0)).epsilon(0.01));
  CHECK_THROWS_WITH(init::uniform_(t, 1.0, 0.0), Catch::Contains("lo <= hi"));
}

TEST_CASE("kaiming initialisers scale with the fan", "[init]") {
  Tensor w = Tensor::empty({256, 64, 3, 3});  // fan_in 576, fan_out 2304
  Rng rng(9);

  SECTION("normal, fan_in, ReLU gain") {
    init::kaiming_normal_(w, 0, init::FanMode::FanIn, rng);
    Stats s = stats_of(w);
    CHECK(s.mean == Approx(0).margin(0.001));
    CHECK(s.std == Approx(std::sqrt(2.0 / 576)).epsilon(0.01));
  }
  SECTION("normal, fan_out") {
    init::kaiming_normal_(w, 0, init::FanMode::FanOut, rng);
    CHECK(stats_of(w).std == Approx(std::sqrt(2.0 / 2304)).epsilon(0.01));
  }
  SECTION("uniform, ReLU gain: bound sqrt(6 / fan_in)") {
    init::kaiming_uniform_(w, 0, init::FanMode::FanIn, rng);
    double bound = std::sqrt(6.0 / 576);
    Stats s = stats_of(w);
    CHECK(s.min >= -bound);
    CHECK(s.max <= bound);
    CHECK(s.max > 0.999 * bound);
    CHECK(s.std == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
  }
  SECTION("uniform, a = sqrt(5) (PyTorch's layer default): bound 1/sqrt(fan_in)") {
    init::kaiming_uniform_(w, std::sqrt(5.0), init::FanMode::FanIn, rng);
    Stats s = stats_of(w);
    CHECK(s.max <= 1.0 / 24);
    CHECK(s.min >= -1.0 / 24);
    CHECK(s.max > 0.999 / 24);
  }
}

TEST_CASE("xavier initialisers use fan_in + fan_out", "[init]") {
  Tensor w = Tensor::empty({300, 700});  // fan_in + fan_out = 1000
  Rng rng(10);
  init::xavier_normal_(w, 2.0, rng);
  CHECK(stats_of(w).std == Approx(2.0 * std::sqrt(2.0 / 1000)).epsilon(0.01));
  init::xavier_uniform_(w, 1.0, rng);
  double bound = std::sqrt(6.0 / 1000);
  Stats s = stats_of(w);
  CHECK(s.min >= -bound);
  CHECK(s.max <= bound);
  CHECK(s.max > 0.999 * bound);
  CHECK(s.std == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
}

TEST_CASE("initialisers are reproducible and keep the tensor's identity and dtype", "[init]") {
  Tensor a = Tensor::empty({4, 6}, DType::F64);
  Tensor b = Tensor::empty({4, 6}, DType::F64);
  Tensor alias = a;  // a handle to the same tensor, as a layer keeps its parameters
  Rng r1(123), r2(123);
  init::kaiming_normal_(a, 0, init::FanMode::FanIn, r1);
  init::kaiming_normal_(b, 0, init::FanMode::FanIn, r2);
  CHECK(a.to_vector<double>() == b.to_vector<double>());
  CHECK(alias.to_vector<double>() == a.to_vector<double>());
  CHECK(a.dtype() == DType::F64);
  CHECK(r1.offset() == 48);  // a normal draw consumes two stream positions

  // The overloads without an Rng draw from global_rng().
  manual_seed(99);
  init::uniform_(a, -1, 1);
  Rng same(99);
  init::uniform_(b, -1, 1, same);
  CHECK(a.to_vector<double>() == b.to_vector<double>());
  CHECK(global_rng().offset() == same.offset());

  // A second draw continues the stream: different values.
  init::uniform_(a, -1, 1);
  CHECK(a.to_vector<double>() != b.to_vector<double>());
}

TEST_CASE("initialisers reject integer tensors and fanless shapes", "[init]") {
  Tensor labels = Tensor::zeros({4}, DType::I64);
  CHECK_THROWS_WITH(init::constant_(labels, 1), Catch::Contains("floating-point"));
  CHECK_THROWS_WITH(init::normal_(labels), Catch::Contains("floating-point"));
  Tensor bias = Tensor::zeros({4});
  CHECK_THROWS_WITH(init::kaiming_uniform_(bias), Catch::Contains("at least 2 dimensions"));
  CHECK_THROWS_WITH(init::xavier_normal_(bias), Catch::Contains("at least 2 dimensions"));
}
