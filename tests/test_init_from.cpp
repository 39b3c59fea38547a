// `train --init-from`: which entries a model takes from a checkpoint and
// which keep their own initialisation (io/hdf5/init_from.h), on tiny models
// written to temporary files.
#if defined(ASTROCNN_HAVE_HDF5)
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/tensor/philox.h"
#include "io/hdf5/checkpoint.h"
#include "io/hdf5/init_from.h"
#include "models/models.h"
#include "named_tensors.h"
#include "temp_dir.h"

using namespace astrocnn;
using testing::by_name;
using testing::TempDir;

namespace {

models::ModelOptions options(int64_t in_channels, int64_t outputs, int64_t image_size) {
  models::ModelOptions o;
  o.in_channels = in_channels;
  o.outputs = outputs;
  o.image_size = image_size;
  o.small_input_stem = true;  // ResNets: 3x3 stem, cheap at 16x16
  return o;
}

std::shared_ptr<Module> make(const std::string& name, const models::ModelOptions& o, uint64_t seed) {
  manual_seed(seed);
  return models::make_model(name, o);
}

// A copy of every entry's values, to compare before and after.
// (num_batches_tracked, an int64, is exact as a float too.)
std::map<std::string, std::vector<float>> values_of(const Module& model) {
  std::map<std::string, std::vector<float>> values;
  for (const auto& [name, t] : model.state_dict()) values[name] = t.to(DType::F32).to_vector<float>();
  return values;
}

Tensor images(int64_t n, int64_t channels, int64_t size) {
  std::vector<float> px(static_cast<size_t>(n * channels * size * size));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  return Tensor::from_vector(px, {n, channels, size, size});
}

// A checkpoint of model `name` whose weights differ from any fresh model's
// (seed 99) and whose batch-norm statistics have moved from their start.
std::string write_checkpoint(const TempDir& dir, const std::string& name, const models::ModelOptions& o) {
  std::shared_ptr<Module> model = make(name, o, 99);
  {
    NoGradGuard no_grad;
    model->train();
    (*model)(images(2, o.in_channels, o.image_size));
  }
  const std::string path = dir.file(name + ".h5");
  CheckpointMeta meta;
  meta.model = name;
  meta.epoch = 4;
  save_checkpoint(path, *model, nullptr, meta);
  return path;
}

std::set<std::string> reinitialised_entries(const InitFromResult& r) {
  std::set<std::string> entries;
  for (const ReinitialisedPart& p : r.reinitialised) entries.insert(p.entries.begin(), p.entries.end());
  return entries;
}

// Every entry of `model` holds the file's value, except `kept`, which hold `before`'s.
void check_loaded(const Module& model, const std::string& path, const std::set<std::string>& kept,
                  const std::map<std::string, std::vector<float>>& before) {
  std::map<std::string, Tensor> stored = by_name(read_checkpoint_state(path));
  for (const auto& [name, values] : values_of(model)) {
    INFO(name);
    if (kept.count(name))
      CHECK(values == before.at(name));
    else
      CHECK(values == stored.at(name).to(DType::F32).to_vector<float>());
  }
}

}  // namespace

TEST_CASE("init_from: the same model takes every entry, the metadata comes back") {
  TempDir dir;
  const std::string path = write_checkpoint(dir, "small", options(1, 5, 16));
  std::shared_ptr<Module> model = make("small", options(1, 5, 16), 1);
  const InitFromResult r = init_from_checkpoint(path, "small", *model);
  CHECK(r.reinitialised.empty());
  CHECK(r.meta.model == "small");
  CHECK(r.meta.epoch == 4);
  check_loaded(*model, path, {}, {});
}

TEST_CASE("init_from: another number of outputs re-initialises the head alone") {
  TempDir dir;
  const std::string path = write_checkpoint(dir, "small", options(1, 5, 16));
  std::shared_ptr<Module> model = make("small", options(1, 3, 16), 1);
  const auto before = values_of(*model);
  const InitFromResult r = init_from_checkpoint(path, "small", *model);
  REQUIRE(r.reinitialised.size() == 1);
  CHECK(r.reinitialised[0].part == "head");
  CHECK(r.reinitialised[0].message == "init-from: the head (9.weight, 9.bias) has 5 outputs in " +
                                          path + ", the model 3: re-initialised");
  check_loaded(*model, path, {"9.weight", "9.bias"}, before);
}

TEST_CASE("init_from: other input channels re-initialise the stem alone, batch-norm statistics are taken") {
  TempDir dir;
  const std::string path = write_checkpoint(dir, "resnet18", options(3, 2, 16));
  std::shared_ptr<Module> model = make("resnet18", options(1, 2, 16), 1);
  const auto before = values_of(*model);
  const InitFromResult r = init_from_checkpoint(path, "resnet18", *model);
  REQUIRE(r.reinitialised.size() == 1);
  CHECK(r.reinitialised[0].part == "stem");
  CHECK(r.reinitialised[0].message == "init-from: conv1.weight has 3 input channels in " + path +
                                          ", the model 1: re-initialised");
  check_loaded(*model, path, {"conv1.weight"}, before);
  // The file's statistics, not the fresh model's zeros and ones.
  CHECK(values_of(*model).at("bn1.running_mean") != before.at("bn1.running_mean"));
  CHECK(values_of(*model).at("bn1.num_batches_tracked") == std::vector<float>{1});
}

TEST_CASE("init_from: stem and head both re-initialised when channels and outputs differ") {
  TempDir dir;
  const std::string path = write_checkpoint(dir, "resnet18", options(3, 1000, 16));
  std::shared_ptr<Module> model = make("resnet18", options(6, 2, 16), 1);
  const auto before = values_of(*model);
  const InitFromResult r = init_from_checkpoint(path, "resnet18", *model);
  CHECK(reinitialised_entries(r) == std::set<std::string>{"conv1.weight", "fc.weight", "fc.bias"});
  check_loaded(*model, path, {"conv1.weight", "fc.weight", "fc.bias"}, before);
}

TEST_CASE("init_from: a checkpoint of another model is an Error naming the file and leaves the model unchanged") {
  TempDir dir;
  const std::string path = write_checkpoint(dir, "small", options(1, 5, 16));
  std::shared_ptr<Module> model = make("resnet18", options(1, 5, 16), 1);
  const auto before = values_of(*model);
  // Named in /meta ...
  CHECK_THROWS_WITH(init_from_checkpoint(path, "resnet18", *model),
                    Catch::Contains(path) && Catch::Contains("holds a 'small' model, not 'resnet18'"));
  // ... or told by the entries' names when the model is not named.
  CHECK_THROWS_WITH(init_from_checkpoint(path, "", *model),
                    Catch::Contains(path) && Catch::Contains("missing 'conv1.weight'") &&
                        Catch::Contains("unexpected '0.weight'"));
  CHECK(values_of(*model) == before);
}

TEST_CASE("init_from: any other shape that differs is an Error and leaves the model unchanged") {
  TempDir dir;
  // 16x16 images give the first dense layer 512 inputs, 32x32 ones 2048:
  // neither the stem nor the head, so not re-initialised.
  const std::string small16 = write_checkpoint(dir, "small", options(1, 5, 16));
  std::shared_ptr<Module> model = make("small", options(1, 5, 32), 1);
  auto before = values_of(*model);
  CHECK_THROWS_WITH(init_from_checkpoint(small16, "small", *model),
                    Catch::Contains(small16) && Catch::Contains("'7.weight' has shape [64,512]"));
  CHECK(values_of(*model) == before);

  // A stem that differs in its kernel (7x7 against the small 3x3 stem), not
  // only in its input channels.
  models::ModelOptions imagenet_stem = options(3, 2, 32);
  imagenet_stem.small_input_stem = false;
  const std::string resnet = write_checkpoint(dir, "resnet18", imagenet_stem);
  model = make("resnet18", options(1, 2, 32), 1);
  before = values_of(*model);
  CHECK_THROWS_WITH(init_from_checkpoint(resnet, "resnet18", *model),
                    Catch::Contains(resnet) && Catch::Contains("'conv1.weight' has shape [64,3,7,7]"));
  CHECK(values_of(*model) == before);
}

TEST_CASE("init_from: parts_to_reinitialise needs the other dimensions to agree") {
  const NamedTensors mine = {{"conv.weight", Tensor::zeros({8, 1, 3, 3})},
                             {"conv.bias", Tensor::zeros({8})},
                             {"fc.weight", Tensor::zeros({2, 8})},
                             {"fc.bias", Tensor::zeros({2})}};
  const std::string path = "ck.h5";
  SECTION("the same shapes: nothing") { CHECK(parts_to_reinitialise(mine, mine, path).empty()); }
  SECTION("a head whose bias disagrees with its weight: not a head to re-initialise") {
    const NamedTensors theirs = {{"conv.weight", Tensor::zeros({8, 1, 3, 3})},
                                 {"conv.bias", Tensor::zeros({8})},
                                 {"fc.weight", Tensor::zeros({4, 8})},
                                 {"fc.bias", Tensor::zeros({2})}};
    CHECK(parts_to_reinitialise(theirs, mine, path).empty());
  }
  SECTION("a stem with other output channels: not a stem to re-initialise") {
    const NamedTensors theirs = {{"conv.weight", Tensor::zeros({4, 3, 3, 3})},
                                 {"conv.bias", Tensor::zeros({8})},
                                 {"fc.weight", Tensor::zeros({2, 8})},
                                 {"fc.bias", Tensor::zeros({2})}};
    CHECK(parts_to_reinitialise(theirs, mine, path).empty());
  }
  SECTION("missing entries: nothing (load_model_entries reports them)") {
    CHECK(parts_to_reinitialise({}, mine, path).empty());
  }
}

#endif  // ASTROCNN_HAVE_HDF5
