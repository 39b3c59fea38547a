// How well a network predicts the orientation of galaxies (the built-in
// orientation set, io/synth/synth_orientation.cpp, after the SoHPC project).
//
// A label or a prediction is the doubled-angle vector (cos 2θ, sin 2θ) of
// the position angle θ of the major axis: a galaxy turned by 180° looks the
// same, so θ is an axis, not a direction, and lives in [0°, 180°). Any
// positive multiple of the vector stands for the same angle (a network's
// outputs need not have unit length), so
//   θ = ½ atan2(sin 2θ, cos 2θ),
// and the error between two axes is their difference folded into [0°, 90°]:
// 179° against 1° is 2° off, and no prediction is more than 90° off.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace astrocnn::orientation {

// Whether label columns named `names` are orientation labels, (cos_2theta, sin_2theta).
bool is_orientation_labels(const std::vector<std::string>& names);

// θ in [0°, 180°) of the vector (cos 2θ, sin 2θ), or of any positive
// multiple of it; the zero vector (no direction) gives 0°.
double angle_deg(double cos_2theta, double sin_2theta);

// The smallest turn between the axes at angles a and b, in degrees: |a - b|
// folded by the 180° symmetry into [0°, 90°].
double axis_error_deg(double a_deg, double b_deg);

// The angles of N rows of (cos 2θ, sin 2θ), stored one row after the other.
std::vector<double> angles_deg(const std::vector<double>& rows);

// The direction of the mean of the rows, as an angle: what a network that
// learned nothing from the images but the labels' average would predict
// for every image. 0° when the mean is the zero vector.
double mean_angle_deg(const std::vector<double>& rows);

// The label of the dihedral view `view` of an image (io/batches/augment.h:
// view % 4 quarter turns counter-clockwise, then a left-right mirror when
// view >= 4) from the label of the image, in place on (cos 2θ, sin 2θ).
// A quarter turn takes θ to θ - 90° (+x goes to -y), so 2θ gains 180° and
// both components change sign; the mirror takes θ to 180° - θ, so sin 2θ
// changes sign. Each such map is its own inverse, so the same call brings a
// prediction made on a view back to the image's frame (--tta).
void to_dihedral_view(int view, double& cos_2theta, double& sin_2theta);

struct ErrorSummary {
  int64_t count = 0;
  double mean_deg = std::numeric_limits<double>::quiet_NaN();
  double median_deg = std::numeric_limits<double>::quiet_NaN();  // mean of the middle two for even counts
};
ErrorSummary summarise(std::vector<double> errors_deg);

// Everything `astrocnn eval` reports and draws for orientation data.
struct OrientationErrors {
  std::vector<double> true_deg, predicted_deg, error_deg;  // per image
  ErrorSummary model;
  // The chance baseline: one constant angle for every image (mean_angle_deg
  // of the labels) and its errors. For uniformly distributed angles any
  // constant is off by 45° on average (the error is then uniform in [0°, 90°]).
  double constant_deg = 0;
  ErrorSummary constant;
};

// `predicted` and `truth`: N rows of (cos 2θ, sin 2θ) each. Throws an Error
// unless both hold the same, even number of values.
OrientationErrors orientation_errors(const std::vector<double>& predicted,
                                     const std::vector<double>& truth);

}  // namespace astrocnn::orientation
