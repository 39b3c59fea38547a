#include "core/tensor.h"

#include <cstring>
#include <sstream>

#include "core/autograd.h"

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

static Shape contiguous_strides(const Shape& s) {
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

// Reshape is a view: same storage, new shape. Its backward reshapes the
// gradient back, so autograd sees it as an ordinary op.
namespace {
struct ReshapeNode final : Node {
  Shape input_shape;
  std::vector<Tensor> backward(const Tensor& g) override { return {g.reshape(input_shape)}; }
  const char* name() const override { return "reshape"; }
};
}  // namespace

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = new_shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      ASTRO_CHECK(infer < 0, "reshape ", str(), " to ", shape_str(new_shape), ": more than one -1");
      infer = static_cast<int64_t>(i);
    } else {
      ASTRO_CHECK(s[i] >= 0, "reshape ", str(), " to ", shape_str(new_shape), ": negative size");
      known *= s[i];
    }
  }
  if (infer >= 0) {
    ASTRO_CHECK(known > 0 && numel() % known == 0, "cannot reshape ", str(), " to ",
                shape_str(new_shape));
    s[infer] = numel() / known;
  }
  ASTRO_CHECK(shape_numel(s) == numel(), "cannot reshape ", str(), " to ", shape_str(new_shape),
              ": element counts differ");
  Tensor out = detach();
  out.impl().shape = s;
  out.impl().strides = contiguous_strides(s);
  if (requires_grad() && grad_enabled()) {
    auto node = std::make_shared<ReshapeNode>();
    node->input_shape = shape();
    record(node, {*this}, out);
  }
  return out;
}

Tensor Tensor::flatten(int64_t start_dim) const {
  ASTRO_CHECK(start_dim >= 0 && start_dim <= dim(), "flatten(", start_dim, ") of ", str());
  Shape s(shape().begin(), shape().begin() + start_dim);
  int64_t rest = 1;
  for (int64_t i = start_dim; i < dim(); ++i) rest *= shape()[i];
  s.push_back(rest);
  return reshape(s);
}

void Tensor::backward() const { run_backward(*this); }

}  // namespace astrocnn
