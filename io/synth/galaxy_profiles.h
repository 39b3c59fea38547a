// Light profiles and the pixel-level rendering primitives of the synthetic
// sky: Sérsic galaxies, Gaussian clumps, straight streaks, a Moffat PSF and
// the convolution with it.
//
// Units: lengths in pixels, fluxes in electrons. Pixel (row i, column j) has
// its centre at (x, y) = (j, i), so a pixel covers [j-0.5, j+0.5) and a
// profile's value at a point is a surface brightness in electrons per pixel².
// Every add_* function ADDS into its plane, so a scene is the sum of calls.
#pragma once
#include <cstdint>
#include <vector>

namespace astrocnn::synth {

// A row-major float image that does not own its pixels.
struct Plane {
  float* data;
  int64_t width, height;
  float& at(int64_t row, int64_t col) const { return data[row * width + col]; }
};

// ---- Sérsic profile: I(r) = I_e exp(-b_n [(r/r_e)^(1/n) - 1]) ----------------

// b_n, chosen so that r_e encloses half of the light. Ciotti & Bertin (1999)
// asymptotic series: relative error below 3e-5 for n >= 1, 5e-4 at n = 0.5.
double sersic_b(double n);

// Regularised lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), a > 0, x >= 0.
double regularized_lower_gamma(double a, double x);

// Fraction of a Sérsic profile's total light (untruncated) inside the
// ellipse of semi-major axis radius_over_re * r_e.
double sersic_enclosed_fraction(double n, double radius_over_re);

struct SersicProfile {
  double x = 0, y = 0;      // centre, pixels
  double flux = 0;          // total flux inside the truncation ellipse, electrons
  double r_e = 1;           // effective (half-light) semi-major axis, pixels
  double n = 1;             // Sérsic index: 1 exponential disk, 4 de Vaucouleurs
  double axis_ratio = 1;    // b/a in (0, 1]
  double angle = 0;         // position angle of the major axis, radians from +x towards +y
  double truncation = 8;    // the profile is zero beyond this many r_e (elliptical radius)
  // Optional logarithmic spiral arms: the brightness is multiplied by
  // 1 + A f(r) cos(m (theta - phase) - m ln(r / r_e) / tan(pitch)), with
  // f(r) = 1 - exp(-(r/r_e)^2) fading the arms out in the bulge region.
  double arm_amplitude = 0;  // A in [0, 1)
  int arm_count = 2;         // m
  double arm_pitch = 0.35;   // pitch angle, radians
  double arm_phase = 0;
};

// Adds the profile, pixel-integrated by sub-sampling near its centre (9x9
// sub-pixels within 1.5 px, 3x3 within 4 px), where the de Vaucouleurs cusp
// makes the value at the pixel centre a poor estimate of the pixel's light.
void add_sersic(const Plane& plane, const SersicProfile& profile);

// ---- Other sources ------------------------------------------------------------

// A circular Gaussian of standard deviation sigma (pixels), integrated
// exactly over each pixel with the error function; drawn out to 5 sigma.
void add_gaussian(const Plane& plane, double x, double y, double sigma, double flux);

// A straight streak from (x0, y0) to (x1, y1) with a Gaussian cross-section
// of standard deviation `width` and total flux `flux` spread evenly along it.
// Used for satellite trails (before the PSF) and cosmic rays (after it).
void add_streak(const Plane& plane, double x0, double y0, double x1, double y1, double width,
                double flux);

// ---- The point-spread function -------------------------------------------------

// Moffat (1969) profile, I(r) ∝ (1 + r²/α²)^(-β), truncated at the radius
// that encloses 99% of its light and renormalised to unit integral.
struct MoffatPsf {
  double fwhm = 3;          // pixels
  double beta = 3;
  double alpha = 0;         // core width: fwhm / (2 sqrt(2^(1/β) - 1))
  double truncation = 0;    // radius enclosing 99% of the untruncated profile, pixels
  double peak = 0;          // value at r = 0 of the unit-integral truncated profile
  int radius = 0;           // half-size of the pixel kernel: ceil(truncation)
  std::vector<float> kernel;  // (2 radius + 1)² pixel-integrated values, summing to 1
  // The kernel is mirror-symmetric, so it is also kept as one quadrant:
  // quadrant[a * (radius + 1) + b] = kernel at rows radius ± a, columns radius ± b.
  std::vector<float> quadrant;

  // Unit-integral truncated profile at squared distance r2 (pixels²).
  double value(double r2) const;
};

// Builds the profile and its pixel kernel. Needs fwhm > 0 and beta > 1.
MoffatPsf make_moffat_psf(double fwhm_pixels, double beta);

// Adds a point source of total flux `flux` centred on (x, y): the PSF itself
// evaluated on 3x3 sub-pixels (no convolution needed, exact sub-pixel position).
void add_point_source(const Plane& plane, const MoffatPsf& psf, double x, double y, double flux);

// out = in ⊗ kernel for the central out.height x out.width pixels of `in`,
// which must have a border of psf.radius pixels on every side. `out` is
// overwritten. Rows of `in` that are entirely zero are skipped.
void convolve_with_psf(const Plane& in, const MoffatPsf& psf, const Plane& out);

}  // namespace astrocnn::synth
