// Hostile files, part 2: graph sections that are valid FlatBuffers with valid checksums but break a .qm rule.
// Each is built with the raw generated API (qm_test_util.h AssembleRaw) and must give its specific error.
#include <doctest/doctest.h>

#include <functional>

#include "qm_test_util.h"

namespace {

using qc::StatusCode;
using qc::test::RawModel;

struct Case {
  std::string name;
  std::function<void(RawModel&)> mutate;
  StatusCode code;
  const char* message;
};

qc::test::RawDatum StringDatum(std::string s) {
  qc::test::RawDatum d;
  d.tag = 3;
  d.s = std::move(s);
  return d;
}

}  // namespace

TEST_CASE("the minimal raw model is valid") {
  auto file = qc::test::OpenBytes(qc::test::AssembleRaw(qc::test::MinimalRaw()));
  REQUIRE_MESSAGE(file.ok(), file.status().ToString());
  CHECK(file->num_values() == 3);
  CHECK(file->value(1).byte_size() == 16);
  CHECK(file->value(0).dim(0).symbol == "batch");
}

TEST_CASE("graph rules are enforced with specific errors") {
  constexpr StatusCode kCorrupt = StatusCode::kCorruptData;
  constexpr StatusCode kUnsupported = StatusCode::kUnsupported;
  const std::vector<Case> cases = {
      // Tensor ranges and sizes.
      {"tensor beyond the blob", [](RawModel& m) { m.values[1].offset = 64; }, kCorrupt,
       "value 1 'w' data (blob offset 64, length 16) lies outside the 16-byte blob section"},
      {"tensor offset + length overflows", [](RawModel& m) { m.values[1].offset = 0xFFFFFFFFFFFFFFC0ull; }, kCorrupt,
       "lies outside the 16-byte blob section"},
      {"tensor misaligned",
       [](RawModel& m) {
         m.blob.resize(64);
         m.values[1].offset = 8;
       },
       kCorrupt, "value 1 'w' data at blob offset 8 is not aligned to 64"},
      {"alignment not a power of two", [](RawModel& m) { m.values[1].alignment = 96; }, kCorrupt,
       "has alignment 96; it must be a power of two in [64, 4096]"},
      {"alignment too large", [](RawModel& m) { m.values[1].alignment = 8192; }, kCorrupt, "has alignment 8192"},
      {"length differs from dtype x shape", [](RawModel& m) { m.values[1].length = 12; }, kCorrupt,
       "value 1 'w' stores 12 bytes but F32 x its shape needs 16"},
      {"shape size overflows",
       [](RawModel& m) {
         m.values[1].shape = {1ll << 40, 1ll << 40};
       },
       kCorrupt, "has a shape whose size overflows"},
      {"dim above 2^48", [](RawModel& m) { m.values[0].shape = {(1ll << 48) + 1}; }, kCorrupt, "is larger than 2^48"},
      {"rank above 8", [](RawModel& m) { m.values[0].shape.assign(9, 1); }, kCorrupt, "value 0 'x' has rank 9 > 8"},
      {"symbol index out of range", [](RawModel& m) { m.values[0].shape = {-2}; }, kCorrupt,
       "value 0 'x' dim 0 names dimension symbol 1 but there are 1"},
      {"INT64_MIN dim", [](RawModel& m) { m.values[0].shape = {INT64_MIN}; }, kCorrupt, "names dimension symbol"},
      {"symbolic constant", [](RawModel& m) { m.values[1].shape = {-1}; }, kCorrupt,
       "value 1 'w' is a constant with a symbolic dimension"},
      {"unknown dtype", [](RawModel& m) { m.values[0].dtype = 200; }, kUnsupported,
       "value 0 'x' has dtype <unknown 200>, unknown to this runtime"},
      {"invalid dtype 0", [](RawModel& m) { m.values[0].dtype = 0; }, kUnsupported, "has dtype <unknown 0>"},
      {"duplicate value names", [](RawModel& m) { m.values[2].name = "x"; }, kCorrupt,
       "values 0 and 2 are both named 'x'"},
      {"empty value name", [](RawModel& m) { m.values[2].name = ""; }, kCorrupt, "value 2: name is empty"},
      {"duplicate symbols",
       [](RawModel& m) {
         m.symbols = {"batch", "batch"};
       },
       kCorrupt, "dimension symbol 'batch' appears twice"},
      // Ops.
      {"op input out of range", [](RawModel& m) { m.ops[0].inputs[1] = 3; }, kCorrupt,
       "op 0 'add' (Add) input 1 is value 3, out of range [0, 3)"},
      {"op input negative", [](RawModel& m) { m.ops[0].inputs[0] = -5; }, kCorrupt, "input 0 is value -5"},
      {"op output out of range", [](RawModel& m) { m.ops[0].outputs[0] = 1000; }, kCorrupt,
       "op 0 'add' (Add) output 0 is value 1000, out of range"},
      {"op output -1", [](RawModel& m) { m.ops[0].outputs[0] = -1; }, kCorrupt, "output 0 is value -1"},
      {"op without outputs", [](RawModel& m) { m.ops[0].outputs.clear(); }, kCorrupt, "must have 1 to 16 outputs"},
      {"op writes a constant", [](RawModel& m) { m.ops[0].outputs[0] = 1; }, kCorrupt, "writes value 1 'w'"},
      {"not topological",
       [](RawModel& m) {
         m.ops.push_back({8, 1, "gelu", {2}, {0}, {}});
         std::swap(m.ops[0], m.ops[1]);
         m.inputs = {};
       },
       kCorrupt, "op 0 'gelu' (Gelu) reads value 2 'y' before any op produces it"},
      {"value produced twice",
       [](RawModel& m) {
         m.ops.push_back({8, 1, "gelu", {0}, {2}, {}});
       },
       kCorrupt, "op 1 'gelu' (Gelu) writes value 2 'y', which is already"},
      {"dangling value",
       [](RawModel& m) {
         m.values.push_back({"orphan", 1, {3}});
       },
       kCorrupt, "value 3 'orphan' is neither a graph input, a constant nor the output of an op"},
      {"unknown op type", [](RawModel& m) { m.ops[0].type = 999; }, kUnsupported,
       "op 0 'add' (<unknown 999>) has an op type unknown to this runtime"},
      {"op version 0", [](RawModel& m) { m.ops[0].version = 0; }, kCorrupt, "has version 0"},
      {"unknown attribute key",
       [](RawModel& m) {
         m.ops[0].attrs = {{77, qc::test::RawInt(1)}};
       },
       kUnsupported, "has attribute key <unknown 77>"},
      {"attribute without a value",
       [](RawModel& m) {
         m.ops[0].attrs = {{2, qc::test::RawInt(1)}};
         m.ops[0].attrs[0].value.null_table = true;
       },
       kCorrupt, "attribute 'axis' has no value"},
      {"attribute union NONE",
       [](RawModel& m) {
         m.ops[0].attrs = {{2, qc::test::RawInt(1)}};
         m.ops[0].attrs[0].value.tag = 0;
       },
       kUnsupported, "attribute 'axis' has value type 0"},
      {"attribute union unknown",
       [](RawModel& m) {
         m.ops[0].attrs = {{2, qc::test::RawInt(1)}};
         m.ops[0].attrs[0].value.tag = 42;
       },
       kUnsupported, "has value type 42, unknown to this runtime"},
      {"duplicate attribute",
       [](RawModel& m) {
         m.ops[0].attrs = {{2, qc::test::RawInt(1)}, {2, qc::test::RawInt(2)}};
       },
       kCorrupt, "attribute 'axis' appears twice"},
      // Graph signature.
      {"graph input out of range", [](RawModel& m) { m.inputs = {5}; }, kCorrupt,
       "graph input 0 is value 5, out of range"},
      {"graph input is a constant",
       [](RawModel& m) {
         m.inputs = {0, 1};
       },
       kCorrupt, "graph input 1 is value 1 'w', which is a constant"},
      {"graph output out of range",
       [](RawModel& m) {
         m.outputs = {2, 3};
       },
       kCorrupt, "graph output 1 is value 3"},
      {"graph output twice",
       [](RawModel& m) {
         m.outputs = {2, 2};
       },
       kCorrupt, "listed twice as graph output"},
      // Metadata and features.
      {"metadata unsorted",
       [](RawModel& m) {
         m.metadata = {{"b.key", qc::test::RawInt(1)}, {"a.key", qc::test::RawInt(1)}};
       },
       kCorrupt, "metadata keys are not sorted and unique at 'a.key'"},
      {"metadata duplicate",
       [](RawModel& m) {
         m.metadata = {{"a.key", qc::test::RawInt(1)}, {"a.key", qc::test::RawInt(2)}};
       },
       kCorrupt, "not sorted and unique"},
      {"metadata bad key",
       [](RawModel& m) {
         m.metadata = {{"A.key", qc::test::RawInt(1)}};
       },
       kCorrupt, "metadata key 0 'A.key' has a segment that does not start with a lower-case letter"},
      {"standard key kind",
       [](RawModel& m) {
         m.metadata = {{"tokenizer.lowercase", StringDatum("yes")}};
       },
       kCorrupt, "metadata 'tokenizer.lowercase' is a string; the format defines it as an int"},
      {"standard key range",
       [](RawModel& m) {
         m.metadata = {{"tokenizer.model_max_length", qc::test::RawInt(0)}};
       },
       kCorrupt, "metadata 'tokenizer.model_max_length' must be > 0"},
      {"metadata string missing",
       [](RawModel& m) {
         m.metadata = {{"x.y", StringDatum("s")}};
         m.metadata[0].value.null_table = true;
       },
       kCorrupt, "metadata 'x.y' has no value"},
      {"feature syntax", [](RawModel& m) { m.features = {"op.attention"}; }, kCorrupt,
       "required feature 0 'op.attention' has no '@<version>' suffix"},
      {"features unsorted",
       [](RawModel& m) {
         m.features = {"op.b@1", "op.a@1"};
       },
       kCorrupt, "required features are not sorted and unique at 'op.a@1'"},
      // Quantization references.
      {"quant scale not a constant",
       [](RawModel& m) {
         m.values[1].has_quant = true;
         m.values[1].quant_scale = 0;
       },
       kCorrupt, "value 1 'w' quant scale reference 0 is not a constant"},
      {"quant bits 0",
       [](RawModel& m) {
         m.values[1].has_quant = true;
         m.values[1].quant_bits = 0;
       },
       kCorrupt, "quant bits 0 not in 1..32"},
      {"quant granularity unknown",
       [](RawModel& m) {
         m.values[1].has_quant = true;
         m.values[1].quant_granularity = 9;
       },
       kUnsupported, "quantization granularity 9"},
      // Consistency with the preamble, and the blob digests.
      {"min_runtime_version differs", [](RawModel& m) { m.min_runtime_version = 0x000101; }, kCorrupt,
       "graph section min_runtime_version 0.1.1 differs from the preamble's 0.1.0"},
      {"blob_length differs", [](RawModel& m) { m.blob_length_matches = false; }, kCorrupt,
       "graph section blob_length 17 differs from the preamble's 16"},
      {"blob digest wrong", [](RawModel& m) { m.blob_hash_correct = false; }, kCorrupt,
       "blob section checksum mismatch"},
      {"tensor digest wrong",
       [](RawModel& m) {
         m.values[1].hash_from_blob = false;
         m.values[1].xxh3 = 12345;
       },
       kCorrupt, "value 1 'w' data checksum mismatch at file offset 4096 (stored 0x0000000000003039"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    RawModel m = qc::test::MinimalRaw();
    c.mutate(m);
    auto file = qc::test::OpenBytes(qc::test::AssembleRaw(m));
    REQUIRE_FALSE(file.ok());
    CHECK(file.status().code() == c.code);
    CHECK_MESSAGE(file.status().message().find(c.message) != std::string::npos, file.status().message());
    CHECK(file.status().message().find("test.qm: ") == 0);
  }
}

TEST_CASE("verify_tensor_checksums=false skips only the blob digests") {
  RawModel m = qc::test::MinimalRaw();
  m.values[1].hash_from_blob = false;
  m.values[1].xxh3 = 1;
  m.blob_hash_correct = false;
  const std::vector<uint8_t> bytes = qc::test::AssembleRaw(m);
  qc::qm::QmReadOptions skip;
  skip.verify_tensor_checksums = false;
  CHECK_FALSE(qc::test::OpenBytes(bytes).ok());
  CHECK(qc::test::OpenBytes(bytes, skip).ok());
  // The whole-file digest is still verified.
  std::vector<uint8_t> flipped = bytes;
  flipped.back() ^= 1;
  CHECK(qc::test::OpenBytes(flipped, skip).status().message().find("file checksum mismatch") != std::string::npos);
}
