// Per-embedding-group activation scales in QAT (QuantRecipe::act_groups): the grouped int8 quantizer on hand-computed
// cases, its straight-through gradient, the annotations it exports, and the packed .qm (grouped QLinears, merged or
// not) equal to the student evaluated without autograd.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <algorithm>
#include <string>
#include <vector>

#include "passes/lower_quantized.h"
#include "passes/merge_qkv.h"
#include "qat/fake_quant.h"
#include "tests/qat/packed_run.h"
#include "tests/qat/qat_test_util.h"
#include "tests/qat/synthetic_encoder.h"

using qc::qat::test::Values;

TEST_CASE("QuantizeGroupedInt8: one amax per (token, group) or per group over the tensor") {
  // Row 0: group 0 = (1, 2) has amax 2, group 1 = (100, 50) amax 100; row 1: (-4, 0.5) and (10, -20).
  const torch::Tensor x = torch::tensor({1.0f, 2.0f, 100.0f, 50.0f, -4.0f, 0.5f, 10.0f, -20.0f}).reshape({2, 4});
  const qc::qat::QuantizedRows per_token = qc::qat::QuantizeGroupedInt8(x, true, 0.0f, 2);
  // 1·127/2 = 63.5 -> 64 (half to even), 50·127/100 = 63.5 -> 64, 0.5·127/4 = 15.875 -> 16, 10·127/20 = 63.5 -> 64.
  CHECK(Values(per_token.codes) == std::vector<float>{64, 127, 127, 64, -127, 16, 64, -127});
  CHECK(Values(per_token.dequant) == std::vector<float>{2.0f / 127, 2.0f / 127, 100.0f / 127, 100.0f / 127, 4.0f / 127,
                                                        4.0f / 127, 20.0f / 127, 20.0f / 127});
  // Per tensor: group 0's amax is 4 over both rows, group 1's 100.
  const qc::qat::QuantizedRows per_tensor = qc::qat::QuantizeGroupedInt8(x, false, 0.0f, 2);
  // 1·127/4 = 31.75 -> 32, 2·127/4 = 63.5 -> 64, 10·127/100 = 12.7 -> 13, 20·127/100 = 25.4 -> 25.
  CHECK(Values(per_tensor.codes) == std::vector<float>{32, 64, 127, 64, -127, 16, 13, -25});
  CHECK(Values(per_tensor.dequant) == std::vector<float>{4.0f / 127, 4.0f / 127, 100.0f / 127, 100.0f / 127, 4.0f / 127,
                                                         4.0f / 127, 100.0f / 127, 100.0f / 127});
  // A clip bounds every group's amax; one group is the ungrouped quantizer.
  const qc::qat::QuantizedRows clipped = qc::qat::QuantizeGroupedInt8(x, true, 2.5f, 2);
  CHECK(Values(clipped.codes) == std::vector<float>{64, 127, 127, 127, -127, 25, 127, -127});  // (1, 2) is inside
  const qc::qat::QuantizedRows one = qc::qat::QuantizeGroupedInt8(x, true, 0.0f, 1);
  const qc::qat::QuantizedRows plain = qc::qat::QuantizeSymmetric(x, true, 0.0f, 127);
  CHECK(Values(one.codes) == Values(plain.codes));
  CHECK_THROWS(qc::qat::QuantizeGroupedInt8(x, true, 0.0f, 3));  // 4 columns do not split into 3 groups
}

TEST_CASE("grouped activation fake quantization: values per group, gradient straight through inside the clip") {
  torch::Tensor x = torch::tensor({0.5f, -3.0f, 1.0f, 0.25f}).reshape({1, 4}).set_requires_grad(true);
  torch::Tensor y = qc::qat::FakeQuantActivation(x, qc::qat::ActGranularity::kPerToken, 2.5f, 2);
  // Group 0 = (0.5, -3 -> -2.5): d = 2.5/127; group 1 = (1, 0.25): d = 1/127.
  CHECK(Values(y)[1] == -127 * (2.5f / 127));
  CHECK(Values(y)[2] == 127 * (1.0f / 127));
  (y * torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({1, 4})).sum().backward();
  CHECK(Values(x.grad()) == std::vector<float>{1.0f, 0.0f, 3.0f, 4.0f});  // -3 is beyond the clip
}

TEST_CASE("act_groups: Linear annotations carry the groups, the attention keeps one scale, bad K is refused") {
  qc::qat::test::SyntheticEncoderSpec spec;  // hidden 32, ffn 64
  qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
  auto model = qc::qat::TorchModel::Build(g).value();
  qc::qat::QuantRecipe recipe;
  recipe.act_groups = 4;
  REQUIRE(qc::qat::ApplyQuantRecipe(*model, recipe).ok());
  REQUIRE(qc::qat::AnnotateQuantization(*model, recipe, g).ok());
  int linears = 0, attentions = 0;
  for (const qc::ir::Node& node : g.nodes()) {
    if (!node.quant || !node.quant->activation) continue;
    if (node.op == qc::ir::OpType::kLinear) {
      CHECK(node.quant->activation->groups == 4);
      ++linears;
    } else if (node.op == qc::ir::OpType::kAttention) {
      CHECK(node.quant->activation->groups == 1);
      ++attentions;
    }
  }
  CHECK(linears == 2 * 6 + 1);  // q, k, v, attention output, FFN in and out per layer; the pooler
  CHECK(attentions == 2);

  recipe.act_groups = 5;  // divides neither 32 nor 64
  auto refused = qc::qat::ApplyQuantRecipe(*model, recipe);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("act_groups 5 does not divide in_features") != std::string::npos);
  recipe.act_groups = 0;
  CHECK_FALSE(qc::qat::ApplyQuantRecipe(*model, recipe).ok());
}

TEST_CASE("act_groups: the packed .qm equals the student, with and without merge_qkv") {
  for (const int variant : {0, 1, 2}) {  // per token, per tensor, per token behind learned clips
    const bool per_tensor = variant == 1, learned = variant == 2;
    CAPTURE(variant);
    qc::qat::test::SyntheticEncoderSpec spec;
    spec.hidden = 64;
    spec.ffn = 128;
    qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
    auto student = qc::qat::TorchModel::Build(g).value();
    qc::qat::QuantRecipe recipe;
    recipe.act_groups = 2;
    recipe.act_granularity = per_tensor ? qc::qat::ActGranularity::kPerTensor : qc::qat::ActGranularity::kPerToken;
    recipe.learn_act_clip = learned;
    REQUIRE(qc::qat::ApplyQuantRecipe(*student, recipe).ok());
    if (learned) {
      torch::NoGradGuard no_grad;
      for (const auto& entry : student->quantizer_parameters()) {
        torch::Tensor clip = entry.second;
        clip.fill_(0.4f);  // below the activations' range, so the clamp matters
      }
    }
    const qc::qat::test::TestBatch batch = qc::qat::test::MakeTestBatch(3, 9);
    torch::Tensor fake;
    {
      torch::NoGradGuard eval_mode;  // exact_eval: QLinearSim with grouped scales
      auto r = student->Forward(batch.Inputs());
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      fake = r->outputs[0].contiguous();
    }
    REQUIRE(qc::qat::AnnotateQuantization(*student, recipe, g).ok());
    qc::ir::Graph merged = g;
    auto packed = qc::qat::test::RunPacked(g, batch, "qc_qat_act_groups.qm");
    REQUIRE_MESSAGE(packed.ok(), packed.status().ToString());
    REQUIRE(packed->size() == static_cast<size_t>(fake.numel()));
    double scale = 0.0;
    const double worst = qc::qat::test::MaxAbsDiffOf(*packed, fake, &scale);
    MESSAGE("variant " << variant << ": max |packed - student| = " << worst);
    CHECK(worst <= 1e-5 * std::max(1.0, scale));
    int grouped = 0;
    for (const qc::ir::Node& node : g.nodes()) {
      if (!node.erased && node.op == qc::ir::OpType::kQLinear) {
        auto groups = node.attributes.GetInt(qc::ir::AttrName::kActGroups, "");
        grouped += groups.ok() && *groups == 2;
      }
    }
    CHECK(grouped == 2 * 6 + 1);

    // merge_qkv interleaves the three projections slice by slice: the same outputs, bit for bit.
    qc::passes::PassContext context;
    REQUIRE(qc::passes::MakeLowerQuantizedPass()->Run(merged, context).ok());
    auto did_merge = qc::passes::MakeMergeQkvPass()->Run(merged, context);
    REQUIRE_MESSAGE(did_merge.ok(), did_merge.status().ToString());
    CHECK(*did_merge);
    auto packed_merged = qc::qat::test::RunPacked(merged, batch, "qc_qat_act_groups_merged.qm");
    REQUIRE_MESSAGE(packed_merged.ok(), packed_merged.status().ToString());
    CHECK(*packed_merged == *packed);
  }
}
