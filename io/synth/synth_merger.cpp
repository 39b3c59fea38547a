// Merger scenes (DeepGalaxy-like): two bulge+disk galaxies approaching
// coalescence, tidally stretched and trailing curved tails.
//
// Labels (each in [0, 1]):
//   mass_ratio                 q = M2 / M1, uniform in [0.1, 1]
//   separation_kpc_over_30     projected separation / 30 kpc
//   time_to_coalescence_gyr    t, uniform in [0, 1] Gyr
// A toy dynamical-friction orbit ties them together: the 3-D separation is
// s = 30 kpc * (t / f(q))^(2/3) * (10% scatter), with f(q) = sqrt((1+q) / 2q)
// (light satellites sink more slowly, so at equal t they are closer), seen
// at a random inclination. The tidal disturbance grows as t -> 0.
#include <algorithm>
#include <cmath>

#include "io/synth/synth_scene.h"

namespace astrocnn::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The angle in [-π/2, π/2) that rotates direction `from` onto the axis `to`
// (position angles are defined modulo π).
double axis_difference(double to, double from) {
  double d = std::fmod(to - from, kPi);
  if (d >= 0.5 * kPi) d -= kPi;
  if (d < -0.5 * kPi) d += kPi;
  return d;
}

struct Member {
  double x, y;        // pixels
  double flux_r;      // electrons
  double mass;        // relative to the primary
  double companion;   // angle towards the other galaxy, radians
};

// One galaxy of the pair. `tide` in [0, 1] is how strongly the companion
// distorts it: the disk is stretched and turned towards the companion, and a
// fraction of its light is pulled into a bridge (towards the companion) and
// a tail (away), both curving in the sense of the orbit.
void add_member(const Setup& s, Random& r, Scene& scene, const Member& m, double tide,
                double orbit_sense, double kpc_per_pixel) {
  const double r_e = std::clamp(3.0 * std::pow(m.mass, 0.3) * r.log_normal(1.0, 0.15) / kpc_per_pixel,
                                0.8, s.options.size / 5.0);
  const double bt = r.uniform(0.1, 0.6);
  const double q0 = r.uniform(0.5, 1.0), angle0 = r.uniform(0, kPi);
  const double tail_fraction = 0.35 * tide;

  SceneSersic disk;
  disk.shape.x = m.x;
  disk.shape.y = m.y;
  disk.shape.r_e = r_e;
  disk.shape.n = 1.0;
  disk.shape.axis_ratio = q0 * (1 - 0.5 * tide);
  disk.shape.angle = angle0 + tide * axis_difference(m.companion, angle0);
  disk.flux = band_fluxes(s, (1 - bt) * (1 - tail_fraction) * m.flux_r, 0.5, 0.35);
  scene.sersics.push_back(disk);

  SceneSersic bulge = disk;
  bulge.shape.r_e = std::max(0.5, 0.3 * r_e);
  bulge.shape.n = 4.0;
  bulge.shape.axis_ratio = std::max(0.6, disk.shape.axis_ratio);
  bulge.flux = band_fluxes(s, bt * m.flux_r, 1.0, 0.7);
  scene.sersics.push_back(bulge);

  if (tail_fraction < 0.02) return;
  const int pieces = 20;
  const double length = (2.0 + 6.0 * tide) * r_e, turn = orbit_sense * 1.2 * tide;
  const BandFlux tail_flux = band_fluxes(s, 0.5 * (1 - bt) * tail_fraction * m.flux_r, 0.3, 0.2);
  for (double heading0 : {m.companion, m.companion + kPi}) {  // bridge, then tail
    double x = m.x + 0.5 * r_e * std::cos(heading0), y = m.y + 0.5 * r_e * std::sin(heading0);
    double weight_total = 0;
    for (int k = 0; k < pieces; ++k) weight_total += 1.0 - 0.6 * k / pieces;
    for (int k = 0; k < pieces; ++k) {
      double heading = heading0 + turn * (k + 0.5) / pieces;
      x += length / pieces * std::cos(heading);
      y += length / pieces * std::sin(heading);
      double sigma = r_e * (0.25 + 0.35 * k / pieces);
      scene.blobs.push_back({x, y, std::max(0.5, sigma),
                             scaled(tail_flux, (1.0 - 0.6 * k / pieces) / weight_total)});
    }
  }
}

}  // namespace

SampleInfo draw_merger(const Setup& s, Random& r, Scene& scene) {
  const SynthOptions& o = s.options;
  const double kpc_per_pixel = o.pixel_scale_arcsec * o.kpc_per_arcsec;
  const double q = r.uniform(0.1, 1.0), t = r.uniform();
  const double f_q = std::sqrt((1 + q) / (2 * q));
  const double s3d = 30.0 * std::pow(t / f_q, 2.0 / 3.0) * r.log_normal(1.0, 0.1);
  const double mu = r.uniform(0.0, 0.7);  // cosine of the angle between the pair axis and the line of sight
  double separation = s3d * std::sqrt(1 - mu * mu);
  separation = std::min({separation, 30.0, 0.8 * o.size * kpc_per_pixel});  // both in the stamp

  const double axis = r.uniform(0, 2 * kPi), sense = r.chance(0.5) ? 1.0 : -1.0;
  const double half = 0.5 * separation / kpc_per_pixel;
  const double cx = s.centre() + r.uniform(-1, 1), cy = s.centre() + r.uniform(-1, 1);
  const double flux1 = s.electrons(r.uniform(19.5, 21.5));
  const double flux2 = q * flux1 * r.log_normal(1.0, 0.1);
  const double disturbance = 1.0 - t;
  Member primary{cx - half * std::cos(axis), cy - half * std::sin(axis), flux1, 1.0, axis};
  Member secondary{cx + half * std::cos(axis), cy + half * std::sin(axis), flux2, q, axis + kPi};
  add_member(s, r, scene, primary, disturbance * std::sqrt(q), sense, kpc_per_pixel);
  add_member(s, r, scene, secondary, disturbance, sense, kpc_per_pixel);

  SampleInfo info;
  info.label = {q, separation / 30.0, t};
  info.flux_e = flux1 + flux2;
  info.snr = s.snr(flux1, 3.0 / kpc_per_pixel);
  return info;
}

}  // namespace astrocnn::synth
