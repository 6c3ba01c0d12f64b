// External tensor data: weights are viewed in the mmapped data file (not copied), and hostile locations, ranges and
// symlinks are rejected before anything is read.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "importers/onnx/external_data.h"
#include "importers/onnx/model_file.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

const char kFixture[] = "onnx_extra/bert_external_data";

// A fresh directory under the system temp dir, removed at the end of the test.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "qc-onnx-ext-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

// The path of the mapping containing `p` in /proc/self/maps, or "".
std::string MappedPathOf(const void* p) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const auto addr = reinterpret_cast<uintptr_t>(p);
  while (std::getline(maps, line)) {
    uintptr_t begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &begin, &end) != 2) continue;
    if (addr >= begin && addr < end) {
      const size_t slash = line.find('/');
      return slash == std::string::npos ? "" : line.substr(slash);
    }
  }
  return "";
}

// Writes the fixture's model into `dir` with the first external initializer's key `key` set to `value` (or the
// entry removed when `value` is empty), and copies the data file next to it.
fs::path WriteVariant(const fs::path& dir, const std::string& key, const std::string& value) {
  const fs::path src = qc::test::FixturesDir() / kFixture;
  fs::copy_file(src / "model.onnx.data", dir / "model.onnx.data", fs::copy_options::overwrite_existing);
  auto model = qc::onnx_import::ReadModelFile((src / "model.onnx").string());
  REQUIRE(model.ok());
  onnx::TensorProto* t = model->mutable_graph()->mutable_initializer(0);
  REQUIRE(t->data_location() == onnx::TensorProto::EXTERNAL);
  auto* entries = t->mutable_external_data();
  bool found = false;
  for (int i = 0; i < entries->size(); ++i) {
    if (entries->Get(i).key() != key) continue;
    found = true;
    if (value.empty()) {
      entries->DeleteSubrange(i, 1);
    } else {
      entries->Mutable(i)->set_value(value);
    }
    break;
  }
  if (!found && !value.empty()) {
    auto* e = t->add_external_data();
    e->set_key(key);
    e->set_value(value);
  }
  const fs::path out = dir / "model.onnx";
  std::ofstream f(out, std::ios::binary);
  REQUIRE(model->SerializeToOstream(&f));
  return out;
}

qc::Status ImportVariant(const std::string& key, const std::string& value) {
  TempDir dir;
  return qc::onnx_import::ImportOnnx(WriteVariant(dir.path, key, value).string()).status();
}

}  // namespace

TEST_CASE("external weights are views into the mmapped data file") {
  auto r = qc::test::ImportFixture(kFixture);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  int viewed = 0;
  for (const qc::ir::Value& v : r->graph.values()) {
    if (!v.constant) continue;
    // Linear weights are transposed copies ([in, out] in the file); everything else is used in place.
    const bool copied = v.name.find(".weight") != std::string::npos && v.constant->dims().size() == 2 &&
                        v.name.find("embeddings") == std::string::npos && v.name.find("pooler") == std::string::npos &&
                        v.name.find("classifier") == std::string::npos;
    const std::string mapped = MappedPathOf(v.constant->raw_data());
    INFO("constant " << v.name << " mapped from '" << mapped << "'");
    if (copied) {
      CHECK(mapped.find("model.onnx.data") == std::string::npos);
    } else {
      CHECK(mapped.size() >= 15);
      CHECK(mapped.compare(mapped.size() - 15, 15, "model.onnx.data") == 0);
      ++viewed;
    }
  }
  CHECK(viewed == 29);  // embeddings, LayerNorm gammas/betas, Linear biases, pooler and classifier
  // The same IR as the single-file export, weights included (content hashes are printed).
  auto single = qc::test::ImportFixture("onnx/bert_opset14_sdpa");
  REQUIRE(single.ok());
  CHECK(qc::test::NormalizedText(r->graph) == qc::test::NormalizedText(single->graph));
}

TEST_CASE("the data file mapping outlives the import and is shared") {
  qc::ir::Graph graph;
  {
    auto r = qc::test::ImportFixture(kFixture);
    REQUIRE(r.ok());
    graph = std::move(r->graph);
  }
  auto id = graph.FindValue("bert.embeddings.word_embeddings.weight");
  REQUIRE(id.ok());
  const qc::ir::Tensor& t = *graph.value(*id).constant;
  auto values = t.ToVector<float>();  // readable after the ModelProto and resolver are gone
  REQUIRE(values.ok());
  CHECK(values->size() == 941u * 64u);
  auto bias = graph.FindValue("bert.embeddings.LayerNorm.bias");
  REQUIRE(bias.ok());
  CHECK(graph.value(*bias).constant->owner() == t.owner());  // one mapping for the whole file
}

TEST_CASE("hostile external data locations are rejected") {
  struct Case {
    const char* key;
    std::string value;
    qc::StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"location", "/etc/passwd", qc::StatusCode::kInvalidArgument, "is absolute"},
      {"location", "../model.onnx.data", qc::StatusCode::kInvalidArgument, "'..' component"},
      {"location", "sub/../../x.data", qc::StatusCode::kInvalidArgument, "'..' component"},
      {"location", "a\\..\\b.data", qc::StatusCode::kInvalidArgument, "backslash"},
      {"location", "C:/weights.data", qc::StatusCode::kInvalidArgument, "is absolute"},
      {"location", "missing.data", qc::StatusCode::kNotFound, "does not exist"},
      {"location", "", qc::StatusCode::kInvalidArgument, "has no 'location'"},
      {"offset", "999999999", qc::StatusCode::kCorruptData, "lies outside"},
      {"offset", "18446744073709551615", qc::StatusCode::kCorruptData, "lies outside"},
      {"offset", "99999999999999999999999", qc::StatusCode::kInvalidArgument, "not a non-negative integer"},
      {"offset", "-4", qc::StatusCode::kInvalidArgument, "not a non-negative integer"},
      {"offset", "12abc", qc::StatusCode::kInvalidArgument, "not a non-negative integer"},
      {"length", "12", qc::StatusCode::kCorruptData, "the tensor's shape needs"},
  };
  for (const Case& c : cases) {
    INFO(c.key << " = '" << c.value << "'");
    const qc::Status s = ImportVariant(c.key, c.value);
    const std::string msg = s.message();
    INFO(msg);
    CHECK(s.code() == c.code);
    CHECK(msg.find(c.message) != std::string::npos);
    CHECK(msg.find("initializer '") != std::string::npos);  // names the tensor
  }
}

TEST_CASE("a symlink that leaves the model directory is rejected; one that stays inside is fine") {
  TempDir outer;
  const fs::path model_dir = outer.path / "model";
  fs::create_directory(model_dir);
  WriteVariant(model_dir, "location", "model.onnx.data");
  fs::copy_file(model_dir / "model.onnx.data", outer.path / "secret.data");
  fs::create_symlink(outer.path / "secret.data", model_dir / "escape.data");
  fs::create_symlink(model_dir / "model.onnx.data", model_dir / "inside.data");

  // Every initializer is redirected, since they share one file.
  auto rewrite = [&](const std::string& location) {
    auto model = qc::onnx_import::ReadModelFile((model_dir / "model.onnx").string());
    REQUIRE(model.ok());
    for (auto& t : *model->mutable_graph()->mutable_initializer()) {
      for (auto& e : *t.mutable_external_data()) {
        if (e.key() == "location") e.set_value(location);
      }
    }
    std::ofstream f(model_dir / "model.onnx", std::ios::binary | std::ios::trunc);
    REQUIRE(model->SerializeToOstream(&f));
  };
  rewrite("escape.data");
  auto escaped = qc::onnx_import::ImportOnnx((model_dir / "model.onnx").string());
  REQUIRE_FALSE(escaped.ok());
  CHECK(escaped.status().code() == qc::StatusCode::kInvalidArgument);
  CHECK(escaped.status().message().find("outside the model's directory") != std::string::npos);

  rewrite("inside.data");
  auto inside = qc::onnx_import::ImportOnnx((model_dir / "model.onnx").string());
  CHECK_MESSAGE(inside.ok(), inside.status().ToString());
}

TEST_CASE("CheckExternalLocation accepts relative paths only") {
  using qc::onnx_import::CheckExternalLocation;
  CHECK(CheckExternalLocation("model.onnx.data").ok());
  CHECK(CheckExternalLocation("weights/part-1.bin").ok());
  CHECK(CheckExternalLocation("..data").ok());  // a name that merely starts with dots
  CHECK_FALSE(CheckExternalLocation("").ok());
  CHECK_FALSE(CheckExternalLocation("/abs").ok());
  CHECK_FALSE(CheckExternalLocation("..").ok());
  CHECK_FALSE(CheckExternalLocation("a/../b").ok());
  CHECK_FALSE(CheckExternalLocation("a/..").ok());
  CHECK_FALSE(CheckExternalLocation(std::string("a\0b", 3)).ok());
}
