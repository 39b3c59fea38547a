// What is particular to the oneDNN CPU backend: when it is chosen, its
// primitive cache, its thread count, and the dtypes it refuses. Its results
// against the reference backend, op by op, are checked by the one backend
// harness (tests/backend_op_cases.h, run by tests/test_backend_ops.cpp).
#include <catch2/catch.hpp>

// The oneDNN backend exists only in builds that found oneDNN.
#if defined(ASTROCNN_HAVE_ONEDNN)

#include "backend_op_cases.h"
#include "gradcheck.h"
#include "kernels/backend.h"
#include "kernels/cpu/onednn_backend.h"

using namespace astrocnn;
using namespace astrocnn::testing;
using astrocnn::optest::conv_same;
using astrocnn::optest::conv_params;
using astrocnn::optest::conv_w;
using astrocnn::optest::conv_x;
using astrocnn::optest::conv_y;
using astrocnn::optest::random_f32;

namespace {

Backend& onednn() { return onednn_backend(); }
Tensor nan_tensor(const Shape& shape) { return Tensor::full(shape, NAN); }

}  // namespace

TEST_CASE("cpu backend: float32 CPU tensors run on oneDNN unless the reference is forced",
          "[cpu]") {
  CHECK(onednn().name() == "cpu-onednn");
  CHECK(onednn().device() == Device::CPU);
  if (!reference_backend_forced()) CHECK(backend_for(Device::CPU).name() == "cpu-onednn");
  {
    ReferenceBackendGuard guard;
    CHECK(backend_for(Device::CPU).name() == "reference");
  }
  CHECK(backend_for(Tensor::zeros({2}, DType::F64)).name() == "reference");
}

TEST_CASE("cpu backend: primitives are built once per shape and reused", "[cpu]") {
  Conv2dParams p = conv_same(2, 3, 11, 10, 8, 3, 3, 1);
  Tensor x = random_f32(conv_x(p), 91), w = random_f32(conv_w(p), 92), y = nan_tensor(conv_y(p));
  onednn().conv2d_forward(p, x, w, nullptr, y);
  const size_t after_first = cpu_primitive_cache_size();
  onednn().conv2d_forward(p, x, w, nullptr, y);
  onednn().conv2d_forward(p, x, w, nullptr, y);
  CHECK(cpu_primitive_cache_size() == after_first);
  Conv2dParams q = p;
  q.N = 3;  // a new shape is a new entry
  Tensor x3 = random_f32(conv_x(q), 93), y3 = nan_tensor(conv_y(q));
  onednn().conv2d_forward(q, x3, w, nullptr, y3);
  CHECK(cpu_primitive_cache_size() == after_first + 1);
}

TEST_CASE("cpu backend: the thread count can be set and results do not depend on it", "[cpu]") {
  const int before = cpu_threads();
  REQUIRE(before >= 1);
  Conv2dParams p = conv_same(7, 3, 32, 32, 32, 5, 5, 1);
  Tensor x = random_f32(conv_x(p), 94), w = random_f32(conv_w(p), 95);
  Tensor y_many = nan_tensor(conv_y(p)), y_one = nan_tensor(conv_y(p));
  onednn().conv2d_forward(p, x, w, nullptr, y_many);
  set_cpu_threads(1);
  CHECK(cpu_threads() == 1);
  onednn().conv2d_forward(p, x, w, nullptr, y_one);
  set_cpu_threads(before);
  CHECK(cpu_threads() == before);
  check_close(y_one, y_many, 1e-5, 1e-6, "conv2d_forward with 1 thread vs default for " + p.str());
  CHECK_THROWS_WITH(set_cpu_threads(0), Catch::Contains("must be positive"));
}

TEST_CASE("cpu backend: float64 tensors are rejected with a clear error", "[cpu]") {
  Tensor x = Tensor::zeros({2, 3}, DType::F64), y = Tensor::zeros({2, 3}, DType::F64);
  CHECK_THROWS_WITH(onednn().add(x, x, y), Catch::Contains("add takes float32"));
  Conv2dParams p = conv_params(1, 1, 4, 4, 1, 3, 3, 1, 1, 0, 0, 0, 0);
  Tensor x4 = Tensor::zeros(conv_x(p), DType::F64), w4 = Tensor::zeros(conv_w(p), DType::F64);
  Tensor y4 = Tensor::zeros(conv_y(p), DType::F64);
  CHECK_THROWS_WITH(onednn().conv2d_forward(p, x4, w4, nullptr, y4),
                    Catch::Contains("conv2d_forward takes float32"));
}

#endif  // ASTROCNN_HAVE_ONEDNN
