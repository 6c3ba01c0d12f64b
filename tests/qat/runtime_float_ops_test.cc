// qat/runtime_float_ops.h: the forward is the runtime's arithmetic bit for bit (GELU erf / tanh, LayerNorm over the
// last axis), the backward is PyTorch's exact derivative, and unsupported inputs fall back to the PyTorch op.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <vector>

#include "ops/elementwise.h"
#include "ops/layer_norm.h"
#include "qat/runtime_float_ops.h"
#include "tests/qat/qat_test_util.h"

using qc::qat::test::Values;

TEST_CASE("RuntimeGelu: the runtime's bits forward, at::gelu's gradient backward") {
  torch::manual_seed(3);
  for (bool tanh : {false, true}) {
    CAPTURE(tanh);
    // Non-contiguous input (a transpose) across the range where the erf approximation switches pieces.
    const torch::Tensor base = (torch::randn({37, 19}) * 4).t();
    const torch::Tensor x = base.clone().requires_grad_(true);
    const torch::Tensor y = qc::qat::RuntimeGelu(x, tanh);
    std::vector<float> in = Values(base), want(in.size());
    (tanh ? &qc::GeluTanh : &qc::GeluErf)(in.data(), in.size(), want.data());
    CHECK(Values(y) == want);
    // The value differs from PyTorch's only within the runtime's error budget.
    const torch::Tensor ref_in = base.clone().requires_grad_(true);
    const torch::Tensor ref = at::gelu(ref_in, tanh ? "tanh" : "none");
    CHECK(((y - ref).abs() - (1e-5 * ref.abs() + 2e-6)).max().item<float>() <= 0.0f);
    const torch::Tensor g = torch::randn_like(base);
    y.backward(g);
    ref.backward(g);
    CHECK(torch::equal(x.grad(), ref_in.grad()));
  }
}

TEST_CASE("RuntimeLayerNorm: the runtime's bits forward, PyTorch's gradients for x, gamma and beta") {
  torch::manual_seed(4);
  const torch::Tensor base = torch::randn({3, 5, 48}) * 3 + 7;  // a large offset: the double accumulation matters
  const torch::Tensor gamma0 = torch::randn({48}), beta0 = torch::randn({48});
  const torch::Tensor x = base.clone().requires_grad_(true), gamma = gamma0.clone().requires_grad_(true),
                      beta = beta0.clone().requires_grad_(true);
  const torch::Tensor y = qc::qat::RuntimeLayerNorm(x, gamma, beta, 1e-12);
  std::vector<float> in = Values(base), want(in.size());
  const std::vector<float> g0 = Values(gamma0), b0 = Values(beta0);
  qc::LayerNorm(in.data(), 15, 48, g0.data(), b0.data(), 1e-12f, want.data());
  CHECK(Values(y) == want);

  const torch::Tensor rx = base.clone().requires_grad_(true), rg = gamma0.clone().requires_grad_(true),
                      rb = beta0.clone().requires_grad_(true);
  const torch::Tensor ref = at::layer_norm(rx, {48}, rg, rb, 1e-12);
  CHECK((y - ref).abs().max().item<float>() < 1e-5f);
  const torch::Tensor g = torch::randn_like(base);
  y.backward(g);
  ref.backward(g);
  CHECK(torch::allclose(x.grad(), rx.grad(), 1e-5, 1e-6));
  CHECK(torch::allclose(gamma.grad(), rg.grad(), 1e-5, 1e-6));
  CHECK(torch::allclose(beta.grad(), rb.grad(), 1e-5, 1e-6));
}

TEST_CASE("runtime float ops fall back to PyTorch for other dtypes") {
  const torch::Tensor x = torch::randn({4, 8}, torch::kDouble);
  CHECK(torch::equal(qc::qat::RuntimeGelu(x, false), at::gelu(x, "none")));
  const torch::Tensor g = torch::ones({8}, torch::kDouble), b = torch::zeros({8}, torch::kDouble);
  CHECK(torch::equal(qc::qat::RuntimeLayerNorm(x, g, b, 1e-5), at::layer_norm(x, {8}, g, b, 1e-5)));
}
