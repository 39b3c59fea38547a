// `astrocnn info`: version, backends found, CPU ISA, GPUs, optional features.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "core/tensor/error.h"
#include "kernels/backend.h"
#include "layers/activation.h"
#include "models/models.h"
#include "tools/commands/commands.h"
#include "tools/run/run_config.h"
#if defined(ASTROCNN_HAVE_ONEDNN)
#include "kernels/cpu/onednn_backend.h"
#endif
#if defined(ASTROCNN_HAVE_CUDA)
#include "kernels/cuda/cuda_api.h"
#endif
#if defined(ASTROCNN_HAVE_ONNX)
#include "io/onnx/onnx_export.h"
#endif

namespace astrocnn::cli {
namespace {

// The CPU model and the vector ISA extensions that matter for the kernels, from /proc/cpuinfo.
std::string cpu_description() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU", flags;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 && model == "unknown CPU") model = line.substr(line.find(':') + 2);
    if (line.rfind("flags", 0) == 0 && flags.empty()) flags = " " + line.substr(line.find(':') + 1) + " ";
  }
  std::string isa;
  for (const char* f : {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni",
                        "avx512_bf16", "amx_tile"})
    if (flags.find(std::string(" ") + f + " ") != std::string::npos) isa += std::string(isa.empty() ? "" : " ") + f;
  return model + " (" + std::to_string(std::thread::hardware_concurrency()) + " hardware threads; " +
         (isa.empty() ? "no SIMD flags found" : isa) + ")";
}

// `info --model NAME`: the model's description and its state_dict entries
// (name, shape, dtype) in order, as JSON: what a checkpoint of it holds, for
// tools/scripts/torch2h5.py to check a PyTorch state_dict against.
int print_model_state_dict(const ModelSpec& spec) {
  std::shared_ptr<Module> model;
  try {
    model = models::make_model(spec.name, spec.options);
  } catch (const Error& e) {
    throw Error(std::string("--model: ") + e.what());
  }
  // One entry a line: JSON for programs, readable for people.
  std::printf("{\"model\": %s,\n \"state_dict\": [",
              model_to_json(spec, model->parameter_count()).dump().c_str());
  const char* separator = "\n  ";
  for (const auto& [name, t] : model->state_dict()) {
    const json entry = {{"name", name}, {"shape", t.shape()}, {"dtype", dtype_name(t.dtype())}};
    std::printf("%s%s", separator, entry.dump().c_str());
    separator = ",\n  ";
  }
  std::printf("\n]}\n");
  return 0;
}

// `info`: the version, what this build has, the CPU and the GPUs.
int print_build_info() {
  std::printf("astrocnn %s\n", ASTROCNN_VERSION);
  std::printf("cpu:       %s\n", cpu_description().c_str());
  std::printf("backends:  reference (always)\n");
#if defined(ASTROCNN_HAVE_ONEDNN)
  std::printf("           cpu-onednn (oneDNN %s, %d threads, %s code path%s)%s\n",
              onednn_version().c_str(), cpu_threads(), cpu_isa_name().c_str(),
              cpu_isa_cap().empty() ? "" : (", capped by " + cpu_isa_cap()).c_str(),
              reference_backend_forced() ? " -- overridden: ASTROCNN_BACKEND=reference" : " -- default on the CPU");
#else
  std::printf("           cpu-onednn: not built (oneDNN was not found at configure time)\n");
#endif
#if defined(ASTROCNN_HAVE_CUDA)
  std::printf("           cuda: %s\n", cuda_device_summary().c_str());
#else
  std::printf("           cuda: not built (nvcc was not found at configure time)\n");
#endif
  std::printf("cpu ops run on: %s\n", backend_for(Device::CPU).name().c_str());
  // Our own code is compiled for the baseline x86-64 unless ASTROCNN_MARCH
  // says otherwise; oneDNN picks its kernels at run time either way.
  std::printf("build:     %s\n", std::string(ASTROCNN_MARCH_FLAG).empty()
                                      ? "portable (no -march: runs on any x86-64)"
                                      : ("-march=" + std::string(ASTROCNN_MARCH_FLAG) +
                                         " (runs only on CPUs with that ISA)").c_str());
#if defined(ASTROCNN_HAVE_HDF5)
  std::printf("hdf5:      yes (data files, checkpoints)\n");
#else
  std::printf("hdf5:      no (built without HDF5: only built-in data, no checkpoints)\n");
#endif
#if defined(ASTROCNN_HAVE_FITS)
  std::printf("fits:      yes (directories of FITS images, cfitsio)\n");
#else
  std::printf("fits:      no (built without cfitsio)\n");
#endif
#if defined(ASTROCNN_HAVE_MPI) && defined(ASTROCNN_HAVE_NCCL)
  std::printf("mpi:       yes (mpirun -np N astrocnn train ...; NCCL between GPUs)\n");
#elif defined(ASTROCNN_HAVE_MPI)
  std::printf("mpi:       yes (mpirun -np N astrocnn train ...; no NCCL)\n");
#else
  std::printf("mpi:       no (built without MPI: one process)\n");
#endif
#if defined(ASTROCNN_HAVE_ONNX)
  std::printf("onnx:      yes (astrocnn export, opset %lld; %s)\n",
              static_cast<long long>(kOnnxOpset), onnx_library_versions().c_str());
#else
  std::printf("onnx:      no (built without libonnx-dev: no astrocnn export)\n");
#endif
#if defined(ASTROCNN_HAVE_CAIRO)
  std::printf("plots:     curves.png, eval --plots, predict --gallery (cairo)\n");
#else
  std::printf("plots:     none (built without cairo)\n");
#endif
  std::printf("commit:    %s\n", git_commit().c_str());
  return 0;
}

}  // namespace

Command add_info_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("info", "Show the version, the backends this build has, the CPU and the GPUs; "
                                     "with --model, a model's state_dict names and shapes as JSON");
  auto spec = std::make_shared<ModelSpec>();
  spec->options.in_channels = 3;
  spec->options.outputs = 1000;
  spec->options.image_size = 224;
  sub->add_option("--model", spec->name, "print this model's state_dict entries (name, shape, dtype) "
                  "as JSON instead, built with the options below");
  sub->add_option("--in-channels", spec->options.in_channels, "with --model: input channels")
      ->capture_default_str();
  sub->add_option("--outputs", spec->options.outputs, "with --model: outputs")->capture_default_str();
  sub->add_option("--image-size", spec->options.image_size, "with --model: image height = width")
      ->capture_default_str();
  sub->add_flag("--small-stem", spec->options.small_input_stem, "with --model: ResNets' 3x3 stem");
  std::string activations;
  for (const ActivationEntry& e : astrocnn::activations())
    activations += (activations.empty() ? "" : ", ") + std::string(e.name);
  sub->add_option("--activation", spec->options.activation, "with --model: its activation, " +
                  activations + " (the state_dict is the same)")->capture_default_str();
  return {sub, [spec] {
    if (!spec->name.empty()) return print_model_state_dict(*spec);
    return print_build_info();
  }};
}

}  // namespace astrocnn::cli
