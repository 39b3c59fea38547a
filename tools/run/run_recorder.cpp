#include "tools/run/run_recorder.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "core/tensor/error.h"
#include "kernels/backend.h"
#include "tools/options/option_values.h"
#include "tools/plots/plot.h"
#include "tools/run/stop_signal.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/checkpoint.h"
#endif

namespace astrocnn::cli {
namespace {

std::string format(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}

// Test hook (tests/cli/run_directory.sh): ASTROCNN_TEST_FAIL_WRITE=NAME@E
// makes writing the run directory's file NAME (e.g. metrics.csv) after
// epoch E fail as on a full disk. Unset, it does nothing.
void fail_write_for_test(const RunDirectory& dir, const std::string& name, int64_t epoch) {
  const char* spec = std::getenv("ASTROCNN_TEST_FAIL_WRITE");
  if (!spec || std::string(spec) != name + "@" + std::to_string(epoch)) return;
  throw Error(dir.place() + ": cannot write '" + dir.file(name) +
              "': No space left on device (ASTROCNN_TEST_FAIL_WRITE)");
}

// `text` as one shell word.
std::string shell_quoted(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+./:=@,") == std::string::npos;
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

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
  const std::string activation = o.activation == "relu" ? "" : " with " + o.activation;
  log.line("model: " + spec.name + activation + ", " + std::to_string(model.parameter_count()) +
           " parameters, input " + std::to_string(o.in_channels) + "x" +
           std::to_string(o.image_size) + "x" + std::to_string(o.image_size) + ", " +
           std::to_string(o.outputs) + " outputs; loss " + loss_name(opt.loss));
  log.line("optimiser: SGD lr " + format("%g", a.lr) + " momentum " + format("%g", a.momentum) +
           " weight decay " + format("%g", a.weight_decay) + (a.nesterov ? " nesterov" : "") +
           ", schedule " + a.schedule + ", batch " + std::to_string(a.batch_size) +
           (a.noise > 0 ? ", noise sigma " + format("%g", a.noise) : std::string()));
  log.line("backend: " + backend_for(opt.device).name() + ", precision " + a.precision +
           "; run directory: " + a.out);
  if (workers.size() > 1)
    log.line("data parallel: " + std::to_string(workers.size()) + " ranks, " + workers.describe() +
             "; batch " + std::to_string(a.batch_size) + " per rank, " +
             std::to_string(a.batch_size * workers.size()) + " per step; " +
             shard_mode_text(a.shard_epochs) + (a.sync_bn ? "; --sync-bn" : ""));
#if !defined(ASTROCNN_HAVE_HDF5)
  log.line("note: built without HDF5, so no checkpoint.h5 / best.h5 are written");
#endif
}

}  // namespace

RunRecorder::RunRecorder(const TrainingPlan& plan, RunState& state, Module& model, Trainer& trainer,
                         Communicator& ranks, const Communicator& workers,
                         const BatchSource& train_batches, const json& resumes)
    : plan_(plan),
      a_(plan.args),
      state_(state),
      model_(model),
      trainer_(trainer),
      ranks_(ranks),
      workers_(workers),
      train_batches_(train_batches),
      leader_(ranks.rank() == 0),
      log_(leader_, /*redraw=*/!launched_by_mpi_launcher()) {
  if (leader_) dir_.emplace(plan.resume() ? RunDirectory::for_resume(a_.out) : RunDirectory::for_new_run(a_.out));
  if (dir_) log_.open(dir_->file("train_log.txt"), dir_->place());
  // metrics.csv is checkpoint.h5's history: a process killed between the two
  // renames of an epoch's update left it one epoch behind.
  if (dir_ && plan.resume()) dir_->write_metrics(state_.history);
  const DataInfo& info = plan.data->info();
  config_ = {{"astrocnn_version", ASTROCNN_VERSION},
             {"git_commit", git_commit()},
             {"command", plan.resume() ? plan.stored.value("command", std::string()) : command_line()},
             {"options", options_to_json(a_)},
             {"model", model_to_json(plan.spec, model.parameter_count())},
             {"loss", loss_name(plan.options.loss)},
             {"data", data_to_json(info, plan.rows)},
             {"backend", backend_for(plan.options.device).name()},
             {"cpu_threads", cpu_thread_count()},
             {"ranks", ranks.size()},
             {"communicator", workers.describe()}};
  if (plan.resume()) config_["resumes"] = resumes;
  if (!plan.init_from.is_null()) config_["init_from"] = plan.init_from;
  title_ = plan.spec.name + " on " + info.name + " (" + loss_name(plan.options.loss) + " loss)";
}

void RunRecorder::start(const std::string& augmentation) {
  if (dir_ && !plan_.resume()) dir_->write_text("config.json", config_.dump(2) + "\n");
  log_.note("");
  log_.note("$ " + command_line());
  if (dir_ && dir_->reused())
    log_.line("note: " + a_.out + " held a run stopped before its first checkpoint; starting it over");
  if (plan_.resume() && state_.in_progress)
    log_.line("resuming " + a_.out + " in epoch " + std::to_string(state_.first_epoch) + " after step " +
              std::to_string(state_.in_progress->steps) + " of " +
              std::to_string(train_batches_.batches_per_epoch()));
  else if (plan_.resume())
    log_.line("resuming " + a_.out + " after epoch " + std::to_string(state_.first_epoch - 1) + " of " +
              std::to_string(a_.epochs));
  log_header();
  if (!plan_.resume() && !plan_.init_from.is_null()) {
    log_.line("init-from: weights of " + a_.init_from);
    for (const json& part : plan_.init_from["reinitialised"]) log_.line(part["message"].get<std::string>());
  }
  if (!augmentation.empty()) log_.line("augmentation (worker thread): " + augmentation);
  if (plan_.resume() && plan_.stored.value("ranks", 1) != ranks_.size())
    log_.line("note: the run trained on " + std::to_string(plan_.stored.value("ranks", 1)) +
              " ranks and continues on " + std::to_string(ranks_.size()) +
              "; the batches, so the numbers, differ from an uninterrupted run");
}

std::function<void(const BatchProgress&)> RunRecorder::progress_reporter() {
  return cli::progress_reporter(log_, a_.epochs);
}

void RunRecorder::log_header() {
  cli::log_header(log_, a_, plan_.data->info(), plan_.rows, plan_.spec, model_, plan_.options, workers_);
}

void RunRecorder::stage_checkpoint(RunDirectory::Update& update, int64_t epochs_done,
                                   const json& rng_offsets, const std::optional<EpochInProgress>& partial,
                                   bool best) {
#if defined(ASTROCNN_HAVE_HDF5)
  json with_state = config_;
  with_state["state"] = state_.to_json(epochs_done, partial);
  if (!rng_offsets.is_null()) with_state["state"]["rng_offsets"] = rng_offsets;
  CheckpointMeta meta;
  meta.epoch = epochs_done;
  meta.model = plan_.spec.name;
  meta.config_json = with_state.dump();
  meta.best_metric = state_.best_loss;
  save_checkpoint(update.stage("checkpoint.h5"), model_, &trainer_.optimizer(), meta);
  if (best) save_checkpoint(update.stage("best.h5"), model_, &trainer_.optimizer(), meta);
#else
  (void)update, (void)epochs_done, (void)rng_offsets, (void)partial, (void)best;
#endif
}

void RunRecorder::write_config_if_resumed() {
  if (plan_.resume()) dir_->write_text("config.json", config_.dump(2) + "\n");
}

void RunRecorder::on_epoch(const EpochMetrics& m) {
  json rng_offsets = ranks_.size() > 1 ? gather_rng_offsets(ranks_) : json();
  if (!leader_) return;
  state_.history.push_back(m);
  log_.line(format_epoch(m, a_.epochs));
  log_.line(format_throughput(m, ranks_.size()));
  if (ranks_.size() > 1) log_.line(format_workers(m));
  double loss = m.validation.samples > 0 ? m.validation.loss : m.train.loss;
  bool best = std::isnan(state_.best_loss) || loss < state_.best_loss;
  if (best) state_.best_loss = loss, state_.best_epoch = m.epoch;
  RunDirectory::Update update(*dir_);
  stage_checkpoint(update, m.epoch, rng_offsets, std::nullopt, best);
  fail_write_for_test(*dir_, "metrics.csv", m.epoch);
  update.stage_text("metrics.csv", metrics_csv(state_.history));
  update.commit();
  write_config_if_resumed();
  if (plots_available()) {
    std::unique_ptr<AtomicFile> curves = dir_->new_version("curves.png");
    if (plot_curves(state_.history, title_, *curves)) curves->commit();
  }
}

void RunRecorder::stopped(const EpochInProgress& where) {
  const bool inside_epoch = where.steps > 0;  // the same on every rank
  json rng_offsets = inside_epoch && ranks_.size() > 1 ? gather_rng_offsets(ranks_) : json();
  if (!leader_) return;
  if (inside_epoch) {  // the last complete epoch's checkpoint is there already
    RunDirectory::Update update(*dir_);
    stage_checkpoint(update, where.epoch - 1, rng_offsets, where, /*best=*/false);
    update.commit();
    write_config_if_resumed();
  }
  const int signal = StopSignals::received();
  const std::string why = signal ? StopSignals::name(signal) : std::string("a signal to another rank");
  const std::string at = inside_epoch
      ? "in epoch " + std::to_string(where.epoch) + " after step " + std::to_string(where.steps) +
            " of " + std::to_string(train_batches_.batches_per_epoch())
      : "after epoch " + std::to_string(where.epoch - 1) + " of " + std::to_string(a_.epochs);
  log_.line("stopped by " + why + " " + at + "; checkpoint saved; to continue: astrocnn train --out " +
            shell_quoted(a_.out) + " --resume");
}

void RunRecorder::finished(const std::string& trace_report) {
  log_.line("best epoch " + std::to_string(state_.best_epoch) + ": " +
            (plan_.rows.validation.empty() ? "train" : "validation") + " loss " +
            format("%.4f", state_.best_loss) + "; run directory " + a_.out);
  if (!trace_report.empty()) log_.line(trace_report);
}

}  // namespace astrocnn::cli
