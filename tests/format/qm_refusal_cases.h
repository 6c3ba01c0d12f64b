// tests/format/qm_refusal_cases.h: table-driven refusal checks shared by the .qm format tests (doctest, header-only).
//
//   CheckWriterRefuses(good_spec, {{"name", [](qm::QmModelSpec& s) { ... }, "message part"}, ...});
//   CheckReaderRefuses(good_raw, {{"name", [](RawModel& m) { ... }, StatusCode::kCorruptData, "message part"}, ...});
//
// Each case mutates a copy of the valid input; the writer must refuse it with kInvalidArgument, the reader with the
// case's code, and the message must contain the case's text.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "exporters/qm/qm_writer.h"
#include "qm_test_util.h"

namespace qc::test {

struct SpecRefusal {
  std::string name;
  std::function<void(qm::QmModelSpec&)> mutate;
  const char* message;
};

inline void CheckWriterRefuses(const qm::QmModelSpec& good, const std::vector<SpecRefusal>& cases) {
  TempDir dir;
  REQUIRE(qm::WriteQmFile(good, dir.File("good.qm")).ok());
  for (const SpecRefusal& c : cases) {
    CAPTURE(c.name);
    qm::QmModelSpec spec = good;
    c.mutate(spec);
    const Status status = qm::WriteQmFile(spec, dir.File("bad.qm"));
    REQUIRE_FALSE(status.ok());
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK_MESSAGE(status.message().find(c.message) != std::string::npos, status.message());
  }
}

struct RawRefusal {
  std::string name;
  std::function<void(RawModel&)> mutate;
  StatusCode code;
  const char* message;
};

inline void CheckReaderRefuses(const RawModel& good, const std::vector<RawRefusal>& cases) {
  for (const RawRefusal& c : cases) {
    CAPTURE(c.name);
    RawModel m = good;
    c.mutate(m);
    auto file = OpenBytes(AssembleRaw(m));
    REQUIRE_FALSE(file.ok());
    CHECK(file.status().code() == c.code);
    CHECK_MESSAGE(file.status().message().find(c.message) != std::string::npos, file.status().message());
  }
}

}  // namespace qc::test
