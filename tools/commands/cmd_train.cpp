// `astrocnn train`: train a network on an HDF5 file (-f) or, with no file, on
// the built-in synthetic galaxy set (the defaults are what `make demo` runs),
// writing the run directory described in tools/run/run_dir.h. --resume continues
// the run in --out from its checkpoint.h5 with the same results as an
// uninterrupted run (see models/train/trainer.h for what that takes).
//
// In stages: (1) everything checked, nothing written (plan_training,
// tools/run/train_setup.h): a bad option, file or model fails with one error line
// and leaves an existing run untouched; (2) the model, optimiser and, for
// --resume, the state restored (tools/run/train_state.h); (3) the batches; (4)
// the run directory and the epochs (RunRecorder, tools/run/run_recorder.h).
//
// Under mpirun/srun every rank runs this same command (data-parallel
// training, core/distributed.h): each trains on its share of the images
// (-m, models/train/sharding.h), and rank 0 alone prints, writes the run directory
// and its checkpoints, which every rank reads back on --resume.
//
// One run at a time holds the run directory's lock (tools/run/run_lock.h). On
// SIGTERM, SIGINT or SIGUSR1 a run finishes its step, saves a checkpoint
// (mid-epoch if need be: --resume continues it exactly), prints how to
// resume it and exits with status 3 (tools/run/stop_signal.h).
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/distributed.h"
#include "core/tensor/error.h"
#include "core/tensor/philox.h"
#include "layers/activation.h"
#include "models/models.h"
#include "models/train/trainer.h"
#include "tools/run/batch_options.h"
#include "tools/run/checkpoint_model.h"
#include "tools/commands/commands.h"
#include "tools/run/run_recorder.h"
#include "tools/run/stop_signal.h"
#include "tools/run/train_setup.h"
#include "tools/run/train_state.h"

namespace astrocnn::cli {
namespace {


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
    std::_Exit(1);  // not 3, which means "stopped by a signal, resumable"
  };
}

// Test hook (tests/cli/run_directory.sh): ASTROCNN_TEST_SIGNAL_AT_STEP=K
// makes the process send itself ASTROCNN_TEST_SIGNAL (TERM, INT or USR1;
// default TERM) at the end of its K-th training step, counted over the
// epochs this process trains, to stop a run at a known point. Unset, it
// does nothing.
std::function<void(const BatchProgress&)> with_signal_test_hook(
    std::function<void(const BatchProgress&)> report) {
  const char* at = std::getenv("ASTROCNN_TEST_SIGNAL_AT_STEP");
  if (!at) return report;
  const char* name = std::getenv("ASTROCNN_TEST_SIGNAL");
  const std::string which = name ? name : "TERM";
  const int signal = which == "INT" ? SIGINT : which == "USR1" ? SIGUSR1 : SIGTERM;
  auto steps = std::make_shared<int64_t>(0);
  const int64_t target = std::atoll(at);
  return [report, signal, steps, target](const BatchProgress& p) {
    report(p);
    if (++*steps == target) std::raise(signal);
  };
}

// ---- The command ----

// Stage 2's model: described by the plan (on --resume, as the checkpoint
// describes it), started with --zero-init-residual or --init-from's weights
// (recorded in plan.init_from), on the run's device.
std::shared_ptr<Module> model_for_run(TrainingPlan& plan) {
  const TrainArgs& a = plan.args;
  manual_seed(a.seed);  // the initial weights, then dropout, draw from the global stream
  const std::string subject =
      plan.resume() ? checkpoint_config_part(plan.checkpoint, "the model '" + plan.spec.name + "'")
                    : "--model " + plan.spec.name;
  std::shared_ptr<Module> model = build_model(plan.spec, subject, &plan.data->info());
  if (a.zero_init_residual && !plan.resume()) models::zero_init_residual(*model);
  if (!a.init_from.empty())
    plan.init_from = parse_option("--init-from", [&] {
      return init_weights_from(a.init_from, plan.spec.name, *model);
    });
  model->to(plan.options.device);
  return model;
}

// Stage 2's --resume: the weights, the optimiser's state and where the run
// stands, restored from the checkpoint, and config.json's "resumes" (the
// stored list, into `resumes`) with this resume added. A new run starts at
// epoch 1 and leaves `resumes` as it is.
RunState restore_run(const TrainingPlan& plan, Module& model, Trainer& trainer,
                     const Communicator& ranks, json& resumes) {
  RunState state;
  if (!plan.resume()) return state;
  resumes = plan.stored.value("resumes", json::array());
  state = restore_state(plan.checkpoint, plan.stored, model, trainer.optimizer(), plan.args.epochs);
  resumes.push_back({{"at_epoch", state.first_epoch - 1},
                     {"at_step", state.in_progress ? state.in_progress->steps : 0},
                     {"command", command_line()},
                     {"ranks", ranks.size()}});
  if (state.in_progress) trainer.continue_epoch(*state.in_progress);
  return state;
}

int run_train(TrainArgs args, const CLI::App& sub) {
  Communicator& ranks = world();
  const bool leader = ranks.rank() == 0;  // writes the run directory and prints
  bind_gpu_to_local_rank(ranks);          // before --device cuda starts CUDA
  ASTRO_CHECK(ranks.size() > 1 || launched_processes() == 1, "started by mpirun/srun as one of ",
              launched_processes(), " processes, but this astrocnn was built without MPI (install "
              "libopenmpi-dev and re-run cmake): each process would train alone into the same --out");
  // From here on SIGTERM, SIGINT and SIGUSR1 stop the run after its next
  // step, with a checkpoint (none without HDF5: then they end it at once).
  std::optional<StopSignals> signals;
#if defined(ASTROCNN_HAVE_HDF5)
  signals.emplace();
#endif

  // 1. Everything checked, nothing written (tools/run/train_setup.h).
  TrainingPlan plan = plan_training(std::move(args), sub, leader);
  const TrainArgs& a = plan.args;

  // 2. The model, the optimiser and, for --resume, where the run stands.
  std::shared_ptr<Module> model = model_for_run(plan);
  // Gradients of CUDA tensors go through NCCL when the build has it.
  std::unique_ptr<Communicator> nccl =
      plan.options.device == Device::CUDA ? make_nccl_communicator(ranks) : nullptr;
  Communicator& workers = nccl ? *nccl : ranks;
  Trainer trainer(*model, plan.options, &workers);
  json resumes = json::array();
  RunState state = restore_run(plan, *model, trainer, ranks, resumes);
  use_worker_random_stream(ranks, a.seed, plan.stored);

  // 3. The batches: this rank's share of the training rows; rank 0 validates.
  const DataInfo& info = plan.data->info();
  std::unique_ptr<BatchSource> train_batches = worker_training_batches(*plan.data, a, plan.rows.train, ranks);
  std::unique_ptr<BatchSource> val_batches;
  if (!plan.rows.validation.empty() && leader)
    val_batches = plan.data->batches(plan.rows.validation, a.batch_size, /*shuffle=*/false, 0, 0);
  BatchWrappers wrappers = wrap_batches(a, info, ranks.rank(), train_batches, val_batches);

  // 4. The run directory, then the epochs (tools/run/run_recorder.h).
  RunRecorder recorder(plan, state, *model, trainer, ranks, workers, *train_batches, resumes);
  try {
    recorder.start(wrappers.augmentation);
    trainer.set_batch_callback(with_signal_test_hook(
        with_rank_failure_test_hook(recorder.progress_reporter(), ranks.rank())));
    if (signals) trainer.set_stop_check([] { return StopSignals::received() != 0; });
    trainer.fit(*train_batches, val_batches.get(),
                [&](const EpochMetrics& m) { recorder.on_epoch(m); }, state.first_epoch);
    if (trainer.stopped()) {
      recorder.stopped(*trainer.stopped());
      return kStoppedBySignal;
    }
    recorder.finished(wrappers.trace ? trace_report(wrappers, a) : std::string());
  } catch (const Error& e) {
    recorder.note_error(e);
    throw;
  }
  return 0;
}

// ---- Its options, in the order --help lists them ----

// What to train: the network and the data set.
void add_network_and_data_options(CLI::App* sub, TrainArgs& a) {
  std::string names;
  for (auto& n : models::model_names()) names += (names.empty() ? "" : ", ") + n;
  sub->add_option("--model", a.model, "network: " + names)->capture_default_str();
  sub->add_option("-f,--file", a.file, "data set, read in batches: an HDF5 file (native, DeepGalaxy, "
                  "obiwan cutouts), a directory of obiwan shards or of FITS images (docs/DATA.md); "
                  "without it, the built-in synthetic set of --kind/-n/--size");
  add_data_options(sub, a.data);
}

// Where the run goes and what it starts from: the run directory, --resume,
// --init-from.
void add_run_directory_options(CLI::App* sub, TrainArgs& a) {
  sub->add_option("--out", a.out, "run directory (default: runs/<model>-<date>-<time>)");
  sub->add_flag("--resume", a.resume, "continue the run in --out from its checkpoint.h5, "
                "even one taken inside an epoch (same results as an uninterrupted run; --epochs "
                "may be raised)");
  sub->add_option("--init-from", a.init_from, "start a new run from the weights of CK.h5 (a "
                  "checkpoint, or PyTorch weights converted by tools/scripts/torch2h5.py), not its "
                  "optimiser or history; a stem or head that differs in input channels or "
                  "outputs is re-initialised, with a message")->type_name("CK.h5");
}

// The training: epochs and batches, the loss, SGD and its schedule, the
// noise, the seed and the validation split.
void add_training_options(CLI::App* sub, TrainArgs& a) {
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
}

// Where and how it computes: the device, the precision, the CPU threads.
void add_compute_options(CLI::App* sub, TrainArgs& a) {
  sub->add_option("--device", a.device, "cpu or cuda")->capture_default_str();
  sub->add_option("--precision", a.precision, "what convolutions and dense layers compute in: fp32, "
                  "bf16 (bfloat16 operands, float32 sums; AVX-512 CPUs) or tf32 (GPU); weights, "
                  "optimiser and losses stay float32")->capture_default_str();
  sub->add_option("--threads", a.threads, "CPU threads (0: OMP_NUM_THREADS or all cores)")->capture_default_str();
}

// The network's variants: its outputs, activation, the ResNets' stem and start, dropout.
void add_model_options(CLI::App* sub, TrainArgs& a) {
  sub->add_option("--outputs", a.outputs, "model outputs (default: from the labels; e.g. 37 for Galaxy Zoo)");
  std::string activations;
  for (const ActivationEntry& e : astrocnn::activations())
    activations += (activations.empty() ? "" : ", ") + std::string(e.name);
  sub->add_option("--activation", a.activation, "non-linearity of small, huertas, lenet and alexnet: " +
                  activations + " (leaky_relu: slope 0.01; the ResNets take relu only)")
      ->type_name("NAME")->capture_default_str();
  sub->add_flag("--small-stem", a.small_stem, "ResNets: 3x3 stride-1 stem without max-pool, for small cutouts");
  sub->add_flag("--zero-init-residual", a.zero_init_residual, "ResNets: start the last batch-norm scale of every "
                "residual block at 0, so each block begins as its shortcut (Goyal et al. 2017; torchvision's "
                "zero_init_residual): a steadier start from scratch");
  sub->add_option("--dropout", a.dropout, "dropout probability of huertas/alexnet dense layers")
      ->capture_default_str();
}

// The built-in synthetic set, used without -f.
void add_builtin_data_options(CLI::App* sub, TrainArgs& a) {
  sub->add_option("--kind", a.kind, "built-in data: morphology, fakereal, merger, orientation, lens")->capture_default_str();
  sub->add_option("-n,--images", a.images, "built-in data: number of images")->capture_default_str();
  sub->add_option("--size", a.size, "built-in data: image size in pixels")->capture_default_str();
}

// Data-parallel training over several MPI ranks.
void add_rank_options(CLI::App* sub, TrainArgs& a) {
  sub->add_option("-m,--shard-epochs", a.shard_epochs, "several MPI ranks: -1 every rank reads the "
                  "whole set (N ranks at --batch-size B train as one process at N*B); 0 the set "
                  "is split among the ranks once; K > 0 the split is redrawn every K epochs")
      ->capture_default_str();
  sub->add_flag("--sync-bn", a.sync_bn, "several MPI ranks: average the batch-norm running "
                "statistics over the ranks after every step (default: each rank keeps its own, "
                "rank 0's are saved)");
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
      "images, 6 epochs (about 40 s on 2 cores). One run at a time may use a run directory "
      "(RUN_DIR/.lock). SIGTERM, SIGINT or SIGUSR1 (e.g. from SLURM before the time limit) "
      "stops a run after its current step with a checkpoint, and exit status 3; --resume "
      "continues it exactly.");
  state->sub = sub;
  add_network_and_data_options(sub, a);
  add_run_directory_options(sub, a);
  add_training_options(sub, a);
  add_compute_options(sub, a);
  add_model_options(sub, a);
  add_builtin_data_options(sub, a);
  add_rank_options(sub, a);
  add_batch_options(sub, a);  // the augmentation and --trace (tools/run/batch_options.h)
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
