// One loaded Model, many Sessions on many threads: every thread gets exactly the single-threaded outputs.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "exporters/qm/from_ir.h"
#include "importers/hf/hf_importer.h"
#include "qcompress/runtime.h"
#include "tests/support/test_paths.h"

namespace fs = std::filesystem;

TEST_CASE("Concurrent sessions sharing one model agree bit for bit") {
  auto imported = qc::hf::ImportHfDirectory((qc::test::FixturesDir() / "hf" / "bert_tiny").string());
  REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
  const fs::path qm = fs::temp_directory_path() / "qc_sessions_test.qm";
  qc::qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress-test";
  REQUIRE(qc::ExportQm(imported->graph, provenance, qm.string()).ok());
  auto model = qc::Model::Load(qm.string());
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  REQUIRE((*model)->tokenizer() != nullptr);

  const std::vector<std::string> texts = {"this movie is maddening .", "a gripping , funny and moving film",
                                          "it haunts you , you ca n't forget it"};
  auto reference_session = qc::Session::Create(*model);
  REQUIRE(reference_session.ok());
  auto reference = reference_session->RunText(texts);
  REQUIRE_MESSAGE(reference.ok(), reference.status().ToString());
  const std::vector<float> expected = (*reference)[0].tensor.floats;
  REQUIRE(expected.size() == texts.size() * 3);

  constexpr int kThreads = 4;
  constexpr int kRunsPerThread = 25;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto session = qc::Session::Create(*model);
      if (!session.ok()) {
        ++failures[t];
        return;
      }
      for (int r = 0; r < kRunsPerThread; ++r) {
        auto out = session->RunText(texts);
        if (!out.ok()) {
          ++failures[t];
          continue;
        }
        if ((*out)[0].tensor.floats != expected) ++mismatches[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    CHECK(failures[t] == 0);
    CHECK(mismatches[t] == 0);
  }
}

TEST_CASE("Run rejects inputs that do not match the signature, naming them") {
  auto imported = qc::hf::ImportHfDirectory((qc::test::FixturesDir() / "hf" / "bert_tiny").string());
  REQUIRE(imported.ok());
  const fs::path qm = fs::temp_directory_path() / "qc_sessions_test_sig.qm";
  qc::qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress-test";
  REQUIRE(qc::ExportQm(imported->graph, provenance, qm.string()).ok());
  auto model = qc::Model::Load(qm.string());
  REQUIRE(model.ok());
  auto session = qc::Session::Create(*model);
  REQUIRE(session.ok());
  using qc::HostTensor;
  const auto ids = HostTensor::Int64({1, 3}, {2, 10, 3});
  const auto ones = HostTensor::Int64({1, 3}, {1, 1, 1});
  const auto zeros = HostTensor::Int64({1, 3}, {0, 0, 0});
  CHECK(session->Run({{"input_ids", ids}, {"attention_mask", ones}, {"token_type_ids", zeros}}).ok());

  auto missing = session->Run({{"input_ids", ids}, {"attention_mask", ones}});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("token_type_ids") != std::string::npos);

  auto extra = session->Run({{"input_ids", ids}, {"attention_mask", ones}, {"token_type_ids", zeros}, {"bogus", ids}});
  REQUIRE_FALSE(extra.ok());
  CHECK(extra.status().message().find("bogus") != std::string::npos);

  auto mismatch = session->Run(
      {{"input_ids", ids}, {"attention_mask", HostTensor::Int64({1, 4}, {1, 1, 1, 1})}, {"token_type_ids", zeros}});
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.status().message().find("sequence") != std::string::npos);

  auto wrong_type = session->Run(
      {{"input_ids", HostTensor::Float32({1, 3}, {2, 10, 3})}, {"attention_mask", ones}, {"token_type_ids", zeros}});
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.status().message().find("float32") != std::string::npos);

  auto bad_id = session->Run(
      {{"input_ids", HostTensor::Int64({1, 3}, {2, 999999, 3})}, {"attention_mask", ones}, {"token_type_ids", zeros}});
  REQUIRE_FALSE(bad_id.ok());
  CHECK(bad_id.status().message().find("999999") != std::string::npos);
}
