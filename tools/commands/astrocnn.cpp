// astrocnn: train and run CNNs on astronomical images.
//   astrocnn info            what this build and machine offer
//   astrocnn synth [...]     write a built-in synthetic data set to an HDF5 file
//   astrocnn train [...]     train a network (built-in synthetic galaxies by default)
//   astrocnn eval [...]      metrics of a checkpoint on a data file
//   astrocnn predict [...]   a checkpoint's outputs for every image of a file, as CSV
//   astrocnn export [...]    a checkpoint's network as an ONNX model
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "core/distributed.h"
#include "core/tensor/error.h"
#include "tools/commands/commands.h"
#include "tools/options/option_checks.h"

namespace {

// Error messages go out as one line, whatever they hold.
std::string one_line(std::string message) {
  for (char& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  return message;
}

// The first argument that is not an option must name a subcommand; CLI11
// alone would only say "A subcommand is required".
void check_command_name(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return;
  const std::string name = argv[1];
  for (const CLI::App* sub : app.get_subcommands({}))
    if (sub->check_name(name)) return;
  throw CLI::ExtrasError("unknown command '" + name + "'; the commands are " +
                             astrocnn::cli::subcommand_list(app),
                         CLI::ExitCodes::ExtrasError);
}

}  // namespace

int main(int argc, char** argv) {
  // MPI, only when mpirun/srun started this process (core/distributed.h).
  astrocnn::DistributedSession distributed(argc, argv);
  CLI::App app{"astrocnn " ASTROCNN_VERSION ": convolutional networks for astronomical images"};
  app.require_subcommand(1);
  using namespace astrocnn::cli;
  set_command_line(argc, argv);
  std::vector<Command> commands;
  for (auto add : {add_info_command, add_synth_command, add_train_command, add_eval_command,
                   add_predict_command, add_export_command})
    commands.push_back(add(app));
  add_option_checks(app);
  try {
    check_command_name(app, argc, argv);
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, exit status 2, like every other bad input.
    std::fprintf(stderr, "astrocnn: error: %s (see --help)\n", one_line(e.what()).c_str());
    return 2;
  }
  try {
    for (auto& c : commands)
      if (c.subcommand->parsed()) return c.run();
    return 2;
  } catch (const astrocnn::Error& e) {
    std::fprintf(stderr, "astrocnn: error: %s\n", one_line(e.what()).c_str());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "astrocnn: error: out of memory (try a smaller --batch-size)\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "astrocnn: internal error: %s\n", one_line(e.what()).c_str());
    return 1;
  }
}
