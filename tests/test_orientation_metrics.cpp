// Angle errors of orientation predictions (models/train/orientation_metrics.h):
// the doubled-angle decoding, the 180° ambiguity, the wrap-around at 0°/180°,
// the summary statistics, the chance baseline, and how the label follows
// an image turned or mirrored (predict --tta).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/tensor/error.h"
#include "core/tensor/tensor.h"
#include "io/batches/augment.h"
#include "models/train/orientation_metrics.h"

using namespace astrocnn;
using namespace astrocnn::orientation;

namespace {

constexpr double kPi = 3.14159265358979323846;

// The label row (cos 2θ, sin 2θ) of θ in degrees.
std::vector<double> row(double theta_deg) {
  const double t = 2 * theta_deg * kPi / 180;
  return {std::cos(t), std::sin(t)};
}

std::vector<double> rows(const std::vector<double>& thetas_deg) {
  std::vector<double> out;
  for (double t : thetas_deg) {
    std::vector<double> r = row(t);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

}  // namespace

TEST_CASE("orientation: the angle of a doubled-angle vector is between 0 and 180 degrees", "[orientation]") {
  for (double theta : {0.0, 1.0, 30.0, 45.0, 89.5, 90.0, 135.0, 179.0, 179.9}) {
    std::vector<double> r = row(theta);
    CHECK(angle_deg(r[0], r[1]) == Approx(theta).margin(1e-9));
    CHECK(angle_deg(7.5 * r[0], 7.5 * r[1]) == Approx(theta).margin(1e-9));  // length does not matter
  }
  // A galaxy turned by half a turn is the same galaxy: the same label, the same angle.
  for (double theta : {10.0, 100.0}) {
    std::vector<double> a = row(theta), b = row(theta + 180);
    CHECK(b[0] == Approx(a[0]).margin(1e-12));
    CHECK(b[1] == Approx(a[1]).margin(1e-12));
    CHECK(angle_deg(b[0], b[1]) == Approx(theta).margin(1e-9));
  }
  // Just below 0 wraps to just below 180, never to 180 itself; zero vectors give 0 (not -0).
  CHECK(angle_deg(1.0, -1e-9) < 180.0);
  CHECK(angle_deg(1.0, -1e-9) == Approx(180.0).margin(1e-6));
  CHECK(angle_deg(1.0, -1e-300) < 180.0);
  CHECK(angle_deg(0.0, 0.0) == 0.0);
  CHECK_FALSE(std::signbit(angle_deg(1.0, -0.0)));
  CHECK(angle_deg(-1.0, 0.0) == Approx(90.0));  // 2θ = 180°: the y axis
}

TEST_CASE("orientation: axis errors fold the 180 degree ambiguity into 0 to 90 degrees", "[orientation]") {
  CHECK(axis_error_deg(1, 179) == Approx(2));   // across the wrap-around
  CHECK(axis_error_deg(179, 1) == Approx(2));
  CHECK(axis_error_deg(10, 190) == Approx(0).margin(1e-12));  // the same axis
  CHECK(axis_error_deg(0, 90) == Approx(90));   // perpendicular: the worst possible
  CHECK(axis_error_deg(20, 130) == Approx(70));  // 110° one way is 70° the other
  CHECK(axis_error_deg(-30, 30) == Approx(60));
  for (double a = 0; a < 180; a += 7.3)
    for (double b = 0; b < 180; b += 11.1) {
      const double e = axis_error_deg(a, b);
      REQUIRE(e >= 0);
      REQUIRE(e <= 90);
      REQUIRE(e == Approx(axis_error_deg(b, a)));
    }

  // Through the label vectors: true 179°, predicted 1° is 2° off.
  OrientationErrors r = orientation_errors(rows({1}), rows({179}));
  REQUIRE(r.error_deg.size() == 1);
  CHECK(r.error_deg[0] == Approx(2).margin(1e-9));
  CHECK(r.true_deg[0] == Approx(179).margin(1e-9));
  CHECK(r.predicted_deg[0] == Approx(1).margin(1e-9));
}

TEST_CASE("orientation: mean and median errors, odd and even counts", "[orientation]") {
  ErrorSummary odd = summarise({5, 1, 30});
  CHECK(odd.count == 3);
  CHECK(odd.mean_deg == Approx(12));
  CHECK(odd.median_deg == Approx(5));
  ErrorSummary even = summarise({40, 2, 10, 4});
  CHECK(even.mean_deg == Approx(14));
  CHECK(even.median_deg == Approx(7));  // (4 + 10) / 2
  ErrorSummary none = summarise({});
  CHECK(none.count == 0);
  CHECK(std::isnan(none.mean_deg));
  CHECK(std::isnan(none.median_deg));

  // Predictions 0°, 3°, 6° ... off, some of them across the wrap-around.
  std::vector<double> truth, predicted;
  for (int i = 0; i < 10; ++i) {
    truth.push_back(i * 18.0);
    predicted.push_back(i * 18.0 + (i % 2 ? 1 : -1) * 3.0 * i);
  }
  OrientationErrors r = orientation_errors(rows(predicted), rows(truth));
  CHECK(r.model.count == 10);
  CHECK(r.model.mean_deg == Approx(13.5));   // 3 * mean(0..9)
  CHECK(r.model.median_deg == Approx(13.5));  // (12 + 15) / 2
}

TEST_CASE("orientation: a constant prediction is 45 degrees off for uniform angles", "[orientation]") {
  std::vector<double> thetas;
  for (int i = 0; i < 360; ++i) thetas.push_back(i * 0.5);  // evenly over [0°, 180°)
  const std::vector<double> truth = rows(thetas);
  OrientationErrors r = orientation_errors(truth, truth);  // a perfect model
  CHECK(r.model.mean_deg == Approx(0).margin(1e-9));
  CHECK(r.constant.count == 360);
  CHECK(r.constant.mean_deg == Approx(45).margin(0.01));
  CHECK(r.constant.median_deg == Approx(45).margin(0.5));

  // Skewed labels: the baseline predicts their mean direction, and beats 45°.
  const std::vector<double> skewed = rows({10, 20, 30, 40, 170});
  CHECK(mean_angle_deg(skewed) == Approx(18.459).margin(1e-3));
  OrientationErrors s = orientation_errors(skewed, skewed);
  CHECK(s.constant_deg == Approx(mean_angle_deg(skewed)));
  CHECK(s.constant.mean_deg < 20);
  CHECK(mean_angle_deg({}) == 0.0);
}

TEST_CASE("orientation: label names and mismatched inputs", "[orientation]") {
  CHECK(is_orientation_labels({"cos_2theta", "sin_2theta"}));
  CHECK_FALSE(is_orientation_labels({"sin_2theta", "cos_2theta"}));
  CHECK_FALSE(is_orientation_labels({"cos_2theta"}));
  CHECK_FALSE(is_orientation_labels({"mass_ratio", "separation_kpc_over_30", "time_to_coalescence_gyr"}));
  CHECK_THROWS_AS(orientation_errors({1, 0, 1, 0}, {1, 0}), Error);
  CHECK_THROWS_WITH(angles_deg({1, 0, 1}), Catch::Contains("not rows of (cos 2theta, sin 2theta)"));
}

// ---- Orientations under the 8 dihedral views (predict --tta) ----

namespace {

// A 1-channel image of side n holding an elongated Gaussian at the centre,
// its major axis at θ from +x (columns) towards +y (rows), the synthetic
// sets' convention.
Tensor elongated_galaxy(int64_t n, double theta_deg) {
  Tensor image = Tensor::empty({1, n, n});
  const double t = theta_deg * kPi / 180, c = (n - 1) / 2.0;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t col = 0; col < n; ++col) {
      const double dx = col - c, dy = r - c;
      const double u = dx * std::cos(t) + dy * std::sin(t), v = -dx * std::sin(t) + dy * std::cos(t);
      image.data<float>()[r * n + col] = static_cast<float>(std::exp(-0.5 * (u * u / 6.25 + v * v / 1.0)));
    }
  return image;
}

// (cos 2θ, sin 2θ) of an image [C, N, N] or a batch's image i, measured
// from its second moments about the centre: what a perfect network predicts.
std::vector<double> measured_orientation(const float* pixels, int64_t n) {
  const double c = (n - 1) / 2.0;
  double xx = 0, yy = 0, xy = 0;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t col = 0; col < n; ++col) {
      const double p = pixels[r * n + col], dx = col - c, dy = r - c;
      xx += p * dx * dx, yy += p * dy * dy, xy += p * dx * dy;
    }
  const double length = std::hypot(xx - yy, 2 * xy);
  return {(xx - yy) / length, 2 * xy / length};
}

}  // namespace

TEST_CASE("orientation: the label of every dihedral view follows the turned image", "[orientation][augment]") {
  for (double theta : {0.0, 17.0, 45.0, 90.0, 131.0, 179.0}) {
    CAPTURE(theta);
    Tensor image = elongated_galaxy(15, theta);
    const std::vector<double> original = measured_orientation(image.data<float>(), 15);
    // The moments see the angle the image was drawn at (the pixel grid
    // biases them a little): the convention of the labels.
    INFO("the moments disagree with the synthetic sets' angle convention (+x = columns, towards +y = rows)");
    CHECK(axis_error_deg(angle_deg(original[0], original[1]), theta) < 0.5);
    for (int view = 0; view < augment::kDihedralViews; ++view) {
      CAPTURE(view);
      Tensor turned = augment::dihedral_view(image, view);
      std::vector<double> label = original;
      to_dihedral_view(view, label[0], label[1]);
      std::vector<double> seen = measured_orientation(turned.data<float>(), 15);
      // The views permute pixels exactly, so the moments of a view are the
      // moments of the image, turned: equal to rounding.
      INFO("to_dihedral_view disagrees with io/batches/augment.cpp's views: a turn or mirror changed");
      CHECK(seen[0] == Approx(label[0]).margin(1e-9));
      CHECK(seen[1] == Approx(label[1]).margin(1e-9));
      // Its own inverse: the same call brings a view's prediction back.
      to_dihedral_view(view, seen[0], seen[1]);
      CHECK(seen[0] == Approx(original[0]).margin(1e-9));
      CHECK(seen[1] == Approx(original[1]).margin(1e-9));
    }
  }
}

TEST_CASE("orientation: averaging over the 8 views turns each prediction back first", "[orientation][augment]") {
  // A batch of 3 odd-sized images; the "network" measures each image's moments.
  const int64_t n = 13;
  const std::vector<double> thetas = {20.0, 95.0, 160.0};
  Tensor x = Tensor::empty({3, 1, n, n});
  for (size_t i = 0; i < thetas.size(); ++i) {
    Tensor g = elongated_galaxy(n, thetas[i]);
    std::copy(g.data<float>(), g.data<float>() + n * n, x.data<float>() + i * n * n);
  }
  auto perfect_network = [&](const Tensor& batch) {
    std::vector<double> out;
    for (int64_t i = 0; i < batch.size(0); ++i) {
      std::vector<double> o = measured_orientation(batch.data<float>() + i * n * n, n);
      out.insert(out.end(), o.begin(), o.end());
    }
    return Tensor::from_vector(out, {batch.size(0), 2}).to(DType::F32);
  };
  auto back = [](int view, double* r, int64_t k) {
    REQUIRE(k == 2);
    to_dihedral_view(view, r[0], r[1]);
  };
  std::vector<float> turned_back = augment::mean_over_dihedral_views(x, perfect_network, back).to_vector<float>();
  std::vector<float> naive = augment::mean_over_dihedral_views(x, perfect_network).to_vector<float>();
  for (size_t i = 0; i < thetas.size(); ++i) {
    CAPTURE(thetas[i]);
    const std::vector<double> seen = measured_orientation(x.data<float>() + i * n * n, n);
    CHECK(turned_back[2 * i] == Approx(seen[0]).margin(1e-5));
    CHECK(turned_back[2 * i + 1] == Approx(seen[1]).margin(1e-5));
    // Averaged as they come, the 8 views' orientations cancel: why --tta must turn them back.
    CHECK(std::hypot(naive[2 * i], naive[2 * i + 1]) < 1e-5);
  }
}
