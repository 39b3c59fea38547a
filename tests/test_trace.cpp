// The --trace timeline (core/trace.h, io/batches/traced_batches.h): one training
// step of a small network gives parseable Chrome-trace JSON with a slice per
// op forward and backward, each naming its backend, with durations >= 0 and
// slices that nest (never overlap partly); nothing is recorded otherwise.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "core/optim.h"
#include "core/tensor/philox.h"
#include "core/trace.h"
#include "io/batches/dataset.h"
#include "io/output_file.h"
#include "io/batches/traced_batches.h"
#include "kernels/backend.h"
#include "layers/activation.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/flatten.h"
#include "layers/sequential.h"
#include "models/train/trainer.h"
#include "temp_dir.h"

using namespace astrocnn;
using nlohmann::json;

namespace {

std::shared_ptr<Module> conv_net() {
  manual_seed(1);
  auto net = std::make_shared<Sequential>();
  net->add(std::make_shared<Conv2d>(1, 4, 3, 1, 1));
  net->add(std::make_shared<ReLU>());
  net->add(std::make_shared<Flatten>());
  net->add(std::make_shared<Dense>(4 * 6 * 6, 2));
  return net;
}

Dataset small_set(int64_t n) {
  Dataset d;
  Rng rng(2);
  std::vector<float> images(static_cast<size_t>(n * 36)), labels(static_cast<size_t>(n * 2));
  for (float& v : images) v = rng.uniform();
  for (float& v : labels) v = rng.uniform();
  d.images = Tensor::from_vector(images, {n, 1, 6, 6});
  d.labels = Tensor::from_vector(labels, {n, 2});
  d.task = "regression";
  return d;
}

// One SGD step, as the trainer takes it.
void train_step(Module& net, SGD& sgd, const Tensor& x, const Tensor& y) {
  sgd.zero_grad();
  Tensor loss = compute_loss(LossKind::Rmse, net.forward(x), y);
  loss.backward();
  sgd.step();
}

std::vector<json> slices(const json& trace) {
  std::vector<json> out;
  for (const json& e : trace.at("traceEvents"))
    if (e.at("ph") == "X") out.push_back(e);
  return out;
}

const json* find(const std::vector<json>& all, const std::string& name) {
  for (const json& e : all)
    if (e.at("name") == name) return &e;
  return nullptr;
}

bool inside(const json& inner, const json& outer) {
  const double tolerance = 1e-3;  // microseconds: rounding of start + duration
  double a = inner.at("ts"), b = a + inner.at("dur").get<double>();
  double c = outer.at("ts"), d = c + outer.at("dur").get<double>();
  return a >= c - tolerance && b <= d + tolerance;
}

}  // namespace

TEST_CASE("a traced training step has a slice per op, forward and backward, with backends",
          "[trace]") {
  auto net = conv_net();
  SGD sgd(net->named_parameters(), SgdOptions{});
  Dataset data = small_set(4);
  train_step(*net, sgd, data.images, data.labels);  // not recorded

  trace::start();
  {
    trace::Scope step("training step");
    train_step(*net, sgd, data.images, data.labels);
  }
  std::vector<trace::Event> events = trace::stop();
  json trace = json::parse(trace::chrome_trace_json(events));
  std::vector<json> all = slices(trace);
  REQUIRE(all.size() == events.size());

  const std::string backend = backend_for(data.images).name();
  for (const char* name : {"conv2d", "relu", "dense", "conv2d backward", "relu backward",
                           "dense backward"}) {
    const json* op = find(all, name);
    INFO(name);
    REQUIRE(op != nullptr);
    CHECK(op->at("args").at("backend") == backend);
    CHECK(op->at("args").at("dtype") == "float32");
  }
  CHECK(find(all, "conv2d")->at("cat") == "forward");
  CHECK(find(all, "conv2d")->at("args").at("shape") == "[4,1,6,6]");
  CHECK(find(all, "conv2d backward")->at("cat") == "backward");
  CHECK(find(all, "conv2d backward")->at("args").at("shape") == "[4,4,6,6]");  // its gradient
  REQUIRE(find(all, "rmse_loss") != nullptr);
  CHECK(find(all, "rmse_loss")->at("cat") == "loss");
  REQUIRE(find(all, "backward") != nullptr);
  REQUIRE(find(all, "sgd step") != nullptr);

  // Every slice lies in the step; backward ops lie in "backward"; forward ops
  // come before the loss, the loss before backward, backward before the step.
  const json& step = *find(all, "training step");
  CHECK(all.front() == step);  // ordered by start, the parent first
  for (const json& e : all) {
    CHECK(e.at("dur").get<double>() >= 0);
    CHECK(e.at("ts").get<double>() >= 0);
    CHECK(e.at("tid") == 1);
    CHECK(inside(e, step));
    if (e.at("cat") == "backward") CHECK(inside(e, *find(all, "backward")));
  }
  CHECK(find(all, "dense")->at("ts") <= find(all, "rmse_loss")->at("ts"));
  CHECK(find(all, "rmse_loss")->at("ts") <= find(all, "backward")->at("ts"));
  CHECK(find(all, "backward")->at("ts") <= find(all, "sgd step")->at("ts"));
  // Slices on one thread nest: two slices are disjoint or one holds the other.
  for (const json& a : all)
    for (const json& b : all) {
      const double a0 = a.at("ts"), a1 = a0 + a.at("dur").get<double>();
      const double b0 = b.at("ts"), b1 = b0 + b.at("dur").get<double>();
      const bool disjoint = a1 <= b0 + 1e-3 || b1 <= a0 + 1e-3;
      CHECK((disjoint || inside(a, b) || inside(b, a)));
    }
  // Metadata names the process and the thread for Perfetto.
  bool named_thread = false;
  for (const json& e : trace.at("traceEvents"))
    named_thread |= e.at("ph") == "M" && e.at("name") == "thread_name" && e.at("args").at("name") == "main";
  CHECK(named_thread);
}

TEST_CASE("nothing is recorded while no trace is running", "[trace]") {
  CHECK_FALSE(trace::recording());
  auto net = conv_net();
  SGD sgd(net->named_parameters(), SgdOptions{});
  Dataset data = small_set(2);
  train_step(*net, sgd, data.images, data.labels);
  trace::start();
  CHECK(trace::recording());
  CHECK(trace::stop().empty());
  CHECK_FALSE(trace::recording());
}

TEST_CASE("TracedBatches records exactly the chosen step and writes the file", "[trace]") {
  testing::TempDir dir;
  const std::string path = dir.file("trace.json");
  auto net = conv_net();
  SGD sgd(net->named_parameters(), SgdOptions{});
  // 5 images in batches of 2: 2, 2, 1. Step 3 is the batch of one image.
  Dataset data = small_set(5);
  TracedBatches batches(std::make_unique<IteratorSource<BatchIterator>>(
                            std::make_unique<BatchIterator>(data, 2, false, 0), 5),
                        path, 3);
  batches.start_epoch(1);
  Tensor x, y;
  int steps = 0;
  while (batches.next(x, y)) {
    train_step(*net, sgd, x, y);
    ++steps;
    CHECK(batches.written() == false);  // the step ends when the next batch is asked for
  }
  CHECK(steps == 3);
  REQUIRE(batches.written());
  std::ifstream in(path);
  json trace = json::parse(in);
  std::vector<json> all = slices(trace);
  CHECK(static_cast<int64_t>(all.size()) == batches.slices());
  int steps_traced = 0;
  for (const json& e : all) steps_traced += e.at("name") == "training step";
  CHECK(steps_traced == 1);
  CHECK(find(all, "conv2d")->at("args").at("shape") == "[1,1,6,6]");
  CHECK_FALSE(trace::recording());
  CHECK_THROWS_WITH(TracedBatches(nullptr, path, 1), Catch::Contains("no source"));
}

TEST_CASE("writing a trace where it cannot go names the option and the file", "[trace]") {
  testing::TempDir dir;
  const std::string path = dir.file("missing/trace.json");
  CHECK_THROWS_WITH(write_file_atomically(path, trace::chrome_trace_json({}), "--trace"),
                    Catch::Contains("--trace") && Catch::Contains("missing/trace.json"));
}
