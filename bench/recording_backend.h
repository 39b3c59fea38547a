// A Backend that passes every op through to another backend, unchanged, and
// writes down the shapes of the convolutions and dense layers it sees. Put
// in front of the CPU backend around one forward pass of a network, it lists
// that network's layers as the kernels see them (bench/network_layers.h
// turns the lists into the CUDA benchmarks' shapes).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/backend.h"

namespace astrocnn::bench {

// The sizes of one dense (linear) layer: x [N,I], w [O,I], y [N,O].
struct DenseShape {
  int64_t N = 0, I = 0, O = 0;
  double flops() const { return 2.0 * static_cast<double>(N) * I * O; }
};

class RecordingBackend final : public Backend {
 public:
  explicit RecordingBackend(Backend& inner) : inner_(inner) {}

  std::string name() const override { return "recording(" + inner_.name() + ")"; }
  Device device() const override { return inner_.device(); }

  // Every op of the table. Declaring them from the table means that an op
  // added there and not forwarded in recording_backend.cpp is a link error,
  // never a silent NotImplemented in the middle of a network.
#define ASTROCNN_BACKEND_OP(name, params) void name params override;
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP

  // What the forward calls saw, in call order.
  const std::vector<Conv2dParams>& convs() const { return convs_; }
  const std::vector<DenseShape>& denses() const { return denses_; }

 private:
  Backend& inner_;
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
