// Losses run on the reference backend: they touch N x C numbers once per
// step, negligible next to the layers, and sharing the oracle's code keeps
// the two backends' losses identical.
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {

void OneDnnBackend::softmax_xent_forward(const Tensor& logits, const Tensor& labels, Tensor& probs,
                                         Tensor& loss) {
  reference_backend().softmax_xent_forward(logits, labels, probs, loss);
}
void OneDnnBackend::softmax_xent_backward(const Tensor& probs, const Tensor& labels,
                                          const Tensor& gloss, Tensor& dlogits) {
  reference_backend().softmax_xent_backward(probs, labels, gloss, dlogits);
}
void OneDnnBackend::mse_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  reference_backend().mse_forward(pred, target, loss);
}
void OneDnnBackend::mse_backward(const Tensor& pred, const Tensor& target, const Tensor& gloss,
                                 Tensor& dpred) {
  reference_backend().mse_backward(pred, target, gloss, dpred);
}
void OneDnnBackend::cosine_loss_forward(const Tensor& pred, const Tensor& target, Tensor& loss) {
  reference_backend().cosine_loss_forward(pred, target, loss);
}
void OneDnnBackend::cosine_loss_backward(const Tensor& pred, const Tensor& target,
                                         const Tensor& gloss, Tensor& dpred) {
  reference_backend().cosine_loss_backward(pred, target, gloss, dpred);
}

}  // namespace astrocnn
