#include "kernels/cpu/dnnl_context.h"

namespace astrocnn::cpu {

void require_f32(const char* op, const Tensor& t) {
  ASTRO_CHECK(t.dtype() == DType::F32, "cpu-onednn: ", op, " takes float32 tensors, got ", t.str());
}

// Blocks of 16 with a fixed trip count: the compiler vectorises the inner
// loop at -O2 (it will not for a loop whose count it does not know).
bool any_nan(const Tensor& t) {
  const float* x = t.data<float>();
  const int64_t n = t.numel();
  constexpr int64_t kBlock = 16;
  int64_t i = 0;
  bool found = false;
  for (; i + kBlock <= n && !found; i += kBlock) {
    int nan_lanes = 0;
    for (int64_t j = 0; j < kBlock; ++j) nan_lanes |= x[i + j] != x[i + j];
    found = nan_lanes != 0;
  }
  for (; i < n && !found; ++i) found = x[i] != x[i];
  return found;
}

Context::Context() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

Context& Context::get() {
  static Context instance;
  return instance;
}

Operand::Operand(const memory::desc& user, const memory::desc& wanted, Role role,
                 dnnl::engine& eng)
    : user_(user, eng, DNNL_MEMORY_NONE), reorders_(user != wanted) {
  if (!reorders_) return;
  own_ = memory(wanted, eng);  // oneDNN allocates the blocked buffer
  reorder_ = role == Role::Input ? dnnl::reorder(user_, own_) : dnnl::reorder(own_, user_);
}

const memory& Operand::in(const Tensor& t, dnnl::stream& s) {
  user_.set_data_handle(handle(t));
  if (!reorders_) return user_;
  reorder_.execute(s, user_, own_);
  return own_;
}

const memory& Operand::out(Tensor& t) {
  user_.set_data_handle(t.raw());
  return reorders_ ? own_ : user_;
}

void Operand::out_done(dnnl::stream& s) {
  if (!reorders_) return;
  reorder_.execute(s, own_, user_);
  s.wait();
}

}  // namespace astrocnn::cpu
