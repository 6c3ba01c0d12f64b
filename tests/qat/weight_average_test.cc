// The moving average of the trained tensors (qat/weight_average.h) against hand-computed values.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include "qat/weight_average.h"

namespace {

// Two tensors (a weight and a learned clip) after Reset at (1, 2), (0.5) and updates at (2, 2), (0.5) then
// (4, 0), (1.5).
struct TwoUpdates {
  torch::Tensor w = torch::tensor({1.0f, 2.0f});
  torch::Tensor clip = torch::tensor({0.5f});
  qc::qat::WeightAverage average{0.5};
  TwoUpdates() {
    average.Reset({w, clip});
    w.copy_(torch::tensor({2.0f, 2.0f}));
    average.Update({w, clip});
    w.copy_(torch::tensor({4.0f, 0.0f}));
    clip.copy_(torch::tensor({1.5f}));
    average.Update({w, clip});
  }
};

// d_0 = min(0.5, 1/10) = 0.1: a = (1.9, 2), 0.5; d_1 = 2/11: then these.
const float kW0 = static_cast<float>(2.0 / 11.0 * 1.9 + 9.0 / 11.0 * 4.0);
const float kW1 = static_cast<float>(2.0 / 11.0 * 2.0);
const float kClip = static_cast<float>(2.0 / 11.0 * 0.5 + 9.0 / 11.0 * 1.5);

}  // namespace

TEST_CASE("WeightAverage: a short memory at the start, then the decay") {
  qc::qat::WeightAverage fresh(0.5);
  fresh.Reset({torch::zeros({1})});
  CHECK(fresh.NextDecay() == doctest::Approx(0.1));  // min(0.5, (1 + 0)/(10 + 0))
  TwoUpdates t;
  CHECK(t.average.updates() == 2);
  CHECK(t.average.NextDecay() == doctest::Approx(3.0 / 12.0));
  for (int i = 0; i < 5; ++i) t.average.Update({t.w, t.clip});
  CHECK(t.average.NextDecay() == doctest::Approx(8.0 / 17.0));  // 7 updates: still below the decay
  t.average.Update({t.w, t.clip});
  CHECK(t.average.NextDecay() == 0.5);  // (1 + 8)/(10 + 8) = 0.5, and the decay caps it from then on
  t.average.Update({t.w, t.clip});
  CHECK(t.average.NextDecay() == 0.5);
}

TEST_CASE("WeightAverage: Exchange puts the average into the same tensors and a second Exchange undoes it") {
  TwoUpdates t;
  const void* storage = t.w.data_ptr();
  t.average.Exchange({t.w, t.clip});
  CHECK(t.w.data_ptr() == storage);  // the optimizer's tensors are the ones that change
  CHECK(t.w[0].item<float>() == doctest::Approx(kW0).epsilon(1e-6));
  CHECK(t.w[1].item<float>() == doctest::Approx(kW1).epsilon(1e-6));
  CHECK(t.clip[0].item<float>() == doctest::Approx(kClip).epsilon(1e-6));
  t.average.Exchange({t.w, t.clip});
  CHECK(torch::equal(t.w, torch::tensor({4.0f, 0.0f})));
  CHECK(torch::equal(t.clip, torch::tensor({1.5f})));
}

TEST_CASE("WeightAverage: Save and Load restore the average and its count; a mismatch names the tensor") {
  TwoUpdates t;
  torch::serialize::OutputArchive out;
  t.average.Save(out, "average");
  std::ostringstream bytes;
  out.save_to(bytes);

  torch::Tensor w = torch::zeros({2}), clip = torch::zeros({1});
  qc::qat::WeightAverage loaded(0.5);
  loaded.Reset({w, clip});
  torch::serialize::InputArchive in;
  std::istringstream read(bytes.str());
  in.load_from(read);
  REQUIRE(loaded.Load(in, "average").ok());
  CHECK(loaded.updates() == 2);
  loaded.Exchange({w, clip});
  CHECK(w[0].item<float>() == doctest::Approx(kW0).epsilon(1e-6));
  CHECK(clip[0].item<float>() == doctest::Approx(kClip).epsilon(1e-6));

  qc::qat::WeightAverage other(0.5);
  other.Reset({torch::zeros({3}), torch::zeros({1})});
  const qc::Status s = other.Load(in, "average");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("'average.0' has another shape") != std::string::npos);
  qc::qat::WeightAverage absent(0.5);
  absent.Reset({w});
  CHECK_FALSE(absent.Load(in, "elsewhere").ok());
}
