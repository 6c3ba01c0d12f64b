#include "qcompress/status.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace {

qc::Expected<int> ParsePositive(int v) {
  if (v <= 0) return qc::InvalidArgument("value " + std::to_string(v) + " is not positive");
  return v;
}

qc::Expected<int> Doubled(int v) {
  QC_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

qc::Status Chain(int v) {
  QC_RETURN_IF_ERROR(Doubled(v).status().WithContext("field 'count'"));
  return qc::Status::Ok();
}

}  // namespace

TEST_CASE("Status carries code, message and context") {
  CHECK(qc::Status::Ok().ok());
  CHECK(qc::Status::Ok().ToString() == "ok");
  const qc::Status s = qc::CorruptData("bad magic").WithContext("model.qm");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == qc::StatusCode::kCorruptData);
  CHECK(s.ToString() == "corrupt_data: model.qm: bad magic");
}

TEST_CASE("Expected propagates values and errors") {
  auto good = Doubled(21);
  REQUIRE(good.ok());
  CHECK(*good == 42);

  auto bad = Doubled(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == qc::StatusCode::kInvalidArgument);
  CHECK(bad.status().message() == "value -1 is not positive");

  const qc::Status chained = Chain(0);
  CHECK(chained.message() == "field 'count': value 0 is not positive");
  CHECK(Chain(3).ok());
}

TEST_CASE("Expected holds move-only values") {
  qc::Expected<std::unique_ptr<int>> e(std::make_unique<int>(7));
  REQUIRE(e.ok());
  std::unique_ptr<int> p = std::move(e).value();
  CHECK(*p == 7);
}
