// Built-in synthetic galaxy images, so that astrocnn trains on realistic
// looking data with no download. Three kinds, after the projects in
// /work/shared/sources (see docs/SYNTHETIC.md for the physical model):
//
//   Morphology  1 channel, HST/WFC3 F160W-like (CANDELS); labels are the vote
//               fractions of ~20 simulated classifiers over 5 classes:
//               spheroid, disk, irregular, point source, unclassifiable.
//   FakeReal    6 channels: g, r, z images + their inverse-variance maps
//               (obiwan); label 0 = fake (one Sérsic profile), 1 = real.
//   Merger      1 or 3 channels: a tidally distorted galaxy pair (DeepGalaxy);
//               labels are 3 physical parameters normalised to [0, 1].
//   Orientation 1 channel, F160W-like: an inclined disk or bulge+disk galaxy at
//               a random position angle θ; labels (cos 2θ, sin 2θ) (SoHPC blog).
//   Lens        3 channels g, r, i, ground-based (LSST-like, 0.2"/px): a red
//               elliptical, half of them lensing a blue background source
//               (SIE + shear, ray-traced), the others with look-alike
//               confusers; class 0 non-lens / 1 lens, plus the Einstein
//               radius (arcsec) as an auxiliary column (Fermilab poster).
//
// Image i depends only on (kind, options, seed, i): every image draws from
// its own Philox streams, keyed by the seed and its index, so image i is the
// same whatever n is and whatever the number of threads.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/batches/dataset.h"

namespace astrocnn::synth {

enum class Kind { Morphology, FakeReal, Merger, Orientation, Lens };
const char* kind_name(Kind kind);               // "morphology", "fakereal", "merger", "orientation", "lens"
Kind parse_kind(const std::string& name);       // the inverse; throws Error on unknown names

// How electrons become pixel values (after sky subtraction), with s = flux_scale:
//   Linear: value = electrons / s
//   Asinh:  value = asinh(electrons / s)   (linear near the noise, logarithmic in bright cores)
//   Auto:   Asinh for Morphology, Merger and Orientation, Linear for FakeReal (whose ivar maps
//           describe linear fluxes, as in the Legacy Surveys).
enum class Scaling { Auto, Linear, Asinh };

struct SynthOptions {
  Kind kind = Kind::Morphology;
  int64_t n = 1000;           // number of images
  int64_t size = 64;          // stamp width and height, pixels (>= 8)
  uint64_t seed = 0;

  // ---- Instrument (defaults: HST/WFC3-IR F160W as drizzled by CANDELS) ----
  double pixel_scale_arcsec = 0.06;
  double zero_point = 25.95;       // AB magnitude giving 1 electron per second
  double exposure_s = 3000;        // effective exposure time, seconds
  double sky_mag_arcsec2 = 22.3;   // sky surface brightness, AB mag / arcsec²
  double read_noise_e = 15;        // Gaussian read noise per pixel, electrons
  double psf_fwhm_arcsec = 0.18;   // Moffat PSF full width at half maximum
  double psf_beta = 3;             // Moffat β (> 1)
  bool noiseless = false;          // no sky noise, Poisson or read noise (ivar maps stay)

  // ---- Pixel values ----
  Scaling scaling = Scaling::Auto;
  double flux_scale_e = 0;  // electrons per unit value; 0 = the sky noise σ of one pixel

  // ---- Morphology ----
  // Relative frequency of each generating class (spheroid, disk, irregular,
  // point source, unclassifiable); normalised internally.
  std::array<double, 5> class_fractions = {0.2, 0.2, 0.2, 0.2, 0.2};
  int voters = 20;  // simulated classifiers per image; 0 = noise-free vote probabilities

  // ---- FakeReal ----
  double real_fraction = 0.5;

  // ---- Merger ----
  int merger_channels = 1;       // 1 (one band) or 3 (g, r, z)
  double kpc_per_arcsec = 8.0;   // angular scale of the pair (8 kpc/" is z ≈ 1)

  // ---- Lens ----
  // The instrument options above that keep their HST defaults are replaced,
  // for this kind only, by an LSST-like survey's (0.2"/px, 0.7" seeing in r;
  // docs/SYNTHETIC.md); Generator::options() shows the values used.
  double lens_fraction = 0.5;    // fraction of images with a lensed background source

  int num_threads = 1;  // 0 = one per hardware thread; the output never depends on it
};

// Throws Error naming the first invalid option.
void validate(const SynthOptions& options);

// What generated one image, besides its pixels.
struct SampleInfo {
  int64_t true_class = -1;     // Morphology: generating class 0..4; FakeReal: 0 fake, 1 real; Merger: -1
  int subtype = 0;             // Morphology unclassifiable: 0 faint, 1 blend, 2 cosmic rays, 3 streak;
                               // Lens: 0 nothing else, 1 ring galaxy, 2 blue companions, 3 spiral arms
  std::vector<double> label;   // the Dataset row: vote fractions, {0 or 1}, or merger parameters
  double flux_e = 0;           // total flux of the main object(s), electrons (r band for 3-band kinds)
  double snr = 0;              // rough signal-to-noise ratio of the main object
  std::vector<double> aux;     // the auxiliary columns (Generator::aux_names), e.g. the Einstein radius
};

// Generates datasets of one configuration. Construction validates the
// options and precomputes what all images share (PSF kernels, noise levels).
class Generator {
 public:
  explicit Generator(const SynthOptions& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  const SynthOptions& options() const;
  int64_t channels() const;
  int64_t label_width() const;      // K of float [N,K] labels; 1 for int64 class ids
  double flux_scale() const;        // electrons per unit of (linear) pixel value
  std::vector<std::string> label_names() const;
  std::string task() const;         // "regression" or "classification"
  // Extra float columns of generate()'s Dataset (Dataset::aux), one value per
  // image each: Lens {"einstein_radius"} (arcsec, 0 for non-lenses); none for the others.
  std::vector<std::string> aux_names() const;

  // Draws image `index`'s parameters only (cheap: no pixels).
  SampleInfo describe(int64_t index) const;
  // Renders image `index` into channels() * size * size floats.
  SampleInfo render(int64_t index, float* pixels) const;
  // All options().n images.
  Dataset generate() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Generator(options).generate().
Dataset generate(const SynthOptions& options);

}  // namespace astrocnn::synth
