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

// Backpropagates from a one-element tensor (seed gradient 1). The graph is
// released afterwards (as PyTorch does without retain_graph).
void run_backward(const Tensor& root);

// acc += g, for gradient accumulation. acc may be undefined (then it becomes a copy of g).
void accumulate_grad(std::shared_ptr<TensorImpl>& acc, const Tensor& g);

}  // namespace astrocnn
