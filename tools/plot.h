// curves.png: the learning curves of a run, drawn with cairo.
#pragma once
#include <string>
#include <vector>

#include "models/trainer.h"

namespace astrocnn::cli {

// Two panels against epoch, train (solid) and validation (dashed): the loss,
// and the accuracy (or the RMSE when accuracy is not defined for the labels).
// Written atomically to `path`. Returns false, writing nothing, when this
// build has no cairo; throws an Error naming the file when writing fails.
bool plot_curves(const std::vector<EpochMetrics>& history, const std::string& title,
                 const std::string& path);

}  // namespace astrocnn::cli
