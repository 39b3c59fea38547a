// The reference backend with the two expensive ops replaced by a note of
// their shapes: every convolution and dense layer writes zeros and records
// its Conv2dParams or (N, I, O). Put in place of the CPU backend around one
// forward pass of a network, it lists that network's layers as the kernels
// see them, in a fraction of a second even for ResNet50 at 224x224
// (bench/network_layers.h turns the lists into the CUDA benchmarks' shapes).
// Only shapes are wanted, so the zeros do no harm; every other op is the
// reference's, so an op added to the table needs nothing here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/reference/reference_backend.h"

namespace astrocnn::bench {

// The sizes of one dense (linear) layer: x [N,I], w [O,I], y [N,O].
struct DenseShape {
  int64_t N = 0, I = 0, O = 0;
  double flops() const { return 2.0 * static_cast<double>(N) * I * O; }
};

class RecordingBackend final : public ReferenceBackend {
 public:
  std::string name() const override { return "recording"; }

  void conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor* bias,
                      Tensor& y) override;
  void dense_forward(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) override;

  // What the forward calls saw, in call order.
  const std::vector<Conv2dParams>& convs() const { return convs_; }
  const std::vector<DenseShape>& denses() const { return denses_; }

 private:
  std::vector<Conv2dParams> convs_;
  std::vector<DenseShape> denses_;
};

// RAII: while alive, `recorder` is the backend of Device::CPU (the reference
// backend is un-forced meanwhile so that the registration takes effect).
// On destruction the CPU device goes back to its built-in backend and the
// forced-reference setting is restored. Ops are recorded on the calling
// thread only; the recorder is not meant for concurrent forward passes.
class RecordingScope {
 public:
  explicit RecordingScope(RecordingBackend& recorder);
  ~RecordingScope();
  RecordingScope(const RecordingScope&) = delete;
  RecordingScope& operator=(const RecordingScope&) = delete;

 private:
  bool reference_was_forced_;
};

}  // namespace astrocnn::bench
