// The synthetic strong-lens kind: the SIE + shear lens model against known
// analytic cases, the ray-tracer against the lens equation's images, and the
// generator's labels, colours, determinism, options and auxiliary column.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "io/synth/lens_model.h"
#include "io/synth/synth_scene.h"
#include "io/synth/synthetic.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/h5_dataset.h"
#include "temp_dir.h"
#endif

using namespace astrocnn;
using namespace astrocnn::synth;

namespace {

constexpr double kPi = 3.14159265358979323846;

LensModel sie(double theta_e, double q, double angle, double shear = 0, double shear_angle = 0) {
  LensModel l;
  l.x = 3.0;
  l.y = -2.0;
  l.einstein_radius = theta_e;
  l.axis_ratio = q;
  l.angle = angle;
  l.shear = shear;
  l.shear_angle = shear_angle;
  return l;
}

// Jacobian determinant of the lens map θ -> β, by central differences.
double jacobian_det(const LensModel& lens, Vec2 t, double h = 1e-5) {
  Vec2 xp = source_position(lens, {t.x + h, t.y}), xm = source_position(lens, {t.x - h, t.y});
  Vec2 yp = source_position(lens, {t.x, t.y + h}), ym = source_position(lens, {t.x, t.y - h});
  double a11 = (xp.x - xm.x) / (2 * h), a21 = (xp.y - xm.y) / (2 * h);
  double a12 = (yp.x - ym.x) / (2 * h), a22 = (yp.y - ym.y) / (2 * h);
  return a11 * a22 - a12 * a21;
}

// A point of the plane at distance r from the lens centre, at polar angle phi.
Vec2 around(const LensModel& l, double r, double phi) {
  return {l.x + r * std::cos(phi), l.y + r * std::sin(phi)};
}

std::vector<float> lensed_plane(const LensModel& lens, const SourceLight& source, int64_t size) {
  std::vector<float> pixels(static_cast<size_t>(size * size), 0.0f);
  add_lensed_light(Plane{pixels.data(), size, size}, lens, source);
  return pixels;
}

SynthOptions lens_options(int64_t n, uint64_t seed = 5) {
  SynthOptions o;
  o.kind = Kind::Lens;
  o.n = n;
  o.size = 32;
  o.seed = seed;
  return o;
}

// The r-band-referenced instrument of the lens kind, as the generator sets it
// up (only what drawing a scene needs: fluxes, sizes, the r-band PSF and noise).
Setup lens_setup(const SynthOptions& requested) {
  Setup s;
  s.options = with_survey_defaults(requested);
  s.bands = 3;
  s.reference_band = 1;
  s.psf[1] = make_moffat_psf(s.options.psf_fwhm_arcsec / s.options.pixel_scale_arcsec, s.options.psf_beta);
  s.sigma_e[1] = 100;
  return s;
}

}  // namespace

// ---- The lens model ------------------------------------------------------------------------

TEST_CASE("SIE deflection has |alpha| = theta_E in the spherical limit", "[lens]") {
  for (double q : {1.0, 1 - 1e-12, 0.999999}) {
    const LensModel l = sie(2.5, q, 0.4);
    for (double r : {0.3, 2.5, 7.0})
      for (double phi : {0.0, 1.0, 2.5, 4.0}) {
        const Vec2 t = around(l, r, phi);
        const Vec2 a = deflection(l, t);
        CHECK(std::hypot(a.x, a.y) == Approx(2.5).epsilon(1e-5));
        // ... pointing back to the centre: β = θ (1 − θ_E / r) along the same line.
        const Vec2 b = source_position(l, t);
        CHECK(b.x - l.x == Approx((t.x - l.x) * (1 - 2.5 / r)).margin(1e-5));
        CHECK(b.y - l.y == Approx((t.y - l.y) * (1 - 2.5 / r)).margin(1e-5));
      }
  }
  CHECK(deflection(sie(1, 0.5, 0), {3.0, -2.0}).x == 0.0);  // the singular centre
}

TEST_CASE("SIE deflection is the gradient of its potential, with divergence 2 kappa", "[lens]") {
  const double h = 1e-5;
  for (double q : {0.3, 0.7, 1.0}) {
    const LensModel l = sie(1.7, q, 0.6, 0.07, 1.1);
    for (Vec2 t : {Vec2{4.1, -1.3}, Vec2{1.0, -3.5}, Vec2{3.2, 0.9}, Vec2{-0.5, -2.2}}) {
      const Vec2 a = deflection(l, t);
      const double dpsi_dx = (lens_potential(l, {t.x + h, t.y}) - lens_potential(l, {t.x - h, t.y})) / (2 * h);
      const double dpsi_dy = (lens_potential(l, {t.x, t.y + h}) - lens_potential(l, {t.x, t.y - h})) / (2 * h);
      CHECK(dpsi_dx == Approx(a.x).margin(1e-6));
      CHECK(dpsi_dy == Approx(a.y).margin(1e-6));
      // ∇·α = 2κ (Poisson's equation; the shear is traceless), ∇×α = 0.
      const Vec2 axp = deflection(l, {t.x + h, t.y}), axm = deflection(l, {t.x - h, t.y});
      const Vec2 ayp = deflection(l, {t.x, t.y + h}), aym = deflection(l, {t.x, t.y - h});
      const double divergence = (axp.x - axm.x) / (2 * h) + (ayp.y - aym.y) / (2 * h);
      const double curl = (ayp.x - aym.x) / (2 * h) - (axp.y - axm.y) / (2 * h);
      CHECK(divergence == Approx(2 * convergence(l, t)).epsilon(1e-5));
      CHECK(curl == Approx(0).margin(1e-5));
    }
  }
}

TEST_CASE("the SIE's critical curve is the kappa = 1/2 ellipse of area pi theta_E^2", "[lens]") {
  const double theta_e = 2.0, q = 0.6, angle = 0.5;
  const LensModel l = sie(theta_e, q, angle);
  for (double t : {0.0, 0.7, 1.6, 2.9, 4.4}) {
    // The ellipse q x² + y²/q = θ_E² in the lens frame: semi-axes θ_E/√q and θ_E √q.
    const double u = theta_e / std::sqrt(q) * std::cos(t), v = theta_e * std::sqrt(q) * std::sin(t);
    const Vec2 p{l.x + u * std::cos(angle) - v * std::sin(angle),
                 l.y + u * std::sin(angle) + v * std::cos(angle)};
    CHECK(convergence(l, p) == Approx(0.5).epsilon(1e-9));
    CHECK(jacobian_det(l, p) == Approx(0).margin(1e-5));
    // Inside it the map reverses parity (det < 0), outside it keeps it.
    const Vec2 inside{l.x + 0.8 * (p.x - l.x), l.y + 0.8 * (p.y - l.y)};
    const Vec2 outside{l.x + 1.3 * (p.x - l.x), l.y + 1.3 * (p.y - l.y)};
    CHECK(jacobian_det(l, inside) < -0.05);
    CHECK(jacobian_det(l, outside) > 0.05);
  }
}

TEST_CASE("check_lens refuses impossible lenses", "[lens]") {
  CHECK_NOTHROW(check_lens(sie(1, 1, 0)));
  CHECK_THROWS_WITH(check_lens(sie(0, 1, 0)), Catch::Contains("Einstein radius"));
  CHECK_THROWS_WITH(check_lens(sie(1, 0, 0)), Catch::Contains("axis ratio"));
  CHECK_THROWS_WITH(check_lens(sie(1, 1.2, 0)), Catch::Contains("axis ratio"));
  CHECK_THROWS_WITH(check_lens(sie(1, 0.5, 0, -0.1)), Catch::Contains("shear"));
  CHECK_THROWS_WITH(check_lens(sie(1, 0.5, std::nan(""))), Catch::Contains("finite"));
}

// ---- Ray-tracing ----------------------------------------------------------------------------

TEST_CASE("a source behind an SIS becomes an Einstein ring at theta_E", "[lens]") {
  const int64_t size = 64;
  LensModel l = sie(12.0, 1.0, 0);
  l.x = l.y = 31.5;
  const SourceLight source({}, {GaussianSpot{31.5, 31.5, 0.8, 1000.0}});
  const std::vector<float> image = lensed_plane(l, source, size);
  double total = 0, weighted_r = 0, near_ring = 0;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      const double r = std::hypot(j - l.x, i - l.y), v = image[i * size + j];
      total += v;
      weighted_r += v * r;
      if (std::fabs(r - 12.0) < 2.0) near_ring += v;
    }
  REQUIRE(total > 0);
  CHECK(weighted_r / total == Approx(12.0).margin(0.2));
  CHECK(near_ring / total > 0.95);
  // An SIS magnifies a source at β by 2 θ_E / β (both images), so a Gaussian
  // of width σ on its axis by 2 θ_E ∫ S(β)/β d²β / F = 2 θ_E √(π/2) / σ.
  CHECK(total / 1000.0 == Approx(2 * 12.0 * std::sqrt(kPi / 2) / 0.8).epsilon(0.02));
}

TEST_CASE("an off-axis source behind an SIS has two images of magnification 3 and 1", "[lens]") {
  // β = θ_E / 2: images at θ = β ± θ_E along the axis, i.e. +1.5 θ_E and
  // −0.5 θ_E, with |μ| = |θ| / ||θ| − θ_E| = 3 and 1 (Schneider et al. 1992).
  const int64_t size = 96;
  LensModel l = sie(16.0, 1.0, 0);
  l.x = l.y = 47.5;
  const double flux = 500.0;
  const SourceLight source({}, {GaussianSpot{l.x + 8.0, l.y, 0.5, flux}});
  const std::vector<float> image = lensed_plane(l, source, size);
  double right = 0, left = 0;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      const double dx = j - l.x, dy = i - l.y, v = image[i * size + j];
      if (std::hypot(dx - 24.0, dy) < 5) right += v;  // θ = +1.5 θ_E
      if (std::hypot(dx + 8.0, dy) < 5) left += v;    // θ = −0.5 θ_E
    }
  CHECK(right / flux == Approx(3.0).epsilon(0.05));
  CHECK(left / flux == Approx(1.0).epsilon(0.05));
}

TEST_CASE("far from the lens a source keeps its flux and position", "[lens]") {
  // β far outside θ_E: one weakly lensed image, μ = 1 / (1 − θ_E/|θ|) → close to 1.
  const int64_t size = 64;
  LensModel l = sie(1.0, 0.7, 0.3);
  l.x = l.y = 5.0;
  SersicProfile s;
  s.x = 40.0;
  s.y = 40.0;
  s.r_e = 2.0;
  s.n = 1.0;
  s.flux = 800.0;
  const std::vector<float> image = lensed_plane(l, SourceLight({s}, {}), size);
  const double total = std::accumulate(image.begin(), image.end(), 0.0);
  CHECK(total / 800.0 == Approx(1 / (1 - 1.0 / std::hypot(35.0, 35.0))).epsilon(0.02));
}

// ---- The generator ---------------------------------------------------------------------------

TEST_CASE("lens kind: labels, Einstein radii and the lens fraction", "[lens]") {
  Generator g(lens_options(400));
  CHECK(g.channels() == 3);
  CHECK(g.task() == "classification");
  CHECK(g.label_names() == std::vector<std::string>{"non-lens", "lens"});
  CHECK(g.aux_names() == std::vector<std::string>{"einstein_radius"});
  int lenses = 0;
  for (int64_t i = 0; i < 400; ++i) {
    const SampleInfo s = g.describe(i);
    REQUIRE(s.aux.size() == 1);
    REQUIRE((s.true_class == 0 || s.true_class == 1));
    CHECK(s.label == std::vector<double>{static_cast<double>(s.true_class)});
    if (s.true_class == 1) {
      ++lenses;
      CHECK(s.aux[0] >= 0.5);
      CHECK(s.aux[0] <= 3.0);
    } else {
      CHECK(s.aux[0] == 0.0);
    }
  }
  CHECK(lenses / 400.0 == Approx(0.5).margin(0.075));  // 3σ of a binomial
  SynthOptions few = lens_options(200);
  few.lens_fraction = 0.1;
  int rare = 0;
  for (int64_t i = 0; i < 200; ++i) rare += static_cast<int>(Generator(few).describe(i).true_class);
  CHECK(rare / 200.0 == Approx(0.1).margin(0.065));
}

TEST_CASE("lens kind: the data set carries the Einstein radius as an auxiliary column", "[lens]") {
  SynthOptions o = lens_options(12);
  const Dataset d = generate(o);
  d.validate();
  REQUIRE(d.aux.size() == 1);
  CHECK(d.aux[0].name == "einstein_radius");
  CHECK(d.aux[0].values.shape() == Shape{12, 1});
  CHECK(d.labels.dtype() == DType::I64);
  Generator g(o);
  for (int64_t i = 0; i < 12; ++i) {
    const SampleInfo s = g.describe(i);
    CHECK(d.labels.data<int64_t>()[i] == s.true_class);
    CHECK(d.aux[0].values.data<float>()[i] == static_cast<float>(s.aux[0]));
  }
  // subset (and so split) keeps the rows of the auxiliary column with the rest.
  const Dataset part = subset(d, {7, 2});
  REQUIRE(part.aux.size() == 1);
  CHECK(part.aux[0].values.data<float>()[0] == d.aux[0].values.data<float>()[7]);
  CHECK(part.aux[0].values.data<float>()[1] == d.aux[0].values.data<float>()[2]);
  Dataset bad = d;
  bad.aux[0].name = "labels";
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("auxiliary column"));
  bad.aux[0] = {"radius", Tensor::empty({5, 1})};
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("auxiliary column radius"));
}

TEST_CASE("lens kind: image i depends only on the seed and i", "[lens]") {
  SynthOptions small = lens_options(5), large = lens_options(9);
  small.num_threads = 1;
  large.num_threads = 3;
  const Dataset a = generate(small), b = generate(large), c = generate(small);
  const int64_t bytes = a.images.nbytes();
  CHECK(std::memcmp(a.images.raw(), b.images.raw(), bytes) == 0);
  CHECK(std::memcmp(a.images.raw(), c.images.raw(), bytes) == 0);
  CHECK(std::memcmp(a.aux[0].values.raw(), b.aux[0].values.raw(), 5 * sizeof(float)) == 0);
  SynthOptions other = lens_options(5, 6);
  const Dataset d = generate(other);
  CHECK(std::memcmp(a.images.raw(), d.images.raw(), bytes) != 0);
}

TEST_CASE("lens kind: ground-based survey defaults unless the instrument is set", "[lens]") {
  Generator lens(lens_options(1));
  CHECK(lens.options().pixel_scale_arcsec == 0.2);
  CHECK(lens.options().psf_fwhm_arcsec == 0.7);
  SynthOptions own = lens_options(1);
  own.pixel_scale_arcsec = 0.263;  // DES
  CHECK(Generator(own).options().pixel_scale_arcsec == 0.263);
  CHECK(Generator(own).options().psf_fwhm_arcsec == 0.7);
  SynthOptions morphology = lens_options(1);
  morphology.kind = Kind::Morphology;
  CHECK(Generator(morphology).options().pixel_scale_arcsec == 0.06);
}

TEST_CASE("lens kind: bad lens_fraction is refused", "[lens]") {
  for (double f : {-0.1, 1.5, std::nan("")}) {
    SynthOptions o = lens_options(4);
    o.lens_fraction = f;
    CHECK_THROWS_WITH(validate(o), Catch::Contains("lens_fraction"));
  }
}

TEST_CASE("lens kind: arcs keep the source's blue colour, redder deflector", "[lens]") {
  const Setup s = lens_setup(lens_options(1));
  const int64_t size = 48;
  int checked = 0;
  for (uint64_t seed = 0; seed < 40 && checked < 10; ++seed) {
    Random rng{Rng(seed)};
    Scene scene;
    if (draw_lens(s, rng, scene).true_class != 1) continue;
    ++checked;
    const SceneLensed& l = scene.lensed.at(0);
    double band_flux[3] = {0, 0, 0};
    for (int band : {0, 2}) {
      std::vector<float> pixels(static_cast<size_t>(size * size), 0.0f);
      add_lensed_source(Plane{pixels.data(), size, size}, l, band, 8.0);
      band_flux[band] = std::accumulate(pixels.begin(), pixels.end(), 0.0);
    }
    REQUIRE(band_flux[2] > 0);
    const double arc_g_over_i = band_flux[0] / band_flux[2];
    const SceneSersic& deflector = scene.sersics.at(0);
    CHECK(arc_g_over_i > 2 * deflector.flux[0] / deflector.flux[2]);  // ≥ 0.75 mag bluer in g − i
    // Lensing is achromatic: the arcs' colour lies between the source components'.
    double lo = 1e30, hi = 0;
    for (const SceneSersic& c : l.sersics) lo = std::min(lo, c.flux[0] / c.flux[2]), hi = std::max(hi, c.flux[0] / c.flux[2]);
    for (const SceneBlob& b : l.blobs) lo = std::min(lo, b.flux[0] / b.flux[2]), hi = std::max(hi, b.flux[0] / b.flux[2]);
    CHECK(arc_g_over_i >= lo * 0.999);
    CHECK(arc_g_over_i <= hi * 1.001);
  }
  CHECK(checked == 10);
}

TEST_CASE("lens kind: the lensed light in the images is blue and lies near theta_E", "[lens]") {
  // Image i with lens_fraction 1 and 0 has the same deflector and field; where
  // neither version has anything else (subtype plain), their difference is
  // the lensed source alone, through the PSF.
  SynthOptions with = lens_options(120), without = lens_options(120);
  with.size = without.size = 48;
  with.noiseless = without.noiseless = true;
  with.scaling = without.scaling = Scaling::Linear;
  with.lens_fraction = 1;
  without.lens_fraction = 0;
  const Dataset lensed = generate(with), unlensed = generate(without);
  Generator g_with(with), g_without(without);
  const int64_t size = 48, plane = size * size;
  const double centre = 0.5 * (size - 1);
  int pairs = 0;
  for (int64_t n = 0; n < lensed.size(); ++n) {
    if (g_with.describe(n).subtype != kPlain || g_without.describe(n).subtype != kPlain) continue;
    ++pairs;
    const double theta_e = lensed.aux[0].values.data<float>()[n] / 0.2;  // pixels
    const float* a = lensed.images.data<float>() + n * 3 * plane;
    const float* b = unlensed.images.data<float>() + n * 3 * plane;
    double arc[3] = {0, 0, 0}, core[3] = {0, 0, 0}, weighted_r = 0, lowest = 0;
    for (int band = 0; band < 3; ++band)
      for (int64_t y = 0; y < size; ++y)
        for (int64_t x = 0; x < size; ++x) {
          const int64_t k = band * plane + y * size + x;
          const double r = std::hypot(x - centre, y - centre), diff = a[k] - b[k];
          lowest = std::min(lowest, diff / (std::fabs(b[k]) + 1));
          arc[band] += diff;
          if (band == 1) weighted_r += diff * r;
          if (r < 2) core[band] += b[k];
        }
    CHECK(lowest > -1e-3);  // light is only added (up to float rounding)
    REQUIRE(arc[2] > 0);
    CHECK(arc[0] / arc[2] > 2 * core[0] / core[2]);  // ≥ 0.75 mag bluer in g − i than the deflector
    CHECK(weighted_r / arc[1] > 0.4 * theta_e);
    CHECK(weighted_r / arc[1] < 1.6 * theta_e + 1.5);  // + the PSF's reach for small θ_E
  }
  CHECK(pairs >= 4);
}

#if defined(ASTROCNN_HAVE_HDF5)
TEST_CASE("lens kind: the auxiliary column round-trips through HDF5 and can be read as labels", "[lens]") {
  testing::TempDir dir;
  const std::string path = dir.file("lens.h5");
  const Dataset d = generate(lens_options(10));
  write_dataset(d, path);
  H5DatasetReader classes(path);
  CHECK(classes.info().class_labels);
  CHECK(classes.label_names() == std::vector<std::string>{"non-lens", "lens"});
  H5DatasetReader radius(path, "einstein_radius");
  CHECK_FALSE(radius.info().class_labels);
  CHECK(radius.info().label_width == 1);
  CHECK(radius.task() == "regression");
  CHECK(radius.label_names() == std::vector<std::string>{"einstein_radius"});
  Tensor images, labels;
  radius.read({0, 3, 9}, images, labels);
  for (int k = 0; k < 3; ++k)
    CHECK(labels.data<float>()[k] == d.aux[0].values.data<float>()[std::vector<int>{0, 3, 9}[k]]);
  CHECK_THROWS_WITH(H5DatasetReader(path, "mass"), Catch::Contains("'/mass'") && Catch::Contains("missing"));
  CHECK_THROWS_WITH(H5DatasetReader(path, "images"), Catch::Contains("labels dataset"));
}
#endif
