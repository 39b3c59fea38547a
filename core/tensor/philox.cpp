#include "core/tensor/philox.h"

namespace astrocnn {

namespace {
Rng g_rng(0x5eed);
}

Rng& global_rng() { return g_rng; }
void manual_seed(uint64_t seed) { g_rng = Rng(seed); }

}  // namespace astrocnn
