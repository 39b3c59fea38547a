// Module: a layer or a network. It owns named parameters (trainable
// tensors), named buffers (state such as batch-norm running statistics) and
// named child modules, and names them like PyTorch's state_dict
// ("conv1.weight", "layer1.0.bn1.running_mean"), so checkpoints map one to one.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/onnx_graph.h"
#include "core/tensor/tensor.h"

namespace astrocnn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  virtual std::string type_name() const = 0;

  // `astrocnn export`: appends the ONNX nodes that compute this module
  // (named `path` in the state_dict) on `x`, and returns their result with
  // its probe, this module's forward() on x.probe (core/onnx_graph.h). Each
  // layer implements it in its own file; the default is an Error naming the
  // layer, never a silently wrong graph.
  virtual OnnxValue export_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x);
  // The children's export_onnx in order, each named path.child: the graph
  // of a chain of layers (Sequential, models::Chain).
  OnnxValue export_children_onnx(OnnxGraph& g, const std::string& path, const OnnxValue& x);

  // All parameters / buffers of this module and its children, depth first,
  // in registration order, with dotted names.
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  NamedTensors state_dict() const;  // parameters then buffers, per module, like PyTorch
  std::vector<Tensor> parameters() const;
  int64_t parameter_count() const;

  // Copies values from `state` (names must match exactly and shapes agree;
  // a missing or unexpected name is an Error that lists it).
  void load_state_dict(const NamedTensors& state);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves/converts every parameter and buffer in place (tensors keep their identity).
  void to(Device d);
  void to(DType t);

  void zero_grad();

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }
  virtual void on_train_mode_changed() {}

 private:
  void visit(const std::string& prefix,
             const std::function<void(const std::string&, const Module&)>& fn) const;
  void convert_all(const std::function<Tensor(const Tensor&)>& fn);

  bool training_ = true;
  // Stored as shared_ptr<Tensor> so references returned by register_* stay valid.
  std::vector<std::pair<std::string, std::shared_ptr<Tensor>>> params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace astrocnn
