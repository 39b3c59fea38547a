// CUDA dropout keeps the fraction of elements it should. (Maxout and dropout
// against the reference, bit for bit, are in the one backend harness,
// tests/backend_op_cases.h.)
#include "cuda_test_common.h"

using namespace astrocnn;
using namespace astrocnn::cudatest;

TEST_CASE("cuda dropout keeps about 1 - p of the elements", "[cuda][dropout]") {
  const int64_t n = 1 << 20;
  Pair x = input({n}, 55), y = output({n}), mask = output({n});
  cuda().dropout_forward(0.3, 99, 0, x.gpu, y.gpu, mask.gpu);
  int64_t kept = 0;
  for (float m : mask.gpu.to_vector<float>()) kept += m != 0.0f;
  CHECK(static_cast<double>(kept) / n == Approx(0.7).margin(0.005));
}
