#include "kernels/reference/reference_backend.h"

namespace astrocnn {

Backend& reference_backend() {
  static ReferenceBackend instance;
  return instance;
}

}  // namespace astrocnn
