// Angle errors of orientation predictions (models/train/orientation_metrics.h):
// the doubled-angle decoding, the 180° ambiguity, the wrap-around at 0°/180°,
// the summary statistics and the chance baseline.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/error.h"
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
