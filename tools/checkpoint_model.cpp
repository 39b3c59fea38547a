#include "tools/checkpoint_model.h"

#include "core/error.h"
#include "core/philox.h"
#include "tools/commands.h"
#if defined(ASTROCNN_HAVE_HDF5)
#include "io/hdf5/checkpoint.h"
#endif

namespace astrocnn::cli {

json read_run_config(const std::string& checkpoint) {
  require_hdf5("--checkpoint " + checkpoint);
#if defined(ASTROCNN_HAVE_HDF5)
  CheckpointMeta meta = read_checkpoint_meta(checkpoint);
  json config;
  try {
    config = json::parse(meta.config_json);
  } catch (const json::exception&) {
    config = nullptr;
  }
  if (!config.is_object() || !config.contains("model"))
    throw Error("checkpoint '" + checkpoint + "' has no model description in /meta (it was not "
                "written by astrocnn train, so the network to build is unknown)");
  return config;
#else
  return {};
#endif
}

RestoredModel restore_model(const std::string& checkpoint, Device device) {
  RestoredModel r;
  r.config = read_run_config(checkpoint);
  r.spec = model_from_json(r.config["model"]);
#if defined(ASTROCNN_HAVE_HDF5)
  // The initial weights are overwritten, but draw them from a fixed seed all the same.
  manual_seed(0);
  r.model = models::make_model(r.spec.name, r.spec.options);
  r.model->to(device);
  r.epoch = load_checkpoint(checkpoint, *r.model, nullptr).epoch;
#else
  (void)device;
#endif
  return r;
}

std::shared_ptr<Module> build_model(const ModelSpec& spec, const DataInfo& data) {
  try {
    return models::make_model(spec.name, spec.options);
  } catch (const Error& e) {
    std::string what = e.what();
    if (what.rfind("unknown model", 0) == 0) throw Error("--model: " + what);
    throw Error("--model " + spec.name + " cannot take the images of " + data.name + " (" +
                std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" +
                std::to_string(data.width) + "): " + what);
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
