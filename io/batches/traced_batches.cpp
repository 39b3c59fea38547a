#include "io/batches/traced_batches.h"

#include <utility>

#include "core/tensor/error.h"
#include "io/output_file.h"

namespace astrocnn {

TracedBatches::TracedBatches(std::unique_ptr<BatchSource> source, std::string path, int64_t step)
    : source_(std::move(source)), path_(std::move(path)), step_(step) {
  ASTRO_CHECK(source_ != nullptr, "TracedBatches: no source of batches");
  ASTRO_CHECK(step >= 1, "--trace-step must be >= 1, got ", step);
}

TracedBatches::~TracedBatches() {
  try {
    finish();
  } catch (const Error&) {
    // A destructor cannot report it; the run itself is unaffected.
  }
}

void TracedBatches::start_epoch(int64_t epoch) {
  finish();
  source_->start_epoch(epoch);
}

bool TracedBatches::next(Tensor& x, Tensor& y) {
  finish();  // the traced step ends where the trainer asks for the next batch
  if (!source_->next(x, y)) return false;
  if (++handed_out_ == step_) {
    trace::start();
    open_step_.emplace("training step", "step");
  }
  return true;
}

void TracedBatches::finish() {
  if (!open_step_) return;
  open_step_.reset();  // ends the slice
  std::vector<trace::Event> events = trace::stop();
  slices_ = static_cast<int64_t>(events.size());
  write_file_atomically(path_, trace::chrome_trace_json(events), "--trace");
  written_ = true;
}

}  // namespace astrocnn
