// An ONNX model written node by node, in astrocnn's terms (`astrocnn export`,
// docs/EXPORT.md). This header holds no ONNX type: the ModelProto is built
// with ONNX's generated protobuf classes (Debian's libonnx-dev) inside
// onnx_export.cpp, checked by ONNX's checker and shape inference, and
// serialised by protobuf. What maps which astrocnn layer onto these calls is
// the exporter's business (tools/commands/cmd_export.cpp), since io/ cannot see layers/.
//
//   OnnxModelBuilder onnx("small", 1, 32, 32);        // input "images" [batch, 1, 32, 32]
//   std::string x = onnx.input();
//   x = onnx.conv("0", x, weight, bias, window, 1);   // initializers "0.weight", "0.bias"
//   x = onnx.relu("1", x);
//   ...
//   onnx.set_output(x, 5, "raw outputs");             // output "outputs" [batch, 5]
//   write_file_atomically(path, onnx.serialize(), "-o");
//
// Each method appends the node(s) of one astrocnn layer, names the node and
// its result `name` (the layer's state_dict prefix, e.g. "layer1.0.conv1"),
// stores the layer's tensors as float32 initializers named like the
// state_dict ("layer1.0.conv1.weight"), and returns the name of the result.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/tensor.h"

namespace astrocnn {

// The ONNX operator set the exported graphs use (ai.onnx 17: the newest that
// ONNX 1.12's checker knows; onnxruntime runs it), and the IR version that
// goes with it.
constexpr int64_t kOnnxOpset = 17;
constexpr int64_t kOnnxIrVersion = 8;

// A window over H x W, its padding resolved to pixels on each side (a SAME
// padding is resolved by the caller for the input size at that point).
struct OnnxWindow {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

class OnnxModelBuilder {
 public:
  // The graph's one input, "images": float32 [batch, channels, height,
  // width], the batch size left free ("batch").
  OnnxModelBuilder(const std::string& graph_name, int64_t channels, int64_t height, int64_t width);
  ~OnnxModelBuilder();
  OnnxModelBuilder(const OnnxModelBuilder&) = delete;
  OnnxModelBuilder& operator=(const OnnxModelBuilder&) = delete;

  std::string input() const;

  // Conv; `bias` may be undefined (no bias).
  std::string conv(const std::string& name, const std::string& x, const Tensor& weight,
                   const Tensor& bias, const OnnxWindow& window, int64_t groups);
  // BatchNormalization in its inference form: the running statistics.
  std::string batch_norm(const std::string& name, const std::string& x, const Tensor& weight,
                         const Tensor& bias, const Tensor& running_mean, const Tensor& running_var,
                         double eps);
  std::string relu(const std::string& name, const std::string& x);
  std::string leaky_relu(const std::string& name, const std::string& x, double slope);
  // MaxPool and AveragePool, floor mode (ceil_mode 0) like astrocnn's pools.
  std::string max_pool(const std::string& name, const std::string& x, const OnnxWindow& window);
  std::string avg_pool(const std::string& name, const std::string& x, const OnnxWindow& window,
                       bool count_include_pad);
  // [N,C,H,W] -> [N,C]: GlobalAveragePool, then Flatten.
  std::string global_avg_pool(const std::string& name, const std::string& x);
  // Keeps dimensions 0 .. start_dim-1 and joins the rest into one: Flatten
  // for start_dim 1, else a Reshape.
  std::string flatten(const std::string& name, const std::string& x, int64_t start_dim);
  // Gemm: x [N, in] times weight [out, in] transposed, plus bias (may be undefined).
  std::string dense(const std::string& name, const std::string& x, const Tensor& weight,
                    const Tensor& bias);
  // Maxout over groups of k consecutive entries of dimension 1 of `x`,
  // whose shape after the batch dimension is `dims` ([n*k] or [n*k, H, W]):
  // a Reshape to [N, n, k, ...] and a ReduceMax over the k axis.
  std::string maxout(const std::string& name, const std::string& x, const Shape& dims, int64_t k);
  std::string add(const std::string& name, const std::string& a, const std::string& b);
  // Softmax over dimension 1 of [N, K].
  std::string softmax(const std::string& name, const std::string& x);

  // Makes `x` the graph's output "outputs", float32 [batch, features]
  // (an Identity node gives it that name), described by `doc`.
  void set_output(const std::string& x, int64_t features, const std::string& doc);
  // A key-value pair of the model's metadata_props.
  void add_metadata(const std::string& key, const std::string& value);
  void set_doc_string(const std::string& doc);

  // Runs ONNX's checker and strict shape inference (which must agree with
  // the output's declared shape), then returns the serialised model. An
  // Error names what ONNX refused: that would be a bug of the exporter.
  std::string serialize();

 private:
  struct Model;  // the ModelProto
  std::unique_ptr<Model> model_;
};

// "ONNX 1.12.0, protobuf 3.21.12": the libraries this build writes ONNX with.
std::string onnx_library_versions();

}  // namespace astrocnn
