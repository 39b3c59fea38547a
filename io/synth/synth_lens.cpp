// Strong-lens scenes (g, r, i; the Fermilab poster's lens finding): is a
// background galaxy lensed by the foreground elliptical?
//
// Every image has a red elliptical (de Vaucouleurs-like Sérsic, n = 3.5–5)
// at the centre, drawn the same way in both classes from a would-be Einstein
// radius θ_E (uniform 0.5–3"): larger θ_E means a brighter, larger galaxy.
//   lens:     a blue, compact background galaxy (Sérsic n 0.5–1.5, sometimes
//             with a bluer star-forming clump) behind it, its light ray-traced
//             through an SIE of Einstein radius θ_E plus external shear
//             (io/synth/lens_model.h): arcs, multiple images and rings with
//             the source's colours.
//   non-lens: a look-alike drawn at random: a ring galaxy (a knotty ring of
//             the galaxy's own red colour: a lens's shape, not its colour),
//             close blue companions (a lens's colour, not its shape: round
//             and unaligned), blue spiral arms (blue and curved, but winding
//             out from the centre), or nothing.
// Blue companions also sit near one lens in four, and field galaxies and
// stars around both classes, so that neither "something blue nearby" nor
// "something near" gives the class away. Faint sources behind small θ_E,
// inside the seeing disc of the deflector, make some lenses very hard.
#include <algorithm>
#include <cmath>

#include "io/synth/synth_scene.h"

namespace astrocnn::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;

constexpr double kMinEinsteinRadiusArcsec = 0.5, kMaxEinsteinRadiusArcsec = 3.0;

// The survey of the lens kind: LSST-like co-adds in g, r, i (r-band values
// here; synthetic.cpp makes g's seeing broader and sky darker, i's the
// opposite). Sky and zero point after the LSST system (SMTN-002), seeing
// 0.7", Moffat β = 4.765 for pure atmospheric turbulence (Trujillo et al.
// 2001), 60 visits of 30 s with 9 e- read noise each (9 √60 ≈ 70 e-).
SynthOptions lens_survey(SynthOptions o) {
  const SynthOptions hst;  // the defaults, which describe HST/WFC3 F160W
  if (o.pixel_scale_arcsec == hst.pixel_scale_arcsec) o.pixel_scale_arcsec = 0.2;
  if (o.zero_point == hst.zero_point) o.zero_point = 28.3;
  if (o.exposure_s == hst.exposure_s) o.exposure_s = 1800;
  if (o.sky_mag_arcsec2 == hst.sky_mag_arcsec2) o.sky_mag_arcsec2 = 21.2;
  if (o.read_noise_e == hst.read_noise_e) o.read_noise_e = 70;
  if (o.psf_fwhm_arcsec == hst.psf_fwhm_arcsec) o.psf_fwhm_arcsec = 0.7;
  if (o.psf_beta == hst.psf_beta) o.psf_beta = 4.765;
  return o;
}


// Colours (g−r, r−i) of the three populations.
struct Colour {
  double g_r, r_i;
};
Colour red_elliptical(Random& r) { return {r.uniform(1.2, 1.7), r.uniform(0.4, 0.65)}; }
Colour blue_star_forming(Random& r) { return {r.uniform(-0.1, 0.5), r.uniform(-0.1, 0.3)}; }

// The foreground galaxy, at the lens's centre.
struct Deflector {
  double x, y;          // pixels
  double flux_r;        // electrons
  double r_e;           // pixels
  double axis_ratio, angle;
  Colour colour;
};

Deflector add_deflector(const Setup& s, Random& r, Scene& scene, double theta_e_arcsec) {
  Deflector d;
  d.x = s.centre() + r.uniform(-1, 1);
  d.y = s.centre() + r.uniform(-1, 1);
  // θ_E ∝ σ_v² and brighter ellipticals have larger σ_v (Faber-Jackson): a
  // loose trend, r ≈ 21.5 at θ_E = 0.5" to r ≈ 19.3 at 3", ±0.7 mag.
  const double mag = 21.5 - 2.2 * (theta_e_arcsec - 0.5) / 2.5 + r.uniform(-0.7, 0.7);
  d.flux_r = s.electrons(mag);
  d.r_e = s.arcsec_to_pixels(std::clamp(theta_e_arcsec * r.uniform(0.6, 1.4), 0.3, 3.0));
  d.axis_ratio = r.uniform(0.6, 1.0);
  d.angle = r.uniform(0, kPi);
  d.colour = red_elliptical(r);
  SceneSersic c = sersic_component(d.x, d.y, band_fluxes(s, d.flux_r, d.colour.g_r, d.colour.r_i), d.r_e,
                            r.uniform(3.5, 5.0), d.axis_ratio, d.angle);
  c.size_scale = {1.05, 1.0, 0.97};  // ellipticals are slightly larger in bluer bands
  scene.sersics.push_back(c);
  return d;
}

// A lensed background galaxy: mass follows light (its ellipticity and angle
// scatter around the deflector's), plus external shear from the environment.
void add_background_source(const Setup& s, Random& r, Scene& scene, const Deflector& d,
                           double theta_e_arcsec) {
  SceneLensed l;
  l.lens.x = d.x;
  l.lens.y = d.y;
  l.lens.einstein_radius = s.arcsec_to_pixels(theta_e_arcsec);
  l.lens.axis_ratio = std::clamp(d.axis_ratio + 0.1 * r.normal(), 0.4, 1.0);
  l.lens.angle = d.angle + 0.17 * r.normal();  // ~10°
  l.lens.shear = r.uniform(0.0, 0.1);
  l.lens.shear_angle = r.uniform(0, kPi);

  // Inside ~0.6 θ_E of the axis the source is multiply imaged (the SIE's
  // caustics lie within θ_E): arcs, crosses and, near the axis, rings.
  const double offset = 0.6 * l.lens.einstein_radius * std::sqrt(r.uniform());
  const double direction = r.uniform(0, 2 * kPi);
  const double x = d.x + offset * std::cos(direction), y = d.y + offset * std::sin(direction);
  const double flux_r = s.electrons(r.uniform(23.0, 26.0));  // unlensed
  const Colour colour = blue_star_forming(r);
  const double r_e = std::max(0.5, s.arcsec_to_pixels(std::min(0.5, r.log_normal(0.15, 0.4))));
  const bool clump = r.chance(0.5);
  const double clump_share = clump ? r.uniform(0.1, 0.3) : 0.0;

  SceneSersic body = sersic_component(x, y, band_fluxes(s, (1 - clump_share) * flux_r, colour.g_r, colour.r_i),
                               r_e, r.uniform(0.5, 1.5), r.uniform(0.4, 1.0), r.uniform(0, kPi));
  body.shape.truncation = 4;  // keeps the ray-traced box small; beyond 4 r_e is < 1% of the light
  l.sersics.push_back(body);
  if (clump) {
    const double radius = r.uniform(0.5, 1.5) * r_e, a = r.uniform(0, 2 * kPi);
    const double sigma = std::max(0.3, s.arcsec_to_pixels(r.uniform(0.02, 0.06)));
    l.blobs.push_back({x + radius * std::cos(a), y + radius * std::sin(a), sigma,
                       band_fluxes(s, clump_share * flux_r, colour.g_r - 0.2, colour.r_i - 0.1)});
  }
  scene.lensed.push_back(std::move(l));
}

// 1–3 compact blue galaxies at about the Einstein radius, unlensed.
void add_blue_companions(const Setup& s, Random& r, Scene& scene, const Deflector& d,
                         double theta_e_px) {
  const int count = 1 + static_cast<int>(r.below(3));
  for (int k = 0; k < count; ++k) {
    const double distance = theta_e_px * r.uniform(0.7, 1.5), a = r.uniform(0, 2 * kPi);
    const Colour colour = blue_star_forming(r);
    const double r_e = std::max(0.5, s.arcsec_to_pixels(r.log_normal(0.2, 0.4)));
    scene.sersics.push_back(sersic_component(d.x + distance * std::cos(a), d.y + distance * std::sin(a),
                                      band_fluxes(s, s.electrons(r.uniform(21.5, 25.0)), colour.g_r,
                                                  colour.r_i),
                                      r_e, r.uniform(0.5, 2.0), r.uniform(0.4, 1.0), r.uniform(0, kPi)));
  }
}

// A knotty ring about the Einstein radius, of the galaxy's own red colour
// (a resonance or collisional ring seen at some inclination).
void add_ring(const Setup& s, Random& r, Scene& scene, const Deflector& d, double theta_e_px) {
  const double radius = std::max(2.0, theta_e_px * r.uniform(0.8, 1.2));
  const double q = r.uniform(0.5, 1.0), angle = r.uniform(0, kPi);
  const double flux_r = s.electrons(r.uniform(21.0, 24.0));
  const Colour colour{d.colour.g_r - r.uniform(0.0, 0.3), d.colour.r_i - r.uniform(0.0, 0.15)};
  const double sigma = std::max(0.5, s.arcsec_to_pixels(r.uniform(0.1, 0.25)));
  const int knots = std::max(12, static_cast<int>(std::lround(2 * kPi * radius / 1.5)));
  const double c = std::cos(angle), sn = std::sin(angle);
  for (int k = 0; k < knots; ++k) {
    const double t = 2 * kPi * (k + r.uniform(-0.3, 0.3)) / knots;
    const double u = radius * std::cos(t), v = q * radius * std::sin(t);
    scene.blobs.push_back({d.x + c * u - sn * v, d.y + sn * u + c * v, sigma,
                           band_fluxes(s, flux_r / knots * r.uniform(0.5, 1.5), colour.g_r,
                                       colour.r_i)});
  }
}

// A blue star-forming disk with two spiral arms around the elliptical's bulge.
void add_spiral_arms(const Setup& s, Random& r, Scene& scene, const Deflector& d) {
  SceneSersic disk = sersic_component(d.x, d.y, BandFlux{}, d.r_e * r.uniform(1.5, 2.5), 1.0,
                               d.axis_ratio, d.angle);
  const Colour colour{r.uniform(0.3, 0.7), r.uniform(0.1, 0.35)};
  disk.flux = band_fluxes(s, d.flux_r * r.uniform(0.15, 0.5), colour.g_r, colour.r_i);
  disk.shape.arm_amplitude = r.uniform(0.5, 0.9);
  disk.shape.arm_pitch = r.uniform(0.2, 0.45);
  disk.shape.arm_phase = r.uniform(0, 2 * kPi);
  scene.sersics.push_back(disk);
}

// Field galaxies (red or blue) and stars further out, in both classes.
void add_field(const Setup& s, Random& r, Scene& scene) {
  const double counts[3] = {0.4, 0.4, 0.2};
  const int neighbours = r.choose(counts, 3);
  const double size = static_cast<double>(s.options.size);
  for (int k = 0; k < neighbours; ++k) {
    const double distance = size * r.uniform(0.3, 0.6), a = r.uniform(0, 2 * kPi);
    const double x = s.centre() + distance * std::cos(a), y = s.centre() + distance * std::sin(a);
    if (r.chance(0.3)) {
      scene.points.push_back({x, y, band_fluxes(s, s.electrons(r.uniform(18.0, 23.0)),
                                                r.uniform(0.3, 1.4), r.uniform(0.1, 0.6))});
    } else {
      const Colour colour = r.chance(0.5) ? red_elliptical(r) : blue_star_forming(r);
      scene.sersics.push_back(sersic_component(x, y, band_fluxes(s, s.electrons(r.uniform(20.0, 24.0)),
                                                          colour.g_r, colour.r_i),
                                        std::max(0.5, s.arcsec_to_pixels(r.log_normal(0.4, 0.4))),
                                        r.uniform(0.5, 4.0), r.uniform(0.3, 1.0), r.uniform(0, kPi)));
    }
  }
}

}  // namespace

SynthOptions with_survey_defaults(const SynthOptions& options) {
  return options.kind == Kind::Lens ? lens_survey(options) : options;
}

SampleInfo draw_lens(const Setup& s, Random& r, Scene& scene) {
  const bool lensed = r.chance(s.options.lens_fraction);
  const double theta_e = r.uniform(kMinEinsteinRadiusArcsec, kMaxEinsteinRadiusArcsec);
  const double theta_e_px = s.arcsec_to_pixels(theta_e);
  // The deflector and the field come first, so that image i's lens and
  // non-lens versions (lens_fraction 1 and 0) differ only by what follows.
  const Deflector d = add_deflector(s, r, scene, theta_e);
  add_field(s, r, scene);
  SampleInfo info;
  if (lensed) {
    add_background_source(s, r, scene, d, theta_e);
    if (r.chance(0.25)) {
      add_blue_companions(s, r, scene, d, theta_e_px);
      info.subtype = kCompanions;
    }
  } else {
    const double weights[4] = {0.1, 0.3, 0.3, 0.3};  // in LensSubtype order
    info.subtype = r.choose(weights, 4);
    switch (info.subtype) {
      case kRing: add_ring(s, r, scene, d, theta_e_px); break;
      case kCompanions: add_blue_companions(s, r, scene, d, theta_e_px); break;
      case kSpiralArms: add_spiral_arms(s, r, scene, d); break;
      default: break;
    }
  }

  info.true_class = lensed ? 1 : 0;
  info.label = {lensed ? 1.0 : 0.0};
  info.aux = {lensed ? theta_e : 0.0};
  info.flux_e = d.flux_r;  // the deflector's
  info.snr = s.snr(d.flux_r, d.r_e);
  return info;
}

void add_lensed_source(const Plane& plane, const SceneLensed& lensed, int band, double border) {
  LensModel lens = lensed.lens;
  lens.x += border;
  lens.y += border;
  std::vector<SersicProfile> sersics;
  for (const SceneSersic& c : lensed.sersics) sersics.push_back(c.in_band(band, border));
  std::vector<GaussianSpot> spots;
  for (const SceneBlob& b : lensed.blobs) spots.push_back({b.x + border, b.y + border, b.sigma, b.flux[band]});
  add_lensed_light(plane, lens, SourceLight(sersics, spots));
}

}  // namespace astrocnn::synth
