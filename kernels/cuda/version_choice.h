// The choice among numbered kernel versions (SGEMM, convolution): which
// versions exist, the current one (an environment variable read on first
// use, or an explicit set()), and checked lookups with errors that list the
// known versions. Host-only, plain C++.
#pragma once
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/tensor/error.h"

namespace astrocnn::cuda {

class VersionChoice {
 public:
  // `what` names the kernel family in errors ("SGEMM", "convolution");
  // versions are numbered from 1 in the order of `names`.
  VersionChoice(const char* what, const char* env_var, std::vector<std::string> names,
                int default_version)
      : what_(what), env_var_(env_var), names_(std::move(names)), default_(default_version) {}

  int count() const { return static_cast<int>(names_.size()); }

  void check(int v, const char* where) const {
    ASTRO_CHECK(v >= 1 && v <= count(), where, ": unknown ", what_, " version ", v, "; known: ", known());
  }

  const std::string& name(int v, const char* where) const {
    check(v, where);
    return names_[v - 1];
  }

  int current() {
    int v = chosen_.load();
    if (v == 0) {
      v = from_environment();
      chosen_.store(v);
    }
    return v;
  }

  // 0 goes back to the default (the environment variable, else default_version).
  void set(int v, const char* where) {
    if (v != 0) check(v, where);
    chosen_.store(v == 0 ? from_environment() : v);
  }

 private:
  std::string known() const {
    std::string s;
    for (int v = 1; v <= count(); ++v) s += (v > 1 ? ", " : "") + std::to_string(v) + " (" + names_[v - 1] + ")";
    return s;
  }

  int from_environment() const {
    const char* env = std::getenv(env_var_);
    if (!env || !*env) return default_;
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    ASTRO_CHECK(end && *end == '\0' && v >= 1 && v <= count(), env_var_, "='", env, "' is not a ", what_,
                " version; known: ", known());
    return static_cast<int>(v);
  }

  const char* what_;
  const char* env_var_;
  std::vector<std::string> names_;
  int default_;
  std::atomic<int> chosen_{0};  // 0: not chosen yet
};

}  // namespace astrocnn::cuda
