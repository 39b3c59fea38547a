#include "core/tensor/tensor.h"

#include <cstring>
#include <sstream>

namespace astrocnn {

std::string shape_str(const Shape& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

TensorImpl& Tensor::impl() const {
  ASTRO_CHECK(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape)
    ASTRO_CHECK(d >= 0, "tensor shape ", shape_str(shape), " has a negative dimension");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->device = device;
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype), device);
  return Tensor(impl);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}

template <class T>
static void fill_host(void* p, int64_t n, double v) {
  T* d = static_cast<T*>(p);
  for (int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(v);
}

static void fill_host_any(void* p, DType t, int64_t n, double v) {
  switch (t) {
    case DType::F32: fill_host<float>(p, n, v); break;
    case DType::F64: fill_host<double>(p, n, v); break;
    case DType::I64: fill_host<int64_t>(p, n, v); break;
  }
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor host = empty(shape, dtype, Device::CPU);
  fill_host_any(host.raw(), dtype, host.numel(), value);
  return device == Device::CPU ? host : host.to(device);
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  ASTRO_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), "from_vector: ",
              values.size(), " values do not fill shape ", shape_str(shape));
  Tensor host = empty(shape, dtype_of<T>::value, Device::CPU);
  if (!values.empty()) std::memcpy(host.raw(), values.data(), values.size() * sizeof(T));
  return device == Device::CPU ? host : host.to(device);
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&, Device);
template Tensor Tensor::from_vector(const std::vector<int64_t>&, const Shape&, Device);

int64_t Tensor::size(int64_t d) const {
  int64_t n = dim();
  if (d < 0) d += n;
  ASTRO_CHECK(d >= 0 && d < n, "dimension ", d, " out of range for tensor ", str());
  return impl().shape[d];
}

std::string Tensor::str() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype())) + shape_str(shape()) + " " + device_name(device());
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  check_type<T>();
  std::vector<T> out(numel());
  if (!out.empty()) device_runtime(device()).copy_to_host(out.data(), raw(), nbytes());
  return out;
}
template std::vector<float> Tensor::to_vector() const;
template std::vector<double> Tensor::to_vector() const;
template std::vector<int64_t> Tensor::to_vector() const;

double Tensor::item() const {
  ASTRO_CHECK(numel() == 1, "item() needs a one-element tensor, got ", str());
  switch (dtype()) {
    case DType::F32: return to_vector<float>()[0];
    case DType::F64: return to_vector<double>()[0];
    case DType::I64: return static_cast<double>(to_vector<int64_t>()[0]);
  }
  return 0;
}

void Tensor::copy_from(const Tensor& src) {
  ASTRO_CHECK(src.shape() == shape() && src.dtype() == dtype(), "copy_from: ", src.str(),
              " into ", str());
  if (nbytes() == 0) return;
  if (device() == Device::CPU && src.device() == Device::CPU)
    std::memcpy(raw(), src.raw(), nbytes());
  else if (device() == Device::CPU)
    device_runtime(src.device()).copy_to_host(raw(), src.raw(), nbytes());
  else if (src.device() == Device::CPU)
    device_runtime(device()).copy_from_host(raw(), src.raw(), nbytes());
  else
    device_runtime(device()).copy_on_device(raw(), src.raw(), nbytes());
}

Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  Tensor out = empty(shape(), dtype(), d);
  out.copy_from(*this);
  return out;
}

template <class Dst, class Src>
static void convert(void* dst, const void* src, int64_t n) {
  const Src* s = static_cast<const Src*>(src);
  Dst* o = static_cast<Dst*>(dst);
  for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Dst>(s[i]);
}

Tensor Tensor::to(DType t) const {
  if (t == dtype()) return *this;
  Tensor host = to(Device::CPU);
  Tensor out = empty(shape(), t, Device::CPU);
  int64_t n = numel();
  auto in = host.raw();
  auto o = out.raw();
  switch (dtype()) {
    case DType::F32:
      if (t == DType::F64) convert<double, float>(o, in, n); else convert<int64_t, float>(o, in, n);
      break;
    case DType::F64:
      if (t == DType::F32) convert<float, double>(o, in, n); else convert<int64_t, double>(o, in, n);
      break;
    case DType::I64:
      if (t == DType::F32) convert<float, int64_t>(o, in, n); else convert<double, int64_t>(o, in, n);
      break;
  }
  return out.to(device());
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  impl->dtype = impl_->dtype;
  impl->device = impl_->device;
  return Tensor(impl);
}

Tensor& Tensor::set_requires_grad(bool on) {
  ASTRO_CHECK(!on || dtype() != DType::I64, "an int64 tensor cannot require a gradient");
  impl().requires_grad = on;
  return *this;
}


}  // namespace astrocnn
