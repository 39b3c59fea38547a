// TEMPORARY: placeholders until conv2d.cpp / pool.cpp land; delete this file then.
#include "kernels/reference/reference_backend.h"
namespace astrocnn {
void ReferenceBackend::conv2d_forward(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor*, Tensor&) { missing("conv2d_forward"); }
void ReferenceBackend::conv2d_backward_data(const Conv2dParams&, const Tensor&, const Tensor&, Tensor&) { missing("conv2d_backward_data"); }
void ReferenceBackend::conv2d_backward_weights(const Conv2dParams&, const Tensor&, const Tensor&, Tensor&, Tensor*) { missing("conv2d_backward_weights"); }
void ReferenceBackend::max_pool2d_forward(const Pool2dParams&, const Tensor&, Tensor&) { missing("max_pool2d_forward"); }
void ReferenceBackend::max_pool2d_backward(const Pool2dParams&, const Tensor&, const Tensor&, Tensor&) { missing("max_pool2d_backward"); }
void ReferenceBackend::avg_pool2d_forward(const Pool2dParams&, const Tensor&, Tensor&) { missing("avg_pool2d_forward"); }
void ReferenceBackend::avg_pool2d_backward(const Pool2dParams&, const Tensor&, Tensor&) { missing("avg_pool2d_backward"); }
void ReferenceBackend::global_avg_pool_forward(const Tensor&, Tensor&) { missing("global_avg_pool_forward"); }
void ReferenceBackend::global_avg_pool_backward(const Tensor&, Tensor&) { missing("global_avg_pool_backward"); }
}  // namespace astrocnn
