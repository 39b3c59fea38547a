#include "tools/run/batch_options.h"

#include <CLI/CLI.hpp>

#include "core/tensor/error.h"
#include "io/batches/augmented_batches.h"
#include "io/output_file.h"
#include "models/train/sharding.h"
#include "tools/options/option_values.h"

namespace astrocnn::cli {

namespace {

augment::AugmentOptions without_noise(const TrainArgs& a) {
  augment::AugmentOptions o;
  o.flip = a.flip;
  o.rot90 = a.rot90;
  o.rotate = a.rotate;
  o.translate = a.translate;
  if (a.zoom.size() == 2) o.zoom_min = a.zoom[0], o.zoom_max = a.zoom[1];
  o.brightness = a.brightness;
  o.fill = parse_option("--fill", [&] { return augment::parse_fill(a.fill); });
  return o;
}

}  // namespace

void add_batch_options(CLI::App* sub, TrainArgs& a) {
  const char* group = "Augmentation (training images only, unless --augment-validation)";
  sub->add_flag("--flip", a.flip, "mirror left-right and up-down, each with probability 1/2")->group(group);
  sub->add_flag("--rot90", a.rot90, "turn by 0-3 quarter turns (with --flip: all 8 views of the square)")
      ->group(group);
  sub->add_option("--rotate", a.rotate, "turn by a random angle within +-DEG degrees, bilinear; "
                  "'any' for any angle")
      ->transform([](std::string v) { return v == "any" ? std::string("180") : v; })
      ->type_name("DEG|any")->group(group);
  sub->add_option("--translate", a.translate, "shift by up to +-PX pixels along each axis "
                  "(sub-pixel, bilinear)")
      ->type_name("PX")->group(group);
  sub->add_option("--zoom", a.zoom, "scale about the centre by a factor log-uniform in [MIN, MAX], "
                  "e.g. 0.8,1.25 (bilinear)")
      ->delimiter(',')->expected(2)->type_name("MIN,MAX")->group(group);
  sub->add_option("--brightness", a.brightness, "multiply by a gain uniform in [1-F, 1+F]")
      ->type_name("F")->group(group);
  sub->add_option("--fill", a.fill, "what rotations, shifts and zooms bring in at the edges: zero "
                  "(blank sky) or edge (the nearest border pixel)")
      ->capture_default_str()->group(group);
  sub->add_flag("--augment-validation", a.augment_validation, "augment the validation images too "
                "(the same draws every epoch)")->group(group);
  const char* trace = "Timeline";
  sub->add_option("--trace", a.trace, "write a Chrome-trace timeline of one training step (every "
                  "op forward and backward with its backend, the loss, the SGD step) to FILE; open "
                  "it in https://ui.perfetto.dev or chrome://tracing")
      ->type_name("FILE")->group(trace);
  sub->add_option("--trace-step", a.trace_step, "the training step --trace records, counting from "
                  "1 in this run (the first also pays one-time set-up costs)")
      ->capture_default_str()->group(trace);
}

augment::AugmentOptions augment_options(const TrainArgs& a, const DataInfo* info) {
  ASTRO_CHECK(a.zoom.size() == 2, "--zoom takes MIN,MAX, got ", a.zoom.size(), " values");
  augment::AugmentOptions o = without_noise(a);
  if (o.any()) o.noise = a.noise;
  o.validate(info ? info->height : 0, info ? info->width : 0);
  return o;
}

double iterator_noise(const TrainArgs& a) { return without_noise(a).any() ? 0 : a.noise; }

BatchWrappers wrap_batches(const TrainArgs& a, const DataInfo& info, int rank,
                           std::unique_ptr<BatchSource>& train,
                           std::unique_ptr<BatchSource>& validation) {
  BatchWrappers wrappers;
  const augment::AugmentOptions o = augment_options(a, &info);
  const uint64_t seed = worker_seed(a.seed, rank);
  if (o.any()) {
    wrappers.augmentation = o.describe();
    train = std::make_unique<AugmentedBatches>(std::move(train), o, seed);
    if (a.augment_validation && validation)
      validation = std::make_unique<AugmentedBatches>(std::move(validation), o, seed);
  }
  if (!a.trace.empty() && rank == 0) {
    auto traced = std::make_unique<TracedBatches>(std::move(train), a.trace, a.trace_step);
    wrappers.trace = traced.get();
    train = std::move(traced);
  }
  return wrappers;
}

std::string trace_report(const BatchWrappers& wrappers, const TrainArgs& a) {
  if (!wrappers.trace) return "";
  if (!wrappers.trace->written())
    return "note: --trace-step " + std::to_string(a.trace_step) + " was never reached, so " +
           a.trace + " was not written";
  return "trace: wrote " + a.trace + " (training step " + std::to_string(a.trace_step) + ", " +
         std::to_string(wrappers.trace->slices()) +
         " slices; open it in https://ui.perfetto.dev or chrome://tracing)";
}

void check_trace_path(const TrainArgs& a) {
  if (a.trace.empty()) return;
  ASTRO_CHECK(a.trace_step >= 1, "--trace-step must be >= 1, got ", a.trace_step);
  check_output_file(a.trace, "--trace");
}

}  // namespace astrocnn::cli
