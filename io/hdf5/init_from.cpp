#include "io/hdf5/init_from.h"

#include <optional>
#include <set>

#include "core/tensor/error.h"

namespace astrocnn {

namespace {

const Tensor* find(const NamedTensors& entries, const std::string& name) {
  for (const auto& [n, t] : entries)
    if (n == name) return &t;
  return nullptr;
}

// Whether `a` and `b` have the same rank and differ in dimension `d` alone.
bool differ_only_in(const Tensor& a, const Tensor& b, int64_t d) {
  if (a.dim() != b.dim() || a.dim() <= d) return false;
  for (int64_t i = 0; i < a.dim(); ++i)
    if ((a.size(i) == b.size(i)) != (i != d)) return false;
  return true;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The stem: the model's first 4-D entry, the first convolution's weight.
// Its bias, if any, does not depend on the input channels.
std::optional<ReinitialisedPart> stem_part(const NamedTensors& stored, const NamedTensors& model_state,
                                           const std::string& path) {
  for (const auto& [name, mine] : model_state) {
    if (mine.dim() != 4) continue;
    const Tensor* theirs = find(stored, name);
    if (!theirs || !differ_only_in(*theirs, mine, 1)) return std::nullopt;
    const int64_t channels = theirs->size(1);
    return ReinitialisedPart{"stem", {name},
                             "init-from: " + name + " has " + std::to_string(channels) +
                                 (channels == 1 ? " input channel in " : " input channels in ") +
                                 path + ", the model " + std::to_string(mine.size(1)) +
                                 ": re-initialised"};
  }
  return std::nullopt;
}

// The head: the model's last dense layer, i.e. its last 2-D "<prefix>.weight"
// ([outputs, inputs]) and "<prefix>.bias" ([outputs]) when it has one.
std::optional<ReinitialisedPart> head_part(const NamedTensors& stored, const NamedTensors& model_state,
                                           const std::string& path) {
  for (auto it = model_state.rbegin(); it != model_state.rend(); ++it) {
    const auto& [name, mine] = *it;
    if (mine.dim() != 2 || !ends_with(name, ".weight")) continue;
    const Tensor* theirs = find(stored, name);
    if (!theirs || !differ_only_in(*theirs, mine, 0)) return std::nullopt;
    const int64_t outputs = theirs->size(0);
    std::vector<std::string> entries{name};
    const std::string bias = name.substr(0, name.size() - 7) + ".bias";
    if (find(model_state, bias)) {
      const Tensor* their_bias = find(stored, bias);
      if (!their_bias || their_bias->shape() != Shape{outputs}) return std::nullopt;
      entries.push_back(bias);
    }
    std::string listed;
    for (const std::string& e : entries) listed += (listed.empty() ? "" : ", ") + e;
    return ReinitialisedPart{"head", entries,
                             "init-from: the head (" + listed + ") has " + std::to_string(outputs) +
                                 " outputs in " + path + ", the model " +
                                 std::to_string(mine.size(0)) + ": re-initialised"};
  }
  return std::nullopt;
}

}  // namespace

std::vector<ReinitialisedPart> parts_to_reinitialise(const NamedTensors& stored,
                                                     const NamedTensors& model_state,
                                                     const std::string& path) {
  std::vector<ReinitialisedPart> parts;
  if (auto stem = stem_part(stored, model_state, path)) parts.push_back(*stem);
  if (auto head = head_part(stored, model_state, path)) parts.push_back(*head);
  return parts;
}

InitFromResult init_from_checkpoint(const std::string& path, const std::string& model_name,
                                    Module& model) {
  InitFromResult result;
  result.meta = read_checkpoint_meta(path);
  ASTRO_CHECK(result.meta.model.empty() || model_name.empty() || result.meta.model == model_name,
              "checkpoint '", path, "' holds a '", result.meta.model, "' model, not '", model_name,
              "'");
  const NamedTensors stored = read_checkpoint_state(path);
  result.reinitialised = parts_to_reinitialise(stored, model.state_dict(), path);
  std::set<std::string> keep;
  for (const ReinitialisedPart& part : result.reinitialised)
    keep.insert(part.entries.begin(), part.entries.end());
  load_model_entries(model, stored, path, keep);
  return result;
}

}  // namespace astrocnn
