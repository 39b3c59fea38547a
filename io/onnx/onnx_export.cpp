#include "io/onnx/onnx_export.h"

#include <google/protobuf/stubs/common.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <exception>

#include "core/tensor/error.h"

namespace astrocnn {

namespace {

using ::onnx::AttributeProto;
using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;
using ::onnx::TensorShapeProto;
using ::onnx::ValueInfoProto;

const char* const kInputName = "images";
const char* const kOutputName = "outputs";
const char* const kBatchDim = "batch";

// Attribute `a` of a node.
void add_attribute(NodeProto* node, const OnnxAttribute& a) {
  AttributeProto* proto = node->add_attribute();
  proto->set_name(a.name);
  switch (a.kind) {
    case OnnxAttribute::Kind::Int:
      proto->set_type(AttributeProto::INT);
      proto->set_i(a.i);
      break;
    case OnnxAttribute::Kind::Float:
      proto->set_type(AttributeProto::FLOAT);
      proto->set_f(static_cast<float>(a.f));
      break;
    case OnnxAttribute::Kind::Ints:
      proto->set_type(AttributeProto::INTS);
      for (int64_t v : a.ints) proto->add_ints(v);
      break;
  }
}

// A float32 tensor type whose first dimension is the free batch size.
void set_batched_type(ValueInfoProto* value, const Shape& dims_after_batch) {
  auto* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(TensorProto::FLOAT);
  TensorShapeProto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param(kBatchDim);
  for (int64_t d : dims_after_batch) shape->add_dim()->set_dim_value(d);
}

}  // namespace

struct OnnxModelBuilder::Model {
  ModelProto proto;
  GraphProto& graph() { return *proto.mutable_graph(); }
};

OnnxModelBuilder::OnnxModelBuilder(const std::string& graph_name, int64_t channels, int64_t height,
                                   int64_t width)
    : model_(std::make_unique<Model>()) {
  ModelProto& m = model_->proto;
  m.set_ir_version(kOnnxIrVersion);
  m.set_producer_name("astrocnn");
  m.set_producer_version(ASTROCNN_VERSION);
  auto* opset = m.add_opset_import();
  opset->set_domain("");  // ai.onnx
  opset->set_version(kOnnxOpset);
  GraphProto& g = model_->graph();
  g.set_name(graph_name);
  ValueInfoProto* in = g.add_input();
  in->set_name(kInputName);
  in->set_doc_string("images, float32 [batch, channels, height, width], as astrocnn reads them");
  set_batched_type(in, {channels, height, width});
}

OnnxModelBuilder::~OnnxModelBuilder() = default;

std::string OnnxModelBuilder::input() const { return kInputName; }

std::string OnnxModelBuilder::add_node(const std::string& op, const std::string& name,
                                       const std::vector<std::string>& inputs,
                                       const OnnxAttributes& attributes) {
  NodeProto* node = model_->graph().add_node();
  node->set_op_type(op);
  node->set_name(name);
  for (const std::string& in : inputs) node->add_input(in);
  node->add_output(name);
  for (const OnnxAttribute& a : attributes) add_attribute(node, a);
  return name;
}

// Tensors of any device and dtype (a bf16 or GPU model) are converted to
// float32 on the host.
std::string OnnxModelBuilder::add_initializer(const std::string& name, const Tensor& t) {
  TensorProto* init = model_->graph().add_initializer();
  init->set_name(name);
  init->set_data_type(TensorProto::FLOAT);
  for (int64_t d : t.shape()) init->add_dims(d);
  std::vector<float> values = t.to(Device::CPU).to(DType::F32).to_vector<float>();
  init->mutable_float_data()->Add(values.begin(), values.end());
  return name;
}

std::string OnnxModelBuilder::add_int64_initializer(const std::string& name,
                                                    const std::vector<int64_t>& values) {
  TensorProto* init = model_->graph().add_initializer();
  init->set_name(name);
  init->set_data_type(TensorProto::INT64);
  init->add_dims(static_cast<int64_t>(values.size()));
  init->mutable_int64_data()->Add(values.begin(), values.end());
  return name;
}

void OnnxModelBuilder::set_output(const std::string& x, int64_t features, const std::string& doc) {
  GraphProto& g = model_->graph();
  // The node that computes x now writes "outputs" (nothing else reads x).
  NodeProto* last = nullptr;
  for (NodeProto& node : *g.mutable_node())
    if (node.output_size() == 1 && node.output(0) == x) last = &node;
  ASTRO_CHECK(last != nullptr, "ONNX export: no node computes '", x, "'");
  last->set_output(0, kOutputName);
  ValueInfoProto* out = g.add_output();
  out->set_name(kOutputName);
  out->set_doc_string(doc);
  set_batched_type(out, {features});
}

void OnnxModelBuilder::add_metadata(const std::string& key, const std::string& value) {
  auto* entry = model_->proto.add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

void OnnxModelBuilder::set_doc_string(const std::string& doc) {
  model_->proto.set_doc_string(doc);
}

std::string OnnxModelBuilder::serialize() {
  ModelProto& m = model_->proto;
  // Protobuf refuses messages of 2 GiB or more; such weights would need
  // ONNX's external-data files, which astrocnn does not write.
  const size_t bytes = m.ByteSizeLong();
  ASTRO_CHECK(bytes < static_cast<size_t>(INT_MAX), "the ONNX model would take ", bytes >> 20,
              " MiB, over protobuf's 2 GiB limit for one file");
  try {
    ::onnx::checker::check_model(m);
    // Strict: a node whose shapes do not work out throws, and so does an
    // output shape that disagrees with the one astrocnn declared. Intermediate
    // shapes stay in the file (value_info), for tools that want them.
    ::onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1);
    ::onnx::shape_inference::InferShapes(m, ::onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw Error(std::string("ONNX rejects the exported model (a bug of astrocnn export): ") +
                e.what());
  }
  std::string out;
  ASTRO_CHECK(m.SerializeToString(&out), "protobuf could not serialise the ONNX model");
  return out;
}

std::string onnx_library_versions() {
  return std::string("ONNX ") + ASTROCNN_ONNX_VERSION + ", protobuf " +
         ::google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION);
}

}  // namespace astrocnn
