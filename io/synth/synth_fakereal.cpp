// Fake/real scenes (obiwan-like, g r z): is the central galaxy a model
// injected into the images, or a real galaxy?
//
// "Fake" galaxies are what an injection pipeline draws: one Sérsic profile
// with the same shape and colour in every band. "Real" ones have structure:
// a red bulge and a blue disk (so the colour changes with radius), disks that
// are larger in bluer bands, blue star-forming clumps, spiral arms, twisted
// and offset components. One real galaxy in five is "simple" (a single
// component of uniform colour) and looks just like a fake, so the task is
// learnable but no classifier can be perfect. Both classes share neighbours,
// noise, depth variations and magnitude range, which carry no information.
#include <algorithm>
#include <cmath>

#include "io/synth/synth_scene.h"

namespace astrocnn::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;

double size_pixels(const Setup& s, double arcsec) {
  return std::clamp(s.arcsec_to_pixels(arcsec), 0.6, s.options.size / 6.0);
}


// One Sérsic profile, uniform colour: the injected model.
double add_fake(const Setup& s, Random& r, Scene& scene, double x, double y, double flux_r) {
  double pick = r.uniform();
  double n = pick < 0.5 ? 1.0 : pick < 0.75 ? 4.0 : r.uniform(0.5, 3.0);
  double r_e = size_pixels(s, r.log_normal(0.35, 0.4));
  double q = n >= 2 ? r.uniform(0.5, 1.0) : r.uniform(0.2, 1.0);
  BandFlux flux = band_fluxes(s, flux_r, r.uniform(0.3, 1.3), r.uniform(0.2, 1.0));
  scene.sersics.push_back(sersic_component(x, y, flux, r_e, n, q, r.uniform(0, kPi)));
  return r_e;
}

// Bulge + disk (+ clumps, arms) with colour gradients; sometimes simple.
double add_real(const Setup& s, Random& r, Scene& scene, double x, double y, double flux_r) {
  const bool simple = r.chance(0.2);
  double r_e = size_pixels(s, r.log_normal(0.4, 0.35));
  double cos_i = r.uniform();
  double q = std::sqrt(cos_i * cos_i * (1 - 0.15 * 0.15) + 0.15 * 0.15);
  double angle = r.uniform(0, kPi);
  double bt = simple ? (r.chance(0.5) ? 0.0 : 1.0) : r.uniform(0.05, 0.9);
  double bulge_gr = r.uniform(0.9, 1.4), bulge_rz = r.uniform(0.6, 1.0);
  double disk_gr = r.uniform(0.2, 0.7), disk_rz = r.uniform(0.1, 0.5);

  if (bt < 1) {
    SceneSersic disk = sersic_component(x, y, band_fluxes(s, (1 - bt) * flux_r, disk_gr, disk_rz), r_e,
                                 1.0, q, angle);
    if (!simple) {
      disk.size_scale = {1.08, 1.0, 0.94};  // young stars in the outskirts: bigger in g
      if (q > 0.45 && r.chance(0.3)) {
        disk.shape.arm_amplitude = r.uniform(0.1, 0.4);
        disk.shape.arm_pitch = r.uniform(0.2, 0.45);
        disk.shape.arm_phase = r.uniform(0, 2 * kPi);
      }
    }
    scene.sersics.push_back(disk);
  }
  if (bt > 0) {
    double offset = simple ? 0.0 : r.uniform(0, 0.5), offset_angle = r.uniform(0, 2 * kPi);
    double bulge_re = simple ? r_e : std::max(0.5, r_e * r.uniform(0.2, 0.5));
    double n = simple ? 4.0 : r.uniform(3.0, 5.0);
    double twist = simple ? 0.0 : 0.3 * r.normal();
    scene.sersics.push_back(sersic_component(x + offset * std::cos(offset_angle),
                                      y + offset * std::sin(offset_angle),
                                      band_fluxes(s, bt * flux_r, bulge_gr, bulge_rz), bulge_re, n,
                                      simple ? r.uniform(0.5, 1.0) : r.uniform(0.6, 1.0),
                                      angle + twist));
  }
  if (!simple && bt < 0.8 && r.chance(0.4)) {
    int clumps = 2 + static_cast<int>(r.below(4));
    double clump_flux = r.uniform(0.05, 0.2) * (1 - bt) * flux_r / clumps;
    for (int k = 0; k < clumps; ++k) {
      double radius = r.uniform(0.3, 1.5) * r_e, a = r.uniform(0, 2 * kPi);
      double sigma = std::max(0.5, s.arcsec_to_pixels(r.uniform(0.04, 0.1)));
      scene.blobs.push_back({x + radius * std::cos(a), y + radius * std::sin(a), sigma,
                             band_fluxes(s, clump_flux, r.uniform(-0.1, 0.3), r.uniform(0.0, 0.3))});
    }
  }
  return r_e;
}

// Stars and galaxies around the target, present in both classes (a fake is
// injected into real images, neighbours included).
void add_neighbours(const Setup& s, Random& r, Scene& scene) {
  const double counts[3] = {0.5, 0.3, 0.2};
  int neighbours = r.choose(counts, 3);
  const double size = static_cast<double>(s.options.size);
  for (int k = 0; k < neighbours; ++k) {
    double distance = size * r.uniform(0.25, 0.6), a = r.uniform(0, 2 * kPi);
    double x = s.centre() + distance * std::cos(a), y = s.centre() + distance * std::sin(a);
    if (r.chance(0.3)) {
      scene.points.push_back({x, y, band_fluxes(s, s.electrons(r.uniform(19.0, 23.0)),
                                                r.uniform(0.3, 1.5), r.uniform(0.0, 0.8))});
    } else {
      BandFlux flux = band_fluxes(s, s.electrons(r.uniform(21.0, 25.0)), r.uniform(0.2, 1.4),
                                  r.uniform(0.1, 1.0));
      scene.sersics.push_back(sersic_component(x, y, flux, size_pixels(s, r.log_normal(0.3, 0.4)),
                                        r.uniform(0.5, 4.0), r.uniform(0.3, 1.0), r.uniform(0, kPi)));
    }
  }
}

// Co-add depth: a gentle gradient and, sometimes, a region with fewer exposures.
void draw_depth(const Setup& s, Random& r, Scene& scene) {
  scene.depth_gradient_x = r.uniform(-0.15, 0.15);
  scene.depth_gradient_y = r.uniform(-0.15, 0.15);
  if (r.chance(0.3)) {
    const double size = static_cast<double>(s.options.size);
    double a = r.uniform(0, 2 * kPi);
    scene.step_factor = r.uniform(0.4, 0.75);
    scene.step_point_x = s.centre() + size * r.uniform(-0.5, 0.5);
    scene.step_point_y = s.centre() + size * r.uniform(-0.5, 0.5);
    scene.step_normal_x = std::cos(a);
    scene.step_normal_y = std::sin(a);
  }
}

}  // namespace

SampleInfo draw_fakereal(const Setup& s, Random& r, Scene& scene) {
  SampleInfo info;
  const bool real = r.chance(s.options.real_fraction);
  const double x = s.centre() + r.uniform(-1, 1), y = s.centre() + r.uniform(-1, 1);
  const double flux_r = s.electrons(r.uniform(21.0, 24.0));
  double r_e = real ? add_real(s, r, scene, x, y, flux_r) : add_fake(s, r, scene, x, y, flux_r);
  add_neighbours(s, r, scene);
  draw_depth(s, r, scene);
  info.true_class = real ? 1 : 0;
  info.label = {real ? 1.0 : 0.0};
  info.flux_e = flux_r;
  info.snr = s.snr(flux_r, r_e);
  return info;
}

}  // namespace astrocnn::synth
