// Internal to kernels/cpu/: the oneDNN engine and stream, the primitive
// cache, and the bridge between astrocnn's plain tensors and oneDNN memory.
//
// Creating a oneDNN primitive means choosing an implementation and, for
// convolutions, JIT-compiling it: far too slow to do per call. Each op
// builds its primitives once per key (op + shapes + attributes) into a
// CachedOp and reuses them, together with the dnnl::memory objects, which
// only get their data pointer replaced on each call.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor/tensor.h"
#include "kernels/precision.h"

namespace astrocnn::cpu {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;

// A float32 descriptor in the given layout (Tag::any lets a primitive choose).
inline memory::desc f32_desc(const Dims& dims, Tag tag) {
  return memory::desc(dims, memory::data_type::f32, tag);
}

// The type convolutions and inner products read their operands as, under
// the math precision (kernels/precision.h): bf16 or f32. Their results are
// always f32. tf32 never gets here: OneDnnBackend::supports() refuses it.
inline memory::data_type operand_type() {
  return math_precision() == Precision::BF16 ? memory::data_type::bf16 : memory::data_type::f32;
}
inline const char* type_name(memory::data_type t) {
  return t == memory::data_type::bf16 ? "bf16" : "f32";
}

// A tensor of n floats seen as a flat array: elementwise primitives do not
// care about its shape, so they are keyed by n alone.
inline memory::desc flat_desc(int64_t n) { return f32_desc({n}, Tag::a); }

// The key of a cached op: its name and every shape/attribute it depends on.
template <class... Args>
std::string op_key(const char* op, const Args&... args) {
  std::ostringstream s;
  s << op;
  ((s << ' ' << args), ...);
  return s.str();
}

// Only float32 reaches this backend; a float64 tensor here is a routing bug.
void require_f32(const char* op, const Tensor& t);

// body(i) for i in [0, n), split over the CPU backend's threads (OpenMP, as
// oneDNN's own; see set_cpu_threads) once n is large enough to pay for waking
// them, and vectorised within each thread. For elementwise loops whose
// iterations are independent, so the result does not depend on the split.
constexpr int64_t kParallelMinElements = 1 << 15;
template <class Body>
inline void parallel_for(int64_t n, Body body) {
#ifdef _OPENMP
#pragma omp parallel for simd schedule(static) if (n >= kParallelMinElements)
#endif
  for (int64_t i = 0; i < n; ++i) body(i);
}

// oneDNN takes non-const data handles even for inputs it only reads.
inline void* handle(const Tensor& t) { return const_cast<void*>(t.raw()); }
inline const memory& bind(const memory& m, const Tensor& t) {
  m.set_data_handle(handle(t));
  return m;
}

// True when t holds a NaN. Ops whose oneDNN kernel would drop a NaN (max
// pooling compares with '>') check their input and take an exact slow path
// when it has one; the scan is one vectorised read of the tensor.
bool any_nan(const Tensor& t);

// Base of every cache entry (each op defines what it keeps).
struct CachedOp {
  virtual ~CachedOp() = default;
};

class Context {
 public:
  static Context& get();

  dnnl::engine& engine() { return engine_; }
  dnnl::stream& stream() { return stream_; }

  // A memory object with no data yet: cached entries keep these and bind()
  // a tensor's pointer to them on each call.
  memory unbound(const memory::desc& md) { return memory(md, engine_, DNNL_MEMORY_NONE); }

  // Runs a primitive and waits for it (the CPU stream is in order; waiting
  // makes the outputs visible to the caller when the backend call returns).
  void run(const dnnl::primitive& prim, const std::unordered_map<int, memory>& args) {
    try {
      prim.execute(stream_, args);
      stream_.wait();
    } catch (const dnnl::error& e) {
      throw Error(detail::concat("cpu-onednn: a oneDNN primitive failed: ", e.what()));
    }
  }

  // Held for a whole backend call: cached entries own buffers and memory
  // objects whose data handles each call rewrites.
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }

  // The entry for `key`, built by make() (returning Entry by value) on first
  // use. A oneDNN failure while building becomes an astrocnn::Error naming the key.
  template <class Entry, class Make>
  Entry& cached(const std::string& key, Make&& make) {
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      std::unique_ptr<CachedOp> entry;
      try {
        entry = std::make_unique<Entry>(make());
      } catch (const dnnl::error& e) {
        throw Error(detail::concat("cpu-onednn: cannot build ", key, ": ", e.what()));
      }
      it = cache_.emplace(key, std::move(entry)).first;
    }
    return static_cast<Entry&>(*it->second);
  }

  // Buffer `slot` of the scratch area, at least `bytes` long (64-byte
  // aligned, contents undefined). Operands keep their blocked copies here
  // rather than each owning one: the copies live only during one backend
  // call, so one buffer per slot serves every op and shape (peak memory is
  // the largest copy per slot, not the sum over all cached primitives).
  void* scratch(int slot, size_t bytes);

  void clear_cache() { cache_.clear(); }
  size_t cache_size() const { return cache_.size(); }

 private:
  Context();
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<CachedOp>> cache_;
  struct FreeBuffer {
    void operator()(void* p) const { std::free(p); }
  };
  struct Scratch {
    std::unique_ptr<void, FreeBuffer> data;
    size_t bytes = 0;
  };
  std::vector<Scratch> scratch_;
};

// One tensor argument of a primitive. User tensors are always plain
// (NCHW, OIHW, NC); a primitive created with Tag::any may prefer a blocked
// layout (nChw16c ...), in which case the operand reorders between the user's
// tensor and a copy in that layout, kept in Context::scratch(slot): the
// operands of one primitive take different slots. Without a reorder the
// primitive reads and writes the user's memory directly.
class Operand {
 public:
  enum class Role { Input, Output };
  Operand() = default;
  Operand(const memory::desc& user, const memory::desc& wanted, Role role, int slot,
          dnnl::engine& eng);

  // Input: point at the user's data, reorder it into the primitive's layout
  // when needed, and return the memory to pass to the primitive.
  const memory& in(const Tensor& t, dnnl::stream& s);
  // Output: the memory the primitive writes into; call out_done() after it
  // ran to reorder the result into the user's tensor.
  const memory& out(Tensor& t);
  void out_done(dnnl::stream& s);

 private:
  memory user_, own_;  // own_ is only set when the layouts differ
  dnnl::reorder reorder_;
  bool reorders_ = false;
  int slot_ = 0;
  void bind_scratch();  // points own_ at this call's scratch buffer
};

}  // namespace astrocnn::cpu
