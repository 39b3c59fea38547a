#include "io/synth/galaxy_profiles.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/tensor/error.h"

namespace astrocnn::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;

// ln Γ(a) for a > 0. Not std::lgamma: it writes the global `signgam`, a data
// race when images are rendered on several threads.
double log_gamma(double a) {
  if (a < 100) return std::log(std::tgamma(a));
  // Stirling's series; its first omitted term is below 1e-12 here.
  return (a - 0.5) * std::log(a) - a + 0.5 * std::log(2 * kPi) + 1 / (12 * a) - 1 / (360 * a * a * a);
}

// Standard normal cumulative distribution.
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Inclusive pixel range [lo, hi] of a plane dimension touched by the
// interval [centre - half, centre + half], or lo > hi when it misses the plane.
void pixel_range(double centre, double half, int64_t size, int64_t& lo, int64_t& hi) {
  lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(centre - half)));
  hi = std::min<int64_t>(size - 1, static_cast<int64_t>(std::ceil(centre + half)));
}

}  // namespace

// ---- Sérsic ---------------------------------------------------------------------

double sersic_b(double n) {
  ASTRO_CHECK(n > 0, "sersic_b: the Sérsic index must be positive, got ", n);
  // Ciotti & Bertin (1999), eq. 18: the asymptotic expansion of the root of
  // Γ(2n) = 2 γ(2n, b) in powers of 1/n.
  double inv = 1.0 / n;
  return 2.0 * n - 1.0 / 3.0 + inv * (4.0 / 405.0 + inv * (46.0 / 25515.0 +
         inv * (131.0 / 1148175.0 - inv * (2194697.0 / 30690717750.0))));
}

double regularized_lower_gamma(double a, double x) {
  ASTRO_CHECK(a > 0 && x >= 0, "regularized_lower_gamma: needs a > 0 and x >= 0, got a=", a,
              " x=", x);
  if (x == 0) return 0.0;
  double log_prefactor = a * std::log(x) - x - log_gamma(a);
  if (x < a + 1.0) {
    // Power series γ(a,x) = e^-x x^a Σ_k x^k / (a (a+1) ... (a+k)); converges fast here.
    double term = 1.0 / a, sum = term;
    for (int k = 1; k < 1000; ++k) {
      term *= x / (a + k);
      sum += term;
      if (term < sum * 1e-16) break;
    }
    return std::min(1.0, sum * std::exp(log_prefactor));
  }
  // Continued fraction for the upper function Γ(a,x) (modified Lentz evaluation):
  // Γ(a,x) = e^-x x^a / (x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...))).
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    double step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < 1e-16) break;
  }
  return std::max(0.0, 1.0 - std::exp(log_prefactor) * h);
}

double sersic_enclosed_fraction(double n, double radius_over_re) {
  if (radius_over_re <= 0) return 0.0;
  return regularized_lower_gamma(2.0 * n, sersic_b(n) * std::pow(radius_over_re, 1.0 / n));
}

namespace {

// I0 = I_e e^b, the centre's intensity of the profile whose truncated part
// holds p.flux: I(r) = I0 exp(-b s) with s = (r/r_e)^(1/n).
double sersic_central_intensity(const SersicProfile& p, double b) {
  // Total light of the untruncated profile is 2π q r_e² I_e n e^b b^(-2n) Γ(2n);
  // the truncated one keeps the fraction P(2n, b t^(1/n)) of it.
  double log_total_over_ie = std::log(2.0 * kPi * p.axis_ratio * p.r_e * p.r_e * p.n) + b -
                             2.0 * p.n * std::log(b) + log_gamma(2.0 * p.n) +
                             std::log(sersic_enclosed_fraction(p.n, p.truncation));
  return std::exp(std::log(p.flux) - log_total_over_ie + b);
}

// Adds intensity(dx, dy), a profile centred at (x, y) that is zero beyond
// half_x, half_y of it, to each pixel it reaches: its value at the pixel's
// centre, or near the profile's centre, where it changes fast, the mean over
// k x k sub-pixels.
template <class Intensity>
void add_sampled(const Plane& plane, double x, double y, double half_x, double half_y,
                 const Intensity& intensity) {
  int64_t r0, r1, c0, c1;
  pixel_range(y, half_y, plane.height, r0, r1);
  pixel_range(x, half_x, plane.width, c0, c1);
  for (int64_t i = r0; i <= r1; ++i) {
    const double dy = i - y;
    for (int64_t j = c0; j <= c1; ++j) {
      const double dx = j - x;
      const double d2 = dx * dx + dy * dy;
      double value;
      if (d2 < 16.0) {
        // Near the centre: the mean over k x k sub-pixels.
        const int k = d2 < 2.25 ? 9 : 3;
        double sum = 0;
        for (int sy = 0; sy < k; ++sy)
          for (int sx = 0; sx < k; ++sx)
            sum += intensity(dx + (sx + 0.5) / k - 0.5, dy + (sy + 0.5) / k - 0.5);
        value = sum / (k * k);
      } else {
        value = intensity(dx, dy);
      }
      plane.at(i, j) += static_cast<float>(value);
    }
  }
}

}  // namespace

void add_sersic(const Plane& plane, const SersicProfile& p) {
  ASTRO_CHECK(p.r_e > 0 && p.n > 0 && p.axis_ratio > 0 && p.axis_ratio <= 1 && p.truncation > 0,
              "add_sersic: needs r_e > 0, n > 0, 0 < axis_ratio <= 1, truncation > 0; got r_e=",
              p.r_e, " n=", p.n, " axis_ratio=", p.axis_ratio, " truncation=", p.truncation);
  if (p.flux <= 0) return;
  const double b = sersic_b(p.n);
  const double i0 = sersic_central_intensity(p, b);
  const double cos_a = std::cos(p.angle), sin_a = std::sin(p.angle);
  const double inv_re2 = 1.0 / (p.r_e * p.r_e), inv_q2 = 1.0 / (p.axis_ratio * p.axis_ratio);
  const double max_t = p.truncation * p.truncation;
  const double half_inv_n = 0.5 / p.n;
  const bool arms = p.arm_amplitude > 0;
  const double arm_wind = p.arm_count / std::tan(p.arm_pitch);

  // Intensity at offset (dx, dy) from the centre; t is (r_ell / r_e)². The
  // transcendental functions run in float (the result is stored as float).
  const float i0f = static_cast<float>(i0), bf = static_cast<float>(b);
  const float half_inv_nf = static_cast<float>(half_inv_n);
  auto intensity = [&](double dx, double dy) -> double {
    double u = dx * cos_a + dy * sin_a;   // along the major axis
    double v = -dx * sin_a + dy * cos_a;  // along the minor axis
    double t = (u * u + v * v * inv_q2) * inv_re2;
    if (t > max_t) return 0.0;
    const float tf = static_cast<float>(t);
    float s;  // (r/r_e)^(1/n) = t^(1/2n), with the common indices done without pow
    if (p.n == 1.0) s = std::sqrt(tf);
    else if (p.n == 4.0) s = std::sqrt(std::sqrt(std::sqrt(tf)));
    else if (p.n == 0.5) s = tf;
    else s = std::pow(tf, half_inv_nf);
    float value = i0f * std::exp(-bf * s);
    if (arms && tf > 1e-8f) {
      float theta = std::atan2(static_cast<float>(v / p.axis_ratio), static_cast<float>(u));
      float phase = static_cast<float>(p.arm_count * (theta - p.arm_phase)) -
                    static_cast<float>(arm_wind) * 0.5f * std::log(tf);
      value *= 1.0f + static_cast<float>(p.arm_amplitude) * (1.0f - std::exp(-tf)) * std::cos(phase);
    }
    return value;
  };

  const double a = p.truncation * p.r_e, bq = a * p.axis_ratio;
  const double half_x = std::hypot(a * cos_a, bq * sin_a), half_y = std::hypot(a * sin_a, bq * cos_a);
  add_sampled(plane, p.x, p.y, half_x, half_y, intensity);
}

// ---- Gaussians and streaks --------------------------------------------------------

void add_gaussian(const Plane& plane, double x, double y, double sigma, double flux) {
  ASTRO_CHECK(sigma > 0, "add_gaussian: sigma must be positive, got ", sigma);
  if (flux <= 0) return;
  const double half = 5.0 * sigma + 1.0;
  int64_t r0, r1, c0, c1;
  pixel_range(y, half, plane.height, r0, r1);
  pixel_range(x, half, plane.width, c0, c1);
  if (r0 > r1 || c0 > c1) return;
  // The pixel integral of a circular Gaussian factorises into row and column weights.
  std::vector<double> col(c1 - c0 + 1);
  for (int64_t j = c0; j <= c1; ++j)
    col[j - c0] = normal_cdf((j + 0.5 - x) / sigma) - normal_cdf((j - 0.5 - x) / sigma);
  for (int64_t i = r0; i <= r1; ++i) {
    double row = flux * (normal_cdf((i + 0.5 - y) / sigma) - normal_cdf((i - 0.5 - y) / sigma));
    if (row <= 0) continue;
    for (int64_t j = c0; j <= c1; ++j) plane.at(i, j) += static_cast<float>(row * col[j - c0]);
  }
}

void add_streak(const Plane& plane, double x0, double y0, double x1, double y1, double width,
                double flux) {
  ASTRO_CHECK(width > 0, "add_streak: width must be positive, got ", width);
  if (flux <= 0) return;
  const double length = std::hypot(x1 - x0, y1 - y0);
  // The pixel box adds variance 1/12 to the sampled profile: widen by it so
  // that narrow streaks (cosmic rays) keep their flux on the pixel grid.
  const double w = std::sqrt(width * width + 1.0 / 12.0);
  if (length < 1e-6) {
    add_gaussian(plane, x0, y0, width, flux);
    return;
  }
  const double ux = (x1 - x0) / length, uy = (y1 - y0) / length;
  const double per_length = flux / length, norm = 1.0 / (std::sqrt(2.0 * kPi) * w);
  const double pad = 5.0 * w + 1.0;
  int64_t r0, r1, c0, c1;
  pixel_range(0.5 * (y0 + y1), 0.5 * std::fabs(y1 - y0) + pad, plane.height, r0, r1);
  pixel_range(0.5 * (x0 + x1), 0.5 * std::fabs(x1 - x0) + pad, plane.width, c0, c1);
  for (int64_t i = r0; i <= r1; ++i) {
    for (int64_t j = c0; j <= c1; ++j) {
      double dx = j - x0, dy = i - y0;
      double along = dx * ux + dy * uy, across = -dx * uy + dy * ux;
      if (std::fabs(across) > pad) continue;
      // A uniform segment [0, length] smoothed by the same Gaussian along its length,
      // so the total is exactly `flux` and the ends fade instead of stopping dead.
      double along_weight = normal_cdf((length - along) / w) - normal_cdf(-along / w);
      double value = per_length * norm * std::exp(-0.5 * across * across / (w * w)) * along_weight;
      plane.at(i, j) += static_cast<float>(value);
    }
  }
}

// ---- Moffat PSF ---------------------------------------------------------------------

double MoffatPsf::value(double r2) const {
  if (r2 > truncation * truncation) return 0.0;
  double w = 1.0 + r2 / (alpha * alpha);
  return beta == 3.0 ? peak / (w * w * w) : peak * std::pow(w, -beta);
}

MoffatPsf make_moffat_psf(double fwhm_pixels, double beta) {
  ASTRO_CHECK(fwhm_pixels > 0 && std::isfinite(fwhm_pixels),
              "Moffat PSF: the FWHM must be a positive number of pixels, got ", fwhm_pixels);
  ASTRO_CHECK(beta > 1 && std::isfinite(beta), "Moffat PSF: beta must be > 1 (otherwise the "
              "profile has infinite flux), got ", beta);
  MoffatPsf psf;
  psf.fwhm = fwhm_pixels;
  psf.beta = beta;
  psf.alpha = fwhm_pixels / (2.0 * std::sqrt(std::pow(2.0, 1.0 / beta) - 1.0));
  // Light inside R is 1 - (1 + R²/α²)^(1-β); solve for 99%, but never go past
  // 6 FWHM (shallow profiles, β near 1, have very wide wings).
  double r99 = psf.alpha * std::sqrt(std::pow(100.0, 1.0 / (beta - 1.0)) - 1.0);
  psf.truncation = std::min(r99, 6.0 * fwhm_pixels);
  double t2 = psf.truncation * psf.truncation / (psf.alpha * psf.alpha);
  double enclosed = 1.0 - std::pow(1.0 + t2, 1.0 - beta);
  psf.peak = (beta - 1.0) / (kPi * psf.alpha * psf.alpha * enclosed);
  psf.radius = static_cast<int>(std::ceil(psf.truncation));

  // Pixel-integrated kernel (5x5 sub-pixels), computed once per quadrant
  // entry so that it is exactly mirror-symmetric, then renormalised so that
  // convolution conserves flux.
  const int r = psf.radius, side = r + 1, size = 2 * r + 1, sub = 5;
  std::vector<double> quadrant(static_cast<size_t>(side) * side);
  double total = 0;
  for (int a = 0; a <= r; ++a)
    for (int b = 0; b <= r; ++b) {
      double sum = 0;
      for (int sy = 0; sy < sub; ++sy)
        for (int sx = 0; sx < sub; ++sx) {
          double dx = b + (sx + 0.5) / sub - 0.5, dy = a + (sy + 0.5) / sub - 0.5;
          sum += psf.value(dx * dx + dy * dy);
        }
      quadrant[a * side + b] = sum;
      total += sum * (a == 0 ? 1 : 2) * (b == 0 ? 1 : 2);  // how often it appears in the kernel
    }
  psf.quadrant.resize(quadrant.size());
  for (size_t i = 0; i < quadrant.size(); ++i) psf.quadrant[i] = static_cast<float>(quadrant[i] / total);
  psf.kernel.resize(static_cast<size_t>(size) * size);
  for (int i = 0; i < size; ++i)
    for (int j = 0; j < size; ++j)
      psf.kernel[i * size + j] = psf.quadrant[std::abs(i - r) * side + std::abs(j - r)];
  return psf;
}

void add_point_source(const Plane& plane, const MoffatPsf& psf, double x, double y, double flux) {
  if (flux <= 0) return;
  const double reach = psf.truncation + 1.0;
  int64_t r0, r1, c0, c1;
  pixel_range(y, reach, plane.height, r0, r1);
  pixel_range(x, reach, plane.width, c0, c1);
  for (int64_t i = r0; i <= r1; ++i)
    for (int64_t j = c0; j <= c1; ++j) {
      double sum = 0;
      for (int sy = 0; sy < 3; ++sy)
        for (int sx = 0; sx < 3; ++sx) {
          double dx = j - x + (sx + 0.5) / 3.0 - 0.5, dy = i - y + (sy + 0.5) / 3.0 - 0.5;
          sum += psf.value(dx * dx + dy * dy);
        }
      if (sum > 0) plane.at(i, j) += static_cast<float>(flux * sum / 9.0);
    }
}

// ---- Convolution ------------------------------------------------------------------------

namespace {

// out[x] += w * (p[x] + q[x]) for x in [0, n). Written in blocks of 8 so that
// the compiler vectorises the block at -O2 (its cheapest cost model does not
// vectorise loops of unknown length).
void add_weighted_pair(float* __restrict out, const float* __restrict p, const float* __restrict q,
                       float w, int64_t n) {
  int64_t x = 0;
  for (; x + 8 <= n; x += 8)
    for (int u = 0; u < 8; ++u) out[x + u] += w * (p[x + u] + q[x + u]);
  for (; x < n; ++x) out[x] += w * (p[x] + q[x]);
}

void add_weighted(float* __restrict out, const float* __restrict p, float w, int64_t n) {
  int64_t x = 0;
  for (; x + 8 <= n; x += 8)
    for (int u = 0; u < 8; ++u) out[x + u] += w * p[x + u];
  for (; x < n; ++x) out[x] += w * p[x];
}

}  // namespace

void convolve_with_psf(const Plane& in, const MoffatPsf& psf, const Plane& out) {
  const int64_t r = psf.radius, side = r + 1;
  ASTRO_CHECK(in.width == out.width + 2 * r && in.height == out.height + 2 * r,
              "convolve_with_psf: the input plane must be the output (", out.height, "x",
              out.width, ") plus a border of ", r, " pixels, got ", in.height, "x", in.width);
  std::fill(out.data, out.data + out.width * out.height, 0.0f);
  // Which input rows hold any light: most scenes are compact.
  std::vector<char> lit(static_cast<size_t>(in.height), 0);
  for (int64_t i = 0; i < in.height; ++i)
    for (int64_t j = 0; j < in.width && !lit[i]; ++j) lit[i] = in.at(i, j) != 0.0f;
  // The kernel is symmetric, so out(y, x) = Σ_a Σ_b w(a, b) times the sum of
  // the (up to) four input pixels at rows y+r±a and columns x+r±b. Rows r±a
  // are added first (`pair`), then columns ±b, halving the multiplications.
  std::vector<float> pair(static_cast<size_t>(in.width));
  for (int64_t y = 0; y < out.height; ++y) {
    float* dst = out.data + y * out.width;
    for (int64_t a = 0; a <= r; ++a) {
      const int64_t up = y + r - a, down = y + r + a;
      const bool up_lit = lit[up], down_lit = a > 0 && lit[down];
      if (!up_lit && !down_lit) continue;
      const float* row = in.data + (up_lit ? up : down) * in.width;
      if (up_lit && down_lit) {
        const float* other = in.data + down * in.width;
        for (int64_t j = 0; j < in.width; ++j) pair[j] = row[j] + other[j];
        row = pair.data();
      }
      for (int64_t b = 0; b <= r; ++b) {
        const float w = psf.quadrant[a * side + b];
        if (w == 0.0f) continue;
        if (b == 0) add_weighted(dst, row + r, w, out.width);
        else add_weighted_pair(dst, row + r - b, row + r + b, w, out.width);
      }
    }
  }
}

}  // namespace astrocnn::synth
