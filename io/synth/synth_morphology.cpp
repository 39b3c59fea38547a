// Morphology scenes (CANDELS-like, one band) and their vote-fraction labels.
//
// Each image has a generating class. Its vote fractions come from a
// probability vector that mixes the classes the image resembles (a bulge+disk
// with B/T = 0.5 looks half spheroid, half disk; a tiny galaxy looks like a
// point source; a faint one is unclassifiable), from which `voters`
// simulated classifiers each pick one class.
#include <algorithm>
#include <cmath>

#include "io/synth/synth_scene.h"

namespace astrocnn::synth {

const char* const kMorphologyClasses[5] = {"spheroid", "disk", "irregular", "point_source",
                                           "unclassifiable"};

namespace {

enum Class { kSpheroid = 0, kDisk, kIrregular, kPointSource, kUnclassifiable };
using Votes = std::array<double, 5>;
constexpr double kPi = 3.14159265358979323846;

// What the drawer of one object reports: which classes it resembles
// (unnormalised weights), and its flux and size for the S/N estimate.
struct Drawn {
  Votes weights{};
  double flux_e = 0;
  double r_e = 0;  // pixels
};


// Half-light radius in pixels from one in arcsec, kept inside the stamp.
double size_pixels(const Setup& s, double arcsec) {
  return std::clamp(s.arcsec_to_pixels(arcsec), 0.6, s.options.size / 6.0);
}

// How much a galaxy of half-light radius r_e looks like a point source: only
// when it is not much larger than the PSF.
double compactness(const Setup& s, double r_e) {
  double ratio = r_e / s.psf[0].fwhm;
  return 0.6 * std::exp(-2.0 * ratio * ratio);
}

SceneSersic& add_component(Scene& scene, double x, double y, double flux, double r_e, double n,
                           double axis_ratio, double angle) {
  scene.sersics.push_back(sersic_component(x, y, one_band(flux), r_e, n, axis_ratio, angle));
  return scene.sersics.back();
}

// Bulge-dominated: a Sérsic n ~ 4 bulge and, unless B/T ~ 1, a larger faint disk.
Drawn add_spheroid(const Setup& s, Random& r, Scene& scene, double x, double y, double flux) {
  double r_e = size_pixels(s, r.log_normal(0.22, 0.35));
  double n = r.chance(0.5) ? 4.0 : r.uniform(2.5, 6.0);
  double q = r.uniform(0.55, 1.0), angle = r.uniform(0, kPi);
  double bt = r.chance(0.5) ? r.uniform(0.85, 1.0) : r.uniform(0.5, 0.85);
  add_component(scene, x, y, bt * flux, r_e, n, q, angle);
  if (bt < 0.97)
    add_component(scene, x, y, (1 - bt) * flux, r_e * r.uniform(1.5, 3.0), 1.0,
                  r.uniform(0.35, 1.0), angle + 0.2 * r.normal());
  return {{bt, 1 - bt, 0.02, compactness(s, r_e), 0.0}, flux, r_e};
}

// Disk-dominated: an exponential disk seen at a random inclination (intrinsic
// thickness 0.15), often with spiral arms, plus a small bulge (B/T <= 0.5).
Drawn add_disk(const Setup& s, Random& r, Scene& scene, double x, double y, double flux) {
  double r_e = size_pixels(s, r.log_normal(0.4, 0.35));
  double cos_i = r.uniform();
  double q = std::sqrt(cos_i * cos_i * (1 - 0.15 * 0.15) + 0.15 * 0.15);
  double angle = r.uniform(0, kPi);
  double n = r.chance(0.7) ? 1.0 : r.uniform(0.7, 1.5);
  double bt = r.chance(0.3) ? 0.0 : r.uniform(0.02, 0.5);
  SceneSersic& disk = add_component(scene, x, y, (1 - bt) * flux, r_e, n, q, angle);
  double arms = 0;
  if (q > 0.45 && r.chance(0.6)) {
    arms = r.uniform(0.15, 0.5);
    disk.shape.arm_amplitude = arms;
    disk.shape.arm_count = r.chance(0.75) ? 2 : 3;
    disk.shape.arm_pitch = r.uniform(0.2, 0.45);
    disk.shape.arm_phase = r.uniform(0, 2 * kPi);
  }
  if (bt > 0)
    add_component(scene, x, y, bt * flux, std::max(0.5, r_e * r.uniform(0.15, 0.35)),
                  r.uniform(2.5, 4.5), r.uniform(std::max(q, 0.6), 1.0), angle);
  return {{0.9 * bt, 1 - bt, 0.04 + 0.3 * arms, 0.5 * compactness(s, r_e), 0.0}, flux, r_e};
}

// Clumpy irregular: a lopsided low-index disk plus 2-7 star-forming clumps
// gathered on one side, carrying 25-65% of the light.
Drawn add_irregular(const Setup& s, Random& r, Scene& scene, double x, double y, double flux) {
  double r_e = size_pixels(s, r.log_normal(0.4, 0.3));
  double clump_fraction = r.uniform(0.25, 0.65);
  double offset = r.uniform(0, 0.3) * r_e, offset_angle = r.uniform(0, 2 * kPi);
  add_component(scene, x + offset * std::cos(offset_angle), y + offset * std::sin(offset_angle),
                (1 - clump_fraction) * flux, r_e, r.uniform(0.5, 1.5), r.uniform(0.35, 1.0),
                r.uniform(0, kPi));
  int clumps = 2 + static_cast<int>(r.below(6));
  double side = r.uniform(0, 2 * kPi);
  std::vector<double> share(clumps);
  double total = 0;
  for (double& w : share) total += (w = r.uniform(0.3, 1.0));
  for (int k = 0; k < clumps; ++k) {
    double angle = side + r.normal(), radius = r.uniform(0.2, 1.6) * r_e;
    double sigma = std::max(0.5, s.arcsec_to_pixels(r.uniform(0.04, 0.12)));
    scene.blobs.push_back({x + radius * std::cos(angle), y + radius * std::sin(angle), sigma,
                           one_band(flux * clump_fraction * share[k] / total)});
  }
  return {{0.02, 0.05 + 0.35 * (1 - clump_fraction), 0.45 + clump_fraction, 0.0, 0.05}, flux, r_e};
}

Drawn add_galaxy(int type, const Setup& s, Random& r, Scene& scene, double x, double y, double flux) {
  switch (type) {
    case kSpheroid: return add_spheroid(s, r, scene, x, y, flux);
    case kDisk: return add_disk(s, r, scene, x, y, flux);
    default: return add_irregular(s, r, scene, x, y, flux);
  }
}

Votes normalised(const Votes& w) {
  double total = 0;
  for (double v : w) total += v;
  Votes p{};
  for (int k = 0; k < 5; ++k) p[k] = total > 0 ? w[k] / total : 0.0;
  return p;
}

// (1 - a) * resemblance of the underlying object + a * unclassifiable.
Votes mostly_unclassifiable(const Votes& underlying, double a) {
  Votes p = normalised(underlying);
  for (double& v : p) v *= 1 - a;
  p[kUnclassifiable] += a;
  return p;
}

// Objects humans would not classify: too faint, blended, hit by cosmic rays,
// or crossed by a satellite trail.
Drawn add_unclassifiable(const Setup& s, Random& r, Scene& scene, double x, double y, int& subtype) {
  subtype = static_cast<int>(r.below(4));
  int underlying = static_cast<int>(r.below(3));  // spheroid, disk or irregular
  Drawn d;
  switch (subtype) {
    case 0: {  // faint: the low S/N does most of the work (see vote_fractions)
      d = add_galaxy(underlying, s, r, scene, x, y, s.electrons(r.uniform(25.3, 26.8)));
      d.weights = mostly_unclassifiable(d.weights, 0.4);
      break;
    }
    case 1: {  // a blend of two faint, overlapping galaxies
      Drawn a = add_galaxy(underlying, s, r, scene, x, y, s.electrons(r.uniform(23.5, 25.0)));
      double separation = r.uniform(0.8, 2.0) * a.r_e + r.uniform(1.0, 4.0);
      double angle = r.uniform(0, 2 * kPi);
      Drawn b = add_galaxy(static_cast<int>(r.below(2)), s, r, scene, x + separation * std::cos(angle),
                           y + separation * std::sin(angle), s.electrons(r.uniform(23.5, 25.0)));
      Votes both{};
      Votes pa = normalised(a.weights), pb = normalised(b.weights);
      for (int k = 0; k < 5; ++k) both[k] = pa[k] + pb[k];
      d = {mostly_unclassifiable(both, 0.6), a.flux_e, a.r_e};
      break;
    }
    case 2: {  // cosmic-ray hits (sharp, not PSF-blurred), one of them near the centre
      bool galaxy = r.chance(0.7);
      if (galaxy) d = add_galaxy(underlying, s, r, scene, x, y, s.electrons(r.uniform(24.0, 25.5)));
      int hits = 2 + static_cast<int>(r.below(5));
      double size = static_cast<double>(s.options.size);
      for (int k = 0; k < hits; ++k) {
        double cx = k == 0 ? x + r.uniform(-5, 5) : r.uniform(0, size - 1);
        double cy = k == 0 ? y + r.uniform(-5, 5) : r.uniform(0, size - 1);
        double length = r.uniform(1.0, 8.0), angle = r.uniform(0, kPi);
        double dx = 0.5 * length * std::cos(angle), dy = 0.5 * length * std::sin(angle);
        scene.cosmic_rays.push_back({cx - dx, cy - dy, cx + dx, cy + dy, 0.3,
                                     one_band(r.uniform(3000.0, 30000.0))});
      }
      d.weights = galaxy ? mostly_unclassifiable(d.weights, 0.6) : Votes{0, 0, 0, 0.15, 0.85};
      break;
    }
    default: {  // a satellite trail (or an edge-on sliver) through the centre
      bool galaxy = r.chance(0.5);
      if (galaxy) d = add_galaxy(underlying, s, r, scene, x, y, s.electrons(r.uniform(23.5, 25.5)));
      double px = x + r.uniform(-6, 6), py = y + r.uniform(-6, 6), angle = r.uniform(0, kPi);
      double half = static_cast<double>(s.options.size);  // reaches past both edges
      double per_pixel = r.uniform(3.0, 20.0) * s.sigma_e[0];
      scene.streaks.push_back({px - half * std::cos(angle), py - half * std::sin(angle),
                               px + half * std::cos(angle), py + half * std::sin(angle), 0.5,
                               one_band(per_pixel * 2 * half)});
      d.weights = galaxy ? mostly_unclassifiable(d.weights, 0.65) : Votes{0, 0.2, 0, 0, 0.8};
      break;
    }
  }
  return d;
}

// Vote fractions: the resemblance weights, pushed towards unclassifiable as
// the S/N drops (half-way at S/N = 6), with the generating class kept on top,
// then sampled by `voters` classifiers (multinomial).
std::vector<double> vote_fractions(const Setup& s, Random& r, const Votes& weights, int cls,
                                   double snr) {
  Votes p = normalised(weights);
  double faint = 1.0 / (1.0 + (snr / 6.0) * (snr / 6.0));
  for (double& v : p) v *= 1 - faint;
  p[kUnclassifiable] += faint;
  double best_other = 0;
  for (int k = 0; k < 5; ++k)
    if (k != cls) best_other = std::max(best_other, p[k]);
  if (p[cls] <= best_other) p[cls] = best_other + 0.02;
  p = normalised(p);
  if (s.options.voters == 0) return std::vector<double>(p.begin(), p.end());
  std::vector<double> votes(5, 0.0);
  for (int v = 0; v < s.options.voters; ++v) votes[r.choose(p.data(), 5)] += 1.0;
  for (double& v : votes) v /= s.options.voters;
  return votes;
}

}  // namespace

SampleInfo draw_morphology(const Setup& s, Random& r, Scene& scene) {
  SampleInfo info;
  const int cls = r.choose(s.options.class_fractions.data(), 5);
  const double x = s.centre() + r.uniform(-1, 1), y = s.centre() + r.uniform(-1, 1);
  Drawn d;
  switch (cls) {
    case kSpheroid:
    case kDisk:
    case kIrregular:
      d = add_galaxy(cls, s, r, scene, x, y, s.electrons(r.uniform(20.0, 24.5)));
      break;
    case kPointSource: {
      double flux = s.electrons(r.uniform(19.0, 24.0));
      scene.points.push_back({x, y, one_band(flux)});
      d = {{0.08, 0.01, 0.01, 0.9, 0.0}, flux, 0.0};
      break;
    }
    default:
      d = add_unclassifiable(s, r, scene, x, y, info.subtype);
  }
  info.true_class = cls;
  info.flux_e = d.flux_e;
  info.snr = d.flux_e > 0 ? s.snr(d.flux_e, d.r_e) : 0.0;
  info.label = vote_fractions(s, r, d.weights, cls, info.snr);
  return info;
}

}  // namespace astrocnn::synth
