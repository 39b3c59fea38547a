// The training loop on built-in synthetic galaxies, the metrics of a pass
// (known values), resuming, the split of row indices, and the text formats.
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "core/tensor/philox.h"
#include "io/synth/synthetic.h"
#include "layers/activation.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "layers/flatten.h"
#include "layers/sequential.h"
#include "models/models.h"
#include "models/train/trainer.h"

using namespace astrocnn;

namespace {

Dataset morphology(int64_t n, int64_t size, uint64_t seed) {
  synth::SynthOptions so;
  so.n = n;
  so.size = size;
  so.seed = seed;
  return synth::generate(so);
}

// Outputs = inputs: images [N, 1, 1, K] are the "model outputs" [N, K], so a
// test can hand evaluate() exactly the outputs it wants.
class Passthrough : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.flatten(1); }
  std::string type_name() const override { return "Passthrough"; }
};

// A data set whose images are the given outputs [N, K] and whose labels are given.
Dataset outputs_and_labels(const std::vector<float>& outputs, int64_t k, Tensor labels) {
  Dataset d;
  int64_t n = static_cast<int64_t>(outputs.size()) / k;
  d.images = Tensor::from_vector(outputs, {n, 1, 1, k});
  d.labels = labels;
  return d;
}

double softmax_at(const std::vector<double>& row, size_t j) {
  double sum = 0;
  for (double v : row) sum += std::exp(v);
  return std::exp(row[j]) / sum;
}

// conv -> ReLU -> dense -> ReLU -> dropout -> dense: small, with a dropout
// layer so that resuming must restore the global random stream.
std::shared_ptr<Module> tiny_model(uint64_t seed) {
  manual_seed(seed);
  auto net = std::make_shared<Sequential>();
  net->add(std::make_shared<Conv2d>(1, 4, 3));
  net->add(std::make_shared<ReLU>());
  net->add(std::make_shared<Flatten>());
  net->add(std::make_shared<Dense>(4 * 6 * 6, 16));
  net->add(std::make_shared<ReLU>());
  net->add(std::make_shared<Dropout>(0.5));
  net->add(std::make_shared<Dense>(16, 5));
  return net;
}

NamedTensors copy_state(const Module& m) {
  NamedTensors copy;
  for (auto& [name, t] : m.state_dict()) copy.emplace_back(name, t.clone());
  return copy;
}

bool same_state(const Module& a, const Module& b) {
  NamedTensors sa = a.state_dict(), sb = b.state_dict();
  if (sa.size() != sb.size()) return false;
  for (size_t i = 0; i < sa.size(); ++i)
    if (sa[i].second.to_vector<float>() != sb[i].second.to_vector<float>()) return false;
  return true;
}

}  // namespace

TEST_CASE("the small CNN learns synthetic morphology vote fractions", "[trainer]") {
  Dataset all = morphology(240, 16, 5);
  Split s = split(all, 0.25, 5);
  REQUIRE(s.train.size() == 180);
  REQUIRE(s.validation.size() == 60);

  manual_seed(5);
  models::ModelOptions mo;
  mo.in_channels = 1;
  mo.outputs = 5;
  mo.image_size = 16;
  auto model = models::make_model("small", mo);
  TrainOptions opt;
  opt.epochs = 4;
  opt.batch_size = 16;
  opt.sgd.lr = 0.02;
  opt.sgd.momentum = 0.9;
  opt.loss = LossKind::Rmse;
  opt.seed = 5;
  Trainer trainer(*model, opt);
  auto metrics = trainer.fit(s.train, s.validation);
  REQUIRE(metrics.size() == 4);
  INFO("train loss " << metrics.front().train.loss << " -> " << metrics.back().train.loss);
  CHECK(metrics.back().train.loss < metrics.front().train.loss);
  for (auto& m : metrics) {
    CHECK(m.train.samples == 180);
    CHECK(m.validation.samples == 60);
    CHECK(std::isfinite(m.validation.loss));
    // RMSE loss over a whole split is the RMSE of the outputs.
    CHECK(m.validation.rmse == Approx(m.validation.loss).epsilon(1e-6));
    CHECK(m.validation.accuracy >= 0);  // vote fractions have an argmax accuracy
    CHECK(m.validation.accuracy <= 1);
    CHECK(m.train.accuracy >= 0);
    CHECK(m.train.images_per_second > 0);
    CHECK(m.validation.confusion.size() == 5);
  }
  // Evaluation leaves the model's mode alone and does not record a graph.
  model->train();
  Metrics r = evaluate(*model, s.validation, LossKind::Rmse, 7);
  CHECK(model->is_training());
  CHECK(r.samples == 60);
  CHECK(r.loss == Approx(metrics.back().validation.loss).epsilon(1e-4));
  CHECK(r.accuracy == Approx(metrics.back().validation.accuracy));
}

TEST_CASE("evaluate: loss, accuracy, RMSE and confusion of class ids (known values)", "[trainer]") {
  // Predicted classes (argmax): 0, 1, 2, 0 against true 0, 1, 0, 2.
  std::vector<float> out = {2, 1, 0, /**/ 0, 3, 1, /**/ 1, 0, 5, /**/ 4, 0, 0};
  std::vector<int64_t> ids = {0, 1, 0, 2};
  Dataset d = outputs_and_labels(out, 3, Tensor::from_vector(ids, {4}));
  Passthrough model;
  Metrics m = evaluate(model, d, LossKind::CrossEntropy, /*batch_size=*/3);  // batches of 3 and 1
  double xent = 0, squared = 0;
  for (int i = 0; i < 4; ++i) {
    std::vector<double> row(out.begin() + 3 * i, out.begin() + 3 * i + 3);
    xent -= std::log(softmax_at(row, ids[i]));
    for (size_t j = 0; j < 3; ++j)
      squared += std::pow(softmax_at(row, j) - (static_cast<int64_t>(j) == ids[i] ? 1 : 0), 2);
  }
  CHECK(m.samples == 4);
  CHECK(m.loss == Approx(xent / 4).epsilon(1e-6));
  CHECK(m.rmse == Approx(std::sqrt(squared / 12)).epsilon(1e-9));
  CHECK(m.accuracy == 0.5);
  std::vector<std::vector<int64_t>> confusion = {{1, 0, 1}, {0, 1, 0}, {1, 0, 0}};
  CHECK(m.confusion == confusion);
}

TEST_CASE("evaluate: vote fractions are classes through their argmax; other targets are not", "[trainer]") {
  Passthrough model;
  // Outputs argmax 0 and 2; label argmax 0 and 0.
  std::vector<float> out = {0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f};
  Tensor votes = Tensor::from_vector(std::vector<float>{0.6f, 0.3f, 0.1f, 0.5f, 0.25f, 0.25f}, {2, 3});
  Metrics m = evaluate(model, outputs_and_labels(out, 3, votes), LossKind::Rmse, 8);
  // Squared errors 0.01 + 0.01 + 0 + 0.16 + 0.0225 + 0.3025 = 0.505 over 6 values.
  CHECK(m.rmse == Approx(std::sqrt(0.505 / 6)).epsilon(1e-6));
  CHECK(m.loss == Approx(std::sqrt(0.505 / 6)).epsilon(1e-6));
  CHECK(m.accuracy == 0.5);
  std::vector<std::vector<int64_t>> confusion = {{1, 0, 1}, {0, 0, 0}, {0, 0, 0}};
  CHECK(m.confusion == confusion);

  // The cosine loss has no accuracy, even on vote fractions.
  Metrics c = evaluate(model, outputs_and_labels(out, 3, votes), LossKind::Cosine, 8);
  CHECK(std::isnan(c.accuracy));
  CHECK(c.confusion.empty());

  // Rows that do not sum to 1 (physical parameters) have no classes.
  Tensor params = Tensor::from_vector(std::vector<float>{0.3f, 2.0f, 0.5f, 0.2f, 0.1f, 0.9f}, {2, 3});
  Metrics p = evaluate(model, outputs_and_labels(out, 3, params), LossKind::Mse, 1);
  CHECK(std::isnan(p.accuracy));
  CHECK(p.confusion.empty());
  CHECK(std::isfinite(p.rmse));
  CHECK(p.loss == Approx(p.rmse * p.rmse).epsilon(1e-6));  // mse

  // An empty set measures nothing.
  Metrics none = evaluate(model, Dataset{}, LossKind::Rmse, 8);
  CHECK(none.samples == 0);
  CHECK(std::isnan(none.loss));
}

TEST_CASE("a resumed run equals an uninterrupted one, dropout included", "[trainer]") {
  Dataset all = morphology(72, 8, 9);
  Split s = split(all, 0.25, 9);
  TrainOptions opt;
  opt.epochs = 3;
  opt.batch_size = 8;
  opt.sgd.lr = 0.05;
  opt.sgd.momentum = 0.9;
  opt.schedule = "cosine";  // the learning rate depends on the epoch number
  opt.noise_sigma = 0.1;    // so does the noise
  opt.seed = 9;

  // Three epochs straight.
  auto straight = tiny_model(9);
  Trainer t1(*straight, opt);
  std::vector<EpochMetrics> h1 = t1.fit(s.train, s.validation);

  // Two epochs, then everything a checkpoint keeps.
  auto first = tiny_model(9);
  Trainer t2(*first, opt);
  auto train_batches = training_batches(s.train, opt);
  auto val_batches = evaluation_batches(s.validation, opt.batch_size);
  t2.run_epoch(*train_batches, val_batches.get(), 1);
  t2.run_epoch(*train_batches, val_batches.get(), 2);
  NamedTensors weights = copy_state(*first);
  NamedTensors sgd_state = t2.optimizer().state();
  const uint64_t rng_offset = global_rng().offset();

  // A "new process": a fresh model and trainer, the saved state, epoch 3.
  auto resumed = tiny_model(9);
  Trainer t3(*resumed, opt);
  resumed->load_state_dict(weights);
  t3.optimizer().load_state(sgd_state);
  global_rng().set_offset(rng_offset);
  auto train3 = training_batches(s.train, opt);
  auto val3 = evaluation_batches(s.validation, opt.batch_size);
  std::vector<EpochMetrics> h3 = t3.fit(*train3, val3.get(), {}, /*first_epoch=*/3);

  REQUIRE(h3.size() == 1);
  CHECK(h3[0].epoch == 3);
  CHECK(h3[0].lr == h1[2].lr);
  CHECK(h3[0].train.loss == h1[2].train.loss);
  CHECK(h3[0].validation.loss == h1[2].validation.loss);
  CHECK(same_state(*straight, *resumed));

  // Without the random stream's offset, dropout draws other masks: the state
  // above is what makes the difference.
  auto careless = tiny_model(9);
  Trainer t4(*careless, opt);
  careless->load_state_dict(weights);
  t4.optimizer().load_state(sgd_state);
  auto train4 = training_batches(s.train, opt);
  t4.fit(*train4, nullptr, {}, 3);
  CHECK_FALSE(same_state(*straight, *careless));

  CHECK_THROWS_WITH(t4.fit(*train4, nullptr, {}, 0), Catch::Contains("first epoch is 1"));
  CHECK(t4.fit(*train4, nullptr, {}, 4).empty());  // nothing left to do
}

TEST_CASE("a run stopped inside an epoch continues it exactly", "[trainer]") {
  Dataset all = morphology(72, 8, 4);
  Split s = split(all, 0.25, 4);
  TrainOptions opt;
  opt.epochs = 3;
  opt.batch_size = 8;  // 54 training images: 7 steps per epoch
  opt.sgd.lr = 0.05;
  opt.sgd.momentum = 0.9;
  opt.noise_sigma = 0.1;
  opt.seed = 4;

  auto straight = tiny_model(4);
  Trainer t1(*straight, opt);
  std::vector<EpochMetrics> h1 = t1.fit(s.train, s.validation);
  CHECK_FALSE(t1.stopped());

  // Asked to stop during step 10 (epoch 2, step 3): the step ends, then fit().
  auto first = tiny_model(4);
  Trainer t2(*first, opt);
  int64_t steps = 0;
  t2.set_batch_callback([&](const BatchProgress&) { ++steps; });
  t2.set_stop_check([&] { return steps >= 10; });
  auto train2 = training_batches(s.train, opt);
  auto val2 = evaluation_batches(s.validation, opt.batch_size);
  std::vector<EpochMetrics> h2 = t2.fit(*train2, val2.get());
  REQUIRE(t2.stopped());
  EpochInProgress where = *t2.stopped();
  CHECK(h2.size() == 1);
  CHECK(where.epoch == 2);
  CHECK(where.steps == 3);
  REQUIRE(where.workers.size() == 1);

  // A "new process" from what a checkpoint keeps, continuing epoch 2.
  NamedTensors weights = copy_state(*first);
  NamedTensors sgd_state = t2.optimizer().state();
  const uint64_t rng_offset = global_rng().offset();
  auto resumed = tiny_model(4);
  Trainer t3(*resumed, opt);
  resumed->load_state_dict(weights);
  t3.optimizer().load_state(sgd_state);
  global_rng().set_offset(rng_offset);
  t3.continue_epoch(where);
  auto train3 = training_batches(s.train, opt);
  auto val3 = evaluation_batches(s.validation, opt.batch_size);
  std::vector<EpochMetrics> h3 = t3.fit(*train3, val3.get(), {}, /*first_epoch=*/2);
  CHECK_FALSE(t3.stopped());
  REQUIRE(h3.size() == 2);
  for (size_t i = 0; i < 2; ++i) {  // the continued epoch's metrics are whole, not of 4 steps
    CHECK(h3[i].train.samples == h1[i + 1].train.samples);
    CHECK(h3[i].train.loss == h1[i + 1].train.loss);
    CHECK(h3[i].train.rmse == h1[i + 1].train.rmse);
    CHECK(h3[i].validation.loss == h1[i + 1].validation.loss);
  }
  CHECK(same_state(*straight, *resumed));

  // A stop at an epoch's last step lets the epoch end, then stops before the next.
  auto third = tiny_model(4);
  Trainer t4(*third, opt);
  steps = 0;
  t4.set_batch_callback([&](const BatchProgress&) { ++steps; });
  t4.set_stop_check([&] { return steps >= 7; });
  CHECK(t4.fit(s.train, s.validation).size() == 1);
  REQUIRE(t4.stopped());
  CHECK(t4.stopped()->epoch == 2);
  CHECK(t4.stopped()->steps == 0);
}

TEST_CASE("the batch callback sees every batch of an epoch", "[trainer]") {
  Dataset all = morphology(50, 8, 2);
  auto model = tiny_model(2);
  TrainOptions opt;
  opt.epochs = 1;
  opt.batch_size = 16;  // 16 + 16 + 16 + 2
  Trainer trainer(*model, opt);
  std::vector<BatchProgress> seen;
  trainer.set_batch_callback([&](const BatchProgress& p) { seen.push_back(p); });
  trainer.fit(all, Dataset{});
  REQUIRE(seen.size() == 4);
  for (size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].batch == static_cast<int64_t>(i) + 1);
    CHECK(seen[i].batches == 4);
    CHECK(seen[i].epoch == 1);
    CHECK(std::isfinite(seen[i].mean_loss));
  }
  CHECK(seen.back().images == 50);
}

TEST_CASE("split_rows gives the rows split() puts in each part", "[trainer]") {
  Dataset all = morphology(37, 8, 4);
  for (double fraction : {0.0, 0.2, 0.5, 0.9}) {
    for (uint64_t seed : {0u, 3u}) {
      INFO("fraction " << fraction << " seed " << seed);
      Split s = split(all, fraction, seed);
      SplitRows rows = split_rows(all.size(), fraction, seed);
      CHECK(static_cast<int64_t>(rows.train.size()) == s.train.size());
      CHECK(static_cast<int64_t>(rows.validation.size()) == s.validation.size());
      CHECK(subset(all, rows.train).images.to_vector<float>() == s.train.images.to_vector<float>());
      if (!rows.validation.empty())
        CHECK(subset(all, rows.validation).labels.to_vector<float>() ==
              s.validation.labels.to_vector<float>());
    }
  }
  CHECK_THROWS_WITH(split_rows(10, 1.0, 0), Catch::Contains("validation_fraction must be in [0, 1)"));
  CHECK_THROWS_WITH(split_rows(1, 0.2, 0), Catch::Contains("cannot give both"));
}

TEST_CASE("losses and labels must pair up", "[trainer][errors]") {
  Tensor out = Tensor::zeros({4, 3});
  CHECK_THROWS_WITH(compute_loss(LossKind::CrossEntropy, out, Tensor::zeros({4, 3})),
                    Catch::Contains("needs integer class labels"));
  CHECK_THROWS_WITH(compute_loss(LossKind::Rmse, out, Tensor::zeros({4}, DType::I64)),
                    Catch::Contains("use --loss xent"));
  CHECK_THROWS_WITH(compute_loss(LossKind::Mse, out, Tensor::zeros({4, 2})),
                    Catch::Contains("do not match the model outputs"));
  CHECK_THROWS_WITH(parse_loss("hinge"), Catch::Contains("unknown loss 'hinge'"));
  CHECK(parse_loss("cosine") == LossKind::Cosine);
  CHECK_THROWS_WITH(models::make_model("vgg", {}), Catch::Contains("unknown model 'vgg'"));
  auto model = tiny_model(0);
  TrainOptions opt;
  opt.schedule = "linear";
  CHECK_THROWS_WITH(Trainer(*model, opt), Catch::Contains("unknown learning-rate schedule 'linear'"));
  opt.schedule = "constant";
  opt.epochs = 0;
  CHECK_THROWS_WITH(Trainer(*model, opt), Catch::Contains("epochs must be positive"));
}

TEST_CASE("epoch and throughput lines have the documented format", "[trainer]") {
  EpochMetrics m;
  m.epoch = 3;
  m.lr = 0.01;
  m.train.seconds = 10.987;
  m.train.images_per_second = 23.214;
  m.train.loss = 0.5;
  m.train.samples = 255;
  CHECK(format_throughput(m, 4) ==
        "[Performance] Epoch 3 takes 10.99 seconds. Throughput: 23.21 images/sec (per worker), "
        "92.86 images/sec (total)");
  CHECK(format_epoch(m, 10) == "epoch 3/10  lr 0.01  train loss 0.5000  11.0 s");
  m.train.rmse = 0.25;
  m.train.accuracy = 0.702;
  m.validation.samples = 10;
  m.validation.loss = 0.2213;
  m.validation.accuracy = 0.713;
  m.validation.seconds = 1.0;
  CHECK(format_epoch(m, 10) ==
        "epoch 3/10  lr 0.01  train loss 0.5000 rmse 0.2500 acc 70.2%  val loss 0.2213 acc 71.3%  12.0 s");
}
