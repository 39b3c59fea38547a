// TEMPORARY: placeholders until maxout.cpp / dropout.cpp / batchnorm.cpp land; delete this file then.
#include "kernels/reference/reference_backend.h"
namespace astrocnn {
void ReferenceBackend::maxout_forward(int64_t, const Tensor& x, Tensor&) { if (x.dtype() == DType::I64) throw Error("reference backend: unsupported dtype int64"); missing("maxout_forward"); }
void ReferenceBackend::maxout_backward(int64_t, const Tensor&, const Tensor&, Tensor&) { missing("maxout_backward"); }
void ReferenceBackend::dropout_forward(double, uint64_t, uint64_t, const Tensor&, Tensor&, Tensor&) { missing("dropout_forward"); }
void ReferenceBackend::dropout_backward(const Tensor&, const Tensor&, Tensor&) { missing("dropout_backward"); }
void ReferenceBackend::batch_norm_forward_train(const BatchNormParams&, const Tensor&, const Tensor&, const Tensor&, Tensor&, Tensor&, Tensor&, Tensor&, Tensor&) { missing("batch_norm_forward_train"); }
void ReferenceBackend::batch_norm_forward_eval(const BatchNormParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, Tensor&) { missing("batch_norm_forward_eval"); }
void ReferenceBackend::batch_norm_backward(const BatchNormParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, Tensor&, Tensor&, Tensor&) { missing("batch_norm_backward"); }
}  // namespace astrocnn
