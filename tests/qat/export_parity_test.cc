// The fake-quant student (qat/fake_quant.h) against the packed model: annotate -> passes/lower_quantized -> .qm ->
// runtime Session. method.md §13: packed integer inference must equal the fake-quant forward.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "qat/fake_quant.h"
#include "tests/qat/packed_run.h"
#include "tests/qat/synthetic_encoder.h"

TEST_CASE("fake-quant forward == packed .qm on the runtime (t2 weights, per-token a8, QAttention)") {
  for (int config = 0; config < 6; ++config) {
    const bool exact = config == 3 || config == 4;  // 3: as 0, 4: as 2, with QLinearSim
    const bool no_grad = config == 5;               // 5: as 2, evaluated without autograd (exact_eval's QLinearSim)
    // per-token 2L/64, per-tensor 2L/64, per-token 3L/128 with 4 heads and a longer sequence
    const auto granularity = config == 1 ? qc::qat::ActGranularity::kPerTensor : qc::qat::ActGranularity::kPerToken;
    qc::qat::test::SyntheticEncoderSpec spec;
    const bool big = config == 2 || config == 4 || config == 5;
    spec.hidden = big ? 128 : 64;
    spec.ffn = big ? 512 : 128;
    spec.heads = big ? 4 : 2;
    spec.layers = big ? 3 : 2;
    qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
    auto student = qc::qat::TorchModel::Build(g).value();
    qc::qat::QuantRecipe recipe;
    recipe.act_granularity = granularity;
    recipe.exact_linear = exact;
    REQUIRE(qc::qat::ApplyQuantRecipe(*student, recipe).ok());
    const qc::qat::test::TestBatch batch = qc::qat::test::MakeTestBatch(3, big ? 33 : 9, 2);
    std::optional<torch::NoGradGuard> eval_mode;
    if (no_grad) eval_mode.emplace();
    auto r = student->Forward(batch.Inputs());
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    const torch::Tensor fake = r->outputs[0].contiguous();
    eval_mode.reset();

    REQUIRE(qc::qat::AnnotateQuantization(*student, recipe, g).ok());
    auto packed = qc::qat::test::RunPacked(g, batch, "qc_qat_parity.qm");
    REQUIRE_MESSAGE(packed.ok(), packed.status().ToString());
    REQUIRE(packed->size() == static_cast<size_t>(fake.numel()));
    double scale = 0.0;
    const double worst = qc::qat::test::MaxAbsDiffOf(*packed, fake, &scale);
    MESSAGE("config " << config << ": max |packed - fake-quant| = " << worst << " (max |logit| " << scale << ")");
    // The fake-quant Linear sums Σŵx̂ in float where QLinear has an exact integer sum and one fma: the results
    // differ by ~1e-7 relative, which moves a downstream int8 code when x·s lies that close to a .5 tie. Small
    // batches have no such tie (bit-level agreement); 3 x 33 tokens x 3 layers have a few, each worth ~1e-3.
    // QLinearSim (exact_linear, or exact_eval without autograd) reproduces QLinear's integer sums and epilogue, so
    // every code agrees.
    CHECK(worst <= (big && !exact && !no_grad ? 5e-2 : 1e-5) * std::max(1.0, scale));
  }
}
