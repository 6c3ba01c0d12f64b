// Tests for importers/hf/safetensors.h: valid files of every dtype, alignment handling, view lifetime, every
// rejection rule, a byte-mutation sweep (no crash under ASan/UBSan) and the real fixtures.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "hf_test_util.h"
#include "importers/hf/safetensors.h"
#include "tests/support/test_paths.h"

using namespace qc::hf;
using qc::StatusCode;
using qc::hf::test::Must;
using qc::hf::test::RawSafetensors;
using qc::hf::test::StWriter;
using qc::hf::test::TempDir;

namespace {

// Parses an in-memory image from an exactly-sized heap copy, so ASan flags any read past the end.
qc::Expected<SafetensorsFile> FromBytes(const std::string& bytes, const std::string& name = "mem.safetensors") {
  auto copy = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  return SafetensorsFile::FromBuffer(copy->data(), copy->size(), copy, name);
}

// Expects an error of `code` whose message contains every fragment.
void ExpectError(const std::string& bytes, StatusCode code, const std::vector<std::string>& fragments) {
  auto file = FromBytes(bytes, "bad.safetensors");
  REQUIRE_FALSE(file.ok());
  CHECK(file.status().code() == code);
  for (const std::string& f : fragments) {
    INFO("message: " << file.status().message() << "  fragment: " << f);
    CHECK(file.status().message().find(f) != std::string::npos);
  }
}

std::string Entry(const std::string& name, const std::string& dtype, const std::string& shape, uint64_t begin,
                  uint64_t end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
         std::to_string(begin) + "," + std::to_string(end) + "]}";
}

}  // namespace

TEST_CASE("a valid file of every dtype opens, with views and conversions") {
  StWriter w;
  w.SetMetadata("format", "pt");
  w.AddF32("f32", {2, 3}, {1, 2, 3, 4, 5, -6});
  // 1.0, -2.0, smallest subnormal, +inf, a NaN.
  w.Add("f16", "F16", {5}, qc::hf::test::U16Bytes({0x3C00, 0xC000, 0x0001, 0x7C00, 0x7E00}));
  w.Add("bf16", "BF16", {2}, qc::hf::test::U16Bytes({0x3F80, 0xC040}));
  double doubles[2] = {0.25, 1e300};
  w.Add("f64", "F64", {2}, std::string(reinterpret_cast<const char*>(doubles), sizeof doubles));
  int64_t ints[3] = {-1, 0, 7};
  w.Add("i64", "I64", {3}, std::string(reinterpret_cast<const char*>(ints), sizeof ints));
  w.Add("mask", "BOOL", {2}, std::string("\x01\x00", 2));
  w.Add("scalar", "U8", {}, "\x2a");
  w.Add("empty", "F32", {0, 4}, "");
  w.Add("i8", "I8", {1}, "\xff");
  TempDir dir;
  const std::string path = dir.Write("model.safetensors", w.Bytes());

  SafetensorsFile file = Must(SafetensorsFile::Open(path));
  CHECK(file.path() == path);
  CHECK(file.metadata().at("format") == "pt");
  REQUIRE(file.tensors().size() == 9);
  CHECK(file.tensors()[0].name == "bf16");  // sorted by name
  CHECK(file.tensors()[8].name == "scalar");

  const SafetensorsTensor* f32 = Must(file.Get("f32"));
  CHECK(f32->TypeString() == "F32[2, 3]");
  CHECK(f32->element_count == 6);
  CHECK(f32->byte_size() == 24);
  Float32Data v = Must(file.ToFloat32(*f32));
  CHECK(v.is_view());  // the writer aligns the data region to 8 bytes
  CHECK(reinterpret_cast<const uint8_t*>(v.data()) == f32->data);
  CHECK(v.size() == 6);
  CHECK(v.data()[5] == -6.0f);

  Float32Data h = Must(file.ToFloat32(*Must(file.Get("f16"))));
  CHECK_FALSE(h.is_view());
  CHECK(h.data()[0] == 1.0f);
  CHECK(h.data()[1] == -2.0f);
  CHECK(h.data()[2] == std::ldexp(1.0f, -24));
  CHECK(std::isinf(h.data()[3]));
  CHECK(std::isnan(h.data()[4]));
  Float32Data b = Must(file.ToFloat32(*Must(file.Get("bf16"))));
  CHECK(b.data()[0] == 1.0f);
  CHECK(b.data()[1] == -3.0f);
  Float32Data d = Must(file.ToFloat32(*Must(file.Get("f64"))));
  CHECK(d.data()[0] == 0.25f);
  CHECK(std::isinf(d.data()[1]));  // out of float range narrows to inf, without UB

  const SafetensorsTensor* scalar = Must(file.Get("scalar"));
  CHECK(scalar->shape.empty());
  CHECK(scalar->element_count == 1);
  CHECK(scalar->data[0] == 42);
  const SafetensorsTensor* empty = Must(file.Get("empty"));
  CHECK(empty->element_count == 0);
  CHECK(Must(file.ToFloat32(*empty)).size() == 0);

  auto ints_as_float = file.ToFloat32(*Must(file.Get("i64")));
  REQUIRE_FALSE(ints_as_float.ok());
  CHECK(ints_as_float.status().code() == StatusCode::kUnsupported);
  CHECK(ints_as_float.status().message().find("tensor 'i64' is I64[3]") != std::string::npos);

  auto missing = file.Get("nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message() == path + ": no tensor 'nope'");
  CHECK(file.Find("nope") == nullptr);
}

TEST_CASE("misaligned F32 data is copied, aligned data is a view that outlives the file object") {
  StWriter w;
  w.Add("byte", "U8", {1}, "\x07");
  w.AddF32("odd", {2}, {1.5f, -2.5f});  // starts 1 byte into an 8-aligned region: misaligned for float
  TempDir dir;
  const std::string path = dir.Write("m.safetensors", w.Bytes(8));
  Float32Data odd;
  {
    SafetensorsFile file = Must(SafetensorsFile::Open(path));
    const SafetensorsTensor* t = Must(file.Get("odd"));
    CHECK(reinterpret_cast<uintptr_t>(t->data) % 4 != 0);
    odd = Must(file.ToFloat32(*t));
  }
  CHECK_FALSE(odd.is_view());
  CHECK(odd.data()[0] == 1.5f);
  CHECK(odd.data()[1] == -2.5f);

  StWriter aligned;
  aligned.AddF32("w", {3}, {1, 2, 3});
  const std::string path2 = dir.Write("a.safetensors", aligned.Bytes(8));
  Float32Data view = [&] {
    SafetensorsFile file = Must(SafetensorsFile::Open(path2));
    return Must(file.ToFloat32(*Must(file.Get("w"))));
  }();  // the SafetensorsFile is gone; the mapping lives on in the view's owner
  REQUIRE(view.is_view());
  CHECK(view.owner() != nullptr);
  CHECK(view.data()[2] == 3.0f);
  CHECK(std::move(view).TakeVector() == std::vector<float>{1, 2, 3});
}

TEST_CASE("header padding and an empty file body") {
  CHECK(FromBytes(RawSafetensors("{}", "")).ok());
  CHECK(FromBytes(RawSafetensors("{}      ", "")).ok());  // space padding
  CHECK(FromBytes(RawSafetensors("{}\n\t", "")).ok());    // any JSON whitespace, like the reference reader
  CHECK(FromBytes(RawSafetensors("{\"__metadata__\":{}}", "")).ok());
}

TEST_CASE("file and header length errors") {
  ExpectError("", StatusCode::kCorruptData, {"bad.safetensors", "too short"});
  ExpectError(std::string(7, '\0'), StatusCode::kCorruptData, {"too short"});
  // Header length past the end of the file.
  std::string past = RawSafetensors("{}", "");
  past[0] = 100;
  ExpectError(past, StatusCode::kCorruptData, {"header length 100 runs past the end of the 10-byte file"});
  // Huge lengths are refused before anything is allocated.
  std::string huge = RawSafetensors("{}", "");
  huge[5] = 1;  // 2^40 + 2
  ExpectError(huge, StatusCode::kCorruptData, {"exceeds the 104857600-byte limit"});
  std::string max = RawSafetensors("{}", "");
  for (int i = 0; i < 8; ++i) max[static_cast<size_t>(i)] = '\xff';
  ExpectError(max, StatusCode::kCorruptData, {"exceeds"});
  TempDir dir;
  auto missing = SafetensorsFile::Open(dir.str() + "/none.safetensors");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  auto directory = SafetensorsFile::Open(dir.str());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.status().code() == StatusCode::kIoError);
  const std::string tiny = dir.Write("tiny.safetensors", "abc");
  CHECK(SafetensorsFile::Open(tiny).status().message().find(tiny + ": 3 bytes is too short") == 0);
}

TEST_CASE("malformed JSON headers") {
  ExpectError(RawSafetensors("{garbage", ""), StatusCode::kCorruptData, {"bad.safetensors: header: invalid JSON"});
  ExpectError(RawSafetensors("[1, 2]", ""), StatusCode::kCorruptData, {"does not start with '{'"});
  ExpectError(RawSafetensors(" {}", ""), StatusCode::kCorruptData, {"does not start with '{'"});
  ExpectError(RawSafetensors("{} x", ""), StatusCode::kCorruptData, {"invalid JSON"});
  ExpectError(RawSafetensors(std::string("{}\0\0", 4), ""), StatusCode::kCorruptData, {"invalid JSON"});
  ExpectError(RawSafetensors("{\"a\":{\"b\":{\"c\":[[1]]}}}", ""), StatusCode::kCorruptData, {"nesting deeper"});
  ExpectError(RawSafetensors("{\"\xff\":1}", ""), StatusCode::kCorruptData, {"invalid JSON"});  // bad UTF-8
  ExpectError(RawSafetensors("{\"__metadata__\":{\"k\":1}}", ""), StatusCode::kCorruptData,
              {"'__metadata__' entry 'k' is integer, expected a string"});
  ExpectError(RawSafetensors("{\"__metadata__\":[]}", ""), StatusCode::kCorruptData,
              {"'__metadata__' is array, expected an object"});
  ExpectError(RawSafetensors("{\"w\":[]}", ""), StatusCode::kCorruptData, {"tensor 'w': header entry is array"});
}

TEST_CASE("duplicate names and keys are rejected") {
  const std::string data = qc::hf::test::FloatBytes({1, 2});
  ExpectError(RawSafetensors("{" + Entry("w", "F32", "[1]", 0, 4) + "," + Entry("w", "F32", "[1]", 4, 8) + "}", data),
              StatusCode::kCorruptData, {"duplicate key 'w'"});
  ExpectError(RawSafetensors("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                             data.substr(0, 4)),
              StatusCode::kCorruptData, {"duplicate key 'dtype'"});
}

TEST_CASE("per-tensor field errors name the file and the tensor") {
  const std::string d8 = qc::hf::test::FloatBytes({1, 2});
  const auto one = [&](const std::string& entry, const std::string& data = std::string(8, '\0')) {
    return RawSafetensors("{" + entry + "}", data);
  };
  ExpectError(one("\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}"), StatusCode::kCorruptData,
              {"bad.safetensors: tensor 'w': field 'dtype' is missing"});
  ExpectError(one("\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}"), StatusCode::kCorruptData,
              {"tensor 'w': field 'shape' is missing"});
  ExpectError(one("\"w\":{\"dtype\":\"F32\",\"shape\":[2]}"), StatusCode::kCorruptData,
              {"tensor 'w': field 'data_offsets' is missing"});
  ExpectError(one(Entry("w", "F8_E4M3", "[8]", 0, 8)), StatusCode::kUnsupported, {"tensor 'w'", "'F8_E4M3'"});
  ExpectError(one(Entry("w", "f32", "[2]", 0, 8)), StatusCode::kUnsupported, {"dtype 'f32'"});
  ExpectError(one("\"w\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}"), StatusCode::kCorruptData,
              {"field 'dtype' is integer, expected a string"});
  ExpectError(one(Entry("w", "F32", "[-2]", 0, 8)), StatusCode::kCorruptData, {"'shape' element 0"});
  ExpectError(one(Entry("w", "F32", "[2.5]", 0, 8)), StatusCode::kCorruptData, {"'shape' element 0"});
  ExpectError(one(Entry("w", "F32", "{}", 0, 8)), StatusCode::kCorruptData, {"field 'shape' is object"});
  ExpectError(one(Entry("w", "F32", "[1099511627776,1099511627776,1099511627776]", 0, 8)), StatusCode::kCorruptData,
              {"tensor 'w'", "more bytes than any file can hold"});
  ExpectError(one(Entry("w", "F32", "[4611686018427387904]", 0, 8)), StatusCode::kCorruptData,
              {"more bytes than any file can hold"});  // count fits int64, bytes do not
  ExpectError(one("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}"), StatusCode::kCorruptData,
              {"'data_offsets' must be an array of two integers"});
  ExpectError(one("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}"), StatusCode::kCorruptData,
              {"'data_offsets' element 0 is not a non-negative integer"});
  ExpectError(one("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}"), StatusCode::kCorruptData,
              {"'data_offsets' element 1"});
  // Offsets out of range: past the data region (a truncated file), begin > end.
  ExpectError(one(Entry("w", "F32", "[2]", 0, 8), d8.substr(0, 6)), StatusCode::kCorruptData,
              {"tensor 'w': data_offsets end 8 is past the 6-byte data region"});
  ExpectError(one(Entry("w", "F32", "[0]", 8, 0)), StatusCode::kCorruptData, {"has begin > end"});
  ExpectError(one(Entry("w", "F32", "[2]", 0, 18446744073709551615ull)), StatusCode::kCorruptData, {"past the"});
  // dtype x shape disagrees with the range.
  ExpectError(one(Entry("w", "F32", "[3]", 0, 8)), StatusCode::kCorruptData,
              {"tensor 'w': F32[3] needs 12 bytes but data_offsets span 8"});
  ExpectError(one(Entry("w", "F16", "[2]", 0, 8)), StatusCode::kCorruptData, {"F16[2] needs 4 bytes"});
}

TEST_CASE("ranges must tile the data region: overlap, holes and trailing bytes are rejected") {
  const std::string data(16, '\0');
  ExpectError(RawSafetensors("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 4, 12) + "}",
                             data.substr(0, 12)),
              StatusCode::kCorruptData, {"tensor 'b' bytes [4, 12) overlap tensor 'a' [0, 8)"});
  ExpectError(RawSafetensors("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 0, 8) + "}",
                             data.substr(0, 8)),
              StatusCode::kCorruptData, {"overlap"});
  ExpectError(RawSafetensors("{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("b", "F32", "[1]", 8, 12) + "}",
                             data.substr(0, 12)),
              StatusCode::kCorruptData, {"bytes [4, 8) of the data region before tensor 'b' belong to no tensor"});
  ExpectError(RawSafetensors("{" + Entry("a", "F32", "[2]", 0, 8) + "}", data), StatusCode::kCorruptData,
              {"8 trailing bytes after the last tensor"});
  ExpectError(RawSafetensors("{}", "x"), StatusCode::kCorruptData, {"1 trailing bytes"});
  // Zero-size tensors take an empty range anywhere in the tiling, even alongside others at the same offset.
  CHECK(FromBytes(RawSafetensors("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("z", "F32", "[0]", 8, 8) + "," +
                                     Entry("y", "F32", "[0,3]", 0, 0) + "}",
                                 data.substr(0, 8)))
            .ok());
  // Offsets out of file order are fine as long as they tile.
  CHECK(FromBytes(RawSafetensors("{" + Entry("a", "F32", "[1]", 4, 8) + "," + Entry("b", "F32", "[1]", 0, 4) + "}",
                                 data.substr(0, 8)))
            .ok());
}

TEST_CASE("every truncation and single-byte mutation of a valid file fails cleanly or parses") {
  StWriter w;
  w.SetMetadata("format", "pt");
  w.AddF32("weight", {2, 2}, {1, 2, 3, 4});
  w.Add("ids", "I64", {1}, std::string(8, '\x01'));
  const std::string good = w.Bytes(0);
  REQUIRE(FromBytes(good).ok());
  int rejected = 0;
  for (size_t len = 0; len < good.size(); ++len) rejected += FromBytes(good.substr(0, len)).ok() ? 0 : 1;
  CHECK(rejected == static_cast<int>(good.size()));  // every strict prefix is incomplete
  const char replacements[] = {'\0', '\xff', '{', '}', '"', '9', '-', ',', ' ', '[', 'E'};
  int parsed = 0;
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (char r : replacements) {
      std::string mutated = good;
      mutated[pos] = r;
      auto file = FromBytes(mutated);  // must not crash or read out of bounds
      if (!file.ok()) continue;
      ++parsed;
      for (const SafetensorsTensor& t : file->tensors()) {
        // Whatever parsed is internally consistent and inside the buffer.
        CHECK(t.end <= mutated.size() - file->data_region_offset());
        CHECK(t.byte_size() == static_cast<size_t>(t.element_count) * StDTypeSize(t.dtype));
        if (t.dtype == StDType::kF32) CHECK(file->ToFloat32(t).ok());
      }
    }
  }
  CHECK(parsed > 0);  // e.g. mutations inside tensor data
}

TEST_CASE("dtype names and half-precision conversion") {
  CHECK(Must(ParseStDType("BF16")) == StDType::kBF16);
  CHECK(StDTypeName(StDType::kBool) == "BOOL");
  CHECK(StDTypeSize(StDType::kF64) == 8);
  CHECK(ParseStDType("U16").status().code() == StatusCode::kUnsupported);
  CHECK(HalfToFloat(0x8000) == 0.0f);
  CHECK(std::signbit(HalfToFloat(0x8000)));
  CHECK(HalfToFloat(0x7BFF) == 65504.0f);
  CHECK(HalfToFloat(0x03FF) == std::ldexp(1023.0f, -24));  // largest subnormal
  CHECK(HalfToFloat(0x3555) == 0.333251953125f);
  CHECK(BFloat16ToFloat(0x4049) == 3.140625f);
}

TEST_CASE("the real fixtures open and hold the documented tensors") {
  const auto bert = qc::test::FixturesDir() / "hf" / "bert_tiny" / "model.safetensors";
  const auto vit = qc::test::FixturesDir() / "hf" / "vit_tiny" / "model.safetensors";
  if (!std::filesystem::exists(bert) || !std::filesystem::exists(vit)) {
    MESSAGE("tests/fixtures/hf not present; skipping");
    CHECK(true);
    return;
  }
  SafetensorsFile file = Must(SafetensorsFile::Open(bert.string()));
  CHECK(file.metadata().at("format") == "pt");
  CHECK(file.tensors().size() == 41);
  int64_t parameters = 0;
  for (const SafetensorsTensor& t : file.tensors()) {
    CHECK(t.dtype == StDType::kF32);
    parameters += t.element_count;
  }
  CHECK(parameters == 135875);  // fixture.json: weights.num_parameters
  CHECK(Must(file.Get("bert.embeddings.word_embeddings.weight"))->shape == std::vector<int64_t>{941, 64});
  Float32Data bias = Must(file.ToFloat32(*Must(file.Get("classifier.bias"))));
  REQUIRE(bias.size() == 3);
  CHECK(bias.data()[0] == -0.010738427750766277f);
  CHECK(bias.data()[1] == 0.1252928227186203f);
  CHECK(bias.data()[2] == 0.04411335662007332f);

  SafetensorsFile vit_file = Must(SafetensorsFile::Open(vit.string()));
  CHECK(vit_file.tensors().size() == 40);
  CHECK(Must(vit_file.Get("vit.embeddings.patch_embeddings.projection.weight"))->shape ==
        std::vector<int64_t>{64, 3, 8, 8});
  CHECK(Must(vit_file.Get("vit.embeddings.position_embeddings"))->shape == std::vector<int64_t>{1, 17, 64});
}
