// The losses a network trains with, by name (models/train/loss.h).
#include "models/train/loss.h"

#include "core/tensor/error.h"
#include "core/ops.h"

namespace astrocnn {

LossKind parse_loss(const std::string& name) {
  if (name == "xent" || name == "cross-entropy") return LossKind::CrossEntropy;
  if (name == "rmse") return LossKind::Rmse;
  if (name == "mse") return LossKind::Mse;
  if (name == "cosine") return LossKind::Cosine;
  throw Error("unknown loss '" + name + "' (known: xent, rmse, mse, cosine)");
}

const char* loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::CrossEntropy: return "xent";
    case LossKind::Rmse: return "rmse";
    case LossKind::Mse: return "mse";
    case LossKind::Cosine: return "cosine";
  }
  return "?";
}

Tensor compute_loss(LossKind kind, const Tensor& outputs, const Tensor& labels) {
  if (kind == LossKind::CrossEntropy) {
    ASTRO_CHECK(labels.dtype() == DType::I64, "loss xent needs integer class labels [N], got ",
                labels.str(), " (use --loss rmse, mse or cosine for real-valued labels)");
    return ops::softmax_cross_entropy(outputs, labels);
  }
  ASTRO_CHECK(labels.dtype() != DType::I64, "loss ", loss_name(kind),
              " needs real-valued labels [N,K], got class ids ", labels.str(), " (use --loss xent)");
  ASTRO_CHECK(labels.shape() == outputs.shape(), "loss ", loss_name(kind), ": labels ",
              labels.str(), " do not match the model outputs ", outputs.str());
  switch (kind) {
    case LossKind::Rmse: return ops::rmse_loss(outputs, labels);
    case LossKind::Mse: return ops::mse_loss(outputs, labels);
    default: return ops::cosine_loss(outputs, labels);
  }
}

}  // namespace astrocnn
