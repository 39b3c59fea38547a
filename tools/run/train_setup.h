// The checks `astrocnn train` makes before it writes anything, and the
// pieces of a run's configuration they produce (tools/commands/cmd_train.cpp).
#pragma once
#include <memory>
#include <string>

#include "core/distributed.h"
#include "models/train/trainer.h"
#include "tools/run/checkpoint_model.h"
#include "tools/options/data_source.h"
#include "tools/run/run_config.h"

namespace CLI { class App; }

namespace astrocnn::cli {

// Stage 1 of `astrocnn train`, everything checked and nothing written: the
// options (merged with the resumed run's), the trainer's typed options, the
// data opened, the model described and the rows split. Rank 0 (`leader`)
// also checks the run directory: its files, its lock, and that it holds a
// run to resume (or none, for a new run).
struct TrainingPlan {
  TrainArgs args;
  TrainOptions options;
  json stored;             // --resume: the run's config.json from its checkpoint
  std::string checkpoint;  // --resume: its checkpoint.h5
  std::unique_ptr<DataSource> data;
  ModelSpec spec;
  SplitRows rows;
  // config.json's "init_from": --init-from's file and the parts it left
  // re-initialised (init_weights_from, tools/run/train_state.h); kept from the stored config on
  // --resume; null without.
  json init_from;
  bool resume() const { return args.resume; }
};
TrainingPlan plan_training(TrainArgs a, const CLI::App& sub, bool leader);

// runs/<model>-<date>-<time>, made unique with a suffix.
std::string default_run_directory(const std::string& model);

// --resume: the original run's options (stored_options, from its checkpoint),
// with --epochs, --threads and --device taken from the command line when
// given. Any other option given must repeat the original value.
TrainArgs merge_resumed_options(const TrainArgs& given, const CLI::App& sub,
                                const json& stored_options, const std::string& checkpoint);

// The options that name a value (--model, --kind, --loss, --schedule,
// --fill, --device, --precision) and the augmentation's, checked without
// side effects (no CUDA device is looked for, no thread count set).
void check_option_names(const TrainArgs& a);

// The options that need no data, checked before the data are made or read;
// applies --threads and returns the trainer's options.
TrainOptions check_options(const TrainArgs& a);

// -f PATH (any format of io/readers/data_files.h), or the built-in set of --kind,
// -n, --size and --seed.
std::unique_ptr<DataSource> open_data(const TrainArgs& a);

// This process's training batches over `rows`: all of them, shuffled each
// epoch, when it trains alone; with several ranks its share by -m
// (models/train/sharding.h), with noise drawn from a stream of its own. `data`
// must outlive the result.
std::unique_ptr<BatchSource> worker_training_batches(const DataSource& data, const TrainArgs& a,
                                                     const std::vector<int64_t>& rows,
                                                     const Communicator& ranks);
// "-m -1: every rank reads the whole set", and so on, for the log.
std::string shard_mode_text(int64_t shard_epochs);

// The model's outputs: one per label column, or one per class (--outputs may
// give more classes than the file names).
int64_t model_outputs(const TrainArgs& a, const DataInfo& d);

// config.json's "data" section.
json data_to_json(const DataInfo& d, const SplitRows& rows);

// --resume must see the same data as the run it continues (the section above).
void check_same_data(const json& stored, const DataInfo& d, const std::string& checkpoint);

}  // namespace astrocnn::cli
