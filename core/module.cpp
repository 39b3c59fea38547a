#include "core/module.h"

#include <algorithm>
#include <map>

namespace astrocnn {

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  t.set_requires_grad(true);
  params_.emplace_back(name, std::make_shared<Tensor>(std::move(t)));
  return *params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, std::make_shared<Tensor>(std::move(t)));
  return *buffers_.back().second;
}

void Module::visit(const std::string& prefix,
                   const std::function<void(const std::string&, const Module&)>& fn) const {
  fn(prefix, *this);
  for (const auto& [name, child] : children_) child->visit(prefix + name + ".", fn);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  visit("", [&](const std::string& prefix, const Module& m) {
    for (const auto& [n, t] : m.params_) out.emplace_back(prefix + n, *t);
  });
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  visit("", [&](const std::string& prefix, const Module& m) {
    for (const auto& [n, t] : m.buffers_) out.emplace_back(prefix + n, *t);
  });
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  visit("", [&](const std::string& prefix, const Module& m) {
    for (const auto& [n, t] : m.params_) out.emplace_back(prefix + n, *t);
    for (const auto& [n, t] : m.buffers_) out.emplace_back(prefix + n, *t);
  });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::load_state_dict(const NamedTensors& state) {
  std::map<std::string, Tensor> given(state.begin(), state.end());
  std::vector<std::string> missing;
  NamedTensors mine = state_dict();
  for (auto& [name, t] : mine) {
    auto it = given.find(name);
    if (it == given.end()) {
      missing.push_back(name);
      continue;
    }
    ASTRO_CHECK(it->second.shape() == t.shape(), "state '", name, "' has shape ",
                shape_str(it->second.shape()), ", the model expects ", shape_str(t.shape()));
    given.erase(it);
  }
  if (!missing.empty() || !given.empty()) {
    std::string msg = "state does not match the model:";
    for (auto& m : missing) msg += " missing '" + m + "'";
    for (auto& [n, t] : given) msg += " unexpected '" + n + "'";
    throw Error(msg);
  }
  std::map<std::string, Tensor> src(state.begin(), state.end());
  for (auto& [name, t] : mine) {
    Tensor v = src[name].to(t.dtype()).to(t.device());
    Tensor dst = t;  // handle to the same impl
    dst.copy_from(v);
  }
}

void Module::train(bool on) {
  visit("", [&](const std::string&, const Module& m) {
    auto& mm = const_cast<Module&>(m);
    mm.training_ = on;
    mm.on_train_mode_changed();
  });
}

void Module::convert_all(const std::function<Tensor(const Tensor&)>& fn) {
  visit("", [&](const std::string&, const Module& m) {
    auto& mm = const_cast<Module&>(m);
    // Replace the impl's contents so every handle to the tensor sees the change.
    auto swap_in = [&](Tensor& t) {
      Tensor n = fn(t);
      if (n.same(t)) return;
      TensorImpl& dst = t.impl();
      const TensorImpl& src = n.impl();
      dst.storage = src.storage;
      dst.dtype = src.dtype;
      dst.device = src.device;
      dst.grad.reset();
    };
    for (auto& [n, t] : mm.params_) swap_in(*t);
    for (auto& [n, t] : mm.buffers_) swap_in(*t);
  });
}

void Module::to(Device d) { convert_all([d](const Tensor& t) { return t.to(d); }); }
// Like PyTorch, only floating-point tensors change dtype (num_batches_tracked stays int64).
void Module::to(DType dt) {
  convert_all([dt](const Tensor& t) { return t.dtype() == DType::I64 ? t : t.to(dt); });
}

OnnxValue Module::export_onnx(OnnxGraph&, const std::string& path, const OnnxValue&) {
  throw Error("ONNX export: layer '" + path + "' (" + type_name() + ") has no ONNX mapping; " +
              "implement export_onnx in its layer file (see core/onnx_graph.h)");
}

OnnxValue Module::export_children_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x) {
  OnnxValue y = x;
  for (const auto& [name, child] : children_)
    y = child->export_onnx(g, onnx_child_path(path, name), y);
  return y;
}

void Module::zero_grad() {
  for (auto& [n, t] : named_parameters()) t.zero_grad();
}

}  // namespace astrocnn
