// The subcommands of the `astrocnn` command line. Each add_*_command()
// registers its options on the CLI11 app and returns the code to run once
// parsing succeeded; errors are thrown as astrocnn::Error and turned into one
// line on stderr and exit status 2 by main().
#pragma once
#include <functional>
#include <string>

#include "core/tensor/error.h"
#include "core/tensor/tensor.h"
#include "kernels/precision.h"

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

// Applies --threads (0 = leave the default) to the CPU backend.
void apply_threads(int threads);
// The threads the CPU backend uses (1 without oneDNN: the reference loops are serial).
int cpu_thread_count();

// "cpu" or "cuda" (--device); checks that a CUDA device is there.
Device parse_device(const std::string& name);
// --precision: "fp32", "tf32" or "bf16" (kernels/precision.h), checked
// against what the backend of `device` supports, then made the math
// precision of the process.
Precision apply_precision(const std::string& name, Device device);

// The command line as typed, for config.json and the log (set by main).
void set_command_line(int argc, char** argv);
const std::string& command_line();

// Throws an Error saying this build cannot read or write HDF5 files, naming
// `what` (e.g. "-f train.h5"), unless it was built with HDF5.
void require_hdf5(const std::string& what);

// Runs `parse` (e.g. a lambda calling parse_loss) and prefixes any Error it
// throws with the option's name: "--loss: unknown loss 'hinge' (...)".
template <class Parse>
auto parse_option(const char* option, Parse parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const Error& e) {
    throw Error(std::string(option) + ": " + e.what());
  }
}

}  // namespace astrocnn::cli
