// What every subcommand's options share: --threads, --device and
// --precision applied to the backends, the command line as typed, the HDF5
// requirement, and parse_option, which names the option in an error.
// Defined in option_values.cpp.
#pragma once
#include <string>

#include "core/tensor/error.h"
#include "core/tensor/tensor.h"
#include "kernels/precision.h"

namespace astrocnn::cli {

// Applies --threads (0 = leave the default) to the CPU backend.
void apply_threads(int threads);
// The threads the CPU backend uses (1 without oneDNN: the reference loops are serial).
int cpu_thread_count();

// Throws unless `name` is "cpu" or "cuda" (--device); looks for no device.
void check_device_name(const std::string& name);
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
