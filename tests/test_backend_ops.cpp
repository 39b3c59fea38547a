// The oneDNN CPU backend through the one backend harness
// (tests/backend_op_cases.h): one test case per op of the op table.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "backend_op_cases.h"
#include "kernels/backend.h"
#if defined(ASTROCNN_HAVE_ONEDNN)
#include "kernels/cpu/onednn_backend.h"
#endif

using namespace astrocnn;

TEST_CASE("backend harness: every op of the table has at least one case", "[ops]") {
  for (const std::string& op : backend_op_names()) {
    int64_t cases = 0;
    for (const optest::OpCase& c : optest::all_op_cases()) cases += c.op == op;
    INFO("op '" << op << "' of kernels/backend_ops.inc has no case: add one to tests/backend_op_cases.cpp");
    CHECK(cases > 0);
  }
  for (const optest::OpCase& c : optest::all_op_cases()) {
    INFO("a case names op '" << c.op << "', which is not in kernels/backend_ops.inc");
    CHECK(std::count(backend_op_names().begin(), backend_op_names().end(), c.op) == 1);
  }
}

TEST_CASE("backend harness: the reference agrees with itself, so every case is deterministic", "[ops]") {
  // A case whose reference run differs between two runs (an input it forgot
  // to give, an output read before written) would make every comparison flaky.
  for (const optest::OpCase& c : optest::all_op_cases()) {
    if (c.op.rfind("conv2d", 0) == 0) continue;  // the slow loops; their inputs are plain
    INFO(c.op << " " << c.what);
    optest::Tensors a, b;
    for (optest::Tensors* out : {&a, &b}) {
      optest::Tensors in = c.inputs;
      for (const optest::Output& o : c.outputs)
        out->push_back(o.initial.defined() ? o.initial.clone() : Tensor::full(o.shape, NAN));
      c.run(reference_backend(), in, *out);
    }
    for (size_t i = 0; i < a.size(); ++i) {
      const auto x = a[i].to_vector<float>(), y = b[i].to_vector<float>();
      CHECK(std::equal(x.begin(), x.end(), y.begin(), [](float p, float q) {
        return p == q || (std::isnan(p) && std::isnan(q));
      }));
    }
  }
}

#if defined(ASTROCNN_HAVE_ONEDNN)
// One test case per op, generated from the op table.
#define ASTROCNN_BACKEND_OP(name, params)                                     \
  TEST_CASE("cpu-onednn against the reference: " #name, "[cpu][ops]") {      \
    optest::check_op_against_reference(onednn_backend(), #name);              \
  }
#include "kernels/backend_ops.inc"
#undef ASTROCNN_BACKEND_OP

// Convolutions and dense layers again in bfloat16, on CPUs where oneDNN has it.
TEST_CASE("cpu-onednn in bf16: convolutions and dense layers within the format's bound", "[cpu][ops][precision]") {
  if (!onednn_backend().supports(Precision::BF16)) {
    WARN("SKIP: this CPU has no AVX-512, so oneDNN has no bf16 kernels");
    return;
  }
  for (const std::string& op : backend_op_names())
    if (optest::is_matrix_product(op)) optest::check_op_in_precision(onednn_backend(), op, Precision::BF16);
}
#endif
