// Argument checks shared by the op files (internal to core/ops/).
#pragma once
#include <initializer_list>
#include <string>

#include "core/autograd.h"
#include "kernels/backend.h"

namespace astrocnn::ops::detail {

// Every tensor is defined, floating point, and on the same device with the same dtype.
inline void check_floats(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    ASTRO_CHECK(t->dtype() != DType::I64, op, ": expected a floating-point tensor, got ", t->str());
    if (!first) { first = t; continue; }
    ASTRO_CHECK(t->dtype() == first->dtype() && t->device() == first->device(), op,
                ": tensors must share dtype and device, got ", first->str(), " and ", t->str());
  }
}

inline void check_rank(const char* op, const char* what, const Tensor& t, int64_t rank) {
  ASTRO_CHECK(t.defined(), op, ": ", what, " is undefined");
  ASTRO_CHECK(t.dim() == rank, op, ": ", what, " must have ", rank, " dimensions, got ", t.str());
}

inline Tensor empty_like(const Tensor& t) { return Tensor::empty(t.shape(), t.dtype(), t.device()); }

}  // namespace astrocnn::ops::detail
