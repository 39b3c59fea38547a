// SIE + external shear lensing and ray-tracing (io/synth/lens_model.h).
#include "io/synth/lens_model.h"

#include <algorithm>
#include <cmath>

#include "core/tensor/error.h"

namespace astrocnn::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Below this 1 − q the SIE is the singular isothermal sphere to double
// precision (the correction to the deflection is of order e² = 1 − q²).
constexpr double kSphereTolerance = 1e-10;

// The lens with what every ray needs computed once: the rotation into its
// frame, the SIE's constants and the shear components.
class PreparedLens {
 public:
  explicit PreparedLens(const LensModel& lens)
      : lens_(lens),
        cos_(std::cos(lens.angle)),
        sin_(std::sin(lens.angle)),
        gamma1_(lens.shear * std::cos(2 * lens.shear_angle)),
        gamma2_(lens.shear * std::sin(2 * lens.shear_angle)),
        sphere_(1 - lens.axis_ratio < kSphereTolerance),
        e_(std::sqrt(1 - lens.axis_ratio * lens.axis_ratio)),
        scale_(sphere_ ? lens.einstein_radius
                       : lens.einstein_radius * std::sqrt(lens.axis_ratio) / e_) {}

  // θ relative to the centre, and in the lens frame (major axis along x).
  Vec2 offset(Vec2 theta) const { return {theta.x - lens_.x, theta.y - lens_.y}; }
  Vec2 to_frame(Vec2 d) const { return {cos_ * d.x + sin_ * d.y, -sin_ * d.x + cos_ * d.y}; }
  Vec2 from_frame(Vec2 v) const { return {cos_ * v.x - sin_ * v.y, sin_ * v.x + cos_ * v.y}; }

  // The SIE's deflection in its own frame (Keeton 2001, zero core).
  Vec2 sie_in_frame(Vec2 p) const {
    const double r2 = p.x * p.x + p.y * p.y;
    if (r2 == 0) return {0, 0};  // the singular centre: zero by symmetry
    if (sphere_) {
      const double k = scale_ / std::sqrt(r2);
      return {k * p.x, k * p.y};
    }
    const double q = lens_.axis_ratio;
    const double psi = std::sqrt(q * q * p.x * p.x + p.y * p.y);
    return {scale_ * std::atan(e_ * p.x / psi), scale_ * std::atanh(e_ * p.y / psi)};
  }

  Vec2 deflection(Vec2 theta) const {
    const Vec2 d = offset(theta);
    const Vec2 sie = from_frame(sie_in_frame(to_frame(d)));
    return {sie.x + gamma1_ * d.x + gamma2_ * d.y, sie.y + gamma2_ * d.x - gamma1_ * d.y};
  }

  double potential(Vec2 theta) const {
    const Vec2 d = offset(theta), p = to_frame(d), a = sie_in_frame(p);
    return p.x * a.x + p.y * a.y + 0.5 * gamma1_ * (d.x * d.x - d.y * d.y) + gamma2_ * d.x * d.y;
  }

  double convergence(Vec2 theta) const {
    const Vec2 p = to_frame(offset(theta));
    const double q = lens_.axis_ratio;
    return lens_.einstein_radius / (2 * std::sqrt(q * p.x * p.x + p.y * p.y / q));
  }

  Vec2 source_position(Vec2 theta) const {
    const Vec2 a = deflection(theta);
    return {theta.x - a.x, theta.y - a.y};
  }

 private:
  LensModel lens_;
  double cos_, sin_, gamma1_, gamma2_;
  bool sphere_;  // q = 1 to double precision: the singular isothermal sphere
  double e_, scale_;
};

}  // namespace

void check_lens(const LensModel& lens) {
  ASTRO_CHECK(std::isfinite(lens.x) && std::isfinite(lens.y) && std::isfinite(lens.angle) &&
                  std::isfinite(lens.shear_angle),
              "lens model: centre and angles must be finite");
  ASTRO_CHECK(std::isfinite(lens.einstein_radius) && lens.einstein_radius > 0,
              "lens model: the Einstein radius must be > 0, got ", lens.einstein_radius);
  ASTRO_CHECK(lens.axis_ratio > 0 && lens.axis_ratio <= 1,
              "lens model: the axis ratio must be in (0, 1], got ", lens.axis_ratio);
  ASTRO_CHECK(std::isfinite(lens.shear) && lens.shear >= 0,
              "lens model: the external shear must be >= 0, got ", lens.shear);
}

double convergence(const LensModel& lens, Vec2 theta) { return PreparedLens(lens).convergence(theta); }
double lens_potential(const LensModel& lens, Vec2 theta) { return PreparedLens(lens).potential(theta); }
Vec2 deflection(const LensModel& lens, Vec2 theta) { return PreparedLens(lens).deflection(theta); }
Vec2 source_position(const LensModel& lens, Vec2 theta) { return PreparedLens(lens).source_position(theta); }

// ---- Source light -------------------------------------------------------------------

SourceLight::SourceLight(const std::vector<SersicProfile>& sersics,
                         const std::vector<GaussianSpot>& spots)
    : spots_(spots) {
  auto extend = [&](double x, double y, double reach) {
    if (lo_.x > hi_.x) {  // the first component
      lo_ = {x - reach, y - reach};
      hi_ = {x + reach, y + reach};
      return;
    }
    lo_ = {std::min(lo_.x, x - reach), std::min(lo_.y, y - reach)};
    hi_ = {std::max(hi_.x, x + reach), std::max(hi_.y, y + reach)};
  };
  for (const SersicProfile& p : sersics) {
    ASTRO_CHECK(p.r_e > 0 && p.n > 0 && p.axis_ratio > 0 && p.axis_ratio <= 1 && p.truncation > 0,
                "lensed source: needs r_e > 0, n > 0, 0 < axis_ratio <= 1, truncation > 0");
    if (p.flux <= 0) continue;
    // As add_sersic: the light inside the truncation ellipse is
    // 2π q r_e² I0 n b^(-2n) Γ(2n) P(2n, b t^(1/n)), with I0 the central intensity.
    const double b = sersic_b(p.n);
    const double unit_total = 2 * kPi * p.axis_ratio * p.r_e * p.r_e * p.n *
                              std::exp(-2 * p.n * std::log(b)) * std::tgamma(2 * p.n) *
                              sersic_enclosed_fraction(p.n, p.truncation);
    sersics_.push_back({p, p.flux / unit_total, b, std::cos(p.angle), std::sin(p.angle)});
    extend(p.x, p.y, p.truncation * p.r_e);
  }
  for (const GaussianSpot& g : spots) {
    ASTRO_CHECK(g.sigma > 0, "lensed source: a clump's sigma must be > 0, got ", g.sigma);
    if (g.flux > 0) extend(g.x, g.y, 5 * g.sigma);
  }
}

double SourceLight::surface_brightness(Vec2 beta) const {
  double sum = 0;
  for (const Sersic& s : sersics_) {
    const SersicProfile& p = s.shape;
    const double dx = beta.x - p.x, dy = beta.y - p.y;
    const double u = s.cos_angle * dx + s.sin_angle * dy;
    const double v = (-s.sin_angle * dx + s.cos_angle * dy) / p.axis_ratio;
    const double r = std::sqrt(u * u + v * v) / p.r_e;  // elliptical radius over r_e
    if (r <= p.truncation) sum += s.i0 * std::exp(-s.b * std::pow(r, 1 / p.n));
  }
  for (const GaussianSpot& g : spots_) {
    const double d2 = (beta.x - g.x) * (beta.x - g.x) + (beta.y - g.y) * (beta.y - g.y);
    if (d2 <= 25 * g.sigma * g.sigma)
      sum += g.flux / (2 * kPi * g.sigma * g.sigma) * std::exp(-0.5 * d2 / (g.sigma * g.sigma));
  }
  return sum;
}

// ---- Ray-tracing ----------------------------------------------------------------------

void add_lensed_light(const Plane& plane, const LensModel& lens, const SourceLight& source,
                      int subsamples) {
  check_lens(lens);
  ASTRO_CHECK(subsamples >= 1, "add_lensed_light: subsamples must be >= 1, got ", subsamples);
  const Vec2 lo = source.lo(), hi = source.hi();
  if (lo.x > hi.x) return;
  const int64_t w = plane.width, h = plane.height;
  const PreparedLens prepared(lens);

  // β at every pixel corner: corner (i, j) is the point (j − ½, i − ½).
  std::vector<Vec2> corner(static_cast<size_t>((w + 1) * (h + 1)));
  for (int64_t i = 0; i <= h; ++i)
    for (int64_t j = 0; j <= w; ++j)
      corner[i * (w + 1) + j] = prepared.source_position({j - 0.5, i - 0.5});

  const int k = subsamples;
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      // The box of the pixel's four corners in the source plane, widened by
      // half its size because the lens map bends the pixel's edges.
      Vec2 c[4] = {corner[i * (w + 1) + j], corner[i * (w + 1) + j + 1],
                   corner[(i + 1) * (w + 1) + j], corner[(i + 1) * (w + 1) + j + 1]};
      double x0 = c[0].x, x1 = c[0].x, y0 = c[0].y, y1 = c[0].y;
      for (const Vec2& v : c) {
        x0 = std::min(x0, v.x), x1 = std::max(x1, v.x);
        y0 = std::min(y0, v.y), y1 = std::max(y1, v.y);
      }
      const double margin = 0.5 * std::max(x1 - x0, y1 - y0);
      if (x1 + margin < lo.x || x0 - margin > hi.x || y1 + margin < lo.y || y0 - margin > hi.y)
        continue;
      double sum = 0;
      for (int sy = 0; sy < k; ++sy)
        for (int sx = 0; sx < k; ++sx) {
          const Vec2 theta{j - 0.5 + (sx + 0.5) / k, i - 0.5 + (sy + 0.5) / k};
          sum += source.surface_brightness(prepared.source_position(theta));
        }
      plane.at(i, j) += static_cast<float>(sum / (k * k));
    }
}

}  // namespace astrocnn::synth
