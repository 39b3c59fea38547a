#include "core/optim.h"

#include <cmath>
#include <map>
#include <set>

#include "core/autograd.h"
#include "core/trace.h"
#include "kernels/backend.h"

namespace astrocnn {

namespace {

const char kBufferSuffix[] = ".momentum_buffer";
const char kStepName[] = "step";

// The checks torch.optim.SGD makes on its hyper-parameters.
void check_options(const SgdOptions& o) {
  ASTRO_CHECK(std::isfinite(o.lr) && o.lr >= 0, "SGD: learning rate must be >= 0, got ", o.lr);
  ASTRO_CHECK(std::isfinite(o.momentum) && o.momentum >= 0, "SGD: momentum must be >= 0, got ",
              o.momentum);
  ASTRO_CHECK(std::isfinite(o.dampening), "SGD: dampening must be finite, got ", o.dampening);
  ASTRO_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0,
              "SGD: weight_decay must be >= 0, got ", o.weight_decay);
  ASTRO_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
              "SGD: nesterov momentum needs momentum > 0 and dampening == 0, got momentum ",
              o.momentum, " and dampening ", o.dampening);
}

}  // namespace

SGD::SGD(const NamedTensors& params, const SgdOptions& options) : options_(options) {
  check_options(options_);
  ASTRO_CHECK(!params.empty(), "SGD: got an empty parameter list");
  std::set<std::string> names;
  for (const auto& [name, t] : params) {
    ASTRO_CHECK(t.defined(), "SGD: parameter '", name, "' is undefined");
    ASTRO_CHECK(t.dtype() != DType::I64, "SGD: parameter '", name,
                "' must be floating point, got ", t.str());
    ASTRO_CHECK(names.insert(name).second, "SGD: parameter name '", name, "' appears twice");
    slots_.push_back({name, t, Tensor()});
  }
}

void SGD::set_lr(double lr) {
  ASTRO_CHECK(std::isfinite(lr) && lr >= 0, "SGD: learning rate must be >= 0, got ", lr);
  options_.lr = lr;
}

void SGD::step() {
  NoGradGuard no_grad;  // the update is not part of any graph
  trace::Scope trace_step("sgd step", "optimizer");
  for (Slot& s : slots_) {
    Tensor grad = s.param.grad();
    if (!grad.defined()) continue;
    ASTRO_CHECK(grad.shape() == s.param.shape() && grad.dtype() == s.param.dtype() &&
                    grad.device() == s.param.device(),
                "SGD: gradient ", grad.str(), " does not match parameter '", s.name, "' ",
                s.param.str());
    const SgdParams p{options_, /*first_step=*/!s.velocity.defined()};
    if (options_.momentum != 0) {
      if (!s.velocity.defined())
        s.velocity = Tensor::empty(s.param.shape(), s.param.dtype(), s.param.device());
      // The model may have been moved (Module::to) since the buffer was made.
      if (s.velocity.dtype() != s.param.dtype() || s.velocity.device() != s.param.device())
        s.velocity = s.velocity.to(s.param.dtype()).to(s.param.device());
    }
    backend_for(s.param).sgd_update(p, s.param, grad, s.velocity);
  }
  ++steps_;
}

void SGD::zero_grad() {
  for (Slot& s : slots_) s.param.zero_grad();
}

NamedTensors SGD::state() const {
  NamedTensors out;
  for (const Slot& s : slots_)
    if (s.velocity.defined()) out.emplace_back(s.name + kBufferSuffix, s.velocity.clone());
  out.emplace_back(kStepName, Tensor::scalar(static_cast<double>(steps_), DType::I64));
  return out;
}

void SGD::load_state(const NamedTensors& state) {
  // Validate everything first, so a bad state leaves the optimiser as it was.
  std::map<std::string, const Slot*> by_buffer_name;
  for (const Slot& s : slots_) by_buffer_name[s.name + kBufferSuffix] = &s;

  std::map<std::string, Tensor> buffers;
  const Tensor* step = nullptr;
  for (const auto& [name, t] : state) {
    ASTRO_CHECK(t.defined(), "SGD::load_state: entry '", name, "' is undefined");
    if (name == kStepName) {
      ASTRO_CHECK(t.dtype() == DType::I64 && t.numel() == 1,
                  "SGD::load_state: 'step' must be a one-element int64 tensor, got ", t.str());
      step = &t;
      continue;
    }
    auto it = by_buffer_name.find(name);
    ASTRO_CHECK(it != by_buffer_name.end(), "SGD::load_state: unexpected entry '", name,
                "' (no parameter of that name)");
    const Tensor& param = it->second->param;
    ASTRO_CHECK(t.shape() == param.shape(), "SGD::load_state: '", name, "' has shape ",
                shape_str(t.shape()), ", the parameter has ", shape_str(param.shape()));
    ASTRO_CHECK(t.dtype() != DType::I64, "SGD::load_state: '", name,
                "' must be floating point, got ", t.str());
    ASTRO_CHECK(buffers.emplace(name, t).second, "SGD::load_state: entry '", name,
                "' appears twice");
  }
  ASTRO_CHECK(step != nullptr, "SGD::load_state: missing entry 'step'");

  for (Slot& s : slots_) {
    auto it = buffers.find(s.name + kBufferSuffix);
    if (it == buffers.end()) {
      s.velocity = Tensor();
      continue;
    }
    // A private copy in the parameter's dtype and on its device.
    s.velocity = Tensor::empty(s.param.shape(), s.param.dtype(), s.param.device());
    s.velocity.copy_from(it->second.to(s.param.dtype()));
  }
  steps_ = static_cast<int64_t>(step->item());
}

// ---- learning-rate schedules ----

namespace {
void check_epoch(int64_t epoch) {
  ASTRO_CHECK(epoch >= 0, "learning-rate schedule: epoch must be >= 0, got ", epoch);
}
}  // namespace

ConstantLr::ConstantLr(double lr) : lr_(lr) {
  ASTRO_CHECK(std::isfinite(lr) && lr >= 0, "ConstantLr: learning rate must be >= 0, got ", lr);
}

double ConstantLr::lr_at(int64_t epoch) const {
  check_epoch(epoch);
  return lr_;
}

StepLr::StepLr(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  ASTRO_CHECK(std::isfinite(base_lr) && base_lr >= 0, "StepLr: learning rate must be >= 0, got ",
              base_lr);
  ASTRO_CHECK(step_size > 0, "StepLr: step_size must be > 0, got ", step_size);
  ASTRO_CHECK(std::isfinite(gamma) && gamma > 0, "StepLr: gamma must be > 0, got ", gamma);
}

double StepLr::lr_at(int64_t epoch) const {
  check_epoch(epoch);
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineLr::CosineLr(double base_lr, int64_t t_max, double eta_min)
    : base_lr_(base_lr), t_max_(t_max), eta_min_(eta_min) {
  ASTRO_CHECK(std::isfinite(base_lr) && base_lr >= 0,
              "CosineLr: learning rate must be >= 0, got ", base_lr);
  ASTRO_CHECK(t_max > 0, "CosineLr: t_max must be > 0, got ", t_max);
  ASTRO_CHECK(std::isfinite(eta_min) && eta_min >= 0, "CosineLr: eta_min must be >= 0, got ",
              eta_min);
}

double CosineLr::lr_at(int64_t epoch) const {
  check_epoch(epoch);
  const double pi = std::acos(-1.0);
  double phase = pi * static_cast<double>(epoch) / static_cast<double>(t_max_);
  return eta_min_ + (base_lr_ - eta_min_) * (1.0 + std::cos(phase)) / 2.0;
}

}  // namespace astrocnn
