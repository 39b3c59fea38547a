// The fused SGD update: a plain loop over contiguous float32, on every thread.
#include <cmath>

#include "kernels/cpu/dnnl_context.h"
#include "kernels/cpu/onednn_backend.h"

namespace astrocnn {

// ---- SGD, PyTorch's semantics (see SgdParams), each element in double as in
// the reference, so both round the same values once ----
void OneDnnBackend::sgd_update(const SgdParams& p, Tensor& param, const Tensor& grad,
                               Tensor& velocity) {
  cpu::require_f32("sgd_update", param);
  float* w = param.data<float>();
  const float* g = grad.data<float>();
  const bool use_momentum = p.momentum != 0.0;
  float* v = use_momentum ? velocity.data<float>() : nullptr;
  cpu::parallel_for(param.numel(), [=](int64_t i) {
    double d = g[i];
    if (p.weight_decay != 0) d += p.weight_decay * static_cast<double>(w[i]);  // skipped at 0: 0 * inf
    if (use_momentum) {
      double buf = p.first_step ? d : p.momentum * v[i] + (1.0 - p.dampening) * d;
      v[i] = static_cast<float>(buf);
      d = p.nesterov ? d + p.momentum * buf : buf;
    }
    w[i] = static_cast<float>(w[i] - p.lr * d);
  });
}

}  // namespace astrocnn
