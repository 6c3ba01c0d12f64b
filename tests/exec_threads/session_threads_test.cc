// Sessions with 1, 2, 3 and 4 threads give byte-identical outputs: float and 2-bit quantized BERT encoders (batch 3
// with padding masks) and a float ViT, with every op split as finely as the thread count allows (the testing grain)
// and with the production grain; many multi-threaded sessions on one model at once; the option checks of the C++
// and C APIs.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "exec/parallel_ops.h"
#include "exporters/qm/from_ir.h"
#include "format/qm_reader.h"
#include "importers/onnx/import.h"
#include "passes/pipeline.h"
#include "passes/quant_config.h"
#include "qcompress/qcompress.h"
#include "qcompress/runtime.h"
#include "tests/support/test_paths.h"

using namespace qc;
namespace fs = std::filesystem;

namespace {

template <typename T>
T Must(Expected<T> e) {
  REQUIRE_MESSAGE(e.ok(), e.status().ToString());
  return std::move(e).value();
}

// Imports a fixture, optionally quantizes it with the default pipeline at `bits`, exports and loads it.
std::shared_ptr<const Model> LoadFixture(const std::string& name, int bits) {
  auto imported = Must(onnx_import::ImportOnnx((test::FixturesDir() / "onnx" / name / "model.onnx").string()));
  ir::Graph& g = imported.graph;
  if (bits > 0) {
    passes::PipelineOptions options;
    options.quant = Must(passes::DefaultQuantConfig(bits));
    REQUIRE(passes::RunPipeline(g, options).ok());
  }
  g.mutable_metadata().clear();  // ids, not text
  static int counter = 0;
  const fs::path path = fs::temp_directory_path() /
                        ("qc_exec_threads_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".qm");
  qm::ProvenanceSpec provenance;
  provenance.producer_name = "test_exec_threads";
  const Status exported = ExportQm(g, provenance, path.string());
  REQUIRE_MESSAGE(exported.ok(), exported.ToString());
  auto model = Must(Model::Load(path.string()));
  fs::remove(path);  // the mapping stays valid
  return model;
}

// Batch 3, 13 tokens: full, padded after 7 tokens, one token.
std::vector<NamedTensor> TokenInputs(const Model& model, int64_t batch = 3, int64_t seq = 13) {
  REQUIRE(batch >= 3);
  std::mt19937 rng(5);
  std::vector<int64_t> ids(batch * seq), mask(batch * seq, 1), types(batch * seq, 0);
  for (int64_t& id : ids) id = 1 + static_cast<int64_t>(rng() % 900);
  for (int64_t s = 7; s < seq; ++s) mask[seq + s] = 0, ids[seq + s] = 0;
  for (int64_t s = 1; s < seq; ++s) mask[2 * seq + s] = 0, ids[2 * seq + s] = 0;
  for (int64_t s = 5; s < seq; ++s) types[s] = 1;
  std::vector<NamedTensor> in;
  for (const ValueSignature& sig : model.inputs()) {
    if (sig.name == "input_ids") in.push_back({sig.name, HostTensor::Int64({batch, seq}, ids)});
    if (sig.name == "attention_mask") in.push_back({sig.name, HostTensor::Int64({batch, seq}, mask)});
    if (sig.name == "token_type_ids") in.push_back({sig.name, HostTensor::Int64({batch, seq}, types)});
  }
  REQUIRE(in.size() == model.inputs().size());
  return in;
}

std::vector<NamedTensor> PixelInputs() {
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> px(2 * 3 * 32 * 32);
  for (float& p : px) p = d(rng);
  return {{"pixel_values", HostTensor::Float32({2, 3, 32, 32}, px)}};
}

std::vector<NamedTensor> RunWith(const std::shared_ptr<const Model>& model, const std::vector<NamedTensor>& in,
                                 int threads) {
  SessionOptions o;
  o.num_threads = threads;
  Session session = Must(Session::Create(model, o));
  auto first = Must(session.Run(in));
  auto again = Must(session.Run(in));  // a second run reuses the pool and the scratch
  REQUIRE(first.size() == again.size());
  for (size_t i = 0; i < first.size(); ++i) REQUIRE(first[i].tensor.floats == again[i].tensor.floats);
  return first;
}

void CheckSameBytes(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i].name);
    REQUIRE(a[i].tensor.shape == b[i].tensor.shape);
    REQUIRE(a[i].tensor.floats.size() == b[i].tensor.floats.size());
    CHECK(std::memcmp(a[i].tensor.floats.data(), b[i].tensor.floats.data(),
                      a[i].tensor.floats.size() * sizeof(float)) == 0);
    CHECK(a[i].tensor.ints == b[i].tensor.ints);
  }
}

void CheckThreadCounts(const std::shared_ptr<const Model>& model, const std::vector<NamedTensor>& in) {
  for (size_t grain : {size_t{1}, size_t{0}}) {  // every op split, then the production grain
    CAPTURE(grain);
    exec::SetMinWorkPerPartForTesting(grain);
    const auto one = RunWith(model, in, 1);
    for (int threads = 2; threads <= 4; ++threads) {
      CAPTURE(threads);
      CheckSameBytes(one, RunWith(model, in, threads));
    }
  }
  exec::SetMinWorkPerPartForTesting(0);
}

}  // namespace

TEST_CASE("float BERT encoder: 1, 2, 3, 4 threads give identical bytes (batch 3, padding masks)") {
  const auto model = LoadFixture("bertmodel_opset14_sdpa", 0);
  CheckThreadCounts(model, TokenInputs(*model));
}

TEST_CASE("2-bit quantized BERT encoder (QLinear, QEmbedding, QAttention): identical bytes for 1..4 threads") {
  const auto model = LoadFixture("bertmodel_opset14_sdpa", 2);
  bool quantized = false;
  for (uint32_t i = 0; i < model->file().num_ops(); ++i) {
    quantized = quantized || model->file().op(i).type() == qm::OpType::QLinear;
  }
  REQUIRE(quantized);
  CheckThreadCounts(model, TokenInputs(*model));
}

TEST_CASE(
    "2-bit quantized BERT encoder with 192 tokens (row-split QLinears in chunks): identical bytes for 1..4 threads") {
  // 192 tokens reach the row split of every ternary GEMM kernel (at least 4 of its row tiles: 128 for AMX), where
  // each thread runs its own row chunks and then takes the others' unclaimed ones.
  const auto model = LoadFixture("bertmodel_opset14_sdpa", 2);
  CheckThreadCounts(model, TokenInputs(*model, 3, 64));
}

TEST_CASE("float and quantized ViT (patch embedding, float attention): identical bytes for 1..4 threads") {
  CheckThreadCounts(LoadFixture("vit_opset14_sdpa", 0), PixelInputs());
  CheckThreadCounts(LoadFixture("vit_opset14_sdpa", 2), PixelInputs());
}

TEST_CASE("many multi-threaded sessions on one model at once stay independent") {
  exec::SetMinWorkPerPartForTesting(1);
  const auto model = LoadFixture("bertmodel_opset14_sdpa", 2);
  const auto in = TokenInputs(*model);
  const auto want = RunWith(model, in, 1);
  constexpr int kSessions = 4;
  std::vector<std::vector<NamedTensor>> got(kSessions);
  std::vector<std::thread> users;
  for (int s = 0; s < kSessions; ++s) {
    users.emplace_back([&, s] {
      SessionOptions o;
      o.num_threads = 2 + s % 2;
      auto session = Session::Create(model, o);
      if (!session.ok()) return;
      for (int round = 0; round < 3; ++round) {
        auto r = session->Run(in);
        if (r.ok()) got[static_cast<size_t>(s)] = std::move(r).value();
      }
    });
  }
  for (auto& t : users) t.join();
  exec::SetMinWorkPerPartForTesting(0);
  for (const auto& g : got) CheckSameBytes(want, g);
}

TEST_CASE("num_threads outside 1..256 is refused by Session::Create and qc_session_create") {
  const auto model = LoadFixture("bertmodel_opset14_sdpa", 0);
  for (int bad : {0, -3, 257}) {
    SessionOptions o;
    o.num_threads = bad;
    auto s = Session::Create(model, o);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kInvalidArgument);
    CHECK(s.status().message().find("num_threads") != std::string::npos);
  }
}

TEST_CASE("C API: qc_session_options.num_threads; a struct from before the field still works") {
  const qc_session_options defaults = QC_SESSION_OPTIONS_INIT;
  CHECK(defaults.num_threads == 1);
  const fs::path path = fs::temp_directory_path() / ("qc_exec_threads_capi_" + std::to_string(getpid()) + ".qm");
  {
    auto imported = Must(
        onnx_import::ImportOnnx((test::FixturesDir() / "onnx" / "bertmodel_opset14_sdpa" / "model.onnx").string()));
    imported.graph.mutable_metadata().clear();
    qm::ProvenanceSpec provenance;
    provenance.producer_name = "test_exec_threads";
    REQUIRE(ExportQm(imported.graph, provenance, path.string()).ok());
  }
  qc_model* model = nullptr;
  REQUIRE(qc_model_load(path.string().c_str(), nullptr, &model) == QC_OK);
  std::vector<int64_t> ids = {101, 7, 8, 102, 101, 9, 102, 0}, mask = {1, 1, 1, 1, 1, 1, 1, 0};
  auto run = [&](const qc_session_options* options, std::vector<float>* out) {
    qc_session* session = nullptr;
    const qc_status created = qc_session_create(model, options, &session);
    if (created != QC_OK) return created;
    qc_result* result = nullptr;
    const qc_status ran = qc_session_run_ids(session, ids.data(), mask.data(), 2, 4, &result);
    if (ran == QC_OK) {
      size_t count = 0;
      const float* data = qc_result_output_floats(result, 0, &count);
      out->assign(data, data + count);
    }
    qc_result_destroy(result);
    qc_session_destroy(session);
    return ran;
  };
  std::vector<float> one, three, old_size;
  REQUIRE(run(nullptr, &one) == QC_OK);
  qc_session_options o = QC_SESSION_OPTIONS_INIT;
  o.num_threads = 3;
  REQUIRE(run(&o, &three) == QC_OK);
  CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)) == 0);
  qc_session_options old = QC_SESSION_OPTIONS_INIT;
  old.struct_size = static_cast<uint32_t>(offsetof(qc_session_options, num_threads));  // an older header's size
  old.num_threads = 0;  // not part of the caller's struct: ignored
  REQUIRE(run(&old, &old_size) == QC_OK);
  CHECK(old_size == one);
  o.num_threads = 0;
  std::vector<float> unused;
  CHECK(run(&o, &unused) == QC_INVALID_ARGUMENT);
  CHECK(std::string(qc_last_error()).find("num_threads") != std::string::npos);
  qc_model_destroy(model);
  fs::remove(path);
}
