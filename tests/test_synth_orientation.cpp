// The built-in orientation set (io/synth/synth_orientation.cpp): labels
// (cos 2θ, sin 2θ) of unit length and uniform θ, the convention of θ in the
// stored NCHW array checked against the images' second moments, and
// reproducibility.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "io/synth/galaxy_profiles.h"
#include "io/synth/synthetic.h"
#include "models/train/orientation_metrics.h"

using namespace astrocnn;
using namespace astrocnn::synth;

namespace {

constexpr double kPi = 3.14159265358979323846;

SynthOptions orientation_options(int64_t n, int64_t size = 32, uint64_t seed = 5) {
  SynthOptions o;
  o.kind = Kind::Orientation;
  o.n = n;
  o.size = size;
  o.seed = seed;
  return o;
}

// Second moments of an image about its centroid, with x the column index and
// y the row index of the row-major (height x width) plane.
struct Moments {
  double xx = 0, yy = 0, xy = 0;
  // The major axis: from +x towards +y, in degrees in [0, 180).
  double angle_deg() const {
    double a = 0.5 * std::atan2(2 * xy, xx - yy) * 180 / kPi;
    return a < 0 ? a + 180 : a;
  }
  // (a² - b²) / (a² + b²) of the moment ellipse: 0 for a round image.
  double ellipticity() const { return std::hypot(xx - yy, 2 * xy) / (xx + yy); }
};

Moments moments(const float* pixels, int64_t size) {
  double sum = 0, sx = 0, sy = 0;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      const double v = pixels[i * size + j];
      sum += v, sx += v * j, sy += v * i;
    }
  const double cx = sx / sum, cy = sy / sum;
  Moments m;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      const double v = pixels[i * size + j] / sum, dx = j - cx, dy = i - cy;
      m.xx += v * dx * dx, m.yy += v * dy * dy, m.xy += v * dx * dy;
    }
  return m;
}

// θ of a label row, in degrees.
double label_angle_deg(const float* label) { return orientation::angle_deg(label[0], label[1]); }

}  // namespace

TEST_CASE("orientation: one band, labels (cos 2theta, sin 2theta) of unit length", "[synthetic]") {
  CHECK(parse_kind("orientation") == Kind::Orientation);
  CHECK(std::string(kind_name(Kind::Orientation)) == "orientation");
  Generator g(orientation_options(64));
  CHECK(g.channels() == 1);
  CHECK(g.label_width() == 2);
  CHECK(g.task() == "regression");
  CHECK(g.label_names() == std::vector<std::string>{"cos_2theta", "sin_2theta"});
  CHECK(orientation::is_orientation_labels(g.label_names()));  // what `astrocnn eval` looks for

  Dataset d = g.generate();
  CHECK(d.images.shape() == Shape{64, 1, 32, 32});
  CHECK(d.labels.shape() == Shape{64, 2});
  std::vector<float> labels = d.labels.to_vector<float>();
  for (int64_t i = 0; i < 64; ++i) {
    const double c = labels[2 * i], s = labels[2 * i + 1];
    REQUIRE(c * c + s * s == Approx(1.0).margin(1e-6));
  }
  for (float v : d.images.to_vector<float>()) REQUIRE(std::isfinite(v));
}

TEST_CASE("orientation: position angles are uniform between 0 and 180 degrees", "[synthetic]") {
  Generator g(orientation_options(1));
  const int n = 3000, bins = 6;
  std::vector<int> counts(bins, 0);
  double mean_c = 0, mean_s = 0;
  for (int64_t i = 0; i < n; ++i) {
    SampleInfo s = g.describe(i);
    REQUIRE(s.label.size() == 2);
    REQUIRE(s.true_class == -1);
    REQUIRE(s.snr > 10);  // bright enough that the shape is measured, not guessed
    mean_c += s.label[0] / n, mean_s += s.label[1] / n;
    ++counts[static_cast<int>(orientation::angle_deg(s.label[0], s.label[1]) / (180.0 / bins))];
  }
  // For uniform θ, the doubled-angle vectors average to zero (σ of the mean ≈ 0.013).
  CHECK(std::fabs(mean_c) < 0.05);
  CHECK(std::fabs(mean_s) < 0.05);
  for (int b = 0; b < bins; ++b) CHECK(counts[b] == Approx(n / bins).margin(0.15 * n / bins));
}

TEST_CASE("orientation: theta runs from +x (columns) towards +y (rows)", "[synthetic]") {
  // An edge-on disk (q = 0.12) at θ = 0 lies along the rows: its light spreads
  // over columns, hardly over rows.
  const int64_t size = 41;
  const double c = 20;
  auto disk = [&](double theta) {
    std::vector<float> pixels(size * size, 0.0f);
    SersicProfile p;
    p.x = c, p.y = c, p.r_e = 6, p.n = 1, p.axis_ratio = 0.12, p.angle = theta, p.flux = 1e4;
    add_sersic(Plane{pixels.data(), size, size}, p);
    return pixels;
  };
  std::vector<float> flat = disk(0);
  Moments m = moments(flat.data(), size);
  CHECK(m.xx > 20 * m.yy);
  CHECK(std::fabs(m.angle_deg() - 0) < 0.5);
  CHECK(flat[20 * size + 30] > 100 * flat[30 * size + 20]);  // (row 20, column 30) against (row 30, column 20)

  // At θ = 30°, the major axis points to growing column AND growing row index.
  std::vector<float> turned = disk(30 * kPi / 180);
  const int64_t dx = 9, dy = 5;  // about 30° from the x axis
  CHECK(turned[(20 + dy) * size + 20 + dx] > 10 * turned[(20 - dy) * size + 20 + dx]);
  CHECK(moments(turned.data(), size).angle_deg() == Approx(30).margin(0.5));
  CHECK(moments(disk(120 * kPi / 180).data(), size).angle_deg() == Approx(120).margin(0.5));
}

TEST_CASE("orientation: the labels match the second moments of noiseless images", "[synthetic]") {
  // The end-to-end convention: the images as stored, [N, 1, H, W] with row
  // index y and column index x, and θ from the labels.
  SynthOptions o = orientation_options(120, 48);
  o.noiseless = true;
  o.scaling = Scaling::Linear;  // moments of the light, not of its asinh
  Dataset d = generate(o);
  std::vector<float> labels = d.labels.to_vector<float>();
  int elongated = 0;
  double worst = 0, least_ellipticity = 1;
  for (int64_t i = 0; i < o.n; ++i) {
    Moments m = moments(d.images.data<float>() + i * o.size * o.size, o.size);
    least_ellipticity = std::min(least_ellipticity, m.ellipticity());
    if (m.ellipticity() < 0.3) continue;  // rounder ones: spiral arms may twist the moments
    ++elongated;
    worst = std::max(worst, orientation::axis_error_deg(m.angle_deg(), label_angle_deg(&labels[2 * i])));
  }
  INFO("elongated images: " << elongated << ", largest moment-angle error " << worst
       << " deg, least ellipticity " << least_ellipticity);
  CHECK(elongated > o.n / 2);
  CHECK(worst < 2.0);
  // No galaxy is round (nearly face-on disks are not drawn), so every image has an orientation.
  CHECK(least_ellipticity > 0.05);
}

TEST_CASE("orientation data is reproducible: image i depends on the seed and i only", "[synthetic]") {
  SynthOptions o = orientation_options(8, 32, 21);
  Dataset a = generate(o), b = generate(o);
  CHECK(a.images.to_vector<float>() == b.images.to_vector<float>());
  CHECK(a.labels.to_vector<float>() == b.labels.to_vector<float>());
  o.seed = 22;
  CHECK(generate(o).labels.to_vector<float>() != a.labels.to_vector<float>());

  o.seed = 21;
  o.n = 40;
  o.num_threads = 3;
  Dataset more = generate(o);
  const int64_t plane = o.size * o.size;
  std::vector<float> pa = a.images.to_vector<float>(), pm = more.images.to_vector<float>();
  CHECK(std::equal(pa.begin(), pa.end(), pm.begin()));  // the first 8 images, byte for byte
  std::vector<float> la = a.labels.to_vector<float>(), lm = more.labels.to_vector<float>();
  CHECK(std::equal(la.begin(), la.end(), lm.begin()));

  Generator g(o);
  std::vector<float> pixels(plane);
  for (int64_t i : {0, 5, 39}) CHECK(g.describe(i).label == g.render(i, pixels.data()).label);
}
