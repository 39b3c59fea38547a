// TEMPORARY until the oneDNN backend lands: the CPU backend is the reference one.
#include "kernels/backend.h"
namespace astrocnn {
Backend& onednn_backend() { return reference_backend(); }
}  // namespace astrocnn
