// Dataset, split, argmax_labels and BatchIterator.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "io/batches/dataset.h"

using namespace astrocnn;

namespace {

// n images of shape [c, h, w] whose every pixel of image i is i + channel / 10,
// and labels [i, -i] (regression) or i % 3 (classification), so that a row
// can be traced back to its index.
Dataset numbered(int64_t n, bool classification = false, int64_t c = 2, int64_t h = 3, int64_t w = 2) {
  Dataset d;
  std::vector<float> px(static_cast<size_t>(n * c * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < h * w; ++k) px[(i * c + ch) * h * w + k] = i + ch / 10.0f;
  d.images = Tensor::from_vector(px, {n, c, h, w});
  if (classification) {
    std::vector<int64_t> ids(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ids[i] = i % 3;
    d.labels = Tensor::from_vector(ids, {n});
    d.label_names = {"a", "b", "c"};
    d.task = "classification";
  } else {
    std::vector<float> y(static_cast<size_t>(2 * n));
    for (int64_t i = 0; i < n; ++i) {
      y[2 * i] = static_cast<float>(i);
      y[2 * i + 1] = static_cast<float>(-i);
    }
    d.labels = Tensor::from_vector(y, {n, 2});
    d.label_names = {"up", "down"};
    d.task = "regression";
  }
  return d;
}

// The sample indices of a batch of `numbered` images, checking that every
// row of x and y belongs to the same sample.
std::vector<int64_t> batch_indices(const Tensor& x, const Tensor& y) {
  std::vector<int64_t> ids;
  const int64_t b = x.size(0), stride = x.numel() / b;
  std::vector<float> px = x.to_vector<float>();
  for (int64_t r = 0; r < b; ++r) {
    int64_t id = std::lround(px[r * stride]);
    REQUIRE(px[r * stride + stride - 1] == Approx(id + (x.size(1) - 1) / 10.0));
    if (y.dtype() == DType::I64) {
      REQUIRE(y.to_vector<int64_t>()[r] == id % 3);
    } else {
      REQUIRE(y.to_vector<float>()[2 * r] == static_cast<float>(id));
      REQUIRE(y.to_vector<float>()[2 * r + 1] == static_cast<float>(-id));
    }
    ids.push_back(id);
  }
  return ids;
}

// All batches of one epoch: their sizes and the concatenated sample order.
std::vector<int64_t> run_epoch(BatchIterator& it, std::vector<int64_t>* sizes = nullptr) {
  std::vector<int64_t> order;
  Tensor x, y;
  while (it.next(x, y)) {
    std::vector<int64_t> ids = batch_indices(x, y);
    if (sizes) sizes->push_back(static_cast<int64_t>(ids.size()));
    order.insert(order.end(), ids.begin(), ids.end());
  }
  return order;
}

bool is_permutation_of_range(std::vector<int64_t> v, int64_t n) {
  std::sort(v.begin(), v.end());
  std::vector<int64_t> expected(static_cast<size_t>(n));
  std::iota(expected.begin(), expected.end(), int64_t{0});
  return v == expected;
}

}  // namespace

TEST_CASE("BatchIterator without shuffling visits rows in order, last batch partial", "[synthetic][dataset]") {
  Dataset d = numbered(10);
  BatchIterator it(d, 4, /*shuffle=*/false, 0);
  CHECK(it.batches_per_epoch() == 3);
  std::vector<int64_t> sizes;
  std::vector<int64_t> order = run_epoch(it, &sizes);
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});
  std::vector<int64_t> expected(10);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  CHECK(order == expected);
  CHECK(it.epoch() == 1);
  CHECK(run_epoch(it) == expected);  // the next epoch, same order
  CHECK(it.epoch() == 2);

  Tensor x, y;
  REQUIRE(it.next(x, y));
  CHECK(x.shape() == Shape{4, 2, 3, 2});
  CHECK(y.shape() == Shape{4, 2});
}

TEST_CASE("BatchIterator with drop_last skips the partial batch", "[synthetic][dataset]") {
  Dataset d = numbered(10);
  for (bool shuffle : {false, true}) {
    BatchIterator it(d, 4, shuffle, 5, /*drop_last=*/true);
    CHECK(it.batches_per_epoch() == 2);
    std::vector<int64_t> sizes;
    std::vector<int64_t> order = run_epoch(it, &sizes);
    CHECK(sizes == std::vector<int64_t>{4, 4});
    std::set<int64_t> unique(order.begin(), order.end());
    CHECK(unique.size() == 8);  // no repeats
  }
  BatchIterator exact(numbered(8), 4, true, 5, true);
  CHECK(is_permutation_of_range(run_epoch(exact), 8));
  BatchIterator too_small(numbered(3), 4, false, 0, true);
  Tensor x, y;
  CHECK_FALSE(too_small.next(x, y));
  CHECK_FALSE(x.defined());
}

TEST_CASE("BatchIterator shuffles: every sample once per epoch, new order per epoch, seeded",
          "[synthetic][dataset]") {
  Dataset d = numbered(23, /*classification=*/true);
  BatchIterator a(d, 5, true, 42), b(d, 5, true, 42), c(d, 5, true, 43);
  std::vector<std::vector<int64_t>> epochs_a, epochs_b;
  for (int e = 0; e < 3; ++e) {
    std::vector<int64_t> sizes;
    epochs_a.push_back(run_epoch(a, &sizes));
    epochs_b.push_back(run_epoch(b, &sizes));
    CHECK(is_permutation_of_range(epochs_a.back(), 23));
    CHECK(sizes.back() == 3);  // 23 = 4 * 5 + 3
    CHECK(epochs_a.back() == permutation(23, 42 + e));
  }
  CHECK(epochs_a == epochs_b);            // same seed, same orders
  CHECK(epochs_a[0] != epochs_a[1]);      // a new order each epoch
  CHECK(epochs_a[1] != epochs_a[2]);
  CHECK(run_epoch(c) != epochs_a[0]);     // another seed, another order

  // reset() replays an epoch.
  a.reset(1);
  CHECK(a.epoch() == 1);
  CHECK(run_epoch(a) == epochs_a[1]);
}

TEST_CASE("BatchIterator noise augmentation", "[synthetic][dataset]") {
  Dataset d = numbered(4, false, 2, 40, 40);
  const std::vector<float> original = d.images.to_vector<float>();
  BatchIterator it(d, 4, false, 9), same(d, 4, false, 9);
  it.set_noise(0.5, 1);  // first channel only
  same.set_noise(0.5, 1);
  Tensor x, y, x2, y2;
  REQUIRE(it.next(x, y));
  REQUIRE(same.next(x2, y2));
  CHECK(x.to_vector<float>() == x2.to_vector<float>());  // reproducible
  CHECK(d.images.to_vector<float>() == original);         // data set untouched

  std::vector<float> noisy = x.to_vector<float>();
  const int64_t plane = 40 * 40;
  double sum = 0, sum2 = 0;
  for (int64_t b = 0; b < 4; ++b) {
    for (int64_t k = 0; k < plane; ++k) {
      double diff = noisy[(b * 2) * plane + k] - original[(b * 2) * plane + k];
      sum += diff;
      sum2 += diff * diff;
      REQUIRE(noisy[(b * 2 + 1) * plane + k] == original[(b * 2 + 1) * plane + k]);  // channel 1 clean
    }
  }
  const double n = 4.0 * plane;
  CHECK(std::fabs(sum / n) < 0.03);
  CHECK(std::sqrt(sum2 / n) == Approx(0.5).epsilon(0.05));

  // The next epoch draws different noise.
  Tensor x3, y3;
  REQUIRE_FALSE(it.next(x3, y3));
  REQUIRE(it.next(x3, y3));
  CHECK(x3.to_vector<float>() != noisy);

  CHECK_THROWS_WITH(it.set_noise(-1.0), Catch::Contains("sigma must be >= 0"));
  CHECK_THROWS_WITH(it.set_noise(0.1, 3), Catch::Contains("noise channels 3"));
}

TEST_CASE("split: sizes, disjoint parts, deterministic", "[synthetic][dataset]") {
  Dataset d = numbered(100);
  Split s = split(d, 0.2, 7);
  CHECK(s.train.size() == 80);
  CHECK(s.validation.size() == 20);
  CHECK(s.train.task == "regression");
  CHECK(s.validation.label_names == d.label_names);
  s.train.validate();
  s.validation.validate();

  auto ids_of = [](const Dataset& part) {
    BatchIterator it(part, 1000, false, 0);
    Tensor x, y;
    REQUIRE(it.next(x, y));
    return batch_indices(x, y);  // also checks every image still matches its label
  };
  std::vector<int64_t> train = ids_of(s.train), val = ids_of(s.validation);
  CHECK(std::is_sorted(train.begin(), train.end()));
  std::vector<int64_t> all = train;
  all.insert(all.end(), val.begin(), val.end());
  CHECK(is_permutation_of_range(all, 100));  // disjoint and complete

  CHECK(ids_of(split(d, 0.2, 7).validation) == val);
  CHECK(ids_of(split(d, 0.2, 8).validation) != val);

  Split none = split(d, 0.0, 1);
  CHECK(none.train.size() == 100);
  CHECK(none.validation.size() == 0);
  CHECK(split(numbered(3), 0.01, 1).validation.size() == 1);  // at least one row when asked for
  CHECK(split(numbered(3), 0.9, 1).train.size() == 1);        // ... and one left to train on

  CHECK_THROWS_WITH(split(d, 1.0, 1), Catch::Contains("validation_fraction must be in [0, 1)"));
  CHECK_THROWS_WITH(split(d, -0.1, 1), Catch::Contains("validation_fraction"));
  CHECK_THROWS_WITH(split(numbered(1), 0.5, 1), Catch::Contains("cannot give both"));
}

TEST_CASE("argmax_labels turns vote fractions into class ids", "[synthetic][dataset]") {
  Tensor votes = Tensor::from_vector<float>({0.1f, 0.7f, 0.2f,
                                             0.5f, 0.5f, 0.0f,   // tie: the first wins
                                             0.0f, 0.0f, 1.0f},
                                            {3, 3});
  CHECK(argmax_labels(votes).to_vector<int64_t>() == std::vector<int64_t>{1, 0, 2});
  CHECK(argmax_labels(votes).dtype() == DType::I64);
  Tensor ids = Tensor::from_vector<int64_t>({2, 0}, {2});
  CHECK(argmax_labels(ids).to_vector<int64_t>() == std::vector<int64_t>{2, 0});
  CHECK_THROWS_WITH(argmax_labels(Tensor::zeros({2, 3, 4})), Catch::Contains("expected scores [N, K]"));
}

TEST_CASE("Dataset checks and bad iterator arguments", "[synthetic][dataset]") {
  Dataset d = numbered(6, true);
  d.validate();
  Dataset bad = d;
  bad.labels = Tensor::from_vector<int64_t>({0, 1, 2}, {3});
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("6 images but labels"));
  bad = d;
  bad.task = "clustering";
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("task must be"));
  bad = d;
  bad.labels = Tensor::from_vector<int64_t>({0, 1, 2, 3, 1, 0}, {6});
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("class id 3 is outside [0, 3)"));
  bad = numbered(6);
  bad.label_names = {"only one"};
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("1 label names for 2 targets"));

  Dataset picked = subset(d, {5, 0, 5});
  CHECK(picked.size() == 3);
  CHECK(picked.labels.to_vector<int64_t>() == std::vector<int64_t>{2, 0, 2});
  CHECK_THROWS_WITH(subset(d, {6}), Catch::Contains("index 6 is outside"));
  CHECK_THROWS_WITH(BatchIterator(d, 0, true, 1), Catch::Contains("batch_size must be >= 1"));
  CHECK_THROWS_WITH(BatchIterator(Dataset{}, 2, true, 1), Catch::Contains("no images or labels"));
  CHECK_THROWS_WITH(BatchIterator(d, 2, true, 1).reset(-1), Catch::Contains("epoch must be >= 0"));
  CHECK(permutation(0, 3).empty());
}
