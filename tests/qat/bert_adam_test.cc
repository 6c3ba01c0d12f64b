// BertAdam / AdamW (qat/bert_adam.h) against hand-computed updates.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <cmath>
#include <sstream>

#include "qat/bert_adam.h"

TEST_CASE("warmup_linear") {
  CHECK(qc::qat::WarmupLinear(0.0, 0.1) == 0.0);
  CHECK(qc::qat::WarmupLinear(0.05, 0.1) == doctest::Approx(0.5));
  CHECK(qc::qat::WarmupLinear(0.1, 0.1) == doctest::Approx(1.0));
  CHECK(qc::qat::WarmupLinear(0.55, 0.1) == doctest::Approx(0.5));
  CHECK(qc::qat::WarmupLinear(1.0, 0.1) == 0.0);
  CHECK(qc::qat::WarmupLinear(1.5, 0.1) == 0.0);
}

TEST_CASE("BertAdam: no bias correction, decoupled decay on matrices only, per-tensor clipping") {
  torch::Tensor w = torch::tensor({{1.0f, -2.0f}}).requires_grad_(true);  // 2-D: decayed
  torch::Tensor b = torch::tensor({0.5f, 0.5f}).requires_grad_(true);     // 1-D: no decay
  qc::qat::BertAdamOptions o;
  o.lr = 0.1;
  qc::qat::BertAdam opt({w, b}, o);
  w.mutable_grad() = torch::tensor({{0.5f, 0.5f}});
  b.mutable_grad() = torch::tensor({3.0f, 4.0f});  // norm 5 -> scaled by 1/(5 + 1e-6)
  opt.Step();
  // w: m = 0.05, v = 0.00025, u = m/(sqrt(v)+1e-6) + 0.01·w.
  const double u = 0.05 / (std::sqrt(0.00025) + 1e-6);
  CHECK(w[0][0].item<float>() == doctest::Approx(1.0 - 0.1 * (u + 0.01 * 1.0)).epsilon(1e-6));
  CHECK(w[0][1].item<float>() == doctest::Approx(-2.0 - 0.1 * (u + 0.01 * -2.0)).epsilon(1e-6));
  // b: g = (0.6, 0.8)·5/(5+1e-6); u = 0.1g / (sqrt(0.001)|g| + 1e-6), no decay.
  for (int i = 0; i < 2; ++i) {
    const double g = (i == 0 ? 3.0 : 4.0) / (5.0 + 1e-6);
    const double ub = 0.1 * g / (std::sqrt(0.001 * g * g) + 1e-6);
    CHECK(b[i].item<float>() == doctest::Approx(0.5 - 0.1 * ub).epsilon(1e-6));
  }
  // A parameter without a gradient does not move.
  w.mutable_grad() = torch::Tensor();
  const torch::Tensor before = w.detach().clone();
  b.mutable_grad() = torch::tensor({0.0f, 0.0f});
  opt.Step();
  CHECK(torch::equal(before, w.detach()));
  CHECK(opt.step() == 2);
}

TEST_CASE("BertAdam schedule: lr·warmup_linear(step/t_total) before the step counter advances") {
  torch::Tensor p = torch::zeros({1, 1}).requires_grad_(true);
  qc::qat::BertAdamOptions o;
  o.lr = 1.0;
  o.t_total = 10;
  qc::qat::BertAdam opt({p}, o);
  CHECK(opt.CurrentLr() == 0.0);  // step 0: warmup starts at 0, the first update is a no-op
  p.mutable_grad() = torch::ones({1, 1});
  opt.Step();
  CHECK(p.item<float>() == 0.0f);
  CHECK(opt.CurrentLr() == doctest::Approx(1.0));         // x = 0.1
  for (int i = 0; i < 4; ++i) opt.Step();
  CHECK(opt.CurrentLr() == doctest::Approx(0.5 / 0.9));   // x = 0.5
}

TEST_CASE("AdamW option: bias-corrected first step is lr·g/(|g|+eps); save/load restores the moments") {
  torch::Tensor p = torch::zeros({2}).requires_grad_(true);
  qc::qat::BertAdamOptions o;
  o.kind = qc::qat::OptimizerKind::kAdamW;
  o.lr = 0.1;
  o.max_grad_norm = 0.0;
  qc::qat::BertAdam opt({p}, o);
  p.mutable_grad() = torch::tensor({0.5f, -2.0f});
  opt.Step();
  CHECK(p[0].item<float>() == doctest::Approx(-0.1 * 0.5 / (0.5 + 1e-6)).epsilon(1e-5));
  CHECK(p[1].item<float>() == doctest::Approx(0.1 * 2.0 / (2.0 + 1e-6)).epsilon(1e-5));
  torch::serialize::OutputArchive out;
  opt.Save(out, "opt");
  std::ostringstream bytes;
  out.save_to(bytes);
  torch::Tensor q = p.detach().clone().requires_grad_(true);
  qc::qat::BertAdam copy({q}, o);
  torch::serialize::InputArchive in;
  std::istringstream read(bytes.str());
  in.load_from(read);
  REQUIRE(copy.Load(in, "opt").ok());
  CHECK(copy.step() == 1);
  p.mutable_grad() = torch::tensor({0.3f, 0.1f});
  q.mutable_grad() = torch::tensor({0.3f, 0.1f});
  opt.Step();
  copy.Step();
  CHECK(torch::equal(p.detach(), q.detach()));
}
