#include "models/train/orientation_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/tensor/error.h"

namespace astrocnn::orientation {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegreesPerRadian = 180.0 / kPi;

}  // namespace

bool is_orientation_labels(const std::vector<std::string>& names) {
  return names == std::vector<std::string>{"cos_2theta", "sin_2theta"};
}

double angle_deg(double cos_2theta, double sin_2theta) {
  // atan2 gives 2θ in (-180°, 180°]: half of it in (-90°, 90°], moved into [0°, 180°).
  double theta = 0.5 * std::atan2(sin_2theta, cos_2theta) * kDegreesPerRadian;
  if (theta < 0) theta += 180.0;
  if (theta >= 180.0) theta -= 180.0;  // -1e-17 + 180 rounds to 180
  return theta + 0.0;                  // and -0 to +0
}

void to_dihedral_view(int view, double& cos_2theta, double& sin_2theta) {
  if (view % 4 == 1 || view % 4 == 3) cos_2theta = -cos_2theta, sin_2theta = -sin_2theta;
  if (view >= 4) sin_2theta = -sin_2theta;
}

double axis_error_deg(double a_deg, double b_deg) {
  double d = std::fmod(std::fabs(a_deg - b_deg), 180.0);  // in [0°, 180°)
  return std::min(d, 180.0 - d);
}

std::vector<double> angles_deg(const std::vector<double>& rows) {
  ASTRO_CHECK(rows.size() % 2 == 0, "orientation: ", rows.size(),
              " values are not rows of (cos 2theta, sin 2theta)");
  std::vector<double> angles(rows.size() / 2);
  for (size_t i = 0; i < angles.size(); ++i) angles[i] = angle_deg(rows[2 * i], rows[2 * i + 1]);
  return angles;
}

double mean_angle_deg(const std::vector<double>& rows) {
  double c = 0, s = 0;
  for (size_t i = 0; i + 1 < rows.size(); i += 2) c += rows[i], s += rows[i + 1];
  return angle_deg(c, s);
}

ErrorSummary summarise(std::vector<double> errors) {
  ErrorSummary e;
  e.count = static_cast<int64_t>(errors.size());
  if (errors.empty()) return e;
  e.mean_deg = std::accumulate(errors.begin(), errors.end(), 0.0) / errors.size();
  const size_t half = errors.size() / 2;
  std::nth_element(errors.begin(), errors.begin() + half, errors.end());
  e.median_deg = errors[half];
  if (errors.size() % 2 == 0)  // and the largest of the lower half
    e.median_deg = 0.5 * (e.median_deg + *std::max_element(errors.begin(), errors.begin() + half));
  return e;
}

OrientationErrors orientation_errors(const std::vector<double>& predicted,
                                     const std::vector<double>& truth) {
  ASTRO_CHECK(predicted.size() == truth.size(), "orientation: ", predicted.size(),
              " predicted values for ", truth.size(), " label values");
  OrientationErrors r;
  r.true_deg = angles_deg(truth);
  r.predicted_deg = angles_deg(predicted);
  r.constant_deg = mean_angle_deg(truth);
  std::vector<double> constant_errors(r.true_deg.size());
  r.error_deg.resize(r.true_deg.size());
  for (size_t i = 0; i < r.true_deg.size(); ++i) {
    r.error_deg[i] = axis_error_deg(r.predicted_deg[i], r.true_deg[i]);
    constant_errors[i] = axis_error_deg(r.constant_deg, r.true_deg[i]);
  }
  r.model = summarise(r.error_deg);
  r.constant = summarise(constant_errors);
  return r;
}

}  // namespace astrocnn::orientation
