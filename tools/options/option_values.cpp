// What every subcommand's options share (tools/options/option_values.h).
#include <string>

#include "core/tensor/error.h"
#include "kernels/backend.h"
#include "tools/options/option_values.h"
#if defined(ASTROCNN_HAVE_ONEDNN)
#include "kernels/cpu/onednn_backend.h"
#endif

namespace astrocnn::cli {

namespace {
std::string g_command_line;
}

void apply_threads(int threads) {
  ASTRO_CHECK(threads >= 0, "--threads must be >= 0, got ", threads);
#if defined(ASTROCNN_HAVE_ONEDNN)
  if (threads > 0) set_cpu_threads(threads);
#else
  (void)threads;
#endif
}

int cpu_thread_count() {
#if defined(ASTROCNN_HAVE_ONEDNN)
  return cpu_threads();
#else
  return 1;
#endif
}

void check_device_name(const std::string& name) {
  ASTRO_CHECK(name == "cpu" || name == "cuda", "--device must be cpu or cuda, got '", name, "'");
}

Device parse_device(const std::string& name) {
  check_device_name(name);
  if (name == "cpu") return Device::CPU;
  // A clear error when there is no GPU or no CUDA backend.
  parse_option("--device cuda", [] { return &backend_for(Device::CUDA); });
  return Device::CUDA;
}

namespace {
// Why a backend lacks a precision: the format's hardware, or on the CPU the
// instruction set oneDNN needs for it.
std::string missing_isa_note(Precision p, Device device) {
  if (p == Precision::TF32) return " (TensorFloat-32 is an NVIDIA tensor-core format)";
#if defined(ASTROCNN_HAVE_ONEDNN)
  if (p == Precision::BF16 && device == Device::CPU && !reference_backend_forced())
    return ": " + bf16_unavailable_reason();
#endif
  (void)device;
  return "";
}
}  // namespace

Precision apply_precision(const std::string& name, Device device) {
  const Precision p = parse_option("--precision", [&] { return parse_precision(name); });
  const Backend& backend = backend_for(device);
  ASTRO_CHECK(backend.supports(p), "--precision ", name, ": the ", backend.name(), " backend has no ",
              name, " arithmetic", missing_isa_note(p, device),
              "; use ", backend.supports(Precision::BF16) ? "fp32 or bf16" : "fp32");
  set_math_precision(p);
  return p;
}

void set_command_line(int argc, char** argv) {
  g_command_line = "astrocnn";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool quote = arg.empty() || arg.find_first_of(" \t\"'$\\") != std::string::npos;
    g_command_line += quote ? " '" + arg + "'" : " " + arg;
  }
}

const std::string& command_line() { return g_command_line; }

void require_hdf5(const std::string& what) {
#if defined(ASTROCNN_HAVE_HDF5)
  (void)what;
#else
  throw Error(what + ": this astrocnn was built without HDF5 (install libhdf5-dev and re-run cmake); "
              "only the built-in synthetic data can be used");
#endif
}

}  // namespace astrocnn::cli
