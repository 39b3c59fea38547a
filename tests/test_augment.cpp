// Augmentation transforms on small known images (io/batches/augment.h): an impulse
// moved by each transform lands where it must, a ramp zoomed by 2 has the
// expected values, the random draws are reproducible and cover what they
// should, and test-time averaging over the 8 dihedral views is exact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor/philox.h"
#include "io/batches/augment.h"
#include "io/batches/dataset.h"
#include "models/models.h"

using namespace astrocnn;
using namespace astrocnn::augment;

namespace {

// A c x h x w image of zeros with value v at (r, col) of every channel.
Tensor impulse(int64_t h, int64_t w, int64_t r, int64_t col, int64_t c = 1, float v = 1) {
  std::vector<float> data(static_cast<size_t>(c * h * w), 0.0f);
  for (int64_t ch = 0; ch < c; ++ch) data[(ch * h + r) * w + col] = v * static_cast<float>(ch + 1);
  return Tensor::from_vector(data, {c, h, w});
}

float at(const Tensor& image, int64_t ch, int64_t r, int64_t col) {
  return image.data<float>()[(ch * image.size(1) + r) * image.size(2) + col];
}

// The single non-zero pixel of channel 0 (fails the test when there is not exactly one).
std::pair<int64_t, int64_t> where_is_impulse(const Tensor& image) {
  std::vector<std::pair<int64_t, int64_t>> hits;
  for (int64_t r = 0; r < image.size(1); ++r)
    for (int64_t col = 0; col < image.size(2); ++col)
      if (at(image, 0, r, col) != 0) hits.emplace_back(r, col);
  REQUIRE(hits.size() == 1);
  return hits[0];
}

Tensor random_image(int64_t c, int64_t h, int64_t w, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> data(static_cast<size_t>(c * h * w));
  for (float& v : data) v = rng.uniform();
  return Tensor::from_vector(data, {c, h, w});
}

void check_close(const Tensor& a, const Tensor& b, double margin = 1e-6) {
  REQUIRE(a.shape() == b.shape());
  std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(x[i] == Approx(y[i]).margin(margin));
}

}  // namespace

TEST_CASE("flips move an impulse to the mirrored pixel in every channel", "[augment]") {
  Tensor image = impulse(4, 5, 1, 3, /*c=*/2);
  Tensor lr = flip_left_right(image);
  CHECK(where_is_impulse(lr) == std::make_pair<int64_t, int64_t>(1, 1));
  CHECK(at(lr, 1, 1, 1) == 2.0f);
  Tensor ud = flip_up_down(image);
  CHECK(where_is_impulse(ud) == std::make_pair<int64_t, int64_t>(2, 3));
  CHECK(at(ud, 1, 2, 3) == 2.0f);
  check_close(flip_left_right(lr), image, 0);
}

TEST_CASE("rot90 turns counter-clockwise as displayed, like numpy.rot90", "[augment]") {
  // 4 rows x 5 columns; one quarter turn gives 5 x 4.
  Tensor top_right = impulse(4, 5, 0, 4);
  Tensor turned = rot90(top_right, 1);
  REQUIRE(turned.shape() == Shape{1, 5, 4});
  CHECK(where_is_impulse(turned) == std::make_pair<int64_t, int64_t>(0, 0));  // top right -> top left
  CHECK(where_is_impulse(rot90(impulse(4, 5, 3, 0), 1)) ==
        std::make_pair<int64_t, int64_t>(4, 3));  // bottom left -> bottom right
  CHECK(where_is_impulse(rot90(impulse(4, 5, 1, 3), 2)) == std::make_pair<int64_t, int64_t>(2, 1));
  CHECK(where_is_impulse(rot90(impulse(4, 5, 0, 4), -1)) == std::make_pair<int64_t, int64_t>(4, 3));

  Tensor image = random_image(2, 4, 5, 1);
  check_close(rot90(image, 4), image, 0);
  check_close(rot90(image, 3), rot90(image, -1), 0);
  check_close(rot90(image, 2), flip_up_down(flip_left_right(image)), 0);
}

TEST_CASE("the 8 dihedral views are the 8 distinct symmetries of the square", "[augment]") {
  Tensor image = random_image(1, 5, 5, 2);
  check_close(dihedral_view(image, 0), image, 0);
  check_close(dihedral_view(image, 4), flip_left_right(image), 0);
  check_close(dihedral_view(image, 5), flip_left_right(rot90(image, 1)), 0);
  std::set<std::vector<float>> distinct;
  for (int v = 0; v < kDihedralViews; ++v) distinct.insert(dihedral_view(image, v).to_vector<float>());
  CHECK(distinct.size() == 8);
  CHECK_THROWS_WITH(dihedral_view(image, 8), Catch::Contains("view must be in [0, 8)"));
}

TEST_CASE("rotate by 90 degrees (bilinear) equals the exact quarter turn", "[augment]") {
  Tensor image = random_image(3, 6, 6, 3);
  check_close(rotate(image, 90), rot90(image, 1), 1e-5);
  check_close(rotate(image, -90), rot90(image, -1), 1e-5);
  check_close(rotate(image, 180), rot90(image, 2), 1e-5);
}

TEST_CASE("rotate by 45 degrees spreads an impulse bilinearly around its rotated position",
          "[augment]") {
  // 7x7, centre (3, 3); the impulse 2 px right of the centre turns 45 degrees
  // counter-clockwise to row 3 - sqrt(2), column 3 + sqrt(2).
  Tensor out = rotate(impulse(7, 7, 3, 5), 45);
  const double s = std::sqrt(0.5);
  double total = 0;
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 7; ++j) {
      // Where output pixel (i, j) comes from: turn it back by 45 degrees (x right, y up).
      const double x = j - 3.0, y = 3.0 - i;
      const double src_r = 3 - (-x * s + y * s), src_c = 3 + (x * s + y * s);
      const double expected = std::max(0.0, 1 - std::abs(src_r - 3)) * std::max(0.0, 1 - std::abs(src_c - 5));
      CHECK(at(out, 0, i, j) == Approx(expected).margin(1e-6));
      total += at(out, 0, i, j);
    }
  CHECK(total > 0.5);
  // The brightest output pixel is the one nearest the rotated position (1.59, 4.41).
  std::vector<float> v = out.to_vector<float>();
  const int64_t brightest = std::max_element(v.begin(), v.end()) - v.begin();
  CHECK(brightest / 7 == 2);
  CHECK(brightest % 7 == 4);
}

TEST_CASE("any rotation keeps an impulse centred on the centre of an odd-sized image", "[augment]") {
  for (double degrees : {13.0, 45.0, -120.0}) {
    Tensor out = rotate(impulse(5, 5, 2, 2), degrees);
    CHECK(at(out, 0, 2, 2) == Approx(1));  // the centre maps to itself
    // The neighbours' light is point-symmetric about the centre: the centroid stays there.
    double sum = 0, row = 0, col = 0;
    for (int64_t r = 0; r < 5; ++r)
      for (int64_t c = 0; c < 5; ++c) {
        const double v = at(out, 0, r, c);
        sum += v, row += r * v, col += c * v;
      }
    CHECK(row / sum == Approx(2).margin(1e-6));
    CHECK(col / sum == Approx(2).margin(1e-6));
  }
}

TEST_CASE("translate moves by whole pixels exactly and interpolates sub-pixel shifts", "[augment]") {
  CHECK(where_is_impulse(translate(impulse(5, 6, 1, 3), 2, -1)) == std::make_pair<int64_t, int64_t>(3, 2));
  Tensor quarter = translate(impulse(5, 5, 2, 2), 0, 0.25);
  CHECK(at(quarter, 0, 2, 2) == Approx(0.75));
  CHECK(at(quarter, 0, 2, 3) == Approx(0.25));

  // A ramp (value = column + 1) shifted right by one: zero fill brings in 0,
  // edge fill repeats the first column.
  std::vector<float> ramp;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) ramp.push_back(c + 1.0f);
  Tensor image = Tensor::from_vector(ramp, {1, 3, 4});
  CHECK(translate(image, 0, 1, Fill::Zero).to_vector<float>() ==
        std::vector<float>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
  CHECK(translate(image, 0, 1, Fill::Edge).to_vector<float>() ==
        std::vector<float>{1, 1, 2, 3, 1, 1, 2, 3, 1, 1, 2, 3});
}

TEST_CASE("zoom scales about the centre: a ramp zoomed by 2 and by 0.5", "[augment]") {
  // One row, value = column: 0 1 2 3 4, centre at column 2.
  Tensor ramp = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4}, {1, 1, 5});
  check_close(zoom(ramp, 2), Tensor::from_vector(std::vector<float>{1, 1.5, 2, 2.5, 3}, {1, 1, 5}));
  check_close(zoom(ramp, 0.5, Fill::Zero), Tensor::from_vector(std::vector<float>{0, 0, 2, 4, 0}, {1, 1, 5}));
  check_close(zoom(ramp, 0.5, Fill::Edge), Tensor::from_vector(std::vector<float>{0, 0, 2, 4, 4}, {1, 1, 5}));
  // An impulse at the centre stays there when magnified; one off centre moves outwards.
  CHECK(at(zoom(impulse(5, 5, 2, 2), 3), 0, 2, 2) == Approx(1));
  Tensor magnified = zoom(impulse(9, 9, 4, 5), 2);  // 1 px right of the centre -> 2 px
  CHECK(at(magnified, 0, 4, 6) == Approx(1));
  CHECK(at(magnified, 0, 4, 5) == Approx(0.5));  // and spread over twice the width
  CHECK(at(magnified, 0, 4, 7) == Approx(0.5));
  CHECK_THROWS_WITH(zoom(ramp, 0), Catch::Contains("zoom factor must be positive"));
}

TEST_CASE("scale_brightness multiplies every pixel", "[augment]") {
  Tensor image = random_image(2, 3, 3, 4);
  std::vector<float> before = image.to_vector<float>(), after = scale_brightness(image, 1.5).to_vector<float>();
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] == Approx(1.5 * before[i]));
}

TEST_CASE("augment_batch noise has the requested statistics and matches the iterators' noise",
          "[augment]") {
  AugmentOptions o;
  o.noise = 0.5;
  Tensor zeros = Tensor::zeros({64, 2, 16, 16});
  Tensor noisy = augment_batch(zeros, o, /*seed=*/7, /*epoch=*/3, /*batch=*/2);
  std::vector<float> v = noisy.to_vector<float>();
  double sum = 0, sum_sq = 0;
  for (float x : v) sum += x, sum_sq += static_cast<double>(x) * x;
  const double mean = sum / v.size(), sd = std::sqrt(sum_sq / v.size() - mean * mean);
  CHECK(std::abs(mean) < 0.01);
  CHECK(sd == Approx(0.5).epsilon(0.02));
  // The very numbers BatchIterator::set_noise adds, so --noise alone trains as it always did.
  Tensor same = zeros.clone();
  add_batch_noise(same, 0.5, -1, 7, 3, 2);
  CHECK(same.to_vector<float>() == v);
  CHECK(zeros.to_vector<float>() == std::vector<float>(v.size(), 0.0f));  // input untouched
}

TEST_CASE("augment_batch is reproducible and each image is its drawn transform", "[augment]") {
  AugmentOptions o;
  o.flip = o.rot90 = true;
  o.rotate = 30;
  o.translate = 2;
  o.zoom_min = 0.8, o.zoom_max = 1.25;
  o.brightness = 0.2;
  Tensor x = Tensor::empty({6, 2, 12, 12});
  for (int64_t i = 0; i < 6; ++i) {
    std::vector<float> image = random_image(2, 12, 12, 10 + i).to_vector<float>();
    std::copy(image.begin(), image.end(), x.data<float>() + i * 288);
  }
  Tensor a = augment_batch(x, o, 5, 1, 4), b = augment_batch(x, o, 5, 1, 4);
  CHECK(a.to_vector<float>() == b.to_vector<float>());
  CHECK(augment_batch(x, o, 5, 1, 5).to_vector<float>() != a.to_vector<float>());
  CHECK(augment_batch(x, o, 5, 2, 4).to_vector<float>() != a.to_vector<float>());
  CHECK(augment_batch(x, o, 6, 1, 4).to_vector<float>() != a.to_vector<float>());
  for (int64_t i = 0; i < 6; ++i) {
    Tensor image = Tensor::from_vector(
        std::vector<float>(x.data<float>() + i * 288, x.data<float>() + (i + 1) * 288), {2, 12, 12});
    Tensor expected = apply_augmentation(image, draw_augmentation(o, 5, 1, 4, i), o.fill);
    std::vector<float> got(a.data<float>() + i * 288, a.data<float>() + (i + 1) * 288);
    CHECK(got == expected.to_vector<float>());
  }
}

TEST_CASE("draw_augmentation covers the requested ranges, one stream per parameter", "[augment]") {
  AugmentOptions flips;
  flips.flip = true;
  AugmentOptions all = flips;
  all.rot90 = true;
  AugmentOptions ranges;
  ranges.rotate = 10;
  ranges.translate = 1.5;
  ranges.zoom_min = 0.5, ranges.zoom_max = 2;
  ranges.brightness = 0.3;
  std::set<int> flip_views, all_views;
  bool zoomed_in = false, zoomed_out = false;
  for (int64_t i = 0; i < 400; ++i) {
    flip_views.insert(draw_augmentation(flips, 1, 0, 0, i).view);
    all_views.insert(draw_augmentation(all, 1, 0, 0, i).view);
    ImageAugmentation a = draw_augmentation(ranges, 1, 0, 0, i);
    CHECK(a.view == 0);
    CHECK(std::abs(a.resampling.degrees) <= 10);
    CHECK(std::abs(a.resampling.dy) <= 1.5);
    CHECK(std::abs(a.resampling.dx) <= 1.5);
    CHECK(a.resampling.factor >= 0.5);
    CHECK(a.resampling.factor <= 2);
    zoomed_in |= a.resampling.factor > 1.5;
    zoomed_out |= a.resampling.factor < 0.7;
    CHECK(std::abs(a.gain - 1) <= 0.3);
    // Turning brightness off leaves the geometric draws as they were.
    AugmentOptions no_gain = ranges;
    no_gain.brightness = 0;
    ImageAugmentation b = draw_augmentation(no_gain, 1, 0, 0, i);
    CHECK(b.resampling.degrees == a.resampling.degrees);
    CHECK(b.resampling.factor == a.resampling.factor);
    CHECK(b.gain == 1);
  }
  CHECK(flip_views == std::set<int>{0, 2, 4, 6});
  CHECK(all_views == std::set<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(zoomed_in);
  CHECK(zoomed_out);
  AugmentOptions any_angle;
  any_angle.rotate = 180;
  double widest = 0;
  for (int64_t i = 0; i < 200; ++i)
    widest = std::max(widest, std::abs(draw_augmentation(any_angle, 1, 0, 0, i).resampling.degrees));
  CHECK(widest > 150);
}

TEST_CASE("augmentation options are checked with the flag's name", "[augment]") {
  auto fails = [](auto change, const char* message, int64_t h = 8, int64_t w = 8) {
    AugmentOptions o;
    change(o);
    CHECK_THROWS_WITH(o.validate(h, w), Catch::Contains(message));
  };
  fails([](AugmentOptions& o) { o.rotate = 200; }, "--rotate must be in [0, 180]");
  fails([](AugmentOptions& o) { o.zoom_min = 0; }, "--zoom needs 0 < MIN <= MAX");
  fails([](AugmentOptions& o) { o.zoom_min = 2, o.zoom_max = 1; }, "--zoom needs 0 < MIN <= MAX");
  fails([](AugmentOptions& o) { o.brightness = 1; }, "--brightness must be in [0, 1)");
  fails([](AugmentOptions& o) { o.translate = -1; }, "--translate must be >= 0");
  fails([](AugmentOptions& o) { o.translate = 8; }, "--translate 8 pixels shifts a 8x8 image");
  fails([](AugmentOptions& o) { o.rot90 = true; }, "--rot90 needs square images, got 8x6", 8, 6);
  CHECK_THROWS_WITH(parse_fill("wrap"), Catch::Contains("unknown fill 'wrap'"));
  AugmentOptions none;
  CHECK_FALSE(none.any());
  CHECK(none.describe().empty());
  none.flip = true;
  none.rotate = 180;
  CHECK(none.describe() == "flip, rotate any angle, zero fill");
}

TEST_CASE("test-time augmentation: the mean of the 8 views, equal to the plain output for a "
          "symmetric image", "[augment]") {
  manual_seed(3);
  models::ModelOptions mo;
  mo.in_channels = 2;
  mo.outputs = 3;
  mo.image_size = 8;
  auto model = models::small_cnn(mo);
  model->eval();
  NoGradGuard no_grad;
  auto predict = [&](const Tensor& x) { return ops::softmax(model->forward(x)); };

  // A round Gaussian blob at the centre of an 8x8 image looks the same in every view.
  std::vector<float> blob;
  for (int ch = 0; ch < 2; ++ch)
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c) {
        const int dr = 2 * r - 7, dc = 2 * c - 7;  // twice the offset from the centre (3.5, 3.5)
        blob.push_back(static_cast<float>((ch + 1) * std::exp(-(dr * dr + dc * dc) / 24.0)));
      }
  Tensor symmetric = Tensor::from_vector(blob, {1, 2, 8, 8});
  check_close(mean_over_dihedral_views(symmetric, predict), predict(symmetric));

  // A general batch: the mean of the 8 explicit predictions, image by image.
  Tensor batch = Tensor::empty({2, 2, 8, 8});
  for (int64_t i = 0; i < 2; ++i) {
    std::vector<float> image = random_image(2, 8, 8, 20 + i).to_vector<float>();
    std::copy(image.begin(), image.end(), batch.data<float>() + i * 128);
  }
  Tensor tta = mean_over_dihedral_views(batch, predict);
  REQUIRE(tta.shape() == Shape{2, 3});
  for (int64_t i = 0; i < 2; ++i) {
    Tensor image = Tensor::from_vector(
        std::vector<float>(batch.data<float>() + i * 128, batch.data<float>() + (i + 1) * 128), {2, 8, 8});
    std::vector<double> mean(3, 0.0);
    for (int v = 0; v < kDihedralViews; ++v) {
      std::vector<float> p = predict(dihedral_view(image, v).reshape({1, 2, 8, 8})).to_vector<float>();
      for (int k = 0; k < 3; ++k) mean[k] += p[k] / 8.0;
    }
    for (int k = 0; k < 3; ++k) CHECK(tta.to_vector<float>()[i * 3 + k] == Approx(mean[k]).margin(1e-6));
  }
  // The views differ for this image, so averaging did something.
  CHECK(tta.to_vector<float>() != predict(batch).to_vector<float>());
}
