#include "kernels/cpu/dnnl_context.h"

namespace astrocnn::cpu {

void require_f32(const char* op, const Tensor& t) {
  ASTRO_CHECK(t.dtype() == DType::F32, "cpu-onednn: ", op, " takes float32 tensors, got ", t.str());
}

// Blocks of 16 with a fixed trip count: the compiler vectorises the inner
// loop at -O2 (it will not for a loop whose count it does not know). The
// blocks are split over the backend's threads; no early exit, as the common
// case (no NaN) reads everything anyway.
bool any_nan(const Tensor& t) {
  const float* x = t.data<float>();
  const int64_t n = t.numel();
  constexpr int64_t kBlock = 16;
  const int64_t blocks = n / kBlock;
  int found = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(| : found) if (n >= kParallelMinElements)
#endif
  for (int64_t b = 0; b < blocks; ++b) {
    int nan_lanes = 0;
    for (int64_t j = 0; j < kBlock; ++j) nan_lanes |= x[b * kBlock + j] != x[b * kBlock + j];
    found |= nan_lanes;
  }
  for (int64_t i = blocks * kBlock; i < n; ++i) found |= x[i] != x[i];
  return found != 0;
}

Context::Context() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

Context& Context::get() {
  static Context instance;
  return instance;
}

void* Context::scratch(int slot, size_t bytes) {
  if (scratch_.size() <= static_cast<size_t>(slot)) scratch_.resize(slot + 1);
  Scratch& s = scratch_[slot];
  if (s.bytes < bytes) {
    constexpr size_t kAlign = 64;
    const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    s.data.reset();  // free first: the old contents are not needed
    s.data.reset(std::aligned_alloc(kAlign, rounded));
    ASTRO_CHECK(s.data != nullptr, "cpu-onednn: cannot allocate ", rounded, " bytes of scratch");
    s.bytes = rounded;
  }
  return s.data.get();
}

Operand::Operand(const memory::desc& user, const memory::desc& wanted, Role role, int slot,
                 dnnl::engine& eng)
    : user_(user, eng, DNNL_MEMORY_NONE), reorders_(user != wanted), slot_(slot) {
  if (!reorders_) return;
  own_ = memory(wanted, eng, DNNL_MEMORY_NONE);  // bound to scratch on each call
  reorder_ = role == Role::Input ? dnnl::reorder(user_, own_) : dnnl::reorder(own_, user_);
}

void Operand::bind_scratch() {
  own_.set_data_handle(Context::get().scratch(slot_, own_.get_desc().get_size()));
}

const memory& Operand::in(const Tensor& t, dnnl::stream& s) {
  user_.set_data_handle(handle(t));
  if (!reorders_) return user_;
  bind_scratch();
  reorder_.execute(s, user_, own_);
  return own_;
}

const memory& Operand::out(Tensor& t) {
  user_.set_data_handle(t.raw());
  if (reorders_) bind_scratch();
  return reorders_ ? own_ : user_;
}

void Operand::out_done(dnnl::stream& s) {
  if (!reorders_) return;
  reorder_.execute(s, own_, user_);
  s.wait();
}

}  // namespace astrocnn::cpu
