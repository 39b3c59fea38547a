// The training loop on built-in synthetic galaxies, and the metric formats.
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "core/philox.h"
#include "io/synthetic.h"
#include "models/models.h"
#include "models/trainer.h"

using namespace astrocnn;

TEST_CASE("the small CNN learns synthetic morphology vote fractions", "[trainer]") {
  synth::SynthOptions so;
  so.n = 240;
  so.size = 16;
  so.seed = 5;
  Dataset all = synth::generate(so);
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
  INFO("train loss " << metrics.front().train_loss << " -> " << metrics.back().train_loss);
  CHECK(metrics.back().train_loss < metrics.front().train_loss);
  for (auto& m : metrics) {
    CHECK(std::isfinite(m.val_loss));
    CHECK(m.val_accuracy >= 0);  // vote fractions have an argmax accuracy
    CHECK(m.val_accuracy <= 1);
    CHECK(m.images_per_second > 0);
  }
  // Evaluation leaves the model's mode alone and does not record a graph.
  model->train();
  EvalResult r = evaluate(*model, s.validation, LossKind::Rmse, 7);
  CHECK(model->is_training());
  CHECK(r.samples == 60);
  CHECK(r.loss == Approx(metrics.back().val_loss).epsilon(1e-4));
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
}

TEST_CASE("epoch and throughput lines have the documented format", "[trainer]") {
  EpochMetrics m;
  m.epoch = 3;
  m.seconds = 10.987;
  m.images_per_second = 23.214;
  m.train_loss = 0.5;
  m.val_loss = std::nan("");
  m.val_accuracy = std::nan("");
  CHECK(format_throughput(m, 4) ==
        "[Performance] Epoch 3 takes 10.99 seconds. Throughput: 23.21 images/sec (per worker), "
        "92.86 images/sec (total)");
  CHECK(std::regex_match(format_epoch(m, 10), std::regex("epoch 3/10  lr .*  train loss 0.5000  11.0 s")));
}
