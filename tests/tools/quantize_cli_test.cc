// qcompress post-training quantization from the command line: --bits 2 with --distill none, --calib, --config,
// --disable-pass; exit codes for bad configs, overrides that match nothing and unknown pass names; byte-identical
// output; the result loads and runs in qcrun.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/support/test_paths.h"
#include "tests/tools/cli_util.h"

namespace fs = std::filesystem;
using namespace qc::test::cli;

namespace {

fs::path Dir() {
  const fs::path dir = fs::temp_directory_path() / "qc_cli_quantize_test";
  fs::create_directories(dir);
  return dir;
}

std::string Bert() { return Quote((qc::test::FixturesDir() / "hf" / "bert_tiny").string()); }

fs::path WriteFile(const std::string& name, const std::string& text) {
  const fs::path p = Dir() / name;
  WriteBytes(p, text);
  return p;
}

Result Compress(const std::string& args, const std::string& out_name) {
  fs::create_directories((Dir() / out_name).parent_path());
  return Run(kQcompress + " " + Bert() + " -o " + Quote((Dir() / out_name).string()) + " " + args);
}

}  // namespace

TEST_CASE("--bits 2 --distill none quantizes, prints the per-layer summary, and is byte-identical") {
  const Result a = Compress("--bits 2 --distill none", "a.qm");
  REQUIRE_MESSAGE(a.exit_code == 0, a.output);
  CHECK(a.output.find("t2/per_tensor") != std::string::npos);
  CHECK(a.output.find("t2/per_row") != std::string::npos);  // the word embedding
  CHECK(a.output.find("\nclassifier ") != std::string::npos);
  CHECK(a.output.find("a=per_token") != std::string::npos);
  CHECK(a.output.find("layers total: ") != std::string::npos);
  // The command line is provenance: the same arguments (output basename included) give the same bytes.
  const Result b = Compress("--bits 2 --distill none", "again/a.qm");
  REQUIRE_MESSAGE(b.exit_code == 0, b.output);
  CHECK(ReadBytes(Dir() / "a.qm") == ReadBytes(Dir() / "again" / "a.qm"));
  const Result quiet = Compress("--bits 2 -q", "quiet.qm");
  REQUIRE_MESSAGE(quiet.exit_code == 0, quiet.output);
  CHECK(quiet.output.empty());

  const Result run = Run(kQcrun + " run " + Quote((Dir() / "a.qm").string()) + " --text 'a gripping film'");
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  CHECK(run.output.find("logits") != std::string::npos);
  const Result inspect = Run(kQcrun + " inspect " + Quote((Dir() / "a.qm").string()) + " --ops");
  REQUIRE_MESSAGE(inspect.exit_code == 0, inspect.output);
  CHECK(inspect.output.find("QLinear") != std::string::npos);
}

TEST_CASE("the quantized file is much smaller than the float one") {
  REQUIRE(Compress("-q", "float.qm").exit_code == 0);
  REQUIRE(Compress("--bits 2 -q", "t2.qm").exit_code == 0);
  CHECK(fs::file_size(Dir() / "t2.qm") * 3 < fs::file_size(Dir() / "float.qm"));
  // A float .qm is a valid input (e.g. a fine-tuned teacher); a compressed one is refused, naming the op.
  const Result again = Run(kQcompress + " " + Quote((Dir() / "float.qm").string()) + " --bits 2 -q -o " +
                           Quote((Dir() / "from_qm.qm").string()));
  CHECK_MESSAGE(again.exit_code == 0, again.output);
  CHECK(ReadBytes(Dir() / "from_qm.qm").size() == ReadBytes(Dir() / "t2.qm").size());
  const Result twice = Run(kQcompress + " " + Quote((Dir() / "t2.qm").string()) + " --bits 2 -o " +
                           Quote((Dir() / "twice.qm").string()));
  CHECK(twice.exit_code == 1);
  CHECK(twice.output.find("already compressed") != std::string::npos);
}

TEST_CASE("--calib gives static activation scales from the float model, deterministically") {
  const fs::path calib = WriteFile("calib.tsv", "a gripping film\t1\n\nthe plot is dull\t0\r\nhello world\n");
  const Result a = Compress("--bits 2 --calib " + Quote(calib.string()), "calib_a.qm");
  REQUIRE_MESSAGE(a.exit_code == 0, a.output);
  CHECK(a.output.find("calibration: 3 texts") != std::string::npos);
  REQUIRE(Compress("--bits 2 --calib " + Quote(calib.string()), "again/calib_a.qm").exit_code == 0);
  CHECK(ReadBytes(Dir() / "calib_a.qm") == ReadBytes(Dir() / "again" / "calib_a.qm"));
  CHECK(a.output.find("a=static") != std::string::npos);
  const Result run = Run(kQcrun + " run " + Quote((Dir() / "calib_a.qm").string()) + " --text 'a gripping film'");
  REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  // GLUE files: the header names the text column(s) and is not calibrated on; CoLA has no header, text in column 3.
  const fs::path glue = WriteFile("glue.tsv", "label\tsentence\n1\ta gripping film\n0\tthe plot is dull\n");
  const Result g = Compress("--bits 2 --calib " + Quote(glue.string()), "calib_glue.qm");
  REQUIRE_MESSAGE(g.exit_code == 0, g.output);
  CHECK(g.output.find("calibration: 2 texts") != std::string::npos);
  const fs::path pairs = WriteFile("rte.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta film\tit is good\tentailment\n");
  const Result p = Compress("--bits 2 --calib " + Quote(pairs.string()), "calib_pairs.qm");
  REQUIRE_MESSAGE(p.exit_code == 0, p.output);
  CHECK(p.output.find("calibration: 1 texts") != std::string::npos);
  const fs::path cola = WriteFile("cola.tsv", "gj04\t1\t\tthe sailors rode\ngj04\t0\t*\trode the\n");
  const Result c = Compress("--bits 2 --calib " + Quote(cola.string()), "calib_cola.qm");
  REQUIRE_MESSAGE(c.exit_code == 0, c.output);
  CHECK(c.output.find("calibration: 2 texts") != std::string::npos);

  const fs::path empty = WriteFile("empty.txt", "\n\n");
  const Result e = Compress("--bits 2 --calib " + Quote(empty.string()), "x.qm");
  CHECK(e.exit_code == 1);
  CHECK(e.output.find("no calibration text") != std::string::npos);
}

TEST_CASE("--config: overrides, keep_float and the errors that name what is wrong") {
  const fs::path good = WriteFile("good.json", R"({"bits": 2, "act_clip": 2.5,
      "overrides": [{"regex": ".*output.dense.*", "bits": 8, "keep_float": true}, {"op": "Embedding", "bits": 32}],
      "keep_float": []})");
  const Result ok = Compress("--config " + Quote(good.string()), "config.qm");
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.output);
  CHECK(ok.output.find("a=per_token/clip=2.5") != std::string::npos);
  CHECK(ok.output.find("bert.encoder.layer.0.output.dense            Linear    f32") != std::string::npos);
  CHECK(ok.output.find("bert.embeddings.word_embeddings              Embedding f32") != std::string::npos);

  const fs::path nomatch = WriteFile("nomatch.json", R"({"overrides": [{"name": "/no/such/layer", "bits": 8}]})");
  Result r = Compress("--bits 2 --config " + Quote(nomatch.string()), "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("override #0 (name '/no/such/layer') matches no") != std::string::npos);
  CHECK_FALSE(fs::exists(Dir() / "x.qm"));

  const fs::path typo = WriteFile("typo.json", R"({"bits": 2, "overides": []})");
  r = Compress("--config " + Quote(typo.string()), "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("overides: unknown key") != std::string::npos);

  const fs::path broken = WriteFile("broken.json", "{\"bits\": 2,");
  r = Compress("--config " + Quote(broken.string()), "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("not valid JSON") != std::string::npos);

  const fs::path badbits = WriteFile("badbits.json", R"({"overrides": [{"op": "Linear", "bits": 3}]})");
  r = Compress("--bits 2 --config " + Quote(badbits.string()), "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("overrides[0].bits must be 2, 4, 8 or 32, got 3") != std::string::npos);

  const fs::path nobits = WriteFile("nobits.json", R"({"act_clip": 2.5})");
  r = Compress("--config " + Quote(nobits.string()), "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("give --bits 2, 4 or 8") != std::string::npos);

  const fs::path stat = WriteFile("static.json", R"({"bits": 2, "act_granularity": "static"})");
  r = Compress("--config " + Quote(stat.string()), "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--calib") != std::string::npos);
  // "act_groups" (PEG scales): --act-groups wins over it; a bad value names the key.
  const fs::path groups = WriteFile("groups.json", R"({"bits": 8, "act_groups": 4})");
  r = Compress("--config " + Quote(groups.string()), "groups4.qm");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("a=per_token/groups=4") != std::string::npos);
  r = Compress("--config " + Quote(groups.string()) + " --act-groups 2", "groups2.qm");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("a=per_token/groups=2") != std::string::npos);
  const fs::path badgroups = WriteFile("badgroups.json", R"({"bits": 2, "act_groups": "three"})");
  r = Compress("--config " + Quote(badgroups.string()), "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("act_groups must be an integer in [1, 64]") != std::string::npos);
}

TEST_CASE("--disable-pass takes pipeline pass names; --finetune needs training data") {
  Result r = Compress("--bits 2 --disable-pass fuse_gelu_epilogue --disable-pass constant_folding", "nofuse.qm");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  // One name per occurrence: a MODEL after the option stays the model.
  r = Run(kQcompress + " --bits 2 --disable-pass fuse_gelu_epilogue " + Bert() + " -q -o " +
          Quote((Dir() / "order.qm").string()));
  CHECK_MESSAGE(r.exit_code == 0, r.output);
  r = Compress("--bits 2 --disable-pass fuse_gelu", "x.qm");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("unknown pass 'fuse_gelu' (passes: constant_folding, dead_code") != std::string::npos);
  r = Compress("--finetune", "x.qm");
  CHECK(r.exit_code == 2);
  // Without LibTorch training is unavailable; with it, --data is missing. Either way a usage error that says why.
  CHECK((r.output.find("--finetune needs labeled training data: --data") != std::string::npos ||
         r.output.find("QC_WITH_TORCH=OFF") != std::string::npos));
  r = Compress("--disable-pass dead_code", "x.qm");
  CHECK(r.exit_code == 2);
}

TEST_CASE("--dump-ir writes the graph after each changing pass") {
  const fs::path dump = Dir() / "dump.txt";
  const Result r = Compress("--bits 2 -q --dump-ir " + Quote(dump.string()), "dump.qm");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const std::string text = ReadBytes(dump);
  CHECK(text.find("# after quantize_annotate\n") != std::string::npos);
  CHECK(text.find("# after lower_quantized\n") != std::string::npos);
  CHECK(text.find("QLinear(") != std::string::npos);
}

TEST_CASE("--calib with a config: static unless the config picks the granularity, then a warning if unused") {
  const fs::path calib = WriteFile("calib2.txt", "a gripping film\n");
  const fs::path clip = WriteFile("clip.json", R"({"bits": 2, "act_clip": 3.0})");
  Result r = Compress("--config " + Quote(clip.string()) + " --calib " + Quote(calib.string()), "c1.qm");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("a=static/clip=3.0") != std::string::npos);
  const fs::path token = WriteFile("token.json", R"({"bits": 2, "act_granularity": "per_token"})");
  r = Compress("--config " + Quote(token.string()) + " --calib " + Quote(calib.string()), "c2.qm");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("was not used") != std::string::npos);
}
