// Internal to the synthetic generator (io/synth_*.cpp): the scene that a
// kind's drawer describes and the renderer turns into pixels, the shared
// instrument setup, and a small random-number helper.
//
// Drawing and rendering are separate so that a scene (and its label) can be
// drawn without rendering (Generator::describe) and so that the three kinds
// share one renderer: PSF, noise and scaling are identical for all of them.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/tensor/philox.h"
#include "io/synth/galaxy_profiles.h"
#include "io/synth/lens_model.h"
#include "io/synth/synthetic.h"

namespace astrocnn::synth {

constexpr int kMaxBands = 3;  // g, r, z for FakeReal and 3-channel Merger
using BandFlux = std::array<double, kMaxBands>;

// ---- Scene --------------------------------------------------------------------------
// Positions are in stamp pixels (0 .. size-1), fluxes in electrons per band.

struct SceneSersic {
  SersicProfile shape;                 // its flux field is ignored: see `flux`
  BandFlux flux{};
  BandFlux size_scale{1.0, 1.0, 1.0};  // r_e multiplier per band (colour gradients)

  // The profile drawn in `band`, moved by `border` pixels (the renderer's
  // grid has a PSF-wide border around the stamp).
  SersicProfile in_band(int band, double border) const {
    SersicProfile p = shape;
    p.x += border;
    p.y += border;
    p.r_e *= size_scale[band];
    p.flux = flux[band];
    return p;
  }
};

// A flux in the first band only (the one-band kinds).
inline BandFlux one_band(double flux) { return {flux, 0.0, 0.0}; }

// A Sérsic component at (x, y) pixels with half-light radius r_e (pixels),
// index n, axis ratio q, position angle `angle` (radians) and flux per band.
inline SceneSersic sersic_component(double x, double y, const BandFlux& flux, double r_e, double n,
                                    double q, double angle) {
  SceneSersic c;
  c.shape.x = x;
  c.shape.y = y;
  c.shape.r_e = r_e;
  c.shape.n = n;
  c.shape.axis_ratio = q;
  c.shape.angle = angle;
  c.flux = flux;
  return c;
}

struct SceneBlob {  // a Gaussian clump, or one piece of a tidal tail
  double x, y, sigma;
  BandFlux flux;
};

struct SceneStreak {
  double x0, y0, x1, y1, width;
  BandFlux flux;
};

struct ScenePoint {  // a star or quasar: the PSF itself
  double x, y;
  BandFlux flux;
};

// A background source seen through a foreground mass: its light is
// ray-traced through `lens` (io/synth/lens_model.h) before the PSF. The lens
// is in stamp pixels; the source's components are in the source plane, in
// the same pixel coordinates.
struct SceneLensed {
  LensModel lens;
  std::vector<SceneSersic> sersics;
  std::vector<SceneBlob> blobs;
};

struct Scene {
  std::vector<SceneSersic> sersics;
  std::vector<SceneLensed> lensed;
  std::vector<SceneBlob> blobs;
  std::vector<SceneStreak> streaks;      // light from the sky: seen through the PSF
  std::vector<ScenePoint> points;
  std::vector<SceneStreak> cosmic_rays;  // charge deposited in the detector: no PSF
  // Relative depth (number of exposures) across the stamp, as in a co-add:
  // depth(x, y) = (1 + gradient · (x - c, y - c) / size) * (step_factor on the far
  // side of the line through step_point with normal step_normal, else 1), with c
  // the stamp centre.
  double depth_gradient_x = 0, depth_gradient_y = 0;
  double step_factor = 1, step_point_x = 0, step_point_y = 0, step_normal_x = 1, step_normal_y = 0;

  double depth(double x, double y, int64_t size) const {
    const double c = 0.5 * (size - 1);
    double d = 1.0 + (depth_gradient_x * (x - c) + depth_gradient_y * (y - c)) / size;
    if ((x - step_point_x) * step_normal_x + (y - step_point_y) * step_normal_y > 0) d *= step_factor;
    return d;
  }
};

// ---- Instrument -------------------------------------------------------------------------

// What every image of one Generator shares, computed once from the options.
struct Setup {
  SynthOptions options;
  int bands = 1;                     // images rendered (before ivar maps)
  int reference_band = 0;            // the band magnitudes refer to (r for 3 bands)
  std::array<MoffatPsf, kMaxBands> psf;
  BandFlux sky_e{};                  // sky per pixel per exposure, electrons
  BandFlux sigma_e{};                // nominal noise per pixel: sqrt(sky + read²)
  double flux_scale = 1;             // electrons per unit of linear pixel value
  bool asinh = true;

  double centre() const { return 0.5 * (options.size - 1); }
  double arcsec_to_pixels(double arcsec) const { return arcsec / options.pixel_scale_arcsec; }
  // Electrons collected from a source of AB magnitude `mag` in the exposure.
  double electrons(double mag) const {
    return options.exposure_s * std::pow(10.0, -0.4 * (mag - options.zero_point));
  }
  // Rough S/N of a source of flux F and half-light radius r_e (pixels) in the
  // reference band: half the light, inside the PSF-broadened half-light
  // radius, against sky, read and source noise.
  double snr(double flux_e, double r_e_pixels) const {
    double fwhm = psf[reference_band].fwhm;
    double r_h2 = r_e_pixels * r_e_pixels + 0.25 * fwhm * fwhm;
    double sigma = sigma_e[reference_band];
    return 0.5 * flux_e / std::sqrt(3.14159265358979 * r_h2 * sigma * sigma + 0.5 * flux_e);
  }
};

// Per-band fluxes of a source with r-band flux `flux_r` and AB colours g-r and
// r-z; with one band, just the r flux.
inline BandFlux band_fluxes(const Setup& s, double flux_r, double g_r, double r_z) {
  if (s.bands == 1) return {flux_r, 0.0, 0.0};
  return {flux_r * std::pow(10.0, -0.4 * g_r), flux_r, flux_r * std::pow(10.0, 0.4 * r_z)};
}

inline BandFlux scaled(const BandFlux& f, double k) { return {f[0] * k, f[1] * k, f[2] * k}; }

// ---- Random numbers ------------------------------------------------------------------------

// Convenience draws over one Philox stream (an astrocnn::Rng's seed and
// offset). Normals come from Box-Muller on two of this stream's uniforms
// (Rng::normal reads positions 2k and 2k+1, which would overlap the uniforms
// drawn from the same stream).
class Random {
 public:
  // Draws the same uniforms as Rng::uniform() on `rng`'s stream, but keeps the
  // current Philox block (four positions) instead of recomputing it per draw.
  explicit Random(const Rng& rng) : seed_(rng.seed()), position_(rng.offset()) {}
  double uniform() { return static_cast<float>(bits() >> 8) * (1.0f / 16777216.0f); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  // Uniform in [0, n), from 64 random bits (as Rng::below).
  int64_t below(int64_t n) {
    uint64_t hi = bits(), lo = bits();
    return static_cast<int64_t>(((hi << 32) | lo) % static_cast<uint64_t>(n));
  }
  // Box-Muller in float: plenty for pixel noise, and much faster than double.
  double normal() {
    if (has_spare_) { has_spare_ = false; return spare_; }
    float u1 = 1.0f - static_cast<float>(uniform());  // (0, 1]: safe for the log
    float angle = 6.2831853f * static_cast<float>(uniform());
    float radius = std::sqrt(-2.0f * std::log(u1));
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }
  double log_normal(double median, double sigma_ln) { return median * std::exp(sigma_ln * normal()); }
  // An index drawn with probability proportional to weights[i] (non-negative, positive sum).
  int choose(const double* weights, int count) {
    double total = 0;
    for (int i = 0; i < count; ++i) total += weights[i];
    double target = uniform() * total;
    for (int i = 0; i < count; ++i) {
      target -= weights[i];
      if (target < 0) return i;
    }
    return count - 1;
  }

 private:
  uint32_t bits() {
    uint64_t block = position_ >> 2;
    if (!block_valid_ || block != block_index_) {
      block_ = philox::philox4x32(block, seed_);
      block_index_ = block;
      block_valid_ = true;
    }
    return block_.v[position_++ & 3];
  }

  uint64_t seed_, position_;
  philox::U32x4 block_{};
  uint64_t block_index_ = 0;
  bool block_valid_ = false;
  bool has_spare_ = false;
  double spare_ = 0;
};

// ---- The drawers, one per kind (io/synth_<kind>.cpp) ----------------------------------------
// Each appends the objects of image `index` to `scene` and returns its label.

SampleInfo draw_morphology(const Setup& setup, Random& rng, Scene& scene);
SampleInfo draw_fakereal(const Setup& setup, Random& rng, Scene& scene);
SampleInfo draw_merger(const Setup& setup, Random& rng, Scene& scene);
SampleInfo draw_orientation(const Setup& setup, Random& rng, Scene& scene);
SampleInfo draw_lens(const Setup& setup, Random& rng, Scene& scene);
// SampleInfo::subtype of the lens kind: what besides the lensed source (if
// any) is near the deflector.
enum LensSubtype { kPlain = 0, kRing = 1, kCompanions = 2, kSpiralArms = 3 };

// Adds band `band` of a lensed source to a plane whose pixel (r, c) is stamp
// pixel (r - border, c - border) (io/synth/synth_lens.cpp).
void add_lensed_source(const Plane& plane, const SceneLensed& lensed, int band, double border);

// The options a kind is drawn with: `options` itself, except for Lens, whose
// instrument options left at their (HST) defaults become an LSST-like
// survey's (io/synth/synth_lens.cpp).
SynthOptions with_survey_defaults(const SynthOptions& options);

// Morphology class names, in label order.
extern const char* const kMorphologyClasses[5];
// Orientation label names: the position angle θ doubled, as a unit vector.
extern const char* const kOrientationLabels[2];

}  // namespace astrocnn::synth
