// The losses a network trains with: cross-entropy over class ids, RMSE and
// MSE over real-valued targets, and cosine similarity over target vectors.
#pragma once
#include <string>

#include "core/tensor/tensor.h"

namespace astrocnn {

enum class LossKind { CrossEntropy, Rmse, Mse, Cosine };
LossKind parse_loss(const std::string& name);  // "xent", "rmse", "mse", "cosine"
const char* loss_name(LossKind kind);

// The loss of model outputs [N,K] against a batch of labels: int64 class ids
// [N] for cross-entropy, float [N,K] targets otherwise. Checks the pairing.
Tensor compute_loss(LossKind kind, const Tensor& outputs, const Tensor& labels);

}  // namespace astrocnn
