// SGD (against hand-computed steps and a plain re-implementation of PyTorch's
// algorithm), optimiser state round trips, and learning-rate schedules.
#include <catch2/catch.hpp>

#include <cmath>
#include <optional>

#include "core/ops.h"
#include "core/optim.h"
#include "gradcheck.h"

using namespace astrocnn;
using namespace astrocnn::testing;

namespace {

void set_grad(Tensor& param, const Tensor& grad) { param.impl().grad = grad.clone().impl_ptr(); }

std::vector<double> values(const Tensor& t) { return t.to(DType::F64).to_vector<double>(); }

// torch.optim.SGD's per-parameter update, transcribed line by line in double:
//   d_p = grad (+ weight_decay * p)
//   buf = clone(d_p) on the first step, else buf * momentum + (1 - dampening) * d_p
//   d_p = d_p + momentum * buf (nesterov) or buf
//   p = p - lr * d_p
struct PyTorchSgd {
  SgdOptions o;
  std::vector<std::optional<std::vector<double>>> buffers;

  void step(std::vector<std::vector<double>>& params,
            const std::vector<std::optional<std::vector<double>>>& grads) {
    buffers.resize(params.size());
    for (size_t k = 0; k < params.size(); ++k) {
      if (!grads[k]) continue;
      std::vector<double> d_p = *grads[k];
      std::vector<double>& p = params[k];
      if (o.weight_decay != 0)
        for (size_t i = 0; i < p.size(); ++i) d_p[i] = d_p[i] + o.weight_decay * p[i];
      if (o.momentum != 0) {
        if (!buffers[k]) {
          buffers[k] = d_p;
        } else {
          for (size_t i = 0; i < p.size(); ++i)
            (*buffers[k])[i] = (*buffers[k])[i] * o.momentum + (1 - o.dampening) * d_p[i];
        }
        for (size_t i = 0; i < p.size(); ++i)
          d_p[i] = o.nesterov ? d_p[i] + o.momentum * (*buffers[k])[i] : (*buffers[k])[i];
      }
      for (size_t i = 0; i < p.size(); ++i) p[i] = p[i] - o.lr * d_p[i];
    }
  }
};

// One parameter w = 0 with constant gradient 1: w after each of three steps.
std::vector<double> three_steps_from_zero(const SgdOptions& o) {
  Tensor w = Tensor::zeros({1}, DType::F64);
  SGD sgd({{"w", w}}, o);
  std::vector<double> out;
  for (int s = 0; s < 3; ++s) {
    set_grad(w, Tensor::full({1}, 1.0, DType::F64));
    sgd.step();
    out.push_back(w.item());
  }
  return out;
}

}  // namespace

TEST_CASE("SGD steps computed by hand", "[optim]") {
  SECTION("plain") {
    // w -= lr * g three times.
    check_close(three_steps_from_zero({0.1}), std::vector<double>{-0.1, -0.2, -0.3}, 1e-12, 1e-15);
  }
  SECTION("momentum") {
    // v = 1, 1.9, 2.71; w = -0.1, -0.29, -0.561.
    check_close(three_steps_from_zero({0.1, 0.9}), std::vector<double>{-0.1, -0.29, -0.561},
                1e-12, 1e-15);
  }
  SECTION("dampening does not apply to the first step") {
    // v = 1, 0.9 + 0.5 = 1.4, 1.26 + 0.5 = 1.76; w = -0.1, -0.24, -0.416.
    check_close(three_steps_from_zero({0.1, 0.9, 0.5}), std::vector<double>{-0.1, -0.24, -0.416},
                1e-12, 1e-15);
  }
  SECTION("nesterov") {
    // v = 1, 1.9, 2.71; d = 1 + 0.9 v = 1.9, 2.71, 3.439; w = -0.19, -0.461, -0.8049.
    check_close(three_steps_from_zero({0.1, 0.9, 0, 0, true}),
                std::vector<double>{-0.19, -0.461, -0.8049}, 1e-12, 1e-15);
  }
  SECTION("weight decay") {
    // g = 0, w = 1: d = 0.1 w, so w shrinks by the factor (1 - 0.5 * 0.1) per step.
    Tensor w = Tensor::full({2}, 1.0, DType::F64);
    SGD sgd({{"w", w}}, {0.5, 0, 0, 0.1});
    set_grad(w, Tensor::zeros({2}, DType::F64));
    sgd.step();
    CHECK(values(w) == std::vector<double>{0.95, 0.95});
    sgd.step();
    check_close(values(w), std::vector<double>{0.9025, 0.9025}, 1e-14, 0);
  }
}

TEST_CASE("SGD matches PyTorch's algorithm over several steps", "[optim]") {
  const std::vector<SgdOptions> configs = {
      {0.1},                       // plain
      {0.05, 0.9},                 // momentum
      {0.05, 0.8, 0.3},            // momentum with dampening
      {0.02, 0.9, 0, 0, true},     // nesterov
      {0.1, 0, 0, 0.01},           // weight decay only
      {0.03, 0.7, 0.1, 0.005},     // everything but nesterov
      {0.03, 0.9, 0, 0.02, true},  // nesterov with weight decay
  };
  for (DType dt : {DType::F64, DType::F32}) {
    for (size_t c = 0; c < configs.size(); ++c) {
      CAPTURE(dtype_name(dt), c);
      const SgdOptions& o = configs[c];
      Tensor a = random_tensor({3, 4}, 61, -1, 1, dt);
      Tensor b = random_tensor({5}, 62, -1, 1, dt);
      SGD sgd({{"a", a}, {"b", b}}, o);
      PyTorchSgd ref{o, {}};
      std::vector<std::vector<double>> expected = {values(a), values(b)};
      for (int s = 0; s < 6; ++s) {
        // New gradients each step; b has none on step 2 (it must be skipped and
        // keep its momentum buffer untouched for step 3).
        Tensor ga = random_tensor({3, 4}, 100 + s, -1, 1, dt);
        Tensor gb = random_tensor({5}, 200 + s, -1, 1, dt);
        set_grad(a, ga);
        if (s == 2) b.zero_grad(); else set_grad(b, gb);
        sgd.step();
        ref.step(expected, {values(ga), s == 2 ? std::nullopt
                                               : std::optional<std::vector<double>>(values(gb))});
        double tol = dt == DType::F64 ? 1e-13 : 1e-5;
        check_close(values(a), expected[0], tol, tol, "parameter a");
        check_close(values(b), expected[1], tol, tol, "parameter b");
      }
      CHECK(sgd.steps_taken() == 6);
    }
  }
}

TEST_CASE("SGD leaves parameters without a gradient alone", "[optim]") {
  Tensor a = Tensor::from_vector<float>({1, 2, 3}, {3});
  Tensor b = Tensor::from_vector<float>({4, 5}, {2});
  SGD sgd({{"a", a}, {"b", b}}, {0.1, 0.9});
  set_grad(a, Tensor::full({3}, 1.0));
  sgd.step();
  sgd.step();
  CHECK(values(b) == std::vector<double>{4, 5});
  NamedTensors st = sgd.state();
  REQUIRE(st.size() == 2);  // a's buffer and the step count; b has no buffer
  CHECK(st[0].first == "a.momentum_buffer");
  CHECK(st[1].first == "step");
  CHECK(st[1].second.dtype() == DType::I64);
  CHECK(st[1].second.item() == 2);

  // zero_grad() drops gradients; a further step changes nothing.
  sgd.zero_grad();
  CHECK_FALSE(a.grad().defined());
  std::vector<double> a_before = values(a);
  sgd.step();
  CHECK(values(a) == a_before);
}

TEST_CASE("SGD trains through autograd and honours set_lr", "[optim]") {
  // Minimising mse(w, target) with plain SGD: w <- w - lr * 2 (w - t) / n.
  Tensor w = Tensor::from_vector<double>({0, 0}, {2});
  w.set_requires_grad(true);
  Tensor target = Tensor::from_vector<double>({1, -2}, {2});
  SGD sgd({{"w", w}}, {0.5});
  ops::mse_loss(w, target).backward();
  sgd.step();  // gradient (w - t) = (-1, 2): w = (0.5, -1)
  check_close(values(w), std::vector<double>{0.5, -1}, 1e-14, 1e-15);
  sgd.zero_grad();
  sgd.set_lr(1.0);
  CHECK(sgd.lr() == 1.0);
  ops::mse_loss(w, target).backward();
  sgd.step();  // lr 1 with gradient (w - t): lands exactly on the target
  check_close(values(w), std::vector<double>{1, -2}, 1e-14, 1e-15);
  CHECK(w.is_leaf());  // the update itself was not recorded
}

TEST_CASE("SGD state round trip continues bit-identically", "[optim]") {
  for (DType dt : {DType::F32, DType::F64}) {
    CAPTURE(dtype_name(dt));
    SgdOptions o{0.05, 0.9, 0, 0.01, true};
    Tensor a = random_tensor({2, 3}, 71, -1, 1, dt);
    Tensor b = random_tensor({4}, 72, -1, 1, dt);
    SGD first({{"a", a}, {"b", b}}, o);
    auto grads_for = [&](int s) {
      return std::pair{random_tensor({2, 3}, 300 + s, -1, 1, dt),
                       random_tensor({4}, 400 + s, -1, 1, dt)};
    };
    for (int s = 0; s < 3; ++s) {
      auto [ga, gb] = grads_for(s);
      set_grad(a, ga);
      set_grad(b, gb);
      first.step();
    }
    NamedTensors saved = first.state();
    std::vector<double> saved_buffer = values(saved[0].second);

    // A fresh optimiser on copies of the parameters, restored from the snapshot.
    Tensor a2 = a.clone(), b2 = b.clone();
    SGD second({{"a", a2}, {"b", b2}}, o);
    second.load_state(saved);
    CHECK(second.steps_taken() == 3);
    for (int s = 3; s < 6; ++s) {
      auto [ga, gb] = grads_for(s);
      set_grad(a, ga);
      set_grad(b, gb);
      set_grad(a2, ga);
      set_grad(b2, gb);
      first.step();
      second.step();
    }
    CHECK(values(a2) == values(a));
    CHECK(values(b2) == values(b));
    NamedTensors end1 = first.state(), end2 = second.state();
    REQUIRE(end1.size() == 3);
    REQUIRE(end2.size() == 3);
    for (size_t k = 0; k < 3; ++k) {
      CHECK(end2[k].first == end1[k].first);
      CHECK(values(end2[k].second) == values(end1[k].second));
    }
    // The snapshot was a copy: the later steps did not change it.
    CHECK(values(saved[0].second) == saved_buffer);
  }
}

TEST_CASE("SGD rejects bad options and bad state", "[optim][errors]") {
  Tensor w = Tensor::zeros({2, 2});
  CHECK_THROWS_WITH(SGD({{"w", w}}, {-0.1}), Catch::Contains("learning rate must be >= 0"));
  CHECK_THROWS_WITH(SGD({{"w", w}}, {0.1, -0.5}), Catch::Contains("momentum must be >= 0"));
  CHECK_THROWS_WITH(SGD({{"w", w}}, {0.1, 0, 0, 0, true}), Catch::Contains("nesterov"));
  CHECK_THROWS_WITH(SGD({{"w", w}}, {0.1, 0.9, 0.1, 0, true}), Catch::Contains("dampening == 0"));
  CHECK_THROWS_WITH(SGD({}, {0.1}), Catch::Contains("empty parameter list"));
  CHECK_THROWS_WITH(SGD({{"w", w}, {"w", w}}, {0.1}), Catch::Contains("'w' appears twice"));

  SGD sgd({{"w", w}}, {0.1, 0.9});
  Tensor step = Tensor::scalar(1, DType::I64);
  CHECK_THROWS_WITH(sgd.load_state({{"v.momentum_buffer", Tensor::zeros({2, 2})}, {"step", step}}),
                    Catch::Contains("unexpected entry 'v.momentum_buffer'"));
  CHECK_THROWS_WITH(sgd.load_state({{"w.momentum_buffer", Tensor::zeros({4})}, {"step", step}}),
                    Catch::Contains("'w.momentum_buffer' has shape [4], the parameter has [2,2]"));
  CHECK_THROWS_WITH(sgd.load_state({{"w.momentum_buffer", Tensor::zeros({2, 2})}}),
                    Catch::Contains("missing entry 'step'"));
  CHECK_THROWS_WITH(sgd.load_state({{"step", Tensor::scalar(1)}}), Catch::Contains("int64"));
  CHECK(sgd.steps_taken() == 0);  // failed loads changed nothing
  CHECK(sgd.state().size() == 1);
}

TEST_CASE("learning-rate schedules", "[optim]") {
  ConstantLr constant(0.1);
  CHECK(constant.lr_at(0) == 0.1);
  CHECK(constant.lr_at(500) == 0.1);

  // PyTorch StepLR(step_size=30, gamma=0.1).
  StepLr step(0.1, 30, 0.1);
  CHECK(step.lr_at(0) == Approx(0.1));
  CHECK(step.lr_at(29) == Approx(0.1));
  CHECK(step.lr_at(30) == Approx(0.01));
  CHECK(step.lr_at(59) == Approx(0.01));
  CHECK(step.lr_at(60) == Approx(0.001));

  // PyTorch CosineAnnealingLR(T_max=4, eta_min=0.001) from 0.1:
  // 0.001 + 0.099 (1 + cos(pi e / 4)) / 2 for e = 0..4.
  CosineLr cosine(0.1, 4, 0.001);
  CHECK(cosine.lr_at(0) == Approx(0.1));
  CHECK(cosine.lr_at(1) == Approx(0.001 + 0.099 * (1 + std::sqrt(0.5)) / 2));
  CHECK(cosine.lr_at(2) == Approx(0.0505));
  CHECK(cosine.lr_at(3) == Approx(0.001 + 0.099 * (1 - std::sqrt(0.5)) / 2));
  CHECK(cosine.lr_at(4) == Approx(0.001));
  CHECK(CosineLr(0.2, 10).lr_at(10) == Approx(0).margin(1e-15));

  // Used through the interface, as the trainer does.
  const LrSchedule& s = step;
  CHECK(s.lr_at(45) == Approx(0.01));

  CHECK_THROWS_WITH(StepLr(0.1, 0), Catch::Contains("step_size must be > 0"));
  CHECK_THROWS_WITH(CosineLr(0.1, 0), Catch::Contains("t_max must be > 0"));
  CHECK_THROWS_WITH(step.lr_at(-1), Catch::Contains("epoch must be >= 0"));
}
