// The ROC curve and its AUC (models/train/roc.h): the extreme rankings,
// ties (one diagonal step per distinct score, worth 1/2 in the AUC), a
// small case worked by hand, the curve's shape, and the refusals.
#include <catch2/catch.hpp>

#include <limits>
#include <utility>
#include <vector>

#include "core/tensor/error.h"
#include "models/train/roc.h"

using namespace astrocnn;
using namespace astrocnn::roc;

namespace {

// The trapezoidal area under the curve's points.
double trapezoid_area(const Curve& c) {
  double area = 0;
  for (size_t i = 1; i < c.points.size(); ++i) {
    const Point &a = c.points[i - 1], &b = c.points[i];
    area += (b.false_positive_rate - a.false_positive_rate) *
            (a.true_positive_rate + b.true_positive_rate) / 2;
  }
  return area;
}

void check_shape(const Curve& c) {
  REQUIRE(c.points.size() >= 2);
  CHECK(c.points.front().false_positive_rate == 0);
  CHECK(c.points.front().true_positive_rate == 0);
  CHECK(c.points.back().false_positive_rate == 1);
  CHECK(c.points.back().true_positive_rate == 1);
  for (size_t i = 1; i < c.points.size(); ++i) {
    CHECK(c.points[i].false_positive_rate >= c.points[i - 1].false_positive_rate);
    CHECK(c.points[i].true_positive_rate >= c.points[i - 1].true_positive_rate);
  }
  CHECK(trapezoid_area(c) == Approx(c.auc));
}

}  // namespace

TEST_CASE("roc: scores that rank every positive first give AUC 1", "[roc]") {
  const Curve c = roc_curve({0.9, 0.8, 0.3, 0.1, 0.7}, {1, 1, 0, 0, 1});
  CHECK(c.auc == 1.0);
  CHECK(c.positives == 3);
  CHECK(c.negatives == 2);
  check_shape(c);
  // Straight up the left edge, then along the top.
  CHECK(c.points[3].false_positive_rate == 0);
  CHECK(c.points[3].true_positive_rate == 1);
}

TEST_CASE("roc: a reversed ranking gives AUC 0", "[roc]") {
  const Curve c = roc_curve({0.1, 0.2, 0.8, 0.9}, {1, 1, 0, 0});
  CHECK(c.auc == 0.0);
  check_shape(c);
}

TEST_CASE("roc: equal scores for all give AUC 0.5 and one diagonal step", "[roc]") {
  const Curve c = roc_curve({0.4, 0.4, 0.4, 0.4, 0.4}, {1, 0, 0, 1, 0});
  CHECK(c.auc == 0.5);
  REQUIRE(c.points.size() == 2);  // (0, 0) and (1, 1): the one threshold admits all at once
  check_shape(c);
}

TEST_CASE("roc: a small case with ties, worked by hand", "[roc]") {
  // Positives 0.9, 0.8, 0.3; negatives 0.8, 0.5, 0.3. Pairs a positive wins:
  // 0.9 beats all 3; 0.8 beats 0.5 and 0.3 and ties 0.8 (2.5); 0.3 ties 0.3
  // (0.5). U = 6 of 3 x 3 pairs: AUC 2/3.
  const Curve c = roc_curve({0.9, 0.8, 0.8, 0.5, 0.3, 0.3}, {1, 0, 1, 0, 1, 0});
  CHECK(c.auc == Approx(2.0 / 3.0));
  check_shape(c);
  // One point per distinct score (0.9, 0.8, 0.5, 0.3) after (0, 0).
  const std::vector<std::pair<double, double>> expected = {
      {0, 0}, {0, 1.0 / 3}, {1.0 / 3, 2.0 / 3}, {2.0 / 3, 2.0 / 3}, {1, 1}};
  REQUIRE(c.points.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(c.points[i].false_positive_rate == Approx(expected[i].first));
    CHECK(c.points[i].true_positive_rate == Approx(expected[i].second));
  }
}

TEST_CASE("roc: the order of the images does not matter", "[roc]") {
  const Curve a = roc_curve({0.2, 0.7, 0.7, 0.1, 0.9, 0.2}, {0, 1, 0, 1, 1, 0});
  const Curve b = roc_curve({0.9, 0.2, 0.1, 0.7, 0.2, 0.7}, {1, 0, 1, 0, 0, 1});
  CHECK(a.auc == b.auc);
  REQUIRE(a.points.size() == b.points.size());
  for (size_t i = 0; i < a.points.size(); ++i) {
    CHECK(a.points[i].false_positive_rate == b.points[i].false_positive_rate);
    CHECK(a.points[i].true_positive_rate == b.points[i].true_positive_rate);
  }
}

TEST_CASE("roc: refuses input on which the AUC is not defined", "[roc]") {
  CHECK_THROWS_WITH(roc_curve({}, {}), Catch::Contains("no images") && Catch::Contains("not defined"));
  CHECK_THROWS_WITH(roc_curve({0.1, 0.9}, {1, 1}),
                    Catch::Contains("all 2 images are of class 1") && Catch::Contains("not defined"));
  CHECK_THROWS_WITH(roc_curve({0.1, 0.9}, {0, 0}), Catch::Contains("class 0"));
  CHECK_THROWS_WITH(roc_curve({0.1, 0.9}, {0, 1, 1}), Catch::Contains("2 scores but 3 labels"));
  CHECK_THROWS_WITH(roc_curve({0.1, 0.9}, {0, 2}), Catch::Contains("not 0 (negative) or 1"));
  CHECK_THROWS_AS(roc_curve({0.1, std::numeric_limits<double>::quiet_NaN()}, {0, 1}), Error);
}
