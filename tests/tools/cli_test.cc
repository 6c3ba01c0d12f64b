// The command-line tools as users and CI scripts meet them: exit codes, error messages that name the problem,
// byte-identical output, and hostile .qm files rejected without a crash.
#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>

#include "exporters/qm/from_ir.h"
#include "exporters/qm/qm_writer.h"
#include "importers/onnx/import.h"
#include "tests/support/test_paths.h"
#include "tests/tools/cli_util.h"

namespace fs = std::filesystem;
using namespace qc::test::cli;

namespace {

fs::path BertFixture() { return qc::test::FixturesDir() / "onnx" / "bert_opset14_sdpa" / "model.onnx"; }

// A valid .qm to corrupt, made once.
fs::path GoodQm() {
  const fs::path out = TempDir() / "good.qm";
  if (!fs::exists(out)) {
    const Result r = Run(kQcompress + " " + Quote(BertFixture().string()) + " -o " + Quote(out.string()) + " -q");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  }
  return out;
}

}  // namespace

TEST_CASE("Usage errors exit with 2") {
  CHECK(Run(kQcompress).exit_code == 2);
  CHECK(Run(kQcompress + " " + Quote(BertFixture().string()) + " -o x.qm --bits 3").exit_code == 2);
  CHECK(Run(kQcompress + " --no-such-flag").exit_code == 2);
  CHECK(Run(kQcrun).exit_code == 2);
  CHECK(Run(kQcompress + " --help").exit_code == 0);
}

TEST_CASE("QC_ISA caps dispatch; a misspelt value is reported, not silently ignored") {
  const Result capped = Run("QC_ISA=scalar " + kQcompress + " cpu");
  CHECK(capped.exit_code == 0);
  CHECK(capped.output.find("dispatch: scalar") != std::string::npos);
  const Result typo = Run("QC_ISA=avx3 " + kQcompress + " cpu");
  CHECK(typo.exit_code == 0);
  CHECK(typo.output.find("QC_ISA=avx3 is not one of") != std::string::npos);
}

TEST_CASE("QC_PROFILE=1 prints the time per op type; without it nothing is printed") {
  const std::string bench = kQcrun + " bench " + Quote(GoodQm().string()) + " --seq 8 --iters 2 --warmup 1";
  const Result profiled = Run("QC_PROFILE=1 " + bench);
  CHECK(profiled.exit_code == 0);
  CHECK(profiled.output.find("qcompress runtime profile") != std::string::npos);
  CHECK(profiled.output.find("Attention") != std::string::npos);
  CHECK(profiled.output.find("total") != std::string::npos);
  const Result plain = Run("QC_PROFILE=0 " + bench);
  CHECK(plain.exit_code == 0);
  CHECK(plain.output.find("qcompress runtime profile") == std::string::npos);
}

TEST_CASE("A missing model is a bad-input error naming the file") {
  const Result r = Run(kQcompress + " /nonexistent/model.onnx -o " + Quote((TempDir() / "x.qm").string()));
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("/nonexistent/model.onnx") != std::string::npos);
  CHECK_FALSE(fs::exists(TempDir() / "x.qm"));
}

TEST_CASE("Compressing twice gives byte-identical files, which inspect and run") {
  // Same command in two directories: the recorded command line keeps basenames only, so the bytes must match.
  fs::create_directories(TempDir() / "run1");
  fs::create_directories(TempDir() / "run2");
  const fs::path a = TempDir() / "run1" / "out.qm";
  const fs::path b = TempDir() / "run2" / "out.qm";
  for (const fs::path& out : {a, b}) {
    const Result r = Run(kQcompress + " " + Quote(BertFixture().string()) + " -o " + Quote(out.string()));
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  }
  CHECK(ReadBytes(a) == ReadBytes(b));
  const Result inspect = Run(kQcrun + " inspect " + Quote(a.string()));
  CHECK(inspect.exit_code == 0);
  CHECK(inspect.output.find("checksums:     verified") != std::string::npos);
  CHECK(inspect.output.find("input_ids") != std::string::npos);
  const Result run = Run(kQcrun + " run " + Quote(a.string()) + " --ids 2,50,60,3 --json");
  CHECK_MESSAGE(run.exit_code == 0, run.output);
  CHECK(run.output.find("\"logits\"") != std::string::npos);
}

TEST_CASE("Hostile .qm files are rejected with exit code 1 and a precise message") {
  const std::string good = ReadBytes(GoodQm());
  REQUIRE(good.size() > 4096);
  struct Case {
    const char* name;
    std::string bytes;
    const char* expect;
  };
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x40);
  std::string magic = good;
  magic[0] = 'X';
  std::string tampered_major = good;
  tampered_major[8] = static_cast<char>(tampered_major[8] + 1);  // format_major, without fixing the preamble hash
  // A well-formed file that asks for a newer runtime than this one.
  std::string newer;
  {
    auto imported = qc::onnx_import::ImportOnnx(BertFixture().string());
    REQUIRE(imported.ok());
    qc::qm::ProvenanceSpec provenance;
    provenance.producer_name = "qcompress-test";
    auto spec = qc::BuildQmSpec(imported->graph, provenance);
    REQUIRE(spec.ok());
    spec->min_runtime_version = qc::qm::RuntimeVersion{9, 0, 0};
    const fs::path p = TempDir() / "newer_source.qm";
    REQUIRE(qc::qm::WriteQmFile(*spec, p.string()).ok());
    newer = ReadBytes(p);
  }
  const Case cases[] = {
      {"truncated", good.substr(0, good.size() - 100), "corrupt_data"},
      {"tiny", good.substr(0, 10), "corrupt_data"},
      {"flipped", flipped, "corrupt_data"},
      {"magic", magic, "corrupt_data"},
      {"tampered_major", tampered_major, "format_major"},
      {"newer", newer, "version_too_new: "},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const fs::path p = TempDir() / (std::string(c.name) + ".qm");
    WriteBytes(p, c.bytes);
    for (const std::string& cmd : {kQcrun + " inspect " + Quote(p.string()), kQcrun + " run " + Quote(p.string()) + " --ids 2,3"}) {
      const Result r = Run(cmd);
      CHECK_MESSAGE(r.exit_code == 1, r.output);
      CHECK(r.output.find("qcrun: error: ") != std::string::npos);
      CHECK(r.output.find(p.filename().string()) != std::string::npos);
      CHECK(r.output.find(c.expect) != std::string::npos);
    }
  }
}

TEST_CASE("An ONNX model with unsupported ops lists every one of them") {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("handmade");
  model.set_producer_version("1.0");
  auto* opset = model.add_opset_import();
  opset->set_version(14);
  auto* custom = model.add_opset_import();
  custom->set_domain("com.example");
  custom->set_version(1);
  auto* g = model.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("x");
  in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  auto* n1 = g->add_node();
  n1->set_op_type("Hardmax");
  n1->set_name("first_unsupported");
  n1->add_input("x");
  n1->add_output("y");
  auto* n2 = g->add_node();
  n2->set_op_type("FancyOp");
  n2->set_domain("com.example");
  n2->set_name("second_unsupported");
  n2->add_input("y");
  n2->add_output("z");
  auto* out = g->add_output();
  out->set_name("z");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  const fs::path path = TempDir() / "unsupported.onnx";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    REQUIRE(model.SerializeToOstream(&f));
  }
  const fs::path qm = TempDir() / "unsupported.qm";
  const Result r = Run(kQcompress + " " + Quote(path.string()) + " -o " + Quote(qm.string()));
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("first_unsupported") != std::string::npos);
  CHECK(r.output.find("Hardmax") != std::string::npos);
  CHECK(r.output.find("second_unsupported") != std::string::npos);
  CHECK(r.output.find("com.example") != std::string::npos);
  CHECK(r.output.find("handmade") != std::string::npos);
  CHECK_FALSE(fs::exists(qm));
}

TEST_CASE("An ONNX export with tokenizer files beside it becomes a .qm that takes raw text") {
  const fs::path example = qc::test::SourceDir() / "examples" / "bert-tiny";
  const fs::path qm = TempDir() / "example.qm";
  const Result made = Run(kQcompress + " " + Quote((example / "model.onnx").string()) + " -o " + Quote(qm.string()));
  REQUIRE_MESSAGE(made.exit_code == 0, made.output);
  CHECK(made.output.find("tokenizer: embedded from") != std::string::npos);
  const Result inspect = Run(kQcrun + " inspect " + Quote(qm.string()));
  CHECK(inspect.output.find("tokenizer.vocab = [941 strings") != std::string::npos);
  CHECK(inspect.output.find("model.labels") != std::string::npos);
  const Result run = Run(kQcrun + " run " + Quote(qm.string()) + " --text 'a gripping film' --text 'dull' --json");
  CHECK_MESSAGE(run.exit_code == 0, run.output);
  CHECK(run.output.find("\"argmax\"") != std::string::npos);
  CHECK(run.output.find("LABEL_") != std::string::npos);

  // Without tokenizer files the model still compresses, with a warning that it takes ids only.
  const fs::path bare = TempDir() / "bare";
  fs::create_directories(bare);
  fs::copy_file(example / "model.onnx", bare / "model.onnx", fs::copy_options::overwrite_existing);
  const Result ids_only = Run(kQcompress + " " + Quote((bare / "model.onnx").string()) + " -o " +
                              Quote((bare / "m.qm").string()));
  CHECK(ids_only.exit_code == 0);
  CHECK(ids_only.output.find("token ids only") != std::string::npos);
  const Result text = Run(kQcrun + " run " + Quote((bare / "m.qm").string()) + " --text hello");
  CHECK(text.exit_code == 1);
  CHECK(text.output.find("carries no tokenizer") != std::string::npos);

  // A --tokenizer that does not exist is an error naming the flag.
  const Result missing = Run(kQcompress + " " + Quote((bare / "model.onnx").string()) + " -o " +
                             Quote((bare / "m2.qm").string()) + " --tokenizer /nonexistent/tok");
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("--tokenizer") != std::string::npos);
}
