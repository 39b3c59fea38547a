// Tensor: a typed, shaped view of reference-counted Storage, plus the
// autograd fields (requires_grad, grad, grad_fn) that the tape needs.
//
// Tensors are always contiguous, row-major (NCHW for images). Copying a
// Tensor copies a handle: both refer to the same TensorImpl, as in PyTorch.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/dtype.h"
#include "core/tensor/error.h"
#include "core/tensor/storage.h"

namespace astrocnn {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);
// Row-major strides of a contiguous tensor of shape s, in elements.
Shape contiguous_strides(const Shape& s);

struct Node;  // core/autograd.h

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // contiguous row-major, in elements
  DType dtype = DType::F32;
  Device device = Device::CPU;

  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated by backward() on leaves
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor, if recorded
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
                     Device device = Device::CPU);
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                            Device device = Device::CPU);
  static Tensor scalar(double value, DType dtype = DType::F32, Device device = Device::CPU) {
    return full({}, value, dtype, device);
  }

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().device; }
  const Shape& strides() const { return impl().strides; }
  std::string str() const;  // "float32[2,3,4] cpu"

  // ---- data ----
  void* raw() { return impl().storage->data(); }
  const void* raw() const { return impl().storage->data(); }
  template <class T> T* data() { check_type<T>(); return static_cast<T*>(raw()); }
  template <class T> const T* data() const { check_type<T>(); return static_cast<const T*>(raw()); }
  template <class T> std::vector<T> to_vector() const;  // copies to host
  double item() const;                                   // the single element, as double

  // ---- conversions (not recorded by autograd) ----
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  Tensor clone() const;
  Tensor detach() const;  // same storage, no autograd history
  void copy_from(const Tensor& src);  // same shape and dtype; any devices

  // ---- views (recorded by autograd) ----
  // Views that autograd sees as ops: defined in core/ops/view.cpp.
  Tensor reshape(const Shape& shape) const;  // one dimension may be -1
  Tensor flatten(int64_t start_dim = 1) const;

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool on);
  Tensor grad() const { return Tensor(impl().grad); }  // undefined until backward() reached it
  void zero_grad() { impl().grad.reset(); }
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  std::shared_ptr<Node> grad_fn() const { return impl().grad_fn; }
  void backward() const;  // from a one-element tensor; defined in core/autograd.cpp

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  template <class T> void check_type() const;
  std::shared_ptr<TensorImpl> impl_;
};

template <class T>
void Tensor::check_type() const {
  ASTRO_CHECK(dtype_of<T>::value == dtype(), "tensor ", str(), " accessed as ",
              dtype_name(dtype_of<T>::value));
}

}  // namespace astrocnn
