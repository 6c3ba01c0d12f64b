// The writer: determinism, layout, spec validation and atomicity.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <functional>

#include "exporters/qm/qm_writer.h"
#include "qm_test_util.h"

namespace {

using qc::qm::Datum;
using qc::qm::DimSpec;
using qc::qm::DType;

// A two-op spec small enough to pin its exact bytes.
struct TinySpec {
  std::vector<float> w = {1, 2, 3, 4};
  qc::qm::QmModelSpec spec;
  TinySpec() {
    spec.values = {{"x", DType::F32, {DimSpec::Symbol("n"), DimSpec::Fixed(4)}, {}, {}},
                   {"w", DType::F32, {DimSpec::Fixed(4)}, qc::qm::ConstantData{w.data(), 16}, {}},
                   {"y", DType::F32, {DimSpec::Symbol("n"), DimSpec::Fixed(4)}, {}, {}},
                   {"z", DType::F32, {DimSpec::Symbol("n"), DimSpec::Fixed(4)}, {}, {}}};
    spec.ops = {{qc::qm::OpType::Add, 1, "add", {0, 1}, {2}, {}},
                {qc::qm::OpType::Gelu, 1, "gelu", {2}, {3}, {{qc::qm::AttrKey::approximate, Datum::Int(1)}}}};
    spec.inputs = {0};
    spec.outputs = {3};
    spec.metadata["custom.note"] = Datum::String("tiny");
    spec.provenance.producer_name = "qcompress-test";
  }
};

}  // namespace

TEST_CASE("identical input gives byte-identical files") {
  qc::test::TempDir dir;
  qc::test::SampleModel a;
  qc::test::SampleModel b;  // same content, different tensor addresses
  REQUIRE(qc::qm::WriteQmFile(a.spec, dir.File("a.qm")).ok());
  REQUIRE(qc::qm::WriteQmFile(b.spec, dir.File("b.qm")).ok());
  REQUIRE(qc::qm::WriteQmFile(a.spec, dir.File("a2.qm")).ok());
  const std::vector<uint8_t> bytes_a = qc::test::ReadBytes(dir.File("a.qm"));
  CHECK(bytes_a.size() > 64 * 1024);
  CHECK(bytes_a == qc::test::ReadBytes(dir.File("b.qm")));
  CHECK(bytes_a == qc::test::ReadBytes(dir.File("a2.qm")));

  // Metadata insertion order and feature order do not matter; any content change does.
  qc::test::SampleModel c;
  c.spec.metadata.clear();
  for (auto it = a.spec.metadata.rbegin(); it != a.spec.metadata.rend(); ++it) c.spec.metadata.emplace(*it);
  std::reverse(c.spec.required_features.begin(), c.spec.required_features.end());
  REQUIRE(qc::qm::WriteQmFile(c.spec, dir.File("c.qm")).ok());
  CHECK(bytes_a == qc::test::ReadBytes(dir.File("c.qm")));
  c.big[100] += 1.0f;
  REQUIRE(qc::qm::WriteQmFile(c.spec, dir.File("d.qm")).ok());
  CHECK(bytes_a != qc::test::ReadBytes(dir.File("d.qm")));
}

TEST_CASE("the encoding of a tiny model is pinned") {
  // If this fails, the bytes the writer produces changed. That is a format change: bump the format minor or major
  // version as docs/qm-format.md says, record it in its version history, then update the digest here.
  qc::test::TempDir dir;
  TinySpec tiny;
  REQUIRE(qc::qm::WriteQmFile(tiny.spec, dir.File("tiny.qm")).ok());
  const std::vector<uint8_t> bytes = qc::test::ReadBytes(dir.File("tiny.qm"));
  REQUIRE(bytes.size() == 4096 + 16);
  const qc::qm::Preamble p = qc::qm::DecodePreamble(bytes.data());
  CHECK(std::string(p.magic, 4) == "QCMF");
  CHECK(bytes[4] == 0xFF);
  CHECK(bytes[5] == 0xFE);
  CHECK(p.preamble_size == 64);
  CHECK(p.format_major == 1);
  CHECK(p.format_minor == 3);
  CHECK(p.min_runtime_version == 0x000100);
  CHECK(p.graph_offset == 64);
  CHECK(p.blob_offset == 4096);
  CHECK(p.blob_length == 16);
  CHECK(p.file_length == bytes.size());
  CHECK(p.file_xxh3 == XXH3_64bits(bytes.data() + 64, bytes.size() - 64));
  CHECK(p.preamble_xxh3 == XXH3_64bits(bytes.data(), 56));
  CHECK(std::string(reinterpret_cast<const char*>(bytes.data()) + 68, 4) == "QM01");
  CHECK(qc::qm::LoadLE32(bytes.data() + 4096 + 4) == 0x40000000);  // w[1] == 2.0f
  CHECK(p.graph_length == 784);
  CHECK(XXH3_64bits(bytes.data(), bytes.size()) == 0x4059820943f9c6f7ull);
}

TEST_CASE("spec validation names what is wrong and writes nothing") {
  struct Case {
    std::string name;
    std::function<void(qc::qm::QmModelSpec&)> mutate;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"duplicate value name", [](auto& s) { s.values[2].name = "x"; }, "value 2 'x': another value has the same name"},
      {"empty value name", [](auto& s) { s.values[3].name = ""; }, "value 3: name is empty"},
      {"NUL in name", [](auto& s) { s.values[3].name = std::string("a\0b", 3); }, "NUL"},
      {"invalid dtype", [](auto& s) { s.values[0].dtype = DType::Invalid; }, "has dtype <unknown 0>"},
      {"negative dim", [](auto& s) { s.values[0].shape[1].size = -2; }, "dim 1 is -2"},
      {"rank > 8", [](auto& s) { s.values[0].shape.resize(9, DimSpec::Fixed(1)); }, "rank 9 > 8"},
      {"constant byte size", [](auto& s) { s.values[1].constant->size = 12; },
       "has 12 bytes of data but F32 x its shape needs 16"},
      {"symbolic constant", [](auto& s) { s.values[1].shape[0] = DimSpec::Symbol("n"); },
       "is a constant but dimension 'n' is symbolic"},
      {"null data", [](auto& s) { s.values[1].constant->data = nullptr; }, "has null data"},
      {"op input out of range", [](auto& s) { s.ops[0].inputs[1] = 9; },
       "op 0 'add' (Add) input 1 is value 9, out of range"},
      {"op input -2", [](auto& s) { s.ops[0].inputs[1] = -2; }, "input 1 is value -2"},
      {"not topological", [](auto& s) { std::swap(s.ops[0], s.ops[1]); },
       "reads value 2 'y' before any op produces it"},
      {"output twice", [](auto& s) { s.ops[1].outputs[0] = 2; }, "writes value 2 'y', which is already"},
      {"output is input", [](auto& s) { s.ops[0].outputs[0] = 0; }, "writes value 0 'x'"},
      {"no outputs", [](auto& s) { s.ops[0].outputs.clear(); }, "must have 1 to 16 outputs"},
      {"dangling value",
       [](auto& s) {
         s.ops[1].outputs[0] = 2;
         s.ops.pop_back();
         s.outputs = {2};
       },
       "value 3 'z' is neither a graph input, a constant nor the output of an op"},
      {"invalid op type", [](auto& s) { s.ops[0].type = qc::qm::OpType::Invalid; }, "has an invalid op type"},
      {"op version 0", [](auto& s) { s.ops[0].version = 0; }, "has version 0"},
      {"duplicate attribute", [](auto& s) { s.ops[1].attrs.push_back(s.ops[1].attrs[0]); },
       "attribute 'approximate' appears twice"},
      {"invalid attribute key", [](auto& s) { s.ops[1].attrs[0].key = qc::qm::AttrKey::Invalid; }, "invalid key"},
      {"graph input is a constant", [](auto& s) { s.inputs = {1}; },
       "graph input 0 is value 1 'w', which is a constant"},
      {"graph input out of range",
       [](auto& s) {
         s.inputs = {0, 7};
       },
       "graph input 1 is value 7, out of range"},
      {"graph output twice",
       [](auto& s) {
         s.outputs = {3, 3};
       },
       "lists value 3 'z' twice"},
      {"bad metadata key", [](auto& s) { s.metadata["Custom.Key"] = Datum::Int(1); }, "metadata key 'Custom.Key'"},
      {"unknown reserved key", [](auto& s) { s.metadata["tokenizer.lowercse"] = Datum::Int(1); }, "not a standard key"},
      {"standard key kind", [](auto& s) { s.metadata["tokenizer.lowercase"] = Datum::String("yes"); },
       "metadata 'tokenizer.lowercase' is a string but must be an int"},
      {"standard key range", [](auto& s) { s.metadata["tokenizer.strip_accents"] = Datum::Int(2); },
       "must be -1, 0 or 1"},
      {"image.size range", [](auto& s) { s.metadata["image.size"] = Datum::IntList({224}); }, "[height, width]"},
      {"image.std zero",
       [](auto& s) {
         s.metadata["image.std"] = Datum::FloatList({0.5, 0.0, 0.5});
       },
       "non-zero"},
      {"empty vocab", [](auto& s) { s.metadata["tokenizer.vocab"] = Datum::StringList({}); }, "must not be empty"},
      {"feature syntax", [](auto& s) { s.required_features = {"op.attention"}; }, "has no '@<version>' suffix"},
      {"feature version", [](auto& s) { s.required_features = {"op.attention@01"}; }, "malformed version"},
      {"feature twice",
       [](auto& s) {
         s.required_features = {"op.a@1", "op.a@1"};
       },
       "listed twice"},
      {"min runtime too low",
       [](auto& s) {
         s.min_runtime_version = {0, 0, 9};
       },
       "is below 0.1.0"},
      {"min runtime unpackable",
       [](auto& s) {
         s.min_runtime_version = {1, 300, 0};
       },
       "does not fit"},
      {"quant scale not constant",
       [](auto& s) { s.values[1].quant = qc::qm::QuantSpec{2, qc::qm::QuantGranularity::PerTensor, 0, 0, 0, -1}; },
       "quant scale reference 0 is not a constant"},
      {"quant group size",
       [](auto& s) { s.values[1].quant = qc::qm::QuantSpec{4, qc::qm::QuantGranularity::PerGroup, 0, 0, -1, -1}; },
       "group_size must be > 0 exactly for PerGroup"},
      {"huge metadata",
       [](auto& s) { s.metadata["custom.big"] = Datum::ByteString(std::vector<uint8_t>((256u << 20) + 1)); },
       "holds more than 256 MiB"},
  };
  qc::test::TempDir dir;
  const std::string path = dir.File("out.qm");
  qc::test::WriteBytes(path, {1, 2, 3});  // an existing target must survive every failure
  for (const Case& c : cases) {
    CAPTURE(c.name);
    TinySpec tiny;
    REQUIRE(qc::qm::ValidateQmSpec(tiny.spec).ok());
    c.mutate(tiny.spec);
    const qc::Status s = qc::qm::WriteQmFile(tiny.spec, path);
    CHECK(s.code() == qc::StatusCode::kInvalidArgument);
    CHECK_MESSAGE(s.message().find(c.message) != std::string::npos, s.message());
    CHECK(s.message().find("writing " + path) == 0);
    CHECK(qc::test::ReadBytes(path) == std::vector<uint8_t>{1, 2, 3});
    CHECK(dir.List() == std::vector<std::string>{"out.qm"});
  }
}

TEST_CASE("write failures leave no temp file and the target untouched") {
  qc::test::TempDir dir;
  TinySpec tiny;

  SUBCASE("directory does not exist") {
    const qc::Status s = qc::qm::WriteQmFile(tiny.spec, dir.File("missing/out.qm"));
    CHECK(s.code() == qc::StatusCode::kIoError);
    CHECK(s.message().find("missing/out.qm") != std::string::npos);
    CHECK(dir.List().empty());
  }
  SUBCASE("directory is not writable") {
    if (::geteuid() == 0) {
      MESSAGE("running as root: permission bits do not stop writes, case skipped");
      CHECK(::geteuid() == 0);
    } else {
      REQUIRE(::mkdir(dir.File("ro").c_str(), 0555) == 0);
      const qc::Status s = qc::qm::WriteQmFile(tiny.spec, dir.File("ro/out.qm"));
      CHECK(s.code() == qc::StatusCode::kIoError);
      CHECK(s.message().find("cannot create a temp file") != std::string::npos);
      CHECK(std::filesystem::is_empty(dir.File("ro")));
      ::chmod(dir.File("ro").c_str(), 0755);
    }
  }
  SUBCASE("target is a directory: the rename fails after the data was written") {
    REQUIRE(::mkdir(dir.File("taken.qm").c_str(), 0755) == 0);
    const qc::Status s = qc::qm::WriteQmFile(tiny.spec, dir.File("taken.qm"));
    CHECK(s.code() == qc::StatusCode::kIoError);
    CHECK(s.message().find("cannot rename") != std::string::npos);
    CHECK(dir.List() == std::vector<std::string>{"taken.qm"});
  }
  SUBCASE("the disk fills up in the middle of the blob (RLIMIT_FSIZE in a child process)") {
    qc::test::SampleModel sample;  // > 64 KiB
    const std::string path = dir.File("model.qm");
    qc::test::WriteBytes(path, {7, 7, 7});
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      struct rlimit limit = {16 * 1024, 16 * 1024};
      ::setrlimit(RLIMIT_FSIZE, &limit);
      const qc::Status s = qc::qm::WriteQmFile(sample.spec, path);
      const bool expected =
          s.code() == qc::StatusCode::kIoError && s.message().find("write to temp file") != std::string::npos;
      ::_exit(expected ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(qc::test::ReadBytes(path) == std::vector<uint8_t>{7, 7, 7});
    CHECK(dir.List() == std::vector<std::string>{"model.qm"});
  }
  SUBCASE("a successful write replaces the target") {
    const std::string path = dir.File("model.qm");
    qc::test::WriteBytes(path, {7, 7, 7});
    REQUIRE(qc::qm::WriteQmFile(tiny.spec, path).ok());
    CHECK(qc::test::ReadBytes(path).size() == 4096 + 16);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    CHECK(dir.List() == std::vector<std::string>{"model.qm"});
  }
}
