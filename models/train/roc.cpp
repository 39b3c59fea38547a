#include "models/train/roc.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/tensor/error.h"

namespace astrocnn::roc {
namespace {

void check_input(const std::vector<double>& scores, const std::vector<int>& positive) {
  ASTRO_CHECK(scores.size() == positive.size(), "ROC: ", scores.size(), " scores but ",
              positive.size(), " labels");
  ASTRO_CHECK(!scores.empty(), "ROC: no images, so the ROC AUC is not defined");
  for (size_t i = 0; i < scores.size(); ++i) {
    ASTRO_CHECK(std::isfinite(scores[i]), "ROC: the score of image ", i, " is ", scores[i],
                ", not a finite number");
    ASTRO_CHECK(positive[i] == 0 || positive[i] == 1, "ROC: the label of image ", i, " is ",
                positive[i], ", not 0 (negative) or 1 (positive)");
  }
}

}  // namespace

Curve roc_curve(const std::vector<double>& scores, const std::vector<int>& positive) {
  check_input(scores, positive);
  Curve c;
  c.positives = std::count(positive.begin(), positive.end(), 1);
  c.negatives = static_cast<int64_t>(positive.size()) - c.positives;
  ASTRO_CHECK(c.positives > 0 && c.negatives > 0, "ROC: all ", positive.size(), " images are of class ",
              c.positives > 0 ? 1 : 0, ", so the ROC AUC is not defined (it needs both classes)");

  // Highest score first: lowering the threshold admits the images in this order.
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });

  // Walk the groups of equal scores. Each positive in a group outranks every
  // negative not yet admitted and ties with the group's negatives, so twice
  // the Mann-Whitney U sums to whole numbers: exact in integers.
  c.points.push_back({0, 0});
  int64_t true_pos = 0, false_pos = 0, twice_u = 0;
  for (size_t first = 0; first < order.size();) {
    size_t last = first;
    int64_t group_pos = 0, group_neg = 0;
    for (; last < order.size() && scores[order[last]] == scores[order[first]]; ++last)
      ++(positive[order[last]] ? group_pos : group_neg);
    const int64_t negatives_below = c.negatives - false_pos - group_neg;
    twice_u += group_pos * (2 * negatives_below + group_neg);
    true_pos += group_pos;
    false_pos += group_neg;
    c.points.push_back({static_cast<double>(false_pos) / c.negatives,
                        static_cast<double>(true_pos) / c.positives});
    first = last;
  }
  c.auc = static_cast<double>(twice_u) / (2.0 * static_cast<double>(c.positives) * c.negatives);
  return c;
}

}  // namespace astrocnn::roc
