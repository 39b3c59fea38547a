// CUDA runtime: device discovery, host <-> device copies (including the
// pinned staging path), the caching allocator, NaN poisoning, error messages
// and the kernel-version switches.
#include <cuda_runtime_api.h>

#include "cuda_test_common.h"
#include "kernels/cuda/cuda_check.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

TEST_CASE("cuda device is found and described", "[cuda][runtime]") {
  REQUIRE(cuda_backend_if_device() != nullptr);
  CHECK(cuda_unavailable_reason().empty());
  const std::string summary = cuda_device_summary();
  CHECK_THAT(summary, Catch::Contains("compute") && Catch::Contains("SMs") && Catch::Contains("GiB"));
  CHECK(backend_for(Device::CUDA).name() == "cuda");
  CHECK(backend_for(Device::CUDA).device() == Device::CUDA);
  CHECK(device_available(Device::CUDA));
}

TEST_CASE("host to device copies round trip exactly", "[cuda][runtime]") {
  // Below and above the staging threshold (64 KiB), and across several 4 MiB staging chunks.
  for (int64_t n : {int64_t(1), int64_t(3), int64_t(1000), int64_t(16 * 1024 + 1),
                    int64_t(5 * 1024 * 1024 + 7)}) {
    CAPTURE(n);
    const Tensor host = random_cpu({n}, static_cast<uint64_t>(n));
    const Tensor dev = host.to(Device::CUDA);
    CHECK(dev.device() == Device::CUDA);
    CHECK(identical(dev, host));
    const Tensor copy = dev.clone();  // device to device
    CHECK(copy.device() == Device::CUDA);
    CHECK(identical(copy, host));
  }
  const Tensor empty = Tensor::empty({0, 4}, DType::F32, Device::CUDA);
  CHECK(empty.to_vector<float>().empty());
  const Tensor labels = Tensor::from_vector<int64_t>({5, -1, 1LL << 40}, {3}, Device::CUDA);
  CHECK(labels.to_vector<int64_t>() == std::vector<int64_t>{5, -1, 1LL << 40});
}

TEST_CASE("an upload does not depend on the host buffer after it returns", "[cuda][runtime]") {
  // Staged uploads return before the DMA finishes; the source may change at once.
  const int64_t n = 3 * 1024 * 1024;  // 12 MiB: three staging chunks
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = static_cast<float>(i % 1000);
  const Tensor first = Tensor::from_vector(values, {n}, Device::CUDA);
  for (float& v : values) v = -v - 1;
  const Tensor second = Tensor::from_vector(values, {n}, Device::CUDA);
  const std::vector<float> a = first.to_vector<float>(), b = second.to_vector<float>();
  bool all_match = true;
  for (int64_t i = 0; i < n && all_match; ++i) {
    const auto k = static_cast<size_t>(i);
    all_match = a[k] == static_cast<float>(i % 1000) && b[k] == -static_cast<float>(i % 1000) - 1;
  }
  CHECK(all_match);
}

TEST_CASE("the caching allocator stops calling cudaMalloc in the steady state", "[cuda][runtime]") {
  auto one_step = [] {
    // The sizes of a small training step: activations, weights, a scalar.
    Tensor a = Tensor::empty({32, 16, 64, 64}, DType::F32, Device::CUDA);
    Tensor b = Tensor::empty({32, 16, 32, 32}, DType::F32, Device::CUDA);
    Tensor w = Tensor::empty({16, 3, 5, 5}, DType::F32, Device::CUDA);
    Tensor s = Tensor::empty({}, DType::F32, Device::CUDA);
    return a.numel() + b.numel() + w.numel() + s.numel();
  };
  one_step();
  const CudaAllocatorStats before = cuda_allocator_stats();
  for (int i = 0; i < 20; ++i) one_step();
  const CudaAllocatorStats after = cuda_allocator_stats();
  CHECK(after.device_mallocs == before.device_mallocs);
  CHECK(after.cache_hits >= before.cache_hits + 80);
  CHECK(after.bytes_in_use == before.bytes_in_use);
}

TEST_CASE("new device allocations are NaN-poisoned in the tests", "[cuda][runtime]") {
  REQUIRE(poison_allocations());
  const Tensor t = Tensor::empty({1001}, DType::F32, Device::CUDA);
  for (float v : t.to_vector<float>()) REQUIRE(std::isnan(v));
  Tensor u = Tensor::zeros({17}, DType::F32, Device::CUDA);
  cuda_poison(u);
  for (float v : u.to_vector<float>()) REQUIRE(std::isnan(v));
}

TEST_CASE("the cuda backend takes float32 cuda tensors only", "[cuda][runtime][errors]") {
  Tensor x64 = Tensor::zeros({4}, DType::F64, Device::CUDA);
  Tensor y64 = Tensor::zeros({4}, DType::F64, Device::CUDA);
  CHECK_THROWS_WITH(cuda().relu_forward(x64, y64), Catch::Contains("relu_forward") && Catch::Contains("float32"));
  Tensor xcpu = Tensor::zeros({4});
  Tensor ygpu = Tensor::zeros({4}, DType::F32, Device::CUDA);
  CHECK_THROWS_WITH(cuda().relu_forward(xcpu, ygpu), Catch::Contains("cuda device") && Catch::Contains("cpu"));
}

TEST_CASE("ASTRO_CUDA_CHECK names the call, the place and CUDA's message", "[cuda][runtime][errors]") {
  CHECK_THROWS_WITH([] { ASTRO_CUDA_CHECK(cudaSetDevice(-1)); }(),
                    Catch::Contains("cudaSetDevice(-1)") && Catch::Contains("cuda_test_runtime.cpp") &&
                        Catch::Contains("cudaErrorInvalidDevice"));
  CHECK(cudaGetLastError() == cudaSuccess);  // cleared, so later launch checks do not report it again
}

TEST_CASE("kernel versions can be listed and chosen", "[cuda][runtime]") {
  REQUIRE(sgemm_version_count() >= 5);
  REQUIRE(conv_version_count() >= 2);
  for (int v = 1; v <= sgemm_version_count(); ++v) {
    set_sgemm_version(v);
    CHECK(sgemm_version() == v);
    CHECK(sgemm_version_name(v).rfind("v" + std::to_string(v) + "_", 0) == 0);
  }
  CHECK(sgemm_version_is_tf32(5));
  CHECK_FALSE(sgemm_version_is_tf32(1));
  set_sgemm_version(0);  // back to the default
  CHECK_FALSE(sgemm_version_is_tf32(sgemm_version()));
  for (int v = 1; v <= conv_version_count(); ++v) {
    set_conv_version(v);
    CHECK(conv_version() == v);
  }
  set_conv_version(0);
  CHECK_THROWS_WITH(set_sgemm_version(99), Catch::Contains("unknown SGEMM version 99") && Catch::Contains("v1_naive"));
  CHECK_THROWS_WITH(set_conv_version(-1), Catch::Contains("unknown convolution version -1"));
}
