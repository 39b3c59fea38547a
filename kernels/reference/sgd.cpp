// Reference kernel: one SGD step on one parameter, in place, with exactly the
// update of PyTorch's torch.optim.SGD (written out in kernels/params.h).
// Arithmetic is in double; the parameter and velocity are rounded to T once
// per step when stored.
#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

template <class T>
void sgd_update_ref(const SgdParams& p, T* param, const T* grad, T* velocity, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double d = grad[i];
    // The terms are skipped, not multiplied by 0, when their coefficient is
    // 0, as PyTorch does: 0 * inf would otherwise turn an inf into NaN.
    if (p.weight_decay != 0) d += p.weight_decay * static_cast<double>(param[i]);
    if (p.momentum != 0) {
      // The first step starts the velocity at d itself (no dampening), as PyTorch does.
      double v = p.first_step ? d
                              : p.momentum * static_cast<double>(velocity[i]) + (1.0 - p.dampening) * d;
      velocity[i] = static_cast<T>(v);
      d = p.nesterov ? d + p.momentum * v : v;
    }
    param[i] = static_cast<T>(static_cast<double>(param[i]) - p.lr * d);
  }
}

}  // namespace

// `velocity` is only touched when momentum != 0 (it may be undefined otherwise).
void ReferenceBackend::sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad,
                                  Tensor& velocity) {
  ASTRO_REFERENCE_DISPATCH(param.dtype(), T,
                           sgd_update_ref(p, param.data<T>(), grad.data<T>(),
                                          p.momentum != 0 ? velocity.data<T>() : nullptr,
                                          param.numel()));
}

}  // namespace astrocnn
