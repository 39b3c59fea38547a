// The receiver operating characteristic of a two-class classifier (a lens
// finder: class 1 lens against class 0 non-lens): how the true-positive rate
// grows with the false-positive rate as the threshold on the score of the
// positive class (its softmax probability) is lowered, and the area under
// that curve.
//
// The area is the Mann-Whitney statistic: the chance that a random positive
// image scores above a random negative one, a tie counting 1/2. So it does
// not depend on any threshold nor on the base rate; 0.5 is chance (scores
// unrelated to the class), 1 a perfect ranking, 0 a perfectly reversed one.
#pragma once
#include <cstdint>
#include <vector>

namespace astrocnn::roc {

struct Point {
  double false_positive_rate = 0;  // negatives at or above the threshold / all negatives
  double true_positive_rate = 0;   // positives at or above the threshold / all positives
};

struct Curve {
  // From (0, 0) (threshold above every score) to (1, 1) (at or below every
  // score), one point per distinct score: images with equal scores pass a
  // threshold together, so a tie is one diagonal step, never a staircase
  // whose shape would depend on the order of the images.
  std::vector<Point> points;
  double auc = 0;  // the Mann-Whitney statistic, equal to the trapezoidal area under `points`
  int64_t positives = 0, negatives = 0;
};

// `scores[i]`: how strongly image i is called positive; `positive[i]`: its
// true class (1 positive, 0 negative). Throws an Error when the two differ
// in length, a score is not finite, a label is not 0 or 1, the input is
// empty or only one class is present (then the AUC is not defined).
Curve roc_curve(const std::vector<double>& scores, const std::vector<int>& positive);

}  // namespace astrocnn::roc
