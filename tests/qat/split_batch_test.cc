// The trainer's batch splitting (qat/trainer_support.h): the fixed shards whose gradients are summed per step.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <vector>

#include "qat/trainer_support.h"

TEST_CASE("SplitBatch: consecutive row ranges, sizes within one, everything kept") {
  qc::qat::PaddedBatch b;
  b.batch = 5;
  b.length = 3;
  for (int64_t i = 0; i < 15; ++i) {
    b.ids.push_back(i);
    b.mask.push_back(1);
    b.type_ids.push_back(0);
  }
  b.labels = {0, 1, 0, 1, 1};
  const auto two = qc::qat::SplitBatch(b, 2);
  REQUIRE(two.size() == 2);
  CHECK(two[0].batch == 2);
  CHECK(two[1].batch == 3);
  CHECK(two[1].ids.front() == 6);
  CHECK(two[1].labels == std::vector<double>{0, 1, 1});
  CHECK(qc::qat::SplitBatch(b, 8).size() == 5);  // never an empty shard
  const auto one = qc::qat::SplitBatch(b, 1);
  REQUIRE(one.size() == 1);
  CHECK(one[0].ids == b.ids);
}
