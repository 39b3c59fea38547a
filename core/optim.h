// The optimiser (SGD with momentum, PyTorch's torch.optim.SGD) and the
// learning-rate schedules the trainer applies once per epoch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/module.h"
#include "core/tensor/tensor.h"
#include "kernels/params.h"  // SgdOptions: the hyper-parameters, and the update they define

namespace astrocnn {

class SGD {
 public:
  // `params` as from Module::named_parameters(); the optimiser keeps handles
  // to the same tensors and updates them in place. Names must be unique.
  SGD(const NamedTensors& params, const SgdOptions& options);

  // One update of every parameter that has a .grad (others are left alone, and
  // get their momentum buffer on the first step they do have a gradient).
  void step();
  // Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  double lr() const { return options_.lr; }
  void set_lr(double lr);
  const SgdOptions& options() const { return options_; }
  int64_t steps_taken() const { return steps_; }

  // A snapshot (copies) of the optimiser's state, for checkpoints:
  // "<param name>.momentum_buffer" for each parameter that has one, then
  // "step" (int64 scalar, the number of step() calls so far).
  NamedTensors state() const;
  // Restores a state() snapshot. Every name must be known and every buffer's
  // shape must match its parameter; nothing changes when a check fails.
  // Parameters without a buffer in `state` start afresh (first step).
  void load_state(const NamedTensors& state);

 private:
  struct Slot {
    std::string name;
    Tensor param;
    Tensor velocity;  // the momentum buffer; undefined until its first step with momentum
  };
  std::vector<Slot> slots_;
  SgdOptions options_;
  int64_t steps_ = 0;
};

// ---- learning-rate schedules ----
// lr_at(epoch) is the learning rate of epoch `epoch`, counted from 0 (the first
// epoch), as PyTorch's schedulers count last_epoch.
class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double lr_at(int64_t epoch) const = 0;
};

class ConstantLr final : public LrSchedule {
 public:
  explicit ConstantLr(double lr);
  double lr_at(int64_t epoch) const override;

 private:
  double lr_;
};

// PyTorch's StepLR: base * gamma^floor(epoch / step_size).
class StepLr final : public LrSchedule {
 public:
  StepLr(double base_lr, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t epoch) const override;

 private:
  double base_lr_;
  int64_t step_size_;
  double gamma_;
};

// PyTorch's CosineAnnealingLR in closed form:
//   eta_min + (base - eta_min) * (1 + cos(pi * epoch / t_max)) / 2,
// which falls from base at epoch 0 to eta_min at epoch t_max. Past t_max the
// formula (like PyTorch's closed form) rises again along the cosine.
class CosineLr final : public LrSchedule {
 public:
  CosineLr(double base_lr, int64_t t_max, double eta_min = 0.0);
  double lr_at(int64_t epoch) const override;

 private:
  double base_lr_;
  int64_t t_max_;
  double eta_min_;
};

}  // namespace astrocnn
