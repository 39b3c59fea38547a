// `astrocnn synth`: writes a data set of the built-in synthetic galaxies
// (io/synth/synthetic.h) to an HDF5 file in the native layout (docs/DATA.md).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "core/tensor/error.h"
#include "io/output_file.h"
#include "io/synth/synthetic.h"
#include "tools/commands/commands.h"
#include "tools/options/data_source.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/h5_dataset.h"
#endif

namespace astrocnn::cli {
namespace {

struct SynthArgs {
  std::string kind = "morphology";
  int64_t n = 1000;
  int64_t size = 64;
  uint64_t seed = 0;
  std::string out;
  int merger_channels = 1;
  double lens_fraction = 0.5;
  bool uint8 = false;
  int threads = 0;
};

// What the range table (tools/options/option_checks.cpp) cannot say, checked here so
// that the message names the option as typed; synth::validate would name the
// library's field (merger_channels) instead.
void check_synth_options(const SynthArgs& a) {
  ASTRO_CHECK(a.n > 0, "-n must be positive, got ", a.n);
  ASTRO_CHECK(a.merger_channels == 1 || a.merger_channels == 3,
              "--merger-channels must be 1 (one band) or 3 (g, r, z), got ", a.merger_channels);
}

// --uint8 stores values in [0, 1] as 0..255, and synthetic pixels are in
// units of the sky noise, negative ones included: say so naming --uint8, not
// as the writer would, naming -o and its own function.
void check_uint8_fits(const Dataset& data, synth::Kind kind) {
  const float* pixels = data.images.data<float>();
  const auto [low, high] = std::minmax_element(pixels, pixels + data.images.numel());
  ASTRO_CHECK(*low >= 0 && *high <= 1, "--uint8 stores pixel values in [0, 1], but the synthetic ",
              synth::kind_name(kind), " images span [", *low, ", ", *high,
              "] (units of the sky noise); leave out --uint8");
}

int run_synth(const SynthArgs& a) {
  synth::SynthOptions so;
  so.kind = parse_option("--kind", [&] { return synth::parse_kind(a.kind); });
  so.n = a.n;
  so.size = a.size;
  so.seed = a.seed;
  so.merger_channels = a.merger_channels;
  so.lens_fraction = a.lens_fraction;
  so.num_threads = a.threads;
  check_synth_options(a);
  synth::validate(so);  // the library's own check, for what the options above do not set
  require_hdf5("-o " + a.out);
  check_output_file(a.out, "-o");  // before minutes of generation

  auto start = std::chrono::steady_clock::now();
  Dataset data = synth::generate(so);
  if (a.uint8) check_uint8_fits(data, so.kind);
#if defined(ASTROCNN_HAVE_HDF5)
  H5WriteOptions wo;
  if (a.uint8) wo.images = ImageStorage::UInt8;
  try {
    write_dataset(data, a.out, wo);
  } catch (const Error& e) {  // it names "file 'OUT'": say which option gave it
    throw naming_option(e, a.out, "-o");
  }
#endif
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  DataInfo info;
  info.images = data.size();
  info.channels = data.images.size(1);
  info.height = data.images.size(2);
  info.width = data.images.size(3);
  info.class_labels = data.labels.dtype() == DType::I64;
  info.label_width = info.class_labels ? 1 : data.labels.size(1);
  info.label_names = data.label_names;
  std::printf("wrote %s: %s synthetic %s set, seed %llu (%.1f s)\n", a.out.c_str(),
              info.describe().c_str(), synth::kind_name(so.kind),
              static_cast<unsigned long long>(a.seed), seconds);
  return 0;
}

}  // namespace

Command add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  SynthArgs& a = *args;
  CLI::App* sub = app.add_subcommand(
      "synth", "Write built-in synthetic galaxy images to an HDF5 file (native layout, docs/DATA.md)");
  sub->add_option("--kind", a.kind,
                  "morphology (1 band, 5 vote fractions), fakereal (g,r,z + inverse variances, "
                  "class 0 fake / 1 real), merger (galaxy pairs, 3 physical parameters), orientation "
                  "(1 band, inclined disks: cos 2theta, sin 2theta of the position angle), lens (g,r,i, "
                  "class 0 non-lens / 1 lens, plus /einstein_radius in arcsec)")
      ->capture_default_str();
  sub->add_option("-n,--images", a.n, "number of images")->capture_default_str();
  sub->add_option("--size", a.size, "image width and height in pixels")->capture_default_str();
  sub->add_option("--seed", a.seed, "random seed (image i depends only on the seed and i)")
      ->capture_default_str();
  sub->add_option("-o,--output", a.out, "the HDF5 file to write (replaced atomically; a symlink is written through)")->required();
  sub->add_option("--merger-channels", a.merger_channels, "merger: 1 band or 3 (g, r, z)")
      ->capture_default_str();
  sub->add_option("--lens-fraction", a.lens_fraction, "lens: fraction of images with a lensed source")
      ->capture_default_str();
  sub->add_flag("--uint8", a.uint8, "store images as 8-bit (only for values in [0, 1])");
  sub->add_option("--threads", a.threads, "generator threads (0: one per core); the output never depends on it")
      ->capture_default_str();
  return {sub, [args] { return run_synth(*args); }};
}

}  // namespace astrocnn::cli
