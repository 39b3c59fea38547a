// AugmentedBatches (io/batches/augmented_batches.h): the worker thread hands out
// exactly augment_batch() of the wrapped source's batches, epoch after epoch,
// whatever the timing; errors reach the caller; the trainer runs on it.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "core/tensor/philox.h"
#include "io/batches/augmented_batches.h"
#include "io/batches/dataset.h"
#include "models/models.h"
#include "models/train/trainer.h"

using namespace astrocnn;

namespace {

Dataset square_set(int64_t n, int64_t size) {
  Dataset d;
  Rng rng(4);
  std::vector<float> images(static_cast<size_t>(n * 2 * size * size));
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (float& v : images) v = rng.uniform();
  for (int64_t i = 0; i < n; ++i) labels[i] = i % 3;
  d.images = Tensor::from_vector(images, {n, 2, size, size});
  d.labels = Tensor::from_vector(labels, {n});
  d.label_names = {"a", "b", "c"};
  d.task = "classification";
  return d;
}

std::unique_ptr<BatchSource> plain(const Dataset& d, int64_t batch, uint64_t seed) {
  return std::make_unique<IteratorSource<BatchIterator>>(
      std::make_unique<BatchIterator>(d, batch, /*shuffle=*/true, seed), d.size());
}

augment::AugmentOptions everything() {
  augment::AugmentOptions o;
  o.flip = o.rot90 = true;
  o.rotate = 180;
  o.translate = 1;
  o.zoom_min = 0.9, o.zoom_max = 1.1;
  o.brightness = 0.1;
  o.noise = 0.05;
  return o;
}

// A source whose second batch fails, like a file with a bad row.
class FailingSource final : public BatchSource {
 public:
  void start_epoch(int64_t) override { served_ = 0; }
  bool next(Tensor& x, Tensor& y) override {
    if (++served_ == 2) throw Error("row 7 of 'bad.h5' has a NaN label");
    x = Tensor::zeros({1, 1, 4, 4});
    y = Tensor::zeros({1, 1});
    return true;
  }
  int64_t samples() const override { return 3; }
  int64_t batches_per_epoch() const override { return 3; }

 private:
  int served_ = 0;
};

}  // namespace

TEST_CASE("AugmentedBatches hands out augment_batch of each source batch, epoch after epoch",
          "[augment]") {
  Dataset data = square_set(11, 8);
  const augment::AugmentOptions o = everything();
  AugmentedBatches augmented(plain(data, 4, 9), o, /*seed=*/9, /*ahead=*/2);
  auto reference = plain(data, 4, 9);
  CHECK(augmented.samples() == 11);
  CHECK(augmented.batches_per_epoch() == 3);
  for (int64_t epoch : {1, 2, 1}) {  // epoch 1 again: the same batches again
    augmented.start_epoch(epoch);
    reference->start_epoch(epoch);
    Tensor x, y, rx, ry;
    int64_t batch = 0;
    while (augmented.next(x, y)) {
      REQUIRE(reference->next(rx, ry));
      CHECK(y.to_vector<int64_t>() == ry.to_vector<int64_t>());
      CHECK(x.to_vector<float>() == augment::augment_batch(rx, o, 9, epoch, batch).to_vector<float>());
      ++batch;
    }
    CHECK(batch == 3);
    CHECK_FALSE(reference->next(rx, ry));
  }
  // Without start_epoch, the next call continues with the next epoch, as the iterators do.
  Tensor x, y, rx, ry;
  REQUIRE(augmented.next(x, y));
  reference->start_epoch(2);
  REQUIRE(reference->next(rx, ry));
  CHECK(x.to_vector<float>() == augment::augment_batch(rx, o, 9, 2, 0).to_vector<float>());
}

TEST_CASE("AugmentedBatches stops cleanly mid-epoch and passes errors on", "[augment]") {
  Dataset data = square_set(40, 8);
  {
    AugmentedBatches augmented(plain(data, 4, 1), everything(), 1);
    augmented.start_epoch(1);
    Tensor x, y;
    REQUIRE(augmented.next(x, y));
  }  // destroyed with the worker waiting on a full queue
  AugmentedBatches failing(std::make_unique<FailingSource>(), everything(), 1);
  failing.start_epoch(1);
  Tensor x, y;
  REQUIRE(failing.next(x, y));
  CHECK_THROWS_WITH(failing.next(x, y), Catch::Contains("NaN label"));
  CHECK_THROWS_WITH(failing.next(x, y), Catch::Contains("NaN label"));  // until the next epoch
  failing.start_epoch(2);
  CHECK(failing.next(x, y));
  augment::AugmentOptions bad;
  bad.rotate = 400;
  CHECK_THROWS_WITH(AugmentedBatches(plain(data, 4, 1), bad, 1), Catch::Contains("--rotate"));
}

TEST_CASE("training on augmented batches is reproducible", "[augment]") {
  Dataset data = square_set(24, 8);
  models::ModelOptions mo;
  mo.in_channels = 2;
  mo.outputs = 3;
  mo.image_size = 8;
  TrainOptions to;
  to.epochs = 2;
  to.batch_size = 8;
  to.loss = LossKind::CrossEntropy;
  to.sgd.lr = 0.05;
  auto run = [&] {
    manual_seed(5);
    auto model = models::small_cnn(mo);
    Trainer trainer(*model, to);
    AugmentedBatches batches(plain(data, 8, 3), everything(), 3);
    std::vector<double> losses;
    for (const EpochMetrics& m : trainer.fit(batches, nullptr)) losses.push_back(m.train.loss);
    return losses;
  };
  std::vector<double> first = run();
  CHECK(first.size() == 2);
  CHECK(run() == first);
}
