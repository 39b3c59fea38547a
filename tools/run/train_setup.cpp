#include "tools/run/train_setup.h"

#include <CLI/CLI.hpp>

#include <ctime>
#include <filesystem>
#include <set>
#include <utility>

#include "core/tensor/error.h"
#include "io/synth/synthetic.h"
#include "models/models.h"
#include "models/train/orientation_metrics.h"
#include "models/train/sharding.h"
#include "tools/run/batch_options.h"
#include "tools/options/option_values.h"
#include "tools/run/run_dir.h"
#include "tools/run/run_lock.h"

namespace astrocnn::cli {

namespace {

namespace fs = std::filesystem;

// Options that may differ from the original run when it is resumed.
const std::set<std::string> kResumeMayChange = {"out",     "resume", "epochs",
                                                 "threads", "device", "precision"};

}  // namespace

// runs/<model>-<date>-<time>, made unique with a suffix.
std::string default_run_directory(const std::string& model) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  std::string base = "runs/" + model + "-" + stamp, path = base;
  std::error_code ec;
  for (int i = 2; fs::exists(path, ec); ++i) path = base + "-" + std::to_string(i);
  return path;
}

// --resume: the original run's options, with the few that may change taken
// from the command line. Any other option given must repeat the original value.
TrainArgs merge_resumed_options(const TrainArgs& given, const CLI::App& sub, const json& stored_options,
                                const std::string& checkpoint) {
  json now = options_to_json(given);
  // An option the stored ones lack (a run made before it existed) ran at
  // its default, as options_from_json reads it.
  const json defaults = options_to_json(TrainArgs{});
  for (const CLI::Option* opt : sub.get_options()) {
    if (opt->count() == 0 || opt->get_lnames().empty()) continue;
    const std::string& name = opt->get_lnames().front();
    if (kResumeMayChange.count(name) || !now.contains(name)) continue;
    json before = stored_options.contains(name) ? stored_options[name] : defaults[name];
    if (before != now[name])
      throw Error("--resume: --" + name + " " + now[name].dump() + " differs from the run in " +
                  checkpoint + " (" + before.dump() + "); a resumed run keeps its options " +
                  "(only --epochs, --threads, --device and --precision may change)");
  }
  const std::string what = checkpoint_config_part(checkpoint, "the run's options");
  TrainArgs merged = options_from_json(stored_options, what);
  // The run's values were not typed here (those given again equal them): an
  // error in one names the file, before the command line's may override it.
  parse_option(what.c_str(), [&] { check_option_names(merged); });
  merged.out = given.out;
  merged.resume = true;
  merged.trace = given.trace;
  merged.trace_step = given.trace_step;
  if (sub.get_option("--epochs")->count()) merged.epochs = given.epochs;
  if (sub.get_option("--threads")->count()) merged.threads = given.threads;
  if (sub.get_option("--device")->count()) merged.device = given.device;
  if (sub.get_option("--precision")->count()) merged.precision = given.precision;
  return merged;
}

void check_option_names(const TrainArgs& a) {
  check_model_name(a.model, "--model");
  check_model_activation(a.model, a.activation, "--activation");
  parse_option("--kind", [&] { return synth::parse_kind(a.kind); });
  if (!a.loss.empty()) parse_option("--loss", [&] { return parse_loss(a.loss); });
  ASTRO_CHECK(a.schedule == "constant" || a.schedule == "step" || a.schedule == "cosine",
              "--schedule: unknown learning-rate schedule '", a.schedule,
              "' (known: constant, step, cosine)");
  augment_options(a);  // checks the augmentation flags
  check_device_name(a.device);
  parse_option("--precision", [&] { return parse_precision(a.precision); });
}

// The options that need no data, checked before the data are made or read.
// (Numeric ranges were checked when the command line was parsed,
// tools/options/option_checks.cpp: --epochs, --batch-size, --val-fraction, -m, ...)
TrainOptions check_options(const TrainArgs& a) {
  check_option_names(a);
  TrainOptions opt;
  if (!a.loss.empty()) opt.loss = parse_loss(a.loss);
  check_trace_path(a);
  apply_threads(a.threads);
  opt.device = parse_device(a.device);
  apply_precision(a.precision, opt.device);
  opt.epochs = a.epochs;
  opt.batch_size = a.batch_size;
  opt.sgd.lr = a.lr;
  opt.sgd.momentum = a.momentum;
  opt.sgd.weight_decay = a.weight_decay;
  opt.sgd.nesterov = a.nesterov;
  opt.schedule = a.schedule;
  opt.step_size = a.step_size;
  opt.noise_sigma = a.noise;
  opt.seed = a.seed;
  opt.sync_batch_norm = a.sync_bn;
  return opt;
}

std::unique_ptr<DataSource> open_data(const TrainArgs& a) {
  if (!a.file.empty()) return DataSource::file(a.file, a.data);
  synth::SynthOptions so;
  so.kind = synth::parse_kind(a.kind);
  so.n = a.images;
  so.size = a.size;
  so.seed = a.seed;
  so.num_threads = 0;  // the images do not depend on it
  return DataSource::builtin(so);
}

std::unique_ptr<BatchSource> worker_training_batches(const DataSource& data, const TrainArgs& a,
                                                     const std::vector<int64_t>& rows,
                                                     const Communicator& ranks) {
  if (ranks.size() == 1) return data.batches(rows, a.batch_size, /*shuffle=*/true, a.seed, iterator_noise(a));
  ShardPlan plan;
  plan.rank = ranks.rank();
  plan.workers = ranks.size();
  plan.shard_epochs = a.shard_epochs;
  plan.batch_size = a.batch_size;
  plan.seed = a.seed;
  const uint64_t noise_seed = worker_seed(a.seed, ranks.rank());
  const int64_t batch_size = a.batch_size;
  const double noise = iterator_noise(a);
  return std::make_unique<ShardedBatches>(
      rows, plan, [&data, batch_size, noise_seed, noise](std::vector<int64_t> mine) {
        return data.batches(std::move(mine), batch_size, /*shuffle=*/false, noise_seed, noise);
      });
}

std::string shard_mode_text(int64_t shard_epochs) {
  if (shard_epochs < 0) return "-m -1: every rank reads the whole set";
  if (shard_epochs == 0) return "-m 0: the set is split among the ranks once";
  return "-m " + std::to_string(shard_epochs) + ": the split among the ranks is redrawn every " +
         std::to_string(shard_epochs) + " epochs";
}

// Turning or mirroring a galaxy changes its orientation, which the image
// augmentation (io/batches/augment.h) does not carry over to the labels
// (cos 2θ, sin 2θ): it would teach the network wrong angles.
void check_augmentation_fits_labels(const TrainArgs& a, const DataInfo& d) {
  if (!orientation::is_orientation_labels(d.label_names)) return;
  const char* turning = a.flip ? "--flip" : a.rot90 ? "--rot90" : a.rotate != 0 ? "--rotate" : nullptr;
  ASTRO_CHECK(turning == nullptr, turning, " turns or mirrors the images of ", d.name,
              ", whose labels are orientations (cos 2θ, sin 2θ) that would then be wrong; "
              "use --translate, --zoom or --brightness");
}

int64_t model_outputs(const TrainArgs& a, const DataInfo& d) {
  if (!d.class_labels) {
    ASTRO_CHECK(a.outputs == 0 || a.outputs == d.label_width, "--outputs ", a.outputs,
                " differs from the ", d.label_width, " label columns of ", d.name);
    return d.label_width;
  }
  int64_t classes = static_cast<int64_t>(d.label_names.size());
  if (a.outputs > 0) {
    ASTRO_CHECK(a.outputs >= classes, "--outputs ", a.outputs, " is fewer than the ", classes,
                " classes of ", d.name);
    return a.outputs;
  }
  ASTRO_CHECK(classes > 0, d.name, " has class ids but no label_names attribute, so the number ",
              "of classes is unknown: give --outputs");
  return classes;
}

json data_to_json(const DataInfo& d, const SplitRows& rows) {
  return json{{"source", d.name},
              {"images", d.images},
              {"channels", d.channels},
              {"height", d.height},
              {"width", d.width},
              {"class_labels", d.class_labels},
              {"label_width", d.label_width},
              {"label_names", d.label_names},
              {"task", d.task},
              {"train_images", static_cast<int64_t>(rows.train.size())},
              {"validation_images", static_cast<int64_t>(rows.validation.size())}};
}

// --resume must see the same data as the run it continues.
void check_same_data(const json& stored, const DataInfo& d, const std::string& checkpoint) {
  const std::pair<const char*, int64_t> now[] = {{"images", d.images},
                                                 {"channels", d.channels},
                                                 {"height", d.height},
                                                 {"width", d.width},
                                                 {"label_width", d.label_width}};
  const std::string what = checkpoint_config_part(checkpoint, "the run's data description");
  for (const auto& [key, value] : now) {
    int64_t before = json_get<int64_t>(stored, key, what);
    ASTRO_CHECK(value == before, "--resume: ", d.name, " has ", key, " = ", value, " but the run in ",
                checkpoint, " trained on data with ", key, " = ", before);
  }
}

namespace {

// --init-from starts a new run from a checkpoint's weights alone.
void check_init_from(const TrainArgs& a) {
  if (a.init_from.empty()) return;
  require_hdf5("--init-from");
  ASTRO_CHECK(!a.resume, "--init-from and --resume exclude each other: --resume continues a run "
              "with its weights, optimiser and history; --init-from starts a new run from a "
              "checkpoint's weights alone");
  ASTRO_CHECK(!a.zero_init_residual, "--init-from and --zero-init-residual exclude each other: "
              "the residual blocks' batch-norm scales come from the checkpoint");
}

// The run directory (only checks: it is locked when the run starts). On
// --resume it must hold a run, whose config.json (from its checkpoint) goes
// into `plan` and whose options replace `a`'s (merge_resumed_options); a new
// run's must hold none, and defaults to runs/<model>-<date>-<time>.
void plan_run_directory(TrainArgs& a, TrainingPlan& plan, const CLI::App& sub, bool leader) {
  if (a.resume) {
    require_hdf5("--resume");
    ASTRO_CHECK(!a.out.empty(), "--resume needs --out RUN_DIR, the run to continue");
    if (leader) {
      RunDirectory::check_files(a.out);  // first: opening a FIFO would block
      RunLock::check_free(a.out);
      RunDirectory::check_resumable(a.out);
    }
    plan.checkpoint = (fs::path(a.out) / "checkpoint.h5").string();
    plan.stored = read_run_config(plan.checkpoint);
    ASTRO_CHECK(plan.stored.contains("options") && plan.stored.contains("state"), "--resume: ",
                plan.checkpoint, " holds no training state");
    a = merge_resumed_options(a, sub, plan.stored["options"], plan.checkpoint);
    plan.init_from = plan.stored.value("init_from", json());
  } else if (a.out.empty()) {
    a.out = default_run_directory(a.model);
  } else {
    if (leader) {
      RunDirectory::check_files(a.out);  // first: opening a FIFO would block
      RunLock::check_free(a.out);
    }
    RunDirectory::check_no_run(a.out);
  }
}

// The data opened, and the loss that fits its labels (--loss, or the
// labels' default, which then goes into `a`).
void plan_data(TrainArgs& a, TrainingPlan& plan) {
  plan.data = open_data(a);
  const DataInfo& info = plan.data->info();
  ASTRO_CHECK(info.height == info.width, info.name, " has ", info.height, "x", info.width,
              " images; the models take square images");
  if (a.loss.empty()) a.loss = default_loss(info, plan.data->first_labels(256));
  plan.options.loss = parse_loss(a.loss);
  check_loss_fits(plan.options.loss, info);
}

// The model: from the options and the data, or the resumed run's, which
// must fit the data. The data then refuse class ids it has no output for.
void plan_model(const TrainArgs& a, TrainingPlan& plan) {
  const DataInfo& info = plan.data->info();
  ModelSpec& spec = plan.spec;
  spec.name = a.model;
  spec.options.in_channels = info.channels;
  spec.options.image_size = info.height;
  check_augmentation_fits_labels(a, info);
  spec.options.outputs = model_outputs(a, info);
  spec.options.small_input_stem = a.small_stem;
  spec.options.dropout = a.dropout;
  spec.options.activation = a.activation;
  if (a.resume) {
    spec = checkpoint_model_spec(plan.stored, plan.checkpoint);
    check_same_data(plan.stored["data"], info, plan.checkpoint);
    check_images_fit(info, spec, "checkpoint '" + plan.checkpoint + "'");
    check_labels_fit(info, spec, "checkpoint '" + plan.checkpoint + "'");
  }
  // A class id the model has no output for fails when read, naming the row.
  plan.data->limit_class_ids(
      spec.options.outputs,
      a.resume ? "the model '" + spec.name + "' of checkpoint '" + plan.checkpoint + "'"
      : a.outputs > 0 ? "the model (--outputs " + std::to_string(a.outputs) + ")"
                      : "the model (one output per class of " + info.name + ")");
}

}  // namespace

TrainingPlan plan_training(TrainArgs a, const CLI::App& sub, bool leader) {
  TrainingPlan plan;
  check_init_from(a);
  plan_run_directory(a, plan, sub, leader);
  ASTRO_CHECK(!a.zero_init_residual || a.model == "resnet18" || a.model == "resnet50",
              "--zero-init-residual applies to the ResNets (resnet18, resnet50), not '", a.model, "'");
  plan.options = check_options(a);
  if (!a.trace.empty())
    for (const std::string& name : RunDirectory::file_names())
      check_distinct_files(a.trace, "--trace", (fs::path(a.out) / name).string(), "--out");
  plan_data(a, plan);
  plan_model(a, plan);

  // The split (a resumed run's options may come from an edited config.json:
  // --val-fraction is checked again here).
  const DataInfo& info = plan.data->info();
  ASTRO_CHECK(a.val_fraction >= 0 && a.val_fraction < 1, "--val-fraction must be in [0, 1), got ",
              a.val_fraction);
  ASTRO_CHECK(a.val_fraction == 0 || info.images >= 2, "a data set of ", info.images,
              " images cannot give both a training and a validation part (use --val-fraction 0)");
  plan.rows = split_rows(info.images, a.val_fraction, a.seed);
  plan.args = std::move(a);
  return plan;
}

}  // namespace astrocnn::cli
