// The synthetic-data Generator: options, the instrument setup, and the one
// renderer (PSF, noise, scaling) shared by the three kinds of scene.
#include "io/synth/synthetic.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

#include "core/tensor/philox.h"
#include "io/synth/synth_scene.h"

namespace astrocnn::synth {

namespace {

using philox::mix64;

// Image `index` owns two streams: one for its parameters (the scene), one for
// its noise, so describe() draws exactly what render() draws.
enum Stream : uint64_t { kSceneStream = 0, kNoiseStream = 1 };
Rng image_stream(const SynthOptions& o, int64_t index, Stream stream) {
  uint64_t key = mix64(mix64(mix64(o.seed) + static_cast<uint64_t>(o.kind)) + static_cast<uint64_t>(index));
  return Rng(mix64(key + stream));
}

// Three-band surveys (g, r, z): the PSF is broader in bluer bands and the sky
// darker in g, brighter in z, relative to the r-band option values.
constexpr double kBandFwhmFactor[kMaxBands] = {1.15, 1.0, 0.9};
constexpr double kBandSkyOffsetMag[kMaxBands] = {1.0, 0.0, -1.0};

int band_count(const SynthOptions& o) {
  switch (o.kind) {
    case Kind::Morphology: return 1;
    case Kind::FakeReal: return 3;
    case Kind::Merger: return o.merger_channels;
    case Kind::Orientation: return 1;
    case Kind::Lens: return 3;
  }
  return 1;
}

Setup make_setup(const SynthOptions& requested) {
  const SynthOptions o = with_survey_defaults(requested);
  Setup s;
  s.options = o;
  s.bands = band_count(o);
  s.reference_band = s.bands == 3 ? 1 : 0;
  const double pixel_area = o.pixel_scale_arcsec * o.pixel_scale_arcsec;
  for (int b = 0; b < s.bands; ++b) {
    double fwhm_factor = s.bands == 3 ? kBandFwhmFactor[b] : 1.0;
    double sky_mag = o.sky_mag_arcsec2 + (s.bands == 3 ? kBandSkyOffsetMag[b] : 0.0);
    s.psf[b] = make_moffat_psf(o.psf_fwhm_arcsec * fwhm_factor / o.pixel_scale_arcsec, o.psf_beta);
    s.sky_e[b] = pixel_area * s.electrons(sky_mag);
    s.sigma_e[b] = std::sqrt(s.sky_e[b] + o.read_noise_e * o.read_noise_e);
  }
  s.flux_scale = o.flux_scale_e > 0 ? o.flux_scale_e : s.sigma_e[s.reference_band];
  ASTRO_CHECK(s.flux_scale > 0, "synthetic data: there is no sky or read noise to set the pixel "
              "scale from; set flux_scale_e");
  s.asinh = o.scaling == Scaling::Asinh || (o.scaling == Scaling::Auto && o.kind != Kind::FakeReal);
  return s;
}

// Poisson deviate for small means (Knuth's product of uniforms); above 30
// electrons the renderer uses the normal approximation (continuous values,
// as in a drizzled image).
double poisson(Random& rng, double mean) {
  if (mean <= 0) return 0.0;
  const double limit = std::exp(-mean);
  double product = rng.uniform();
  int k = 0;
  while (product > limit) {
    product *= rng.uniform();
    ++k;
  }
  return k;
}

// asinh(x) = sign(x) ln(|x| + sqrt(x² + 1)): glibc's asinhf goes through a
// slow log1pf, and the absolute error of this form (~1e-7) is far below the noise.
float asinh_float(float x) {
  float a = std::fabs(x);
  float y = std::log(a + std::sqrt(a * a + 1.0f));
  return x < 0 ? -y : y;
}

// Renders one band of `scene` into `image` (size x size) and, when `ivar` is
// not null, its inverse-variance map.
void render_band(const Setup& s, const Scene& scene, int band, Random& noise, float* image,
                 float* ivar) {
  const int64_t size = s.options.size;
  const MoffatPsf& psf = s.psf[band];
  const int64_t border = psf.radius, grid = size + 2 * border;

  // 1. Light before the atmosphere/telescope, on a grid with a PSF-wide border
  //    so that sources just outside the stamp still scatter light into it.
  std::vector<float> model(static_cast<size_t>(grid * grid), 0.0f);
  Plane model_plane{model.data(), grid, grid};
  for (const SceneSersic& c : scene.sersics) add_sersic(model_plane, c.in_band(band, border));
  for (const SceneBlob& b : scene.blobs)
    add_gaussian(model_plane, b.x + border, b.y + border, b.sigma, b.flux[band]);
  for (const SceneLensed& l : scene.lensed) add_lensed_source(model_plane, l, band, border);
  for (const SceneStreak& t : scene.streaks)
    add_streak(model_plane, t.x0 + border, t.y0 + border, t.x1 + border, t.y1 + border, t.width,
               t.flux[band]);

  // 2. Through the PSF; point sources are drawn as the PSF directly.
  Plane out{image, size, size};
  convolve_with_psf(model_plane, psf, out);
  for (const ScenePoint& p : scene.points) add_point_source(out, psf, p.x, p.y, p.flux[band]);

  // 3. Detector: sky + photon noise + read noise in a co-add of `depth`
  //    exposures, then the sky is subtracted as a pipeline would.
  const double sky = s.sky_e[band], read = s.options.read_noise_e;
  for (int64_t i = 0; i < size; ++i)
    for (int64_t j = 0; j < size; ++j) {
      const double depth = scene.depth(static_cast<double>(j), static_cast<double>(i), size);
      float& v = out.at(i, j);
      if (!s.options.noiseless) {
        const double mean = depth * (std::max(0.0f, v) + sky);
        if (mean >= 30) {  // Gaussian photon noise: one draw covers photon and read noise
          v += static_cast<float>(std::sqrt(mean + depth * read * read) / depth * noise.normal());
        } else {
          double electrons = poisson(noise, mean) / depth;
          v = static_cast<float>(electrons + read / std::sqrt(depth) * noise.normal() - sky);
        }
      }
      if (ivar) ivar[i * size + j] = static_cast<float>(depth / (sky + read * read));
    }
  for (const SceneStreak& t : scene.cosmic_rays)
    add_streak(out, t.x0, t.y0, t.x1, t.y1, t.width, t.flux[band]);

  // 4. Pixel values: electrons / flux_scale, through asinh if asked; the
  //    inverse variance follows (to first order through asinh).
  const double scale = s.flux_scale;
  for (int64_t k = 0; k < size * size; ++k) {
    double x = image[k] / scale;
    image[k] = s.asinh ? asinh_float(static_cast<float>(x)) : static_cast<float>(x);
    if (ivar) ivar[k] = static_cast<float>(ivar[k] * scale * scale * (s.asinh ? 1.0 + x * x : 1.0));
  }
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Morphology: return "morphology";
    case Kind::FakeReal: return "fakereal";
    case Kind::Merger: return "merger";
    case Kind::Orientation: return "orientation";
    case Kind::Lens: return "lens";
  }
  return "?";
}

Kind parse_kind(const std::string& name) {
  for (Kind k : {Kind::Morphology, Kind::FakeReal, Kind::Merger, Kind::Orientation, Kind::Lens})
    if (name == kind_name(k)) return k;
  throw Error("synthetic data: unknown kind \"" + name + "\" (expected morphology, fakereal, merger, orientation or lens)");
}

void validate(const SynthOptions& requested) {
  const SynthOptions o = with_survey_defaults(requested);  // the values the images will use
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  ASTRO_CHECK(o.n >= 1, "synthetic data: n (number of images) must be >= 1, got ", o.n);
  ASTRO_CHECK(o.size >= 8 && o.size <= 4096, "synthetic data: size must be in [8, 4096] pixels, got ",
              o.size);
  ASTRO_CHECK(positive(o.pixel_scale_arcsec), "synthetic data: pixel_scale_arcsec must be > 0, got ",
              o.pixel_scale_arcsec);
  ASTRO_CHECK(std::isfinite(o.zero_point), "synthetic data: zero_point must be finite, got ", o.zero_point);
  ASTRO_CHECK(positive(o.exposure_s), "synthetic data: exposure_s must be > 0, got ", o.exposure_s);
  ASTRO_CHECK(std::isfinite(o.sky_mag_arcsec2), "synthetic data: sky_mag_arcsec2 must be finite, got ",
              o.sky_mag_arcsec2);
  ASTRO_CHECK(std::isfinite(o.read_noise_e) && o.read_noise_e >= 0,
              "synthetic data: read_noise_e must be >= 0, got ", o.read_noise_e);
  ASTRO_CHECK(positive(o.psf_fwhm_arcsec), "synthetic data: psf_fwhm_arcsec must be > 0, got ",
              o.psf_fwhm_arcsec);
  ASTRO_CHECK(o.psf_fwhm_arcsec / o.pixel_scale_arcsec <= 0.5 * o.size,
              "synthetic data: the PSF FWHM (", o.psf_fwhm_arcsec / o.pixel_scale_arcsec,
              " pixels) must not exceed half the stamp size (", o.size, " pixels)");
  ASTRO_CHECK(std::isfinite(o.psf_beta) && o.psf_beta > 1 && o.psf_beta <= 50,
              "synthetic data: psf_beta must be in (1, 50], got ", o.psf_beta);
  ASTRO_CHECK(std::isfinite(o.flux_scale_e) && o.flux_scale_e >= 0,
              "synthetic data: flux_scale_e must be >= 0 (0 = automatic), got ", o.flux_scale_e);
  double total = 0;
  for (double f : o.class_fractions) {
    ASTRO_CHECK(std::isfinite(f) && f >= 0, "synthetic data: class_fractions must be >= 0, got ", f);
    total += f;
  }
  ASTRO_CHECK(total > 0, "synthetic data: class_fractions must not all be zero");
  ASTRO_CHECK(o.voters >= 0 && o.voters <= 100000, "synthetic data: voters must be in [0, 100000], got ",
              o.voters);
  ASTRO_CHECK(o.real_fraction >= 0 && o.real_fraction <= 1,
              "synthetic data: real_fraction must be in [0, 1], got ", o.real_fraction);
  ASTRO_CHECK(o.lens_fraction >= 0 && o.lens_fraction <= 1,
              "synthetic data: lens_fraction must be in [0, 1], got ", o.lens_fraction);
  ASTRO_CHECK(o.merger_channels == 1 || o.merger_channels == 3,
              "synthetic data: merger_channels must be 1 or 3, got ", o.merger_channels);
  ASTRO_CHECK(positive(o.kpc_per_arcsec), "synthetic data: kpc_per_arcsec must be > 0, got ",
              o.kpc_per_arcsec);
  ASTRO_CHECK(o.num_threads >= 0, "synthetic data: num_threads must be >= 0, got ", o.num_threads);
}

// ---- Generator ---------------------------------------------------------------------

struct Generator::Impl {
  Setup setup;
};

Generator::Generator(const SynthOptions& options) {
  validate(options);
  impl_ = std::make_unique<Impl>();
  impl_->setup = make_setup(options);
}

Generator::~Generator() = default;

const SynthOptions& Generator::options() const { return impl_->setup.options; }

int64_t Generator::channels() const {
  const Setup& s = impl_->setup;
  return s.options.kind == Kind::FakeReal ? 2 * s.bands : s.bands;
}

int64_t Generator::label_width() const {
  switch (options().kind) {
    case Kind::Morphology: return 5;
    case Kind::FakeReal: return 1;
    case Kind::Merger: return 3;
    case Kind::Orientation: return 2;
    case Kind::Lens: return 1;
  }
  return 1;
}

double Generator::flux_scale() const { return impl_->setup.flux_scale; }

std::vector<std::string> Generator::label_names() const {
  switch (options().kind) {
    case Kind::Morphology: return {kMorphologyClasses, kMorphologyClasses + 5};
    case Kind::FakeReal: return {"fake", "real"};
    case Kind::Merger: return {"mass_ratio", "separation_kpc_over_30", "time_to_coalescence_gyr"};
    case Kind::Orientation: return {kOrientationLabels, kOrientationLabels + 2};
    case Kind::Lens: return {"non-lens", "lens"};
  }
  return {};
}

std::string Generator::task() const {
  const Kind kind = options().kind;
  return kind == Kind::FakeReal || kind == Kind::Lens ? "classification" : "regression";
}

std::vector<std::string> Generator::aux_names() const {
  if (options().kind == Kind::Lens) return {"einstein_radius"};
  return {};
}

SampleInfo Generator::describe(int64_t index) const {
  const Setup& s = impl_->setup;
  ASTRO_CHECK(index >= 0, "synthetic data: image index must be >= 0, got ", index);
  Random rng(image_stream(s.options, index, kSceneStream));
  Scene scene;
  switch (s.options.kind) {
    case Kind::Morphology: return draw_morphology(s, rng, scene);
    case Kind::FakeReal: return draw_fakereal(s, rng, scene);
    case Kind::Merger: return draw_merger(s, rng, scene);
    case Kind::Orientation: return draw_orientation(s, rng, scene);
    case Kind::Lens: return draw_lens(s, rng, scene);
  }
  return {};
}

SampleInfo Generator::render(int64_t index, float* pixels) const {
  const Setup& s = impl_->setup;
  ASTRO_CHECK(index >= 0, "synthetic data: image index must be >= 0, got ", index);
  Random rng(image_stream(s.options, index, kSceneStream));
  Random noise(image_stream(s.options, index, kNoiseStream));
  Scene scene;
  SampleInfo info;
  switch (s.options.kind) {
    case Kind::Morphology: info = draw_morphology(s, rng, scene); break;
    case Kind::FakeReal: info = draw_fakereal(s, rng, scene); break;
    case Kind::Merger: info = draw_merger(s, rng, scene); break;
    case Kind::Orientation: info = draw_orientation(s, rng, scene); break;
    case Kind::Lens: info = draw_lens(s, rng, scene); break;
  }
  const int64_t plane = s.options.size * s.options.size;
  const bool with_ivar = s.options.kind == Kind::FakeReal;
  for (int b = 0; b < s.bands; ++b)
    render_band(s, scene, b, noise, pixels + b * plane, with_ivar ? pixels + (s.bands + b) * plane : nullptr);
  return info;
}

Dataset Generator::generate() const {
  const SynthOptions& o = options();
  const int64_t n = o.n, c = channels(), k = label_width(), plane = o.size * o.size;
  const bool classification = task() == "classification";
  Dataset data;
  data.images = Tensor::empty({n, c, o.size, o.size});
  data.labels = classification ? Tensor::empty({n}, DType::I64) : Tensor::empty({n, k});
  data.label_names = label_names();
  data.task = task();
  for (const std::string& name : aux_names()) data.aux.push_back({name, Tensor::empty({n, 1})});
  float* pixels = data.images.data<float>();

  // Images are independent (each has its own streams), so any split over
  // threads gives the same bytes.
  int64_t threads = o.num_threads > 0 ? o.num_threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, n);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  auto work = [&](int64_t t) {
    try {
      for (int64_t i = n * t / threads; i < n * (t + 1) / threads; ++i) {
        SampleInfo info = render(i, pixels + i * c * plane);
        if (classification)
          data.labels.data<int64_t>()[i] = static_cast<int64_t>(info.label[0]);
        else
          for (int64_t j = 0; j < k; ++j) data.labels.data<float>()[i * k + j] = static_cast<float>(info.label[j]);
        for (size_t a = 0; a < data.aux.size(); ++a)
          data.aux[a].values.data<float>()[i] = static_cast<float>(info.aux.at(a));
      }
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return data;
}

Dataset generate(const SynthOptions& options) { return Generator(options).generate(); }

}  // namespace astrocnn::synth
