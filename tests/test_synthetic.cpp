// Synthetic galaxy images: the profile mathematics, flux conservation, the
// generator's reproducibility, labels and option checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "io/synth/galaxy_profiles.h"
#include "io/synth/synthetic.h"

using namespace astrocnn;
using namespace astrocnn::synth;

namespace {

double plane_sum(const std::vector<float>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

// Light within a circle of `radius` pixels around (x, y).
double aperture_sum(const std::vector<float>& v, int64_t size, double x, double y, double radius) {
  double sum = 0;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j)
      if ((j - x) * (j - x) + (i - y) * (i - y) <= radius * radius) sum += v[i * size + j];
  return sum;
}

SynthOptions small_options(Kind kind, int64_t n, uint64_t seed = 3) {
  SynthOptions o;
  o.kind = kind;
  o.n = n;
  o.size = 32;
  o.seed = seed;
  return o;
}

// Pixels of image i of a data set, as a vector.
std::vector<float> image(const Dataset& d, int64_t i) {
  const int64_t stride = d.images.numel() / d.images.size(0);
  const float* p = d.images.data<float>() + i * stride;
  return std::vector<float>(p, p + stride);
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

// ---- Profile mathematics ------------------------------------------------------------

TEST_CASE("Sérsic b_n matches known values and encloses half the light at r_e", "[synthetic]") {
  // Exact roots of Γ(2n) = 2γ(2n, b); the series is good to ~3e-5 from n = 1.
  CHECK(sersic_b(1.0) == Approx(1.678347).epsilon(5e-5));
  CHECK(sersic_b(4.0) == Approx(7.669249).epsilon(1e-5));
  CHECK(sersic_b(0.5) == Approx(std::log(2.0)).epsilon(1e-3));  // Gaussian: b = ln 2
  for (double n : {0.5, 1.0, 2.0, 4.0, 6.0})
    CHECK(sersic_enclosed_fraction(n, 1.0) == Approx(0.5).margin(2e-4));
  CHECK_THROWS_WITH(sersic_b(0.0), Catch::Contains("must be positive"));
}

TEST_CASE("regularized lower incomplete gamma has the closed forms", "[synthetic]") {
  for (double x : {0.1, 0.5, 1.5, 3.0, 10.0, 40.0}) {
    CHECK(regularized_lower_gamma(1.0, x) == Approx(1 - std::exp(-x)).margin(1e-12));
    CHECK(regularized_lower_gamma(2.0, x) == Approx(1 - std::exp(-x) * (1 + x)).margin(1e-12));
    CHECK(regularized_lower_gamma(0.5, x) == Approx(std::erf(std::sqrt(x))).margin(1e-12));
  }
  // Integer a: P(a, x) = 1 - Σ_{k<a} e^-x x^k / k! (Poisson), also for large a.
  for (double a : {5.0, 120.0}) {
    for (double x : {0.8 * a, a, 1.2 * a}) {
      double term = std::exp(-x), below = 0;  // e^-x x^k / k!, built up k by k
      for (int k = 0; k < a; ++k) {
        below += term;
        term *= x / (k + 1);
      }
      CHECK(regularized_lower_gamma(a, x) == Approx(1 - below).margin(1e-10));
    }
  }
  CHECK(regularized_lower_gamma(3.0, 0.0) == 0.0);
  CHECK_THROWS_WITH(regularized_lower_gamma(-1.0, 1.0), Catch::Contains("a > 0"));
}

TEST_CASE("Moffat PSF: unit sum, mirror symmetry, half maximum at FWHM/2", "[synthetic]") {
  for (double fwhm : {1.5, 3.0, 4.7}) {
    MoffatPsf psf = make_moffat_psf(fwhm, 3.0);
    const int size = 2 * psf.radius + 1;
    double sum = 0;
    for (float k : psf.kernel) sum += k;
    CHECK(sum == Approx(1.0).epsilon(1e-5));
    CHECK(psf.value(0.25 * fwhm * fwhm) == Approx(0.5 * psf.value(0.0)).epsilon(1e-12));
    CHECK(psf.value(1.01 * psf.truncation * psf.truncation) == 0.0);
    // Light inside the truncation radius: 99% of the untruncated Moffat.
    double t2 = psf.truncation * psf.truncation / (psf.alpha * psf.alpha);
    CHECK(1 - std::pow(1 + t2, 1 - psf.beta) == Approx(0.99).epsilon(1e-9));
    for (int i = 0; i < size; ++i)
      for (int j = 0; j < size; ++j) {
        REQUIRE(psf.kernel[i * size + j] == psf.kernel[(size - 1 - i) * size + j]);
        REQUIRE(psf.kernel[i * size + j] == psf.kernel[j * size + i]);
      }
    CHECK(*std::max_element(psf.kernel.begin(), psf.kernel.end()) ==
          psf.kernel[psf.radius * size + psf.radius]);
  }
  CHECK_THROWS_WITH(make_moffat_psf(3.0, 1.0), Catch::Contains("beta must be > 1"));
  CHECK_THROWS_WITH(make_moffat_psf(0.0, 3.0), Catch::Contains("FWHM"));
}

TEST_CASE("a noiseless point source holds the requested flux", "[synthetic]") {
  MoffatPsf psf = make_moffat_psf(3.0, 3.0);
  std::vector<float> pixels(64 * 64, 0.0f);
  add_point_source(Plane{pixels.data(), 64, 64}, psf, 31.3, 32.7, 1000.0);
  CHECK(plane_sum(pixels) == Approx(1000.0).epsilon(0.01));
  CHECK(plane_sum(pixels) == Approx(1000.0).epsilon(0.002));  // in fact much better than 1%
  // The brightest pixel is the one containing the centre.
  auto peak = std::max_element(pixels.begin(), pixels.end()) - pixels.begin();
  CHECK(peak == 33 * 64 + 31);
}

TEST_CASE("Sérsic profiles, clumps and streaks hold their flux, also through the PSF",
          "[synthetic]") {
  const int64_t size = 128;
  for (double n : {1.0, 4.0, 2.5}) {
    std::vector<float> pixels(size * size, 0.0f);
    SersicProfile p;
    p.x = 63.4;
    p.y = 64.2;
    p.flux = 5000;
    p.r_e = 4;
    p.n = n;
    p.axis_ratio = 0.6;
    p.angle = 0.7;
    add_sersic(Plane{pixels.data(), size, size}, p);
    INFO("n = " << n);
    CHECK(plane_sum(pixels) == Approx(5000).epsilon(0.01));
  }
  {
    std::vector<float> pixels(size * size, 0.0f);
    Plane plane{pixels.data(), size, size};
    add_gaussian(plane, 40.2, 70.9, 0.6, 300);
    add_streak(plane, 20, 20, 90, 50, 0.3, 700);
    CHECK(plane_sum(pixels) == Approx(1000).epsilon(0.005));
  }
  // Convolution conserves flux when the border holds the PSF's reach.
  MoffatPsf psf = make_moffat_psf(3.0, 3.0);
  const int64_t out_size = 48, grid = out_size + 2 * psf.radius;
  std::vector<float> model(grid * grid, 0.0f), out(out_size * out_size, -1.0f);
  SersicProfile p;
  p.x = p.y = 0.5 * (grid - 1);
  p.flux = 2000;
  p.r_e = 2;
  p.n = 1;
  p.truncation = 4;
  add_sersic(Plane{model.data(), grid, grid}, p);
  convolve_with_psf(Plane{model.data(), grid, grid}, psf, Plane{out.data(), out_size, out_size});
  CHECK(plane_sum(out) == Approx(plane_sum(model)).epsilon(1e-4));
  CHECK(*std::max_element(out.begin(), out.end()) < *std::max_element(model.begin(), model.end()));
  std::vector<float> wrong(10 * 10);
  CHECK_THROWS_WITH(convolve_with_psf(Plane{model.data(), grid, grid}, psf, Plane{wrong.data(), 10, 10}),
                    Catch::Contains("border"));
}

TEST_CASE("a de Vaucouleurs bulge is more concentrated than an exponential disk", "[synthetic]") {
  const int64_t size = 176;
  const double r_e = 10, c = 88.0;  // large enough for circular apertures on the pixel grid
  double concentration[2];
  int k = 0;
  for (double n : {4.0, 1.0}) {
    std::vector<float> pixels(size * size, 0.0f);
    SersicProfile p;
    p.x = p.y = c;
    p.flux = 1e4;
    p.r_e = r_e;
    p.n = n;
    add_sersic(Plane{pixels.data(), size, size}, p);
    double inner = aperture_sum(pixels, size, c, c, 0.5 * r_e);
    double outer = aperture_sum(pixels, size, c, c, 2.0 * r_e);
    concentration[k++] = inner / outer;
    // ... and both agree with the analytic enclosed light (to the pixelisation of the aperture).
    double expected = sersic_enclosed_fraction(n, 0.5) / sersic_enclosed_fraction(n, 2.0);
    INFO("n = " << n);
    CHECK(inner / outer == Approx(expected).epsilon(0.05));
  }
  CHECK(concentration[0] > 1.5 * concentration[1]);
}

// ---- Generator: reproducibility -----------------------------------------------------

TEST_CASE("synthetic data is reproducible and depends on the seed", "[synthetic]") {
  for (Kind kind : {Kind::Morphology, Kind::FakeReal, Kind::Merger}) {
    INFO(kind_name(kind));
    Dataset a = generate(small_options(kind, 6, 11));
    Dataset b = generate(small_options(kind, 6, 11));
    Dataset c = generate(small_options(kind, 6, 12));
    CHECK(a.images.to_vector<float>() == b.images.to_vector<float>());
    CHECK(a.images.to_vector<float>() != c.images.to_vector<float>());
    if (a.labels.dtype() == DType::F32) {
      CHECK(a.labels.to_vector<float>() == b.labels.to_vector<float>());
      CHECK(a.labels.to_vector<float>() != c.labels.to_vector<float>());
    } else {
      CHECK(a.labels.to_vector<int64_t>() == b.labels.to_vector<int64_t>());
    }
    for (float v : a.images.to_vector<float>()) REQUIRE(std::isfinite(v));
  }
}

TEST_CASE("image i does not depend on n or on the number of threads", "[synthetic]") {
  SynthOptions o = small_options(Kind::Morphology, 10);
  o.size = 64;
  Dataset ten = generate(o);
  o.n = 100;
  o.num_threads = 3;
  Dataset hundred = generate(o);
  for (int64_t i = 0; i < 10; ++i) CHECK(image(ten, i) == image(hundred, i));
  std::vector<float> l10 = ten.labels.to_vector<float>(), l100 = hundred.labels.to_vector<float>();
  CHECK(std::equal(l10.begin(), l10.end(), l100.begin()));
  o.num_threads = 1;
  CHECK(generate(o).images.to_vector<float>() == hundred.images.to_vector<float>());

  // describe() draws the same scene and label as render().
  Generator g(o);
  std::vector<float> pixels(g.channels() * o.size * o.size);
  for (int64_t i : {0, 7, 42}) CHECK(g.describe(i).label == g.render(i, pixels.data()).label);
}

// ---- Morphology -----------------------------------------------------------------------

TEST_CASE("morphology labels are vote fractions that reflect the generating class", "[synthetic]") {
  SynthOptions o = small_options(Kind::Morphology, 200);
  Generator g(o);
  CHECK(g.channels() == 1);
  CHECK(g.task() == "regression");
  CHECK(g.label_names() == std::vector<std::string>{"spheroid", "disk", "irregular", "point_source",
                                                     "unclassifiable"});
  Dataset d = g.generate();
  CHECK(d.images.shape() == Shape{200, 1, 32, 32});
  CHECK(d.labels.shape() == Shape{200, 5});
  std::vector<float> labels = d.labels.to_vector<float>();
  for (int64_t i = 0; i < 200; ++i) {
    double sum = 0;
    for (int k = 0; k < 5; ++k) {
      float v = labels[i * 5 + k];
      REQUIRE(v >= 0.0f);
      REQUIRE(v <= 1.0f);
      REQUIRE(std::fabs(v * 20 - std::round(v * 20)) < 1e-4);  // 20 voters
      sum += v;
    }
    REQUIRE(sum == Approx(1.0).epsilon(1e-6));
  }

  // Without voter noise the generating class always has the most votes.
  o.voters = 0;
  Generator exact(o);
  int agree = 0;
  for (int64_t i = 0; i < 300; ++i) {
    SampleInfo s = exact.describe(i);
    double sum = std::accumulate(s.label.begin(), s.label.end(), 0.0);
    REQUIRE(sum == Approx(1.0).epsilon(1e-9));
    agree += std::max_element(s.label.begin(), s.label.end()) - s.label.begin() == s.true_class;
  }
  CHECK(agree == 300);
}

TEST_CASE("morphology votes: ambiguity and low S/N", "[synthetic]") {
  SynthOptions o = small_options(Kind::Morphology, 1);
  o.voters = 0;
  Generator g(o);
  double faint_unclassifiable = 0, bright_unclassifiable = 0, spheroid_disk_votes = 0;
  int faint = 0, bright = 0, spheroids = 0;
  for (int64_t i = 0; i < 1500; ++i) {
    SampleInfo s = g.describe(i);
    if (s.true_class == 4 && s.subtype == 0) { faint_unclassifiable += s.label[4]; ++faint; }
    if (s.true_class < 3 && s.snr > 50) { bright_unclassifiable += s.label[4]; ++bright; }
    if (s.true_class == 0) { spheroid_disk_votes += s.label[1]; ++spheroids; }
  }
  REQUIRE(faint > 20);
  REQUIRE(bright > 100);
  CHECK(faint_unclassifiable / faint > 0.6);    // faint objects: mostly unclassifiable
  CHECK(bright_unclassifiable / bright < 0.05);  // bright galaxies: hardly ever
  // Bulges with disks (B/T down to 0.5) share some votes with "disk".
  CHECK(spheroid_disk_votes / spheroids > 0.05);
  CHECK(spheroid_disk_votes / spheroids < 0.4);
}

TEST_CASE("morphology class balance follows class_fractions", "[synthetic]") {
  SynthOptions o = small_options(Kind::Morphology, 1);
  o.class_fractions = {4, 3, 1, 1, 1};  // normalised: 0.4 0.3 0.1 0.1 0.1
  Generator g(o);
  std::vector<int> counts(5, 0);
  const int n = 4000;
  for (int64_t i = 0; i < n; ++i) ++counts[g.describe(i).true_class];
  const double expected[5] = {0.4, 0.3, 0.1, 0.1, 0.1};
  for (int k = 0; k < 5; ++k) CHECK(counts[k] / double(n) == Approx(expected[k]).margin(0.025));

  o.class_fractions = {0, 0, 0, 1, 0};
  Generator stars(o);
  for (int64_t i = 0; i < 50; ++i) CHECK(stars.describe(i).true_class == 3);
}

TEST_CASE("end to end: noiseless point sources keep their flux through the generator",
          "[synthetic]") {
  SynthOptions o = small_options(Kind::Morphology, 8);
  o.size = 48;
  o.class_fractions = {0, 0, 0, 1, 0};
  o.noiseless = true;
  o.scaling = Scaling::Linear;
  Generator g(o);
  std::vector<float> pixels(48 * 48);
  for (int64_t i = 0; i < 8; ++i) {
    SampleInfo s = g.render(i, pixels.data());
    CHECK(plane_sum(pixels) * g.flux_scale() == Approx(s.flux_e).epsilon(0.01));
  }
  // Asinh scaling is asinh of the linear values.
  o.scaling = Scaling::Asinh;
  Generator asinh_g(o);
  std::vector<float> squashed(48 * 48);
  asinh_g.render(3, squashed.data());
  g.render(3, pixels.data());
  for (size_t k = 0; k < pixels.size(); ++k)
    REQUIRE(squashed[k] == Approx(std::asinh(pixels[k])).margin(1e-5));
}

TEST_CASE("noise: blank sky has unit standard deviation with the automatic scale", "[synthetic]") {
  SynthOptions o = small_options(Kind::Morphology, 20);
  o.scaling = Scaling::Linear;
  o.class_fractions = {0, 0, 0, 1, 0};  // a star in the middle, clean corners
  Dataset d = generate(o);
  std::vector<double> corners;
  for (int64_t i = 0; i < 20; ++i) {
    std::vector<float> p = image(d, i);
    for (int64_t r = 0; r < 6; ++r)
      for (int64_t c = 0; c < 6; ++c) corners.push_back(p[r * 32 + c]);
  }
  double mean = std::accumulate(corners.begin(), corners.end(), 0.0) / corners.size();
  double var = 0;
  for (double v : corners) var += (v - mean) * (v - mean);
  var /= corners.size() - 1;
  CHECK(std::fabs(mean) < 0.1);
  CHECK(std::sqrt(var) == Approx(1.0).epsilon(0.08));
}

// ---- FakeReal ------------------------------------------------------------------------------

TEST_CASE("fake/real: 6 channels, positive ivar maps consistent with the noise", "[synthetic]") {
  SynthOptions o = small_options(Kind::FakeReal, 40);
  Generator g(o);
  CHECK(g.channels() == 6);
  CHECK(g.task() == "classification");
  Dataset d = g.generate();
  CHECK(d.images.shape() == Shape{40, 6, 32, 32});
  CHECK(d.labels.dtype() == DType::I64);
  CHECK(d.labels.shape() == Shape{40});
  CHECK(d.label_names == std::vector<std::string>{"fake", "real"});
  d.validate();
  std::vector<int64_t> labels = d.labels.to_vector<int64_t>();
  for (int64_t v : labels) REQUIRE((v == 0 || v == 1));
  CHECK(std::count(labels.begin(), labels.end(), 1) > 5);
  CHECK(std::count(labels.begin(), labels.end(), 0) > 5);

  const int64_t plane = 32 * 32;
  for (int64_t i = 0; i < 40; ++i) {
    std::vector<float> p = image(d, i);
    for (int64_t k = 3 * plane; k < 6 * plane; ++k) REQUIRE(p[k] > 0.0f);
  }
  // The same scenes without noise (scene and noise streams are separate): the
  // difference is the noise, and where the sky dominates it must match the
  // ivar maps, (noisy - clean) * sqrt(ivar) ~ N(0, 1), whose median |.| is 0.6745.
  SynthOptions clean_options = o;
  clean_options.noiseless = true;
  Generator clean(clean_options);
  std::vector<float> noisy(6 * plane), model(6 * plane);
  std::vector<double> pulls;
  for (int64_t i = 0; i < 40; ++i) {
    g.render(i, noisy.data());
    clean.render(i, model.data());
    for (int64_t k = 3 * plane; k < 6 * plane; ++k) REQUIRE(noisy[k] == model[k]);  // same ivar
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t k = 0; k < plane; ++k) {
        const int64_t at = b * plane + k;
        const double sky_sigma = 1.0 / std::sqrt(model[at + 3 * plane]);
        if (model[at] < 0.5 * sky_sigma)  // source light well below the sky noise
          pulls.push_back(std::fabs((noisy[at] - model[at]) / sky_sigma));
      }
  }
  REQUIRE(pulls.size() > 5000);
  CHECK(median(pulls) == Approx(0.6745).epsilon(0.05));

  o.real_fraction = 1.0;
  Generator all_real(o);
  for (int64_t i = 0; i < 20; ++i) CHECK(all_real.describe(i).label[0] == 1.0);
  o.real_fraction = 0.0;
  Generator all_fake(o);
  for (int64_t i = 0; i < 20; ++i) CHECK(all_fake.describe(i).true_class == 0);
}

// ---- Merger --------------------------------------------------------------------------------------

TEST_CASE("merger labels are physical parameters between 0 and 1", "[synthetic]") {
  for (int channels : {1, 3}) {
    SynthOptions o = small_options(Kind::Merger, 12);
    o.merger_channels = channels;
    Generator g(o);
    CHECK(g.channels() == channels);
    Dataset d = g.generate();
    CHECK(d.images.shape() == Shape{12, channels, 32, 32});
    CHECK(d.labels.shape() == Shape{12, 3});
    CHECK(d.task == "regression");
    CHECK(d.label_names[0] == "mass_ratio");
    d.validate();
  }
  SynthOptions o = small_options(Kind::Merger, 1);
  o.size = 64;
  Generator g(o);
  const int n = 600;
  std::vector<double> sep(n), time(n);
  for (int64_t i = 0; i < n; ++i) {
    SampleInfo s = g.describe(i);
    REQUIRE(s.label.size() == 3);
    REQUIRE(s.label[0] >= 0.1);
    REQUIRE(s.label[0] <= 1.0);
    for (double v : s.label) {
      REQUIRE(v >= 0.0);
      REQUIRE(v <= 1.0);
    }
    sep[i] = s.label[1];
    time[i] = s.label[2];
  }
  // Pairs far from coalescence are wider apart.
  double ms = std::accumulate(sep.begin(), sep.end(), 0.0) / n;
  double mt = std::accumulate(time.begin(), time.end(), 0.0) / n;
  double cov = 0, vs = 0, vt = 0;
  for (int i = 0; i < n; ++i) {
    cov += (sep[i] - ms) * (time[i] - mt);
    vs += (sep[i] - ms) * (sep[i] - ms);
    vt += (time[i] - mt) * (time[i] - mt);
  }
  CHECK(cov / std::sqrt(vs * vt) > 0.6);
  CHECK(mt == Approx(0.5).margin(0.05));  // t is uniform in [0, 1] Gyr
}

// ---- Options ----------------------------------------------------------------------------------------

TEST_CASE("bad synthetic options give clear errors", "[synthetic]") {
  auto fails_with = [](void (*edit)(SynthOptions&), const char* message) {
    SynthOptions o;
    edit(o);
    CHECK_THROWS_WITH(generate(o), Catch::Contains(message));
  };
  fails_with([](SynthOptions& o) { o.n = 0; }, "n (number of images) must be >= 1");
  fails_with([](SynthOptions& o) { o.n = -5; }, "got -5");
  fails_with([](SynthOptions& o) { o.size = 4; }, "size must be in [8, 4096]");
  fails_with([](SynthOptions& o) { o.pixel_scale_arcsec = 0; }, "pixel_scale_arcsec must be > 0");
  fails_with([](SynthOptions& o) { o.exposure_s = -1; }, "exposure_s must be > 0");
  fails_with([](SynthOptions& o) { o.read_noise_e = -1; }, "read_noise_e must be >= 0");
  fails_with([](SynthOptions& o) { o.psf_fwhm_arcsec = 0; }, "psf_fwhm_arcsec must be > 0");
  fails_with([](SynthOptions& o) { o.psf_fwhm_arcsec = 3; }, "must not exceed half the stamp");
  fails_with([](SynthOptions& o) { o.psf_beta = 1; }, "psf_beta must be in (1, 50]");
  fails_with([](SynthOptions& o) { o.class_fractions = {0, 0, 0, 0, 0}; }, "must not all be zero");
  fails_with([](SynthOptions& o) { o.class_fractions = {1, -1, 0, 0, 0}; }, "class_fractions must be >= 0");
  fails_with([](SynthOptions& o) { o.voters = -1; }, "voters must be in");
  fails_with([](SynthOptions& o) { o.real_fraction = 1.5; }, "real_fraction must be in [0, 1]");
  fails_with([](SynthOptions& o) { o.merger_channels = 2; }, "merger_channels must be 1 or 3");
  fails_with([](SynthOptions& o) { o.kpc_per_arcsec = 0; }, "kpc_per_arcsec must be > 0");
  fails_with([](SynthOptions& o) { o.num_threads = -2; }, "num_threads must be >= 0");
  fails_with([](SynthOptions& o) { o.flux_scale_e = -3; }, "flux_scale_e must be >= 0");
  CHECK_THROWS_WITH(parse_kind("spiral"), Catch::Contains("unknown kind \"spiral\""));
  CHECK(parse_kind("merger") == Kind::Merger);
  CHECK(std::string(kind_name(parse_kind("fakereal"))) == "fakereal");
  Generator g(small_options(Kind::Morphology, 1));
  CHECK_THROWS_WITH(g.describe(-1), Catch::Contains("index must be >= 0"));
}
