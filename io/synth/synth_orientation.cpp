// Orientation scenes (after the SoHPC student project, where a ResNet18
// regresses the orientation of galaxies with a cosine-similarity loss): one
// inclined disk galaxy, half of them with a bulge, at a random position angle.
//
// The label is (cos 2θ, sin 2θ), with θ in [0, π) the position angle of the
// disk's major axis, measured from the +x axis of the stored image (growing
// column index) towards +y (growing row index): the convention of
// SersicProfile::angle. The angle is doubled because a galaxy turned by 180°
// gives the same image, so θ and θ + π must be the same label; the doubled
// angle also makes the label continuous where θ wraps from π back to 0.
//
// A face-on disk is round and has no orientation at all, so the task is only
// well posed for disks that look elongated: inclinations are drawn for
// randomly oriented disks, but only those whose outline has an axis ratio of
// at most kMaxAxisRatio (see docs/SYNTHETIC.md).
#include <algorithm>
#include <cmath>

#include "io/synth/synth_scene.h"

namespace astrocnn::synth {

const char* const kOrientationLabels[2] = {"cos_2theta", "sin_2theta"};

namespace {

constexpr double kPi = 3.14159265358979323846;

// Disks rounder than this (nearly face-on) are not drawn: their position
// angle is barely or not at all defined by the image.
constexpr double kMaxAxisRatio = 0.8;

// Apparent axis ratio of an oblate spheroid of intrinsic axis ratio q0 (its
// thickness over its diameter) seen at inclination i (Hubble 1926):
//   q² = cos² i + q0² sin² i.
double projected_axis_ratio(double cos_i, double q0) {
  return std::sqrt(cos_i * cos_i + q0 * q0 * (1 - cos_i * cos_i));
}

// The inverse: cos i of a disk of thickness q0 that looks as round as q.
double cos_inclination(double q, double q0) { return std::sqrt((q * q - q0 * q0) / (1 - q0 * q0)); }

// What the drawer reports besides the scene: the label angle and what the
// S/N estimate needs.
struct Galaxy {
  double theta = 0;  // position angle of the major axis, radians in [0, π)
  double flux_e = 0;
  double r_e = 0;    // disk half-light radius, pixels
};

// One band: the flux in the first.
SceneSersic component(double x, double y, double flux, double r_e, double n, double q, double theta) {
  return sersic_component(x, y, one_band(flux), r_e, n, q, theta);
}

// An exponential disk (Freeman 1970) of thickness q0 = 0.1-0.2 at a random
// inclination with q <= kMaxAxisRatio; half of them with a coaxial Sérsic
// bulge, which is much thicker than the disk (intrinsic q 0.5-0.8) and so
// looks rounder at the same inclination; some with spiral arms, drawn in the
// disk plane and so foreshortened with it.
Galaxy add_inclined_galaxy(const Setup& s, Random& r, Scene& scene) {
  Galaxy g;
  const double x = s.centre() + r.uniform(-1, 1), y = s.centre() + r.uniform(-1, 1);
  g.theta = r.uniform(0, kPi);
  g.flux_e = s.electrons(r.uniform(19.5, 24.0));
  // At least the PSF FWHM, so that the outline is resolved; small enough that
  // the disk stays inside the stamp.
  const double r_min = std::max(s.psf[0].fwhm, 1.5);
  g.r_e = std::clamp(s.arcsec_to_pixels(r.log_normal(0.45, 0.3)), r_min,
                     std::max(r_min, s.options.size / 6.0));

  // Isotropic orientations have cos i uniform; keeping cos i <= cos i_max is
  // the same distribution conditioned on q <= kMaxAxisRatio.
  const double q0 = r.uniform(0.1, 0.2);
  const double cos_i = r.uniform(0, cos_inclination(kMaxAxisRatio, q0));
  const double q_disk = projected_axis_ratio(cos_i, q0);

  const bool bulge = r.chance(0.5);
  const double bt = bulge ? r.uniform(0.1, 0.5) : 0.0;
  SceneSersic disk = component(x, y, (1 - bt) * g.flux_e, g.r_e, 1.0, q_disk, g.theta);
  if (q_disk > 0.5 && r.chance(0.4)) {
    disk.shape.arm_amplitude = r.uniform(0.1, 0.35);
    disk.shape.arm_count = r.chance(0.75) ? 2 : 3;
    disk.shape.arm_pitch = r.uniform(0.2, 0.45);
    disk.shape.arm_phase = r.uniform(0, 2 * kPi);
  }
  scene.sersics.push_back(disk);
  if (bulge) {
    const double q_bulge = projected_axis_ratio(cos_i, r.uniform(0.5, 0.8));
    scene.sersics.push_back(component(x, y, bt * g.flux_e, std::max(0.5, g.r_e * r.uniform(0.15, 0.35)),
                                      r.uniform(2.5, 4.5), q_bulge, g.theta));
  }
  return g;
}

}  // namespace

SampleInfo draw_orientation(const Setup& s, Random& r, Scene& scene) {
  const Galaxy g = add_inclined_galaxy(s, r, scene);
  SampleInfo info;
  info.flux_e = g.flux_e;
  info.snr = s.snr(g.flux_e, g.r_e);
  info.label = {std::cos(2 * g.theta), std::sin(2 * g.theta)};
  return info;
}

}  // namespace astrocnn::synth
