// TEMPORARY: placeholders until loss.cpp / sgd.cpp land; delete this file then.
#include "kernels/reference/reference_backend.h"
namespace astrocnn {
void ReferenceBackend::softmax_xent_forward(const Tensor&, const Tensor&, Tensor&, Tensor&) { missing("softmax_xent_forward"); }
void ReferenceBackend::softmax_xent_backward(const Tensor&, const Tensor&, const Tensor&, Tensor&) { missing("softmax_xent_backward"); }
void ReferenceBackend::mse_forward(const Tensor&, const Tensor&, Tensor&) { missing("mse_forward"); }
void ReferenceBackend::mse_backward(const Tensor&, const Tensor&, const Tensor&, Tensor&) { missing("mse_backward"); }
void ReferenceBackend::cosine_loss_forward(const Tensor&, const Tensor&, Tensor&) { missing("cosine_loss_forward"); }
void ReferenceBackend::cosine_loss_backward(const Tensor&, const Tensor&, const Tensor&, Tensor&) { missing("cosine_loss_backward"); }
void ReferenceBackend::sgd_update(const SgdParams&, Tensor&, const Tensor&, Tensor&) { missing("sgd_update"); }
}  // namespace astrocnn
