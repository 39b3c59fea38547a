#include "core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "core/trace.h"
#include "kernels/backend.h"

namespace astrocnn {

namespace {
thread_local bool t_grad_enabled = true;
}

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(std::shared_ptr<Node> node, std::vector<Tensor> inputs, Tensor& output) {
  node->inputs = std::move(inputs);
  output.impl().grad_fn = std::move(node);
  output.impl().requires_grad = true;
}

void accumulate_grad(std::shared_ptr<TensorImpl>& acc, const Tensor& g) {
  if (!acc) {
    // Share g rather than copy it: gradients are never written in place (a
    // sum below makes a new tensor), so sharing storage with another gradient
    // is safe, and it saves a copy of every gradient.
    acc = g.detach().impl_ptr();
    return;
  }
  Tensor a(acc);
  ASTRO_CHECK(a.shape() == g.shape(), "gradient shape ", g.str(), " does not match ", a.str());
  Tensor sum = Tensor::empty(a.shape(), a.dtype(), a.device());
  backend_for(a).add(a, g, sum);
  acc = sum.impl_ptr();
}

namespace {

// The tensors of root's graph that have a grad_fn, each after every tensor
// it was computed from (root last; empty when root has no grad_fn). An
// iterative depth-first search, so that deep ResNets do not overflow the
// stack.
std::vector<std::shared_ptr<TensorImpl>> graph_order(const Tensor& root) {
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_set<TensorImpl*> seen;
  struct Frame { std::shared_ptr<TensorImpl> t; size_t next; };
  std::vector<Frame> stack;
  if (root.impl().grad_fn) stack.push_back({root.impl_ptr(), 0});
  seen.insert(root.impl_ptr().get());
  while (!stack.empty()) {
    Frame& f = stack.back();
    auto& ins = f.t->grad_fn->inputs;
    if (f.next < ins.size()) {
      const Tensor& in = ins[f.next++];
      if (in.defined() && in.impl().grad_fn && seen.insert(in.impl_ptr().get()).second)
        stack.push_back({in.impl_ptr(), 0});
    } else {
      order.push_back(f.t);
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace

void run_backward(const Tensor& root) {
  ASTRO_CHECK(root.numel() == 1, "backward() needs a one-element (scalar) tensor, got ", root.str());
  ASTRO_CHECK(root.requires_grad(), "backward() on a tensor that does not require grad");
  NoGradGuard no_grad;  // backward computations are not themselves recorded
  trace::Scope trace_backward("backward");

  const std::vector<std::shared_ptr<TensorImpl>> order = graph_order(root);

  std::unordered_map<TensorImpl*, std::shared_ptr<TensorImpl>> grads;
  Tensor seed = Tensor::full(root.shape(), 1.0, root.dtype(), root.device());
  if (!root.impl().grad_fn) {  // backward on a leaf: its gradient is 1
    accumulate_grad(root.impl().grad, seed);
    return;
  }
  grads[root.impl_ptr().get()] = seed.impl_ptr();

  for (size_t i = order.size(); i-- > 0;) {
    auto& t = order[i];
    auto it = grads.find(t.get());
    if (it == grads.end()) continue;  // no gradient flowed here
    Tensor g(it->second);
    grads.erase(it);
    std::shared_ptr<Node> node = t->grad_fn;
    std::vector<Tensor> in_grads;
    {
      trace::Scope trace_op(node->name(), "backward", g, " backward");
      in_grads = node->backward(g);
    }
    ASTRO_CHECK(in_grads.size() == node->inputs.size(), "autograd: node '", node->name(),
                "' returned ", in_grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (size_t k = 0; k < in_grads.size(); ++k) {
      const Tensor& in = node->inputs[k];
      const Tensor& gk = in_grads[k];
      if (!in.defined() || !in.requires_grad() || !gk.defined()) continue;
      ASTRO_CHECK(gk.shape() == in.shape(), "autograd: node '", node->name(), "' gave gradient ",
                  gk.str(), " for input ", in.str());
      if (in.impl().grad_fn)
        accumulate_grad(grads[in.impl_ptr().get()], gk);
      else
        accumulate_grad(in.impl().grad, gk);
    }
    t->grad_fn.reset();  // release the graph as we go
  }
}

// Tensor::backward (declared in tensor.h) is autograd's entry point, so it
// is defined here, above the kernels, and not with the tensor data.
void Tensor::backward() const { run_backward(*this); }

}  // namespace astrocnn
