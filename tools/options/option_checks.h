// The values every option of the command line accepts, checked when the
// command line is parsed, so that a bad value fails with the option's name
// before anything is read, generated or written:
//
//   astrocnn train --lr nan     ->  astrocnn: error: --lr: must be a number in [0, 1e+06], got 'nan'
//   astrocnn synth --seed -1    ->  astrocnn: error: --seed: must be an integer in [0, 18446744073709551615], got '-1'
//   astrocnn train --out ''     ->  astrocnn: error: --out: the value is empty
//
// One table (option_checks.cpp) gives the range of each numeric option by
// its long name, whichever subcommand has it: NaN and infinity are never in
// a range, integers must be whole, and every range is bounded, so that no
// number from the command line can size an allocation past what a run can
// use. A numeric option missing from the table still must be a finite
// number, and no option takes an empty value.
#pragma once
#include <string>

namespace CLI { class App; }

namespace astrocnn::cli {

// Attaches the checks to every option of every subcommand of `app`; call it
// after the subcommands are registered and before parsing.
void add_option_checks(CLI::App& app);

// What is wrong with `value`, a number in text, as a value of the numeric
// option `name` (its long name, "threads"): "must be an integer in [0, 1024]";
// "" when it is in the option's range or the table has no range for `name`.
// For numbers that stand for options but do not come from the command line
// (a checkpoint's stored options).
std::string option_range_problem(const std::string& name, const std::string& value);

// The subcommand names of `app`, "info, synth, train, eval, predict", for the
// message about an unknown command.
std::string subcommand_list(const CLI::App& app);

}  // namespace astrocnn::cli
