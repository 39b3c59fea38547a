// `astrocnn train`: train a network on an HDF5 file (-f) or, with no file, on
// the built-in synthetic galaxy set (the defaults are what `make demo` runs),
// writing the run directory described in tools/run_dir.h. --resume continues
// the run in --out from its checkpoint.h5 with the same results as an
// uninterrupted run (see models/trainer.h for what that takes).
//
// Everything is checked before anything is written: a bad option, file or
// model fails with one error line and leaves an existing run untouched.
//
// Under mpirun/srun every rank runs this same command (data-parallel
// training, core/distributed.h): each trains on its share of the images
// (-m, models/sharding.h), and rank 0 alone prints, writes the run directory
// and its checkpoints, which every rank reads back on --resume.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/distributed.h"
#include "core/error.h"
#include "core/philox.h"
#include "kernels/backend.h"
#include "models/models.h"
#include "models/sharding.h"
#include "models/trainer.h"
#include "tools/batch_options.h"
#include "tools/checkpoint_model.h"
#include "tools/commands.h"
#include "tools/data_source.h"
#include "tools/plot.h"
#include "tools/run_config.h"
#include "tools/run_dir.h"
#include "tools/train_setup.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/checkpoint.h"
#endif

namespace astrocnn::cli {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string format(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}

// ---- Where a run stands ----

struct RunState {
  std::vector<EpochMetrics> history;
  double best_loss = kNaN;  // validation loss (train loss without a validation split)
  int64_t best_epoch = 0;
  int64_t first_epoch = 1;

  json to_json(int64_t epoch) const {
    return json{{"epoch", epoch},
                {"rng_seed", global_rng().seed()},
                {"rng_offset", global_rng().offset()},
                {"best_loss", best_loss},
                {"best_epoch", best_epoch},
                {"history", history_to_json(history)}};
  }
};

// ---- Several ranks ----

// Every rank's position in its dropout stream (a collective: every rank calls
// it), stored as "rng_offsets" so that each rank resumes its own stream.
json gather_rng_offsets(Communicator& ranks) {
  std::vector<int64_t> slots(static_cast<size_t>(ranks.size()), 0);
  slots[ranks.rank()] = static_cast<int64_t>(global_rng().offset());
  Tensor gathered = Tensor::from_vector(slots, {ranks.size()});
  ranks.allreduce({gathered}, ReduceOp::Sum);
  return gathered.to_vector<int64_t>();
}

// Several ranks: each draws its dropout masks from a stream of its own
// (worker_seed; rank 0 keeps the single-process stream), continued from the
// position it had in the checkpoint when resuming.
void use_worker_random_stream(const Communicator& ranks, uint64_t seed, const json& stored) {
  if (ranks.size() == 1) return;
  uint64_t offset = global_rng().offset();
  const json* offsets = stored.contains("state") ? &stored["state"] : nullptr;
  if (offsets && offsets->contains("rng_offsets") &&
      (*offsets)["rng_offsets"].size() == static_cast<size_t>(ranks.size()))
    offset = (*offsets)["rng_offsets"][ranks.rank()].get<uint64_t>();
  global_rng() = Rng(worker_seed(seed, ranks.rank()), offset);
}

// Test hook (tests/cli/mpi_rank_failure.sh): ASTROCNN_TEST_FAIL_RANK=R makes
// rank R fail at its second step as a crashed rank would, leaving without
// finalising MPI (ASTROCNN_TEST_FAIL_MODE=exit, the default), or hang there
// (=hang), so that the others must notice. Unset, it does nothing.
std::function<void(const BatchProgress&)> with_rank_failure_test_hook(
    std::function<void(const BatchProgress&)> report, int rank) {
  const char* fail_rank = std::getenv("ASTROCNN_TEST_FAIL_RANK");
  if (!fail_rank || std::atoi(fail_rank) != rank) return report;
  const char* mode = std::getenv("ASTROCNN_TEST_FAIL_MODE");
  const bool hang = mode && std::string(mode) == "hang";
  return [report, rank, hang](const BatchProgress& p) {
    report(p);
    if (p.batch != 2) return;
    std::fprintf(stderr, "astrocnn: rank %d: ASTROCNN_TEST_FAIL_RANK: %s at step 2 (a test of "
                 "failure handling)\n", rank, hang ? "hanging" : "exiting");
    std::fflush(stderr);
    while (hang) std::this_thread::sleep_for(std::chrono::seconds(1));
    std::_Exit(3);
  };
}

// --resume: the model, the optimiser and the global random stream as the
// checkpoint left them, and the history so far.
RunState restore_state(const std::string& checkpoint, const json& stored, Module& model, SGD& sgd,
                       int64_t epochs) {
  RunState s;
#if defined(ASTROCNN_HAVE_HDF5)
  CheckpointMeta meta = load_checkpoint(checkpoint, model, &sgd);
  const json& state = stored["state"];
  const std::string what = "the training state in " + checkpoint;
  global_rng().set_offset(json_get<uint64_t>(state, "rng_offset", what));
  s.history = history_from_json(json_get<json>(state, "history", what));
  s.best_epoch = state.value("best_epoch", int64_t{0});
  s.best_loss = state.contains("best_loss") && state["best_loss"].is_number()
                    ? state["best_loss"].get<double>() : kNaN;
  s.first_epoch = meta.epoch + 1;
  ASTRO_CHECK(meta.epoch < epochs, "--resume: the run in '",
              fs::path(checkpoint).parent_path().string(), "' has already trained ", meta.epoch,
              " of --epochs ", epochs, "; give a larger --epochs to continue it");
  ASTRO_CHECK(static_cast<int64_t>(s.history.size()) == meta.epoch, "--resume: ", checkpoint,
              " is inconsistent (epoch ", meta.epoch, ", ", s.history.size(), " epochs of history)");
#else
  (void)checkpoint, (void)stored, (void)model, (void)sgd, (void)epochs;
#endif
  return s;
}

// ---- What a run prints ----

std::string progress_text(const BatchProgress& p, int64_t epochs) {
  const int width = 24;
  int filled = static_cast<int>(width * p.batch / std::max<int64_t>(p.batches, 1));
  std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
  char buf[160];
  std::snprintf(buf, sizeof buf, "epoch %lld/%lld %s %lld/%lld  loss %.4f  %.1f images/sec",
                static_cast<long long>(p.epoch), static_cast<long long>(epochs), bar.c_str(),
                static_cast<long long>(p.batch), static_cast<long long>(p.batches), p.mean_loss,
                p.images / std::max(p.seconds, 1e-9));
  return buf;
}

// On a terminal a progress bar redrawn at most ten times a second; otherwise
// a plain line at each quarter of an epoch (of 8 batches or more).
std::function<void(const BatchProgress&)> progress_reporter(RunLog& log, int64_t epochs) {
  auto drawn_at = std::make_shared<double>(0);
  auto quarter = std::make_shared<int64_t>(0);
  return [&log, epochs, drawn_at, quarter](const BatchProgress& p) {
    if (log.on_terminal()) {
      if (p.batch == 1 || p.batch == p.batches || p.seconds - *drawn_at >= 0.1) {
        *drawn_at = p.seconds;
        log.progress(progress_text(p, epochs));
      }
      return;
    }
    if (p.batch == 1) *quarter = 0;
    int64_t q = 4 * p.batch / std::max<int64_t>(p.batches, 1);
    if (p.batches >= 8 && p.batch < p.batches && q > *quarter) {
      *quarter = q;
      log.line(progress_text(p, epochs));
    }
  };
}

void log_header(RunLog& log, const TrainArgs& a, const DataInfo& info, const SplitRows& rows,
                const ModelSpec& spec, const Module& model, const TrainOptions& opt,
                const Communicator& workers) {
  const models::ModelOptions& o = spec.options;
  log.line("data: " + info.name + ": " + info.describe());
  log.line("split: " + std::to_string(rows.train.size()) + " train / " +
           std::to_string(rows.validation.size()) + " validation images (seed " +
           std::to_string(a.seed) + ")");
  log.line("model: " + spec.name + ", " + std::to_string(model.parameter_count()) +
           " parameters, input " + std::to_string(o.in_channels) + "x" +
           std::to_string(o.image_size) + "x" + std::to_string(o.image_size) + ", " +
           std::to_string(o.outputs) + " outputs; loss " + loss_name(opt.loss));
  log.line("optimiser: SGD lr " + format("%g", a.lr) + " momentum " + format("%g", a.momentum) +
           " weight decay " + format("%g", a.weight_decay) + (a.nesterov ? " nesterov" : "") +
           ", schedule " + a.schedule + ", batch " + std::to_string(a.batch_size) +
           (a.noise > 0 ? ", noise sigma " + format("%g", a.noise) : std::string()));
  log.line("backend: " + backend_for(opt.device).name() + "; run directory: " + a.out);
  if (workers.size() > 1)
    log.line("data parallel: " + std::to_string(workers.size()) + " ranks, " + workers.describe() +
             "; batch " + std::to_string(a.batch_size) + " per rank, " +
             std::to_string(a.batch_size * workers.size()) + " per step; " +
             shard_mode_text(a.shard_epochs) + (a.sync_bn ? "; --sync-bn" : ""));
#if !defined(ASTROCNN_HAVE_HDF5)
  log.line("note: built without HDF5, so no checkpoint.h5 / best.h5 are written");
#endif
}

// ---- The command ----

int run_train(TrainArgs a, const CLI::App& sub) {
  Communicator& ranks = world();
  const bool leader = ranks.rank() == 0;  // writes the run directory and prints
  bind_gpu_to_local_rank(ranks);          // before --device cuda starts CUDA
  ASTRO_CHECK(ranks.size() > 1 || launched_processes() == 1, "started by mpirun/srun as one of ",
              launched_processes(), " processes, but this astrocnn was built without MPI (install "
              "libopenmpi-dev and re-run cmake): each process would train alone into the same --out");

  // 1. Checks: options, the run directory, the data, the model.
  json stored;  // the resumed run's config
  std::string checkpoint;
  if (a.resume) {
    require_hdf5("--resume");
    if (leader) RunDirectory::for_resume(a.out);  // only checks (a probe file comes and goes)
    checkpoint = (fs::path(a.out) / "checkpoint.h5").string();
    stored = read_run_config(checkpoint);
    ASTRO_CHECK(stored.contains("options") && stored.contains("state"), "--resume: ", checkpoint,
                " holds no training state");
    a = merge_resumed_options(a, sub, stored["options"], checkpoint);
  } else if (a.out.empty()) {
    a.out = default_run_directory(a.model);
  } else {
    RunDirectory::check_no_run(a.out);
  }
  TrainOptions opt = check_options(a);

  std::unique_ptr<DataSource> data = open_data(a);
  const DataInfo& info = data->info();
  ASTRO_CHECK(info.height == info.width, info.name, " has ", info.height, "x", info.width,
              " images; the models take square images");
  if (a.loss.empty()) a.loss = default_loss(info, data->first_labels(256));
  opt.loss = parse_loss(a.loss);
  check_loss_fits(opt.loss, info);

  ModelSpec spec{a.model, {}};
  spec.options.in_channels = info.channels;
  spec.options.image_size = info.height;
  spec.options.outputs = model_outputs(a, info);
  spec.options.small_input_stem = a.small_stem;
  spec.options.dropout = a.dropout;
  if (a.resume) {
    spec = model_from_json(stored["model"]);
    check_same_data(stored["data"], info, checkpoint);
    check_images_fit(info, spec, "checkpoint '" + checkpoint + "'");
    check_labels_fit(info, spec, "checkpoint '" + checkpoint + "'");
  }
  ASTRO_CHECK(a.val_fraction >= 0 && a.val_fraction < 1, "--val-fraction must be in [0, 1), got ",
              a.val_fraction);
  ASTRO_CHECK(a.val_fraction == 0 || info.images >= 2, "a data set of ", info.images,
              " images cannot give both a training and a validation part (use --val-fraction 0)");
  SplitRows rows = split_rows(info.images, a.val_fraction, a.seed);

  manual_seed(a.seed);  // the initial weights, then dropout, draw from the global stream
  std::shared_ptr<Module> model = build_model(spec, info);
  model->to(opt.device);
  // Gradients of CUDA tensors go through NCCL when the build has it.
  std::unique_ptr<Communicator> nccl =
      opt.device == Device::CUDA ? make_nccl_communicator(ranks) : nullptr;
  Communicator& workers = nccl ? *nccl : ranks;
  Trainer trainer(*model, opt, &workers);
  RunState state;
  json resumes = json::array();
  if (a.resume) {
    resumes = stored.value("resumes", json::array());
    state = restore_state(checkpoint, stored, *model, trainer.optimizer(), a.epochs);
    resumes.push_back({{"at_epoch", state.first_epoch - 1}, {"command", command_line()},
                       {"ranks", ranks.size()}});
  }
  use_worker_random_stream(ranks, a.seed, stored);
  std::unique_ptr<BatchSource> train_batches = worker_training_batches(*data, a, rows.train, ranks);
  std::unique_ptr<BatchSource> val_batches;
  if (!rows.validation.empty() && leader)  // rank 0 validates
    val_batches = data->batches(rows.validation, a.batch_size, /*shuffle=*/false, 0, 0);
  BatchWrappers wrappers = wrap_batches(a, info, ranks.rank(), train_batches, val_batches);

  // 2. The run directory (rank 0's), then the epochs.
  std::optional<RunDirectory> dir;
  if (leader) dir.emplace(a.resume ? RunDirectory::for_resume(a.out) : RunDirectory::for_new_run(a.out));
  RunLog log(leader, /*redraw=*/!launched_by_mpi_launcher());
  if (dir) log.open(dir->file("train_log.txt"));
  json config = {{"astrocnn_version", ASTROCNN_VERSION},
                 {"git_commit", git_commit()},
                 {"command", a.resume ? stored.value("command", std::string()) : command_line()},
                 {"options", options_to_json(a)},
                 {"model", model_to_json(spec, model->parameter_count())},
                 {"loss", loss_name(opt.loss)},
                 {"data", data_to_json(info, rows)},
                 {"backend", backend_for(opt.device).name()},
                 {"cpu_threads", cpu_thread_count()},
                 {"ranks", ranks.size()},
                 {"communicator", workers.describe()}};
  if (a.resume) config["resumes"] = resumes;
  const std::string title = spec.name + " on " + info.name + " (" + loss_name(opt.loss) + " loss)";

  // Each epoch replaces metrics.csv, checkpoint.h5, best.h5 (when better),
  // config.json (when resumed) and curves.png, each atomically.
  auto on_epoch = [&](const EpochMetrics& m) {
    json rng_offsets = ranks.size() > 1 ? gather_rng_offsets(ranks) : json();
    if (!leader) return;
    state.history.push_back(m);
    log.line(format_epoch(m, a.epochs));
    log.line(format_throughput(m, ranks.size()));
    if (ranks.size() > 1) log.line(format_workers(m));
    double loss = m.validation.samples > 0 ? m.validation.loss : m.train.loss;
    bool best = std::isnan(state.best_loss) || loss < state.best_loss;
    if (best) state.best_loss = loss, state.best_epoch = m.epoch;
    dir->write_metrics(state.history);
#if defined(ASTROCNN_HAVE_HDF5)
    json with_state = config;
    with_state["state"] = state.to_json(m.epoch);
    if (!rng_offsets.is_null()) with_state["state"]["rng_offsets"] = rng_offsets;
    CheckpointMeta meta;
    meta.epoch = m.epoch;
    meta.model = spec.name;
    meta.config_json = with_state.dump();
    meta.best_metric = state.best_loss;
    save_checkpoint(dir->file("checkpoint.h5"), *model, &trainer.optimizer(), meta);
    if (best) save_checkpoint(dir->file("best.h5"), *model, &trainer.optimizer(), meta);
#endif
    if (a.resume) dir->write_text("config.json", config.dump(2) + "\n");
    plot_curves(state.history, title, dir->file("curves.png"));
  };

  try {
    if (dir && !a.resume) dir->write_text("config.json", config.dump(2) + "\n");
    log.note("");
    log.note("$ " + command_line());
    if (a.resume)
      log.line("resuming " + a.out + " after epoch " + std::to_string(state.first_epoch - 1) +
               " of " + std::to_string(a.epochs));
    log_header(log, a, info, rows, spec, *model, opt, workers);
    if (!wrappers.augmentation.empty())
      log.line("augmentation (worker thread): " + wrappers.augmentation);
    if (a.resume && stored.value("ranks", 1) != ranks.size())
      log.line("note: the run trained on " + std::to_string(stored.value("ranks", 1)) +
               " ranks and continues on " + std::to_string(ranks.size()) +
               "; the batches, so the numbers, differ from an uninterrupted run");
    trainer.set_batch_callback(
        with_rank_failure_test_hook(progress_reporter(log, a.epochs), ranks.rank()));
    trainer.fit(*train_batches, val_batches.get(), on_epoch, state.first_epoch);
    log.line("best epoch " + std::to_string(state.best_epoch) + ": " +
             (rows.validation.empty() ? "train" : "validation") + " loss " +
             format("%.4f", state.best_loss) + "; run directory " + a.out);
    if (wrappers.trace) log.line(trace_report(wrappers, a));
  } catch (const Error& e) {
    log.note(std::string("error: ") + e.what());  // main() prints it
    throw;
  }
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  struct State {
    TrainArgs args;
    CLI::App* sub = nullptr;
  };
  auto state = std::make_shared<State>();
  TrainArgs& a = state->args;
  CLI::App* sub = app.add_subcommand(
      "train",
      "Train a network on an HDF5 file (-f) or on built-in synthetic galaxies, writing a run "
      "directory (metrics.csv, train_log.txt, checkpoint.h5, best.h5, config.json, curves.png). "
      "The defaults are `make demo`: the Huertas-Company net on 1000 built-in 64x64 morphology "
      "images, 6 epochs (about 40 s on 2 cores).");
  state->sub = sub;
  std::string names;
  for (auto& n : models::model_names()) names += (names.empty() ? "" : ", ") + n;
  sub->add_option("--model", a.model, "network: " + names)->capture_default_str();
  sub->add_option("-f,--file", a.file, "data set, read in batches: an HDF5 file (native, DeepGalaxy, "
                  "obiwan cutouts), a directory of obiwan shards or of FITS images (docs/DATA.md); "
                  "without it, the built-in synthetic set of --kind/-n/--size");
  add_data_options(sub, a.data);
  sub->add_option("--out", a.out, "run directory (default: runs/<model>-<date>-<time>)");
  sub->add_flag("--resume", a.resume, "continue the run in --out from its checkpoint.h5 "
                "(same results as an uninterrupted run; --epochs may be raised)");
  sub->add_option("--epochs", a.epochs, "epochs")->capture_default_str();
  sub->add_option("--batch-size", a.batch_size, "images per SGD step")->capture_default_str();
  sub->add_option("--loss", a.loss, "xent, rmse, mse or cosine (default from the labels: xent for "
                  "class ids, rmse for vote fractions or one target, cosine for other target vectors)");
  sub->add_option("--lr", a.lr, "learning rate")->capture_default_str();
  sub->add_option("--momentum", a.momentum, "SGD momentum")->capture_default_str();
  sub->add_option("--weight-decay", a.weight_decay, "L2 weight decay")->capture_default_str();
  sub->add_flag("--nesterov", a.nesterov, "Nesterov momentum");
  sub->add_option("--schedule", a.schedule, "learning-rate schedule: constant, step (x0.1 every "
                  "--step-size epochs), cosine (over --epochs)")->capture_default_str();
  sub->add_option("--step-size", a.step_size, "epochs between steps of --schedule step")->capture_default_str();
  sub->add_option("--noise", a.noise, "sigma of Gaussian noise added to training images")->capture_default_str();
  sub->add_option("--seed", a.seed, "seed of the built-in data, the split, initialisation, shuffling, "
                  "noise and dropout")->capture_default_str();
  sub->add_option("--val-fraction", a.val_fraction, "fraction of the images held out for validation")
      ->capture_default_str();
  sub->add_option("--device", a.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--threads", a.threads, "CPU threads (0: OMP_NUM_THREADS or all cores)")->capture_default_str();
  sub->add_option("--outputs", a.outputs, "model outputs (default: from the labels; e.g. 37 for Galaxy Zoo)");
  sub->add_flag("--small-stem", a.small_stem, "ResNets: 3x3 stride-1 stem without max-pool, for small cutouts");
  sub->add_option("--dropout", a.dropout, "dropout probability of huertas/alexnet dense layers")
      ->capture_default_str();
  sub->add_option("--kind", a.kind, "built-in data: morphology, fakereal, merger")->capture_default_str();
  sub->add_option("-n,--images", a.images, "built-in data: number of images")->capture_default_str();
  sub->add_option("--size", a.size, "built-in data: image size in pixels")->capture_default_str();
  sub->add_option("-m,--shard-epochs", a.shard_epochs, "several MPI ranks: -1 every rank reads the "
                  "whole set (N ranks at --batch-size B train as one process at N*B); 0 the set "
                  "is split among the ranks once; K > 0 the split is redrawn every K epochs")
      ->capture_default_str();
  sub->add_flag("--sync-bn", a.sync_bn, "several MPI ranks: average the batch-norm running "
                "statistics over the ranks after every step (default: each rank keeps its own, "
                "rank 0's are saved)");
  add_batch_options(sub, a);
  return {sub, [state] {
    try {
      return run_train(state->args, *state->sub);
    } catch (...) {
      DistributedSession::abandon();  // the other ranks may be waiting for this one
      throw;
    }
  }};
}

}  // namespace astrocnn::cli
