// Strong gravitational lensing for the synthetic `lens` kind: a singular
// isothermal ellipsoid (SIE) plus external shear, and the ray-tracing of a
// background source through it (docs/SYNTHETIC.md, "Lens").
//
// The lens equation maps an image-plane position θ to the source-plane
// position β = θ − α(θ) that its light comes from, where α is the deflection.
// Lensing conserves surface brightness, so the lensed image is
// I(θ) = S(β(θ)) for a source of surface brightness S; arcs, rings and the
// magnification all follow from evaluating S at β.
//
// The SIE (Kormann, Schneider & Bartelmann 1994) has, in its own frame
// (major axis along x, axis ratio q = b/a of the iso-density contours),
//
//   κ(x, y) = θ_E / (2 sqrt(q x² + y² / q)),
//
// normalised so that the tangential critical curve (the κ = 1/2 contour, an
// ellipse of semi-axes θ_E/√q and θ_E √q) encloses the area π θ_E² of a
// singular isothermal sphere of the same Einstein radius θ_E. Its deflection
// is analytic (Keeton 2001, "A catalog of mass models", the isothermal
// ellipsoid with zero core), with ψ = sqrt(q² x² + y²) and e = sqrt(1 − q²):
//
//   α_x = θ_E √q / e · arctan(e x / ψ),    α_y = θ_E √q / e · artanh(e y / ψ),
//
// and its potential is ψ_SIE = x α_x + y α_y (isothermal: degree-1 homogeneous).
// As q → 1 it becomes the singular isothermal sphere, α = θ_E θ / |θ|.
// External shear γ at angle φ_γ (γ1 = γ cos 2φ_γ, γ2 = γ sin 2φ_γ) adds
// ψ_γ = ½ γ1 (x² − y²) + γ2 x y, so α_γ = (γ1 x + γ2 y, γ2 x − γ1 y).
//
// Units: any one angular unit for positions and θ_E alike (the generator
// uses stamp pixels). Every function here is pure.
#pragma once
#include <vector>

#include "io/synth/galaxy_profiles.h"

namespace astrocnn::synth {

struct Vec2 {
  double x = 0, y = 0;
};

struct LensModel {
  double x = 0, y = 0;          // centre of the mass (and of the shear expansion)
  double einstein_radius = 1;   // θ_E > 0
  double axis_ratio = 1;        // q of the mass iso-density contours, in (0, 1]
  double angle = 0;             // position angle of the major axis, radians from +x towards +y
  double shear = 0;             // external shear γ >= 0
  double shear_angle = 0;       // φ_γ, radians
};

// Throws Error unless θ_E > 0, 0 < q <= 1 and γ >= 0, all finite.
void check_lens(const LensModel& lens);

double convergence(const LensModel& lens, Vec2 theta);       // κ (the SIE's; shear adds none)
double lens_potential(const LensModel& lens, Vec2 theta);    // ψ, with ∇ψ = α
Vec2 deflection(const LensModel& lens, Vec2 theta);          // α = α_SIE + α_γ
Vec2 source_position(const LensModel& lens, Vec2 theta);     // β = θ − α(θ)

// ---- The background source and the lensed image ---------------------------------

// A circular Gaussian clump of total flux `flux`.
struct GaussianSpot {
  double x = 0, y = 0, sigma = 1, flux = 0;
};

// The surface brightness of a source in its own (source) plane: a sum of
// Sérsic profiles (`flux` = total unlensed flux inside their truncation,
// spiral arms ignored) and Gaussian clumps. Flux per unit area.
class SourceLight {
 public:
  SourceLight(const std::vector<SersicProfile>& sersics, const std::vector<GaussianSpot>& spots);
  double surface_brightness(Vec2 beta) const;
  // A box outside which the brightness is zero (Sérsic truncation) or
  // negligible (Gaussians beyond 5σ); empty (lo > hi) for a source with no light.
  Vec2 lo() const { return lo_; }
  Vec2 hi() const { return hi_; }

 private:
  struct Sersic {
    SersicProfile shape;
    double i0;  // central intensity, flux per unit area
    double b;   // b_n
    double cos_angle, sin_angle;
  };
  std::vector<Sersic> sersics_;
  std::vector<GaussianSpot> spots_;
  Vec2 lo_{1, 1}, hi_{0, 0};
};

// Adds the lensed image of `source` (positions in the plane's pixel
// coordinates, see galaxy_profiles.h) to `plane`: each pixel gets the mean of
// S(β) over `subsamples` x `subsamples` points. Rays are first shot through
// the pixel corners; only pixels whose corners land near the source's box
// are sub-sampled, the rest receive no light. The PSF is not applied.
void add_lensed_light(const Plane& plane, const LensModel& lens, const SourceLight& source,
                      int subsamples = 5);

}  // namespace astrocnn::synth
