// The subcommands of the `astrocnn` command line. Each add_*_command()
// registers its options on the CLI11 app and returns the code to run once
// parsing succeeded; errors are thrown as astrocnn::Error and turned into one
// line on stderr and exit status 2 by main().
#pragma once
#include <functional>
#include <string>

#include "tools/options/option_values.h"  // the helpers every command shares

namespace CLI { class App; }

namespace astrocnn::cli {

struct Command {
  CLI::App* subcommand;
  std::function<int()> run;
};

Command add_info_command(CLI::App& app);     // cmd_info.cpp
Command add_synth_command(CLI::App& app);    // cmd_synth.cpp
Command add_train_command(CLI::App& app);    // cmd_train.cpp
Command add_eval_command(CLI::App& app);     // cmd_eval.cpp
Command add_predict_command(CLI::App& app);  // cmd_predict.cpp
Command add_export_command(CLI::App& app);   // cmd_export.cpp

}  // namespace astrocnn::cli
