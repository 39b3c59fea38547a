// The one-step trace of `astrocnn train --trace trace.json`: a BatchSource
// that wraps the training batches and records (core/trace.h) everything that
// happens between handing out batch number `step` and the next request for
// a batch -- one whole training step: the copy to the device, the forward
// ops, the loss, the backward ops, the SGD step -- as one "training step"
// slice with the others inside it, then writes the Chrome-trace JSON.
//
// The default step is 2, because the first step also pays one-time costs
// (oneDNN primitive creation, CUDA allocator growth) that a user asking
// where the time goes does not want to see.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/trace.h"
#include "io/batches/batch_source.h"

namespace astrocnn {

class TracedBatches final : public BatchSource {
 public:
  // `step` counts the batches this object hands out, from 1, across epochs.
  TracedBatches(std::unique_ptr<BatchSource> source, std::string path, int64_t step = 2);
  ~TracedBatches() override;  // writes the trace if the step was the last thing done

  void start_epoch(int64_t epoch) override;
  bool next(Tensor& x, Tensor& y) override;
  int64_t samples() const override { return source_->samples(); }
  int64_t batches_per_epoch() const override { return source_->batches_per_epoch(); }

  bool written() const { return written_; }
  int64_t slices() const { return slices_; }  // in the written trace

 private:
  void finish();  // closes the step slice and writes the file

  std::unique_ptr<BatchSource> source_;
  std::string path_;
  int64_t step_, handed_out_ = 0;
  std::optional<trace::Scope> open_step_;
  bool written_ = false;
  int64_t slices_ = 0;
};

}  // namespace astrocnn
