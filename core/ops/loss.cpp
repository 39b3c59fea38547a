// Differentiable losses: softmax cross-entropy, MSE, RMSE and cosine loss.
// Each returns a rank-0 (one-element) tensor. Gradients flow to the
// prediction (logits) only: labels and regression targets are data, so their
// gradient slot is always undefined.
#include <cmath>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/ops/common.h"
#include "core/trace.h"

namespace astrocnn::ops {
using namespace detail;

namespace {

Tensor empty_scalar_like(const Tensor& t) { return Tensor::empty({}, t.dtype(), t.device()); }

// record_node() for a loss. Labels and targets are data: the loss is recorded
// when the prediction requires grad, never for the data alone, but the node
// keeps both as inputs because its backward reads them.
template <class N>
std::shared_ptr<N> record_loss(const Tensor& pred, const Tensor& data, Tensor& loss) {
  return record_node_if<N>(needs_grad({pred}), {pred, data}, loss);
}

struct SoftmaxXentNode final : Node {
  Tensor probs;  // saved by the forward kernel; inputs: logits, labels
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor &logits = inputs[0], &labels = inputs[1];
    Tensor dlogits = empty_like(logits);
    backend_for(g).softmax_xent_backward(probs, labels, g, dlogits);
    return {dlogits, Tensor()};
  }
  const char* name() const override { return "softmax_cross_entropy"; }
};

// MSE and cosine loss: their backward is one kernel of (pred, target, upstream
// gradient) -> dpred, which the op names (mse_backward, cosine_loss_backward).
struct PredTargetLossNode final : Node {
  using Kernel = void (Backend::*)(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                                   Tensor& dpred);
  const char* op = "";
  Kernel backward_kernel = nullptr;  // inputs: pred, target
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor &pred = inputs[0], &target = inputs[1];
    Tensor dpred = empty_like(pred);
    (backend_for(g).*backward_kernel)(pred, target, g, dpred);
    return {dpred, Tensor()};
  }
  const char* name() const override { return op; }
};

// d sqrt(m)/dm = 1 / (2 sqrt(m)), so RMSE's backward is MSE's backward with
// the upstream gradient scaled by 1/(2 rmse). At rmse == 0 the derivative is
// infinite; we use 0 there (documented in core/ops.h): the prediction is exact
// and there is nothing to correct.
struct RmseNode final : Node {
  double rmse = 0;  // inputs: pred, target
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor &pred = inputs[0], &target = inputs[1];
    double factor = rmse == 0 ? 0.0 : 1.0 / (2.0 * rmse);
    Tensor gmse = Tensor::scalar(g.item() * factor, g.dtype(), g.device());
    Tensor dpred = empty_like(pred);
    backend_for(g).mse_backward(pred, target, gmse, dpred);
    return {dpred, Tensor()};
  }
  const char* name() const override { return "rmse_loss"; }
};

// Checks shared by the regression losses: floats, same dtype/device, same shape, not empty.
void check_pred_target(const char* op, const Tensor& pred, const Tensor& target) {
  ASTRO_CHECK(pred.defined() && target.defined(), op, ": prediction or target is undefined");
  check_floats(op, {&pred, &target});
  ASTRO_CHECK(pred.shape() == target.shape(), op, ": prediction ", pred.str(),
              " and target ", target.str(), " must have the same shape");
  ASTRO_CHECK(pred.numel() > 0, op, ": needs at least one element, got ", pred.str());
}

// Labels are int64 [N] on the logits' device, each in [0, C). They are checked
// on the host: an out-of-range label would make the kernel read out of bounds.
void check_labels(const Tensor& logits, const Tensor& labels) {
  const char* op = "softmax_cross_entropy";
  ASTRO_CHECK(labels.defined(), op, ": labels are undefined");
  ASTRO_CHECK(labels.dtype() == DType::I64, op, ": labels must be int64 class indices, got ",
              labels.str());
  ASTRO_CHECK(labels.device() == logits.device(), op, ": labels ", labels.str(),
              " must be on the device of the logits ", logits.str());
  ASTRO_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), op, ": labels ",
              labels.str(), " must have shape [", logits.size(0), "] to match logits ",
              logits.str());
  const int64_t C = logits.size(1);
  std::vector<int64_t> host = labels.to_vector<int64_t>();
  for (size_t i = 0; i < host.size(); ++i)
    ASTRO_CHECK(host[i] >= 0 && host[i] < C, op, ": label ", host[i], " at index ", i,
                " is out of range [0, ", C, ")");
}

}  // namespace

Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels) {
  trace::Scope trace_op("softmax_cross_entropy", "loss", logits);
  const char* op = "softmax_cross_entropy";
  check_rank(op, "logits", logits, 2);
  check_floats(op, {&logits});
  ASTRO_CHECK(logits.size(0) > 0 && logits.size(1) > 0, op,
              ": needs at least one sample and one class, got logits ", logits.str());
  check_labels(logits, labels);

  Tensor probs = empty_like(logits);
  Tensor loss = empty_scalar_like(logits);
  backend_for(logits).softmax_xent_forward(logits, labels, probs, loss);
  if (auto node = record_loss<SoftmaxXentNode>(logits, labels, loss)) node->probs = probs;
  return loss;
}

Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  trace::Scope trace_op("mse_loss", "loss", pred);
  check_pred_target("mse_loss", pred, target);
  Tensor loss = empty_scalar_like(pred);
  backend_for(pred).mse_forward(pred, target, loss);
  if (auto node = record_loss<PredTargetLossNode>(pred, target, loss)) {
    node->op = "mse_loss";
    node->backward_kernel = &Backend::mse_backward;
  }
  return loss;
}

Tensor rmse_loss(const Tensor& pred, const Tensor& target) {
  trace::Scope trace_op("rmse_loss", "loss", pred);
  check_pred_target("rmse_loss", pred, target);
  Tensor mse = empty_scalar_like(pred);
  backend_for(pred).mse_forward(pred, target, mse);
  double rmse = std::sqrt(mse.item());
  Tensor loss = Tensor::scalar(rmse, pred.dtype(), pred.device());
  if (auto node = record_loss<RmseNode>(pred, target, loss)) node->rmse = rmse;
  return loss;
}

Tensor cosine_loss(const Tensor& pred, const Tensor& target) {
  trace::Scope trace_op("cosine_loss", "loss", pred);
  check_rank("cosine_loss", "prediction", pred, 2);
  check_pred_target("cosine_loss", pred, target);
  Tensor loss = empty_scalar_like(pred);
  backend_for(pred).cosine_loss_forward(pred, target, loss);
  if (auto node = record_loss<PredTargetLossNode>(pred, target, loss)) {
    node->op = "cosine_loss";
    node->backward_kernel = &Backend::cosine_loss_backward;
  }
  return loss;
}

}  // namespace astrocnn::ops
