#include "tools/run/checkpoint_model.h"

#include <algorithm>

#include "core/tensor/error.h"
#include "core/tensor/philox.h"
#include "tools/options/option_values.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/checkpoint.h"
#endif

namespace astrocnn::cli {

namespace {

#if defined(ASTROCNN_HAVE_HDF5)
// The fields of the run description that the commands read with a default
// (json::value) where present, and the type each must have: checked once
// here, naming the file, rather than failing later as an internal JSON
// error. A parent comes before its children.
struct FieldType {
  const char* pointer;   // JSON pointer, "/data/label_names"
  const char* expected;  // for the message: "an array of strings"
  bool (*fits)(const json&);
};

bool is_object(const json& j) { return j.is_object(); }
bool is_array(const json& j) { return j.is_array(); }
bool is_string(const json& j) { return j.is_string(); }
bool is_bool(const json& j) { return j.is_boolean(); }
bool is_integer(const json& j) { return j.is_number_integer(); }
bool is_string_array(const json& j) {
  return j.is_array() && std::all_of(j.begin(), j.end(), is_string);
}
bool is_unsigned(const json& j) { return j.is_number_unsigned(); }
bool is_unsigned_array(const json& j) {
  return j.is_array() && std::all_of(j.begin(), j.end(), is_unsigned);
}

const FieldType kFieldTypes[] = {
    {"/options", "an object", is_object},
    {"/data", "an object", is_object},
    {"/data/label_names", "an array of strings", is_string_array},
    {"/data/class_labels", "true or false", is_bool},
    {"/data/task", "a string", is_string},
    {"/loss", "a string", is_string},
    {"/command", "a string", is_string},
    {"/ranks", "an integer", is_integer},
    {"/resumes", "an array", is_array},
    {"/state", "an object", is_object},
    {"/state/best_epoch", "an integer", is_integer},
    {"/state/rng_offsets", "an array of unsigned integers", is_unsigned_array},
};

void check_field_types(const json& config, const std::string& checkpoint) {
  for (const FieldType& f : kFieldTypes) {
    const json::json_pointer pointer(f.pointer);
    if (!config.contains(pointer)) continue;
    const json& value = config.at(pointer);
    if (!f.fits(value))
      throw Error("checkpoint '" + checkpoint + "': \"" + f.pointer +
                  "\" in /meta/config must be " + f.expected + ", got " + json_excerpt(value));
  }
}

// /meta/config as JSON; null when the checkpoint has none (a plain
// state_dict written by another program).
json parse_config(const std::string& text, const std::string& checkpoint) {
  if (text.empty()) return nullptr;
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error("checkpoint '" + checkpoint + "': /meta/config is not valid JSON (at byte " +
                std::to_string(e.byte) + ")");
  }
}
#endif

}  // namespace

std::string checkpoint_config_part(const std::string& checkpoint, const std::string& part) {
  return "checkpoint '" + checkpoint + "': " + part + " in /meta/config";
}

json read_run_config(const std::string& checkpoint) {
  require_hdf5("--checkpoint " + checkpoint);
#if defined(ASTROCNN_HAVE_HDF5)
  CheckpointMeta meta = read_checkpoint_meta(checkpoint);
  json config = parse_config(meta.config_json, checkpoint);
  if (!config.is_object() || !config.contains("model"))
    throw Error("checkpoint '" + checkpoint + "' has no model description in /meta (it was not "
                "written by astrocnn train, so the network to build is unknown)");
  check_field_types(config, checkpoint);
  checkpoint_model_spec(config, checkpoint);  // checked now, before any data is read
  return config;
#else
  return {};
#endif
}

ModelSpec checkpoint_model_spec(const json& config, const std::string& checkpoint) {
  return model_from_json(config.value("model", json()),
                         checkpoint_config_part(checkpoint, "the model description"));
}

RestoredModel restore_model(const std::string& checkpoint, Device device) {
  return restore_model(checkpoint, read_run_config(checkpoint), device);
}

RestoredModel restore_model(const std::string& checkpoint, const json& config, Device device) {
  RestoredModel r;
  r.config = config;
  r.spec = checkpoint_model_spec(config, checkpoint);
#if defined(ASTROCNN_HAVE_HDF5)
  // The initial weights are overwritten, but draw them from a fixed seed all the same.
  manual_seed(0);
  r.model =
      build_model(r.spec, checkpoint_config_part(checkpoint, "the model '" + r.spec.name + "'"));
  r.model->to(device);
  r.epoch = load_checkpoint(checkpoint, *r.model, nullptr).epoch;
#else
  (void)device;
#endif
  return r;
}

std::shared_ptr<Module> build_model(const ModelSpec& spec, const std::string& subject,
                                    const DataInfo* data) {
  try {
    return models::make_model(spec.name, spec.options);
  } catch (const Error& e) {
    if (data == nullptr) throw Error(subject + ": " + e.what());
    throw Error(subject + " cannot take the images of " + data->name + " (" +
                std::to_string(data->channels) + "x" + std::to_string(data->height) + "x" +
                std::to_string(data->width) + "): " + e.what());
  }
}

void check_images_fit(const DataInfo& data, const ModelSpec& spec, const std::string& model_source) {
  const models::ModelOptions& o = spec.options;
  ASTRO_CHECK(data.height == data.width, data.name, " has ", data.height, "x", data.width,
              " images; the models take square images");
  ASTRO_CHECK(data.channels == o.in_channels, data.name, " has ", data.channels,
              "-channel images but the model '", spec.name, "' of ", model_source, " takes ",
              o.in_channels, " channel", o.in_channels == 1 ? "" : "s");
  ASTRO_CHECK(data.height == o.image_size, data.name, " has ", data.height, "x", data.width,
              " images but the model '", spec.name, "' of ", model_source, " takes ", o.image_size,
              "x", o.image_size);
}

void check_labels_fit(const DataInfo& data, const ModelSpec& spec, const std::string& model_source) {
  const models::ModelOptions& o = spec.options;
  if (data.class_labels) {
    ASTRO_CHECK(static_cast<int64_t>(data.label_names.size()) <= o.outputs, data.name, " has ",
                data.label_names.size(), " classes but the model '", spec.name, "' of ",
                model_source, " has ", o.outputs, " outputs");
  } else {
    ASTRO_CHECK(data.label_width == o.outputs, data.name, " has ", data.label_width,
                " label columns but the model '", spec.name, "' of ", model_source, " has ",
                o.outputs, " outputs");
  }
}

}  // namespace astrocnn::cli
