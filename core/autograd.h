// The autograd tape.
//
// Every differentiable op that runs while gradients are enabled creates a
// Node and attaches it to its output tensor as grad_fn. The Node keeps the
// op's inputs (strong references) and whatever it saved for backward, so the
// graph is simply the chain of grad_fn pointers from the loss back to the
// leaves. backward() walks that graph once in reverse topological order,
// calls each Node's backward with the gradient of its output, sums gradients
// that meet at a tensor, and accumulates the result into leaves' .grad.
// A Node must never hold its own output with grad_fn set (that would be a
// reference cycle): save `output.detach()` instead.
#pragma once
#include <memory>
#include <utility>
#include <vector>

#include "core/tensor/tensor.h"

namespace astrocnn {

struct Node {
  virtual ~Node() = default;
  // Gradients with respect to each input, in the order of `inputs`. An
  // undefined Tensor means "no gradient" (e.g. for integer labels).
  virtual std::vector<Tensor> backward(const Tensor& grad_output) = 0;
  virtual const char* name() const = 0;

  std::vector<Tensor> inputs;  // set by record()
};

// True unless a NoGradGuard is alive on this thread.
bool grad_enabled();

// Disables recording for its lifetime (evaluation, optimiser updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when an op on these inputs must be recorded.
bool needs_grad(const std::vector<Tensor>& inputs);

// Attaches `node` (with `inputs`) as the grad_fn of `output` and marks the
// output as requiring grad. Call only when needs_grad(inputs).
void record(std::shared_ptr<Node> node, std::vector<Tensor> inputs, Tensor& output);

// How an op records itself, after its forward kernel has filled `output`:
//
//   if (auto node = record_node<ReluNode>({x}, y)) node->y = y.detach();
//
// When needs_grad(inputs), makes a new N the grad_fn of `output`, with
// `inputs` (the tensors its backward returns gradients for, in this order),
// and returns it for the op to store what its backward needs: the node is
// shared with `output`, so what is stored after this call is what backward
// sees. Otherwise it records nothing and returns null, so that eval and
// no-grad code build no graph and save nothing.
template <class N>
std::shared_ptr<N> record_node(std::vector<Tensor> inputs, Tensor& output);

// The same, recorded when `wanted` rather than when needs_grad(inputs): for
// an op whose inputs include data that must not decide (a loss's labels).
template <class N>
std::shared_ptr<N> record_node_if(bool wanted, std::vector<Tensor> inputs, Tensor& output) {
  if (!wanted) return nullptr;
  auto node = std::make_shared<N>();
  record(node, std::move(inputs), output);
  return node;
}

template <class N>
std::shared_ptr<N> record_node(std::vector<Tensor> inputs, Tensor& output) {
  const bool wanted = needs_grad(inputs);  // before `inputs` is moved from
  return record_node_if<N>(wanted, std::move(inputs), output);
}

// Backpropagates from a one-element tensor (seed gradient 1). The graph is
// released afterwards (as PyTorch does without retain_graph).
void run_backward(const Tensor& root);

// acc += g, for gradient accumulation. acc may be undefined (then it becomes a copy of g).
void accumulate_grad(std::shared_ptr<TensorImpl>& acc, const Tensor& g);

}  // namespace astrocnn
