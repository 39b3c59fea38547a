// The range of every numeric option, and the checks that enforce them
// (tools/options/option_checks.h).
#include "tools/options/option_checks.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace astrocnn::cli {

namespace {

// The values one option accepts: [min, max] (min excluded when min_open),
// whole numbers only when integer.
struct Range {
  const char* option;  // the long name, as the subcommands register it
  long double min, max;
  bool integer;
  bool min_open = false;  // (min, max]
  bool max_open = false;  // [min, max)
};

constexpr long double kUint64Max = static_cast<long double>(std::numeric_limits<uint64_t>::max());

// The largest number of classes (model outputs) astrocnn builds a model for;
// DeepGalaxy's published model has 994.
constexpr long double kMaxOutputs = 65536;

// Every numeric option of every subcommand. The upper bounds keep a mistyped
// number from sizing an allocation larger than any machine has (-n, --size,
// --batch-size, --outputs, --gallery-count) while staying far above what a
// run needs.
const Range kRanges[] = {
    // the optimiser and its schedule
    {"lr", 0, 1000, false},
    {"momentum", 0, 1, false, false, true},
    {"weight-decay", 0, 1000, false},
    {"epochs", 1, 1000000, true},
    {"step-size", 1, 1000000, true},
    {"batch-size", 1, 65536, true},
    {"val-fraction", 0, 1, false, false, true},
    {"seed", 0, kUint64Max, true},
    // the model
    {"outputs", 1, kMaxOutputs, true},
    {"dropout", 0, 1, false, false, true},
    // the built-in data
    {"images", 1, 10000000, true},
    {"size", 8, 4096, true},
    {"merger-channels", 1, 3, true},
    {"lens-fraction", 0, 1, false},
    // augmentation and noise
    {"noise", 0, 1e6, false},
    {"rotate", 0, 180, false},
    {"translate", 0, 4096, false},
    {"zoom", 0, 100, false, true},
    {"brightness", 0, 1, false, false, true},
    // data formats
    {"num-camera", 1, 14, true},
    // machines and runs
    {"threads", 0, 1024, true},
    {"shard-epochs", -1, 1000000, true},
    {"trace-step", 1, 1000000000, true},
    // predict's gallery
    {"gallery-count", 1, 1024, true},
    {"bands", 0, 4095, true},
};

std::string number_text(long double v) {
  if (v == kUint64Max) return std::to_string(std::numeric_limits<uint64_t>::max());
  std::ostringstream s;
  s << static_cast<double>(v);
  return s.str();
}

std::string describe(const Range& r) {
  return std::string(r.integer ? "an integer" : "a number") + " in " + (r.min_open ? "(" : "[") +
         number_text(r.min) + ", " + number_text(r.max) + (r.max_open ? ")" : "]");
}

// The whole text as a number, or false (then CLI11's conversion reports it).
bool parse_number(const std::string& text, long double& value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtold(text.c_str(), &end);
  return end != text.c_str() && *end == '\0';
}

bool inside(const Range& r, long double v) {
  if (!std::isfinite(v)) return false;
  if (r.integer && v != std::floor(v)) return false;
  if (r.min_open ? v <= r.min : v < r.min) return false;
  if (r.max_open ? v >= r.max : v > r.max) return false;
  return true;
}

CLI::Validator range_check(const Range& r) {
  return CLI::Validator(
      [r](std::string& text) -> std::string {
        long double v = 0;
        if (!parse_number(text, v)) return "";  // CLI11 then says "Could not convert"
        if (inside(r, v)) return "";
        return "must be " + describe(r) + ", got '" + text + "'";
      },
      describe(r));
}

// Options outside the table: at least a finite number.
CLI::Validator finite_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        long double v = 0;
        if (!parse_number(text, v) || std::isfinite(v)) return "";
        return "must be a finite number, got '" + text + "'";
      },
      "");
}

CLI::Validator not_empty_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return text.empty() ? "the value is empty" : "";
      },
      "");
}

const Range* range_named(const std::string& name) {
  for (const Range& r : kRanges)
    if (name == r.option) return &r;
  return nullptr;
}

const Range* range_of(const CLI::Option& option) {
  for (const std::string& name : option.get_lnames())
    if (const Range* r = range_named(name)) return r;
  return nullptr;
}

bool numeric(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  return type == "INT" || type == "UINT" || type == "FLOAT";
}

void add_checks(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_size() == 0) continue;  // a flag
    option->check(not_empty_check());
    if (const Range* r = range_of(*option)) option->check(range_check(*r));
    else if (numeric(*option)) option->check(finite_check());
  }
  for (CLI::App* sub : app.get_subcommands({})) add_checks(*sub);
}

}  // namespace

void add_option_checks(CLI::App& app) { add_checks(app); }

std::string option_range_problem(const std::string& name, const std::string& value) {
  const Range* r = range_named(name);
  long double v = 0;
  if (r == nullptr || (parse_number(value, v) && inside(*r, v))) return "";
  return "must be " + describe(*r);
}

std::string subcommand_list(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands({}))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

}  // namespace astrocnn::cli
