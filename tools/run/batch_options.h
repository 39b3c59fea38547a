// The `astrocnn train` options that change the batches on their way to the
// trainer: augmentation (--flip, --rot90, --rotate, --translate, --zoom,
// --brightness, --fill, --augment-validation; io/batches/augment.h), done by a
// worker thread (io/batches/augmented_batches.h), and the one-step timeline
// (--trace, --trace-step; io/batches/traced_batches.h).
//
// --noise joins the augmentation when any other augmentation is on, so that
// it is added after the geometric transforms (interpolation would smooth
// it); it draws the same numbers either way (augment::augment_batch).
#pragma once
#include <memory>
#include <string>

#include "io/batches/augment.h"
#include "io/batches/batch_source.h"
#include "io/batches/traced_batches.h"
#include "tools/options/data_source.h"
#include "tools/run/run_config.h"

namespace CLI { class App; }

namespace astrocnn::cli {

void add_batch_options(CLI::App* sub, TrainArgs& a);

// The augmentation the options ask for, checked (with the image size when
// `info` is given). Its noise is --noise when any other transform is on, else 0.
augment::AugmentOptions augment_options(const TrainArgs& a, const DataInfo* info = nullptr);
// The noise the batch iterators themselves add: --noise when augmentation
// does not take it over (see above), else 0.
double iterator_noise(const TrainArgs& a);

// The wrappers put around the batches, kept to report on after training.
struct BatchWrappers {
  std::string augmentation;         // augment_options().describe(), for the log
  TracedBatches* trace = nullptr;   // inside `train`, with --trace
};

// Wraps `train` in the augmentation and then the trace; `validation` (may
// be null) in the augmentation only with --augment-validation. Each rank of a
// data-parallel run draws its own transforms (from worker_seed(--seed,
// rank)); rank 0 alone writes the trace.
BatchWrappers wrap_batches(const TrainArgs& a, const DataInfo& info, int rank,
                           std::unique_ptr<BatchSource>& train,
                           std::unique_ptr<BatchSource>& validation);

// After training, for the log: "trace: wrote trace.json (training step 2, 57
// slices; open it in https://ui.perfetto.dev)", a note when the step never
// came, or "" without --trace.
std::string trace_report(const BatchWrappers& wrappers, const TrainArgs& a);

// Checks that --trace can be written before the run starts.
void check_trace_path(const TrainArgs& a);

}  // namespace astrocnn::cli
