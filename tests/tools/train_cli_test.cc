// qcompress training from the command line (builds with LibTorch): --finetune, --distill kd|kdqat|ti, the report
// files, quality gates and their exit codes, the .qm metadata marking a failed gate, byte-identical reruns,
// usage errors, and Ctrl-C -> checkpoint -> --resume giving the same file as an uninterrupted run (and refusing a
// resume with other settings).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/image_writers.h"
#include "tests/support/test_paths.h"
#include "tests/tools/cli_util.h"

namespace fs = std::filesystem;
using namespace qc::test::cli;

namespace {

fs::path Dir() {
  const fs::path dir = fs::temp_directory_path() / "qc_cli_train_test";
  fs::create_directories(dir);
  return dir;
}

std::string Q(const fs::path& p) { return Quote(p.string()); }

std::string Bert() { return Q(qc::test::FixturesDir() / "hf" / "bert_tiny"); }

// A sentiment task the tiny fixture's 941-word vocabulary can spell: the label follows the adjective.
std::string SentimentTsv(int rows, int offset) {
  const char* good[] = {"good", "great", "fun"};
  const char* bad[] = {"bad", "awful", "not good"};
  const char* subject[] = {"the movie", "the film", "this one", "it"};
  std::string tsv = "sentence\tlabel\n";
  for (int i = offset; i < offset + rows; ++i) {
    const bool positive = (i * 7 + 3) % 2 == 0;
    tsv += std::string(subject[i % 4]) + " was " + (positive ? good[i % 3] : bad[(i / 2) % 3]) + "\t" +
           (positive ? "1" : "0") + "\n";
  }
  return tsv;
}

struct Files {
  fs::path train, dev;
};

const Files& Data() {
  static const Files files = [] {
    Files f{Dir() / "train.tsv", Dir() / "dev.tsv"};
    WriteBytes(f.train, SentimentTsv(96, 0));
    WriteBytes(f.dev, SentimentTsv(32, 1000));
    return f;
  }();
  return files;
}

std::string DataFlags() {
  return " --data " + Q(Data().train) + " --eval " + Q(Data().dev) + " --batch-size 16 --lr 2e-3 --threads 1";
}

Result Qcompress(const std::string& args) { return Run(kQcompress + " " + Bert() + " " + args); }

}  // namespace

TEST_CASE("--finetune trains a float teacher and reports both scores") {
  const fs::path out = Dir() / "teacher.qm";
  const fs::path json = Dir() / "teacher.json";
  const Result r = Qcompress("--finetune" + DataFlags() + " --steps 24 -o " + Q(out) + " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("fine-tune: 24/24") != std::string::npos);
  CHECK(r.output.find("eval accuracy: float ") != std::string::npos);
  const std::string report = ReadBytes(json);
  CHECK(report.find("\"schema\": \"qcompress.report/1\"") != std::string::npos);
  CHECK(report.find("\"eval accuracy\"") != std::string::npos);  // the curve
  CHECK(report.find("fine-tuned, 24 steps") != std::string::npos);
  CHECK_FALSE(fs::exists(Dir() / "teacher.qm.ckpt"));  // a finished run leaves no checkpoint behind
  const Result inspect = Run(kQcrun + " inspect " + Q(out));
  REQUIRE_MESSAGE(inspect.exit_code == 0, inspect.output);
  CHECK(inspect.output.find("quality.metric = \"accuracy\"") != std::string::npos);
  // The two-step flow: the fine-tuned teacher .qm is the input of the distillation run.
  const Result student = Run(kQcompress + " " + Q(out) + " --bits 2 --distill ti" + DataFlags() +
                             " --steps 8 --ti-steps 2 -o " + Q(Dir() / "from_teacher.qm"));
  REQUIRE_MESSAGE(student.exit_code == 0, student.output);
  CHECK(student.output.find("imported qcompress .qm") != std::string::npos);
}

TEST_CASE("--keep best exports the best evaluation's state (float and ternary); --optimizer adamw is recorded") {
  const fs::path out = Dir() / "best.qm";
  const fs::path json = Dir() / "best.json";
  const Result r =
      Qcompress("--finetune" + DataFlags() + " --steps 24 --eval-every 4 --optimizer adamw --keep best -o " + Q(out) +
                " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const size_t best_at = r.output.find(" at step ");
  const size_t exported_at = r.output.find("exporting the step-");
  REQUIRE_MESSAGE((best_at != std::string::npos && exported_at != std::string::npos), r.output);
  const int best_step = std::atoi(r.output.c_str() + best_at + 9);
  CHECK(best_step > 0);
  CHECK(std::atoi(r.output.c_str() + exported_at + 19) == best_step);
  CHECK(ReadBytes(json).find("seed 42, adamw, best state kept") != std::string::npos);

  // A quantized student: the runtime's score of the written .qm is the best evaluation's (the papers' protocol).
  const Result q = Qcompress("--bits 2 --distill kd" + DataFlags() + " --steps 24 --eval-every 4 --keep best -o " +
                             Q(Dir() / "best_t2.qm"));
  REQUIRE_MESSAGE(q.exit_code == 0, q.output);
  const size_t best = q.output.find("(best ");
  const size_t compressed = q.output.find("compressed ");
  REQUIRE_MESSAGE((best != std::string::npos && compressed != std::string::npos), q.output);
  const std::string best_score = q.output.substr(best + 6, q.output.find(' ', best + 6) - best - 6);
  const std::string runtime_score = q.output.substr(compressed + 11, q.output.find(' ', compressed + 11) - compressed - 11);
  CHECK_MESSAGE(runtime_score == best_score, q.output);
  CHECK_MESSAGE(q.output.find("exporting the step-") != std::string::npos, q.output);  // best is not the last state
}

TEST_CASE("--distill kd, kdqat and ti write a ternary .qm with an embedded report and pass a loose gate") {
  for (const std::string mode : {"kd", "kdqat", "ti"}) {
    CAPTURE(mode);
    const fs::path out = Dir() / ("student_" + mode + ".qm");
    const fs::path json = Dir() / ("student_" + mode + ".json");
    const fs::path html = Dir() / ("student_" + mode + ".html");
    const Result r = Qcompress("--bits 2 --distill " + mode + DataFlags() + " --steps 12 --ti-steps 4 -o " + Q(out) +
                               " --report " + Q(json) + " --html " + Q(html) + " --max-drop 1");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    CHECK(r.output.find("quality gate passed") != std::string::npos);
    CHECK(r.output.find("runtime vs trained (fake-quant) model: same prediction on") != std::string::npos);
    const std::string report = ReadBytes(json);
    CHECK(report.find("\"pass\": true") != std::string::npos);
    CHECK(report.find("QAT --distill " + mode) != std::string::npos);
    CHECK(report.find("t2/per_tensor") != std::string::npos);
    CHECK(ReadBytes(html).find("<svg") != std::string::npos);
    const Result inspect = Run(kQcrun + " inspect " + Q(out));
    REQUIRE_MESSAGE(inspect.exit_code == 0, inspect.output);
    CHECK(inspect.output.find("quality.gate = \"pass\"") != std::string::npos);
    CHECK(inspect.output.find("QLinear") != std::string::npos);
  }
}

TEST_CASE("a failed quality gate exits 3, still writes the .qm, and marks it and the report as failing") {
  const fs::path out = Dir() / "gated.qm";
  const fs::path json = Dir() / "gated.json";
  fs::remove(out);
  const Result r = Qcompress("--bits 2 --distill kd" + DataFlags() + " --steps 4 -o " + Q(out) + " --report " +
                             Q(json) + " --min-metric 1.01");
  CHECK_MESSAGE(r.exit_code == 3, r.output);
  CHECK(r.output.find("quality gate failed") != std::string::npos);
  REQUIRE(fs::exists(out));
  CHECK(ReadBytes(json).find("\"pass\": false") != std::string::npos);
  const Result inspect = Run(kQcrun + " inspect " + Q(out));
  CHECK(inspect.output.find("quality.gate = \"fail\"") != std::string::npos);
  // The same gate on post-training quantization (no training): same exit code.
  const Result ptq = Qcompress("--bits 2 --distill none --eval " + Q(Data().dev) + " -o " + Q(Dir() / "ptq.qm") +
                               " --max-drop 0 --min-metric 1.01");
  CHECK_MESSAGE(ptq.exit_code == 3, ptq.output);
  const Result ok = Qcompress("--bits 2 --distill none --eval " + Q(Data().dev) + " -o " + Q(Dir() / "ptq.qm") +
                              " --min-metric 0");
  CHECK_MESSAGE(ok.exit_code == 0, ok.output);
}

TEST_CASE("the same training command writes byte-identical files, with 1 or 2 threads") {
  const std::string args = "--bits 2 --distill ti" + DataFlags() + " --steps 10 --ti-steps 3 --seed 7";
  fs::create_directories(Dir() / "again");
  const Result a = Qcompress(args + " -o " + Q(Dir() / "same.qm"));
  const Result b = Qcompress(args + " -o " + Q(Dir() / "again" / "same.qm"));
  REQUIRE_MESSAGE(a.exit_code == 0, a.output);
  REQUIRE_MESSAGE(b.exit_code == 0, b.output);
  CHECK(ReadBytes(Dir() / "same.qm") == ReadBytes(Dir() / "again" / "same.qm"));
  // Any thread count: training shards are fixed, threads only run them (qat/shard_runner.h).
  fs::create_directories(Dir() / "threads2");
  std::string args2 = args;
  args2.replace(args2.find("--threads 1"), 11, "--threads 2");
  const Result c = Qcompress(args2 + " -o " + Q(Dir() / "threads2" / "same.qm"));
  REQUIRE_MESSAGE(c.exit_code == 0, c.output);
  CHECK(ReadBytes(Dir() / "same.qm") == ReadBytes(Dir() / "threads2" / "same.qm"));
  const Result other_seed = Qcompress("--bits 2 --distill ti" + DataFlags() + " --steps 10 --ti-steps 3 --seed 8 -o " +
                                      Q(Dir() / "seed8.qm"));
  REQUIRE_MESSAGE(other_seed.exit_code == 0, other_seed.output);
  CHECK(ReadBytes(Dir() / "same.qm") != ReadBytes(Dir() / "seed8.qm"));
}

TEST_CASE("--learn-act-clip: the .qm carries the trained clips and gives the trained model's predictions") {
  const fs::path out = Dir() / "learned_clip.qm";
  const fs::path json = Dir() / "learned_clip.json";
  const Result r = Qcompress("--bits 2 --distill kd" + DataFlags() + " --steps 6 --learn-act-clip --act-clip-lr 0.05 " +
                             "-o " + Q(out) + " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("same prediction on 100") != std::string::npos);
  const std::string report = ReadBytes(json);
  CHECK(report.find("\"trained_agreement\": 1.0") != std::string::npos);  // the exact fraction, for CI scripts
  CHECK(report.find("learned activation clips (lr 0.05)") != std::string::npos);
  CHECK(report.find("overrides") == std::string::npos);  // the clips ride on internal overrides, not the user's
  // The per-layer rows print each Linear's annotation: trained clips moved from the 2.5 they started at.
  int linears = 0, moved = 0;
  for (size_t at = report.find("/clip="); at != std::string::npos; at = report.find("/clip=", at + 1)) {
    ++linears;
    moved += std::stod(report.substr(at + 6, 24)) != 2.5;
  }
  CHECK(linears == 13);
  CHECK(moved > 0);
}

TEST_CASE("--average-weights: the .qm is the averaged student, and the report holds the raw weights' curve too") {
  const fs::path json = Dir() / "averaged.json";
  const Result r =
      Qcompress("--bits 2 --distill ti" + DataFlags() + " --steps 12 --eval-every 4 --average-weights 0.9 -o " +
                Q(Dir() / "averaged.qm") + " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("same prediction on 100") != std::string::npos);
  const std::string report = ReadBytes(json);
  CHECK(report.find("weights averaged (decay 0.9)") != std::string::npos);
  CHECK(report.find("\"eval accuracy\"") != std::string::npos);
  CHECK(report.find("\"eval accuracy, raw weights (not exported)\"") != std::string::npos);
}

TEST_CASE("--average-tail: the .qm is the mean of the last steps' states; earlier evaluations are the raw weights'") {
  const fs::path json = Dir() / "tail.json";
  const Result r =
      Qcompress("--bits 2 --distill ti" + DataFlags() + " --steps 12 --eval-every 4 --average-tail 0.25 -o " +
                Q(Dir() / "tail.qm") + " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("same prediction on 100") != std::string::npos);
  const std::string report = ReadBytes(json);
  CHECK(report.find("weights averaged over the last 25% of the steps") != std::string::npos);
  CHECK(report.find("\"eval accuracy, raw weights (not exported)\"") != std::string::npos);
}

TEST_CASE("--act-groups: the student trains with grouped activation scales and the .qm runs them") {
  const fs::path out = Dir() / "act_groups.qm";
  const fs::path json = Dir() / "act_groups.json";
  const Result r =
      Qcompress("--bits 2 --distill kd" + DataFlags() + " --steps 6 --act-groups 2 -o " + Q(out) + " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("same prediction on 100") != std::string::npos);
  const std::string report = ReadBytes(json);
  CHECK(report.find("activations int8 dynamic_per_token clip 2.5 in 2 groups") != std::string::npos);
  int grouped = 0;
  for (size_t at = report.find("/groups=2"); at != std::string::npos; at = report.find("/groups=2", at + 1)) ++grouped;
  CHECK(grouped == 13);  // every quantized Linear's row
  // A group count that does not divide a Linear's in_features is a config that does not fit the model (exit 2),
  // refused naming the node, with nothing written; a training run refuses it before its first step.
  const Result refused = Qcompress("--bits 2 --act-groups 3 -o " + Q(Dir() / "never_grouped.qm"));
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("in_features 64 is not a multiple of act_groups 3") != std::string::npos);
  CHECK_FALSE(fs::exists(Dir() / "never_grouped.qm"));
  const fs::path never_trained = Dir() / "never_trained.qm";
  const Result untrained =
      Qcompress("--bits 2 --distill ti" + DataFlags() + " --steps 6 --act-groups 3 -o " + Q(never_trained));
  CHECK(untrained.exit_code == 2);
  CHECK(untrained.output.find("(Linear): in_features 64 is not a multiple of act_groups 3") != std::string::npos);
  CHECK(untrained.output.find("train (") == std::string::npos);  // no progress: it stopped before training
  CHECK_FALSE(fs::exists(never_trained));
  CHECK_FALSE(fs::exists(never_trained.string() + ".ckpt"));
}

TEST_CASE("image folders: a ViT trains and evaluates on PNG/JPEG files, one folder per class") {
  // Two classes the tiny ViT can tell apart: dark and bright 32x32 images with a little texture.
  const fs::path train = Dir() / "images_train", dev = Dir() / "images_dev";
  for (const fs::path& root : {train, dev}) {
    fs::remove_all(root);
    for (int label = 0; label < 2; ++label) {
      fs::create_directories(root / std::to_string(label));
      for (int i = 0; i < 8; ++i) {
        std::vector<uint8_t> px(32 * 32 * 3);
        for (size_t p = 0; p < px.size(); ++p) px[p] = static_cast<uint8_t>((label ? 170 : 30) + (p * 7 + i * 13) % 60);
        const fs::path file = root / std::to_string(label) / ("img" + std::to_string(i));
        if (i % 4 == 3) {
          qc::test::WriteJpeg(file.string() + ".jpg", 3, 32, 32, px);
        } else {
          qc::test::WritePng(file.string() + ".png", PNG_FORMAT_RGB, 32, 32, px);
        }
      }
    }
  }
  const std::string vit = Q(qc::test::FixturesDir() / "hf" / "vit_tiny");
  const fs::path out = Dir() / "vit_images.qm", json = Dir() / "vit_images.json";
  Result r = Run(kQcompress + " " + vit + " --bits 2 --distill ti --data " + Q(train) + " --eval " + Q(dev) +
                 " --steps 4 --batch-size 4 --threads 1 -o " + Q(out) + " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("data: 16 training, 16 eval examples") != std::string::npos);
  CHECK(ReadBytes(json).find("\"trained_agreement\": 1.0") != std::string::npos);
  CHECK(ReadBytes(json).find("images_dev, 16 images") != std::string::npos);

  // An image at another size is refused naming the file and both sizes; nothing is written.
  qc::test::WritePng(dev / "1" / "small.png", PNG_FORMAT_RGB, 16, 16, std::vector<uint8_t>(16 * 16 * 3, 9));
  const fs::path never = Dir() / "vit_never.qm";
  r = Run(kQcompress + " " + vit + " --bits 2 --distill kd --data " + Q(train) + " --eval " + Q(dev) +
          " --steps 2 --threads 1 -o " + Q(never));
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("small.png: 16x16 pixels, the model takes 32x32 (images are not resized)") != std::string::npos);
  CHECK_FALSE(fs::exists(never));
}

TEST_CASE("no --data: a text model distills on the built-in corpus with a warning; an image model cannot") {
  const fs::path out = Dir() / "builtin.qm", json = Dir() / "builtin.json";
  Result r = Qcompress("--bits 2 --distill kd --eval " + Q(Data().dev) +
                       " --steps 3 --batch-size 8 --threads 1 -o " + Q(out) + " --report " + Q(json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("data: 10000 training, 32 eval examples") != std::string::npos);
  CHECK(r.output.find("qcompress: warning: no --data: distilling on the built-in corpus (10,000 WordNet 3.0 "
                      "example sentences); task data distills better") != std::string::npos);
  const std::string report = ReadBytes(json);
  CHECK(report.find("no --data: distilling on the built-in corpus") != std::string::npos);  // in "warnings"
  CHECK(report.find("on the built-in corpus (no --data)") != std::string::npos);            // in the config
  CHECK(fs::exists(out));

  const fs::path never = Dir() / "vit_no_data.qm";
  r = Run(kQcompress + " " + Q(qc::test::FixturesDir() / "hf" / "vit_tiny") + " --bits 2 --distill kd -o " +
          Q(never));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--distill kd on an image model needs --data") != std::string::npos);
  CHECK(r.output.find("there is no built-in image set") != std::string::npos);
  CHECK_FALSE(fs::exists(never));
}

TEST_CASE("training flags: usage errors exit 2, unreadable data exits 1") {
  const std::string out = " -o " + Q(Dir() / "never.qm");
  const std::string data = " --data " + Q(Data().train);
  struct Case {
    std::string args;
    int code;
  };
  const Case cases[] = {
      {"--finetune" + out, 2},                                           // no --data to fine-tune on
      {"--distill kd" + data + out, 2},                                  // QAT without --bits
      {"--bits 2 --distill magic" + data + out, 2},                      // unknown mode
      {"--finetune --bits 2" + data + out, 2},                           // fine-tune makes a float model
      {"--bits 2 --distill none --max-drop 0.01" + out, 2},              // a gate needs --eval
      {"--bits 2 --distill ti --steps 4 --ti-steps 4" + data + out, 2},  // step 1 must leave a step 2
      {"--bits 2 --distill kd --text-col 0 --text-col 1 --text-col 2" + data + out, 2},
      {"--bits 2 --distill kd --data " + Q(Dir() / "missing.tsv") + out, 1},  // unreadable data
      {"--bits 2 --distill kd --max-length 512" + data + out, 2},             // longer than the model's positions
      {"--bits 2 --distill kd --keep best" + data + out, 2},                  // best by what: no --eval
      {"--bits 2 --distill kd --optimizer sgd" + data + out, 2},              // unknown optimizer
      {"--bits 2 --learn-act-clip" + out, 2},                                 // clips are learned by training
      {"--bits 2 --distill kd --learn-act-clip --act-clip-lr 0" + data + out, 2},
      {"--act-groups 2" + out, 2},                                      // groups quantize: needs --bits
      {"--bits 2 --act-groups 65" + out, 2},                            // at most 64
      {"--bits 8 --act-groups 2 --calib " + Q(Data().train) + out, 2},  // static scales have one amax
      {"--bits 2 --distill kd --average-weights 1" + data + out, 2},    // a decay below 1
      {"--bits 2 --average-weights 0.99" + out, 2},                     // nothing trained to average
      {"--bits 2 --distill kd --average-tail 1.5" + data + out, 2},     // a fraction of the steps
      {"--bits 2 --average-tail 0.25" + out, 2},                        // nothing trained to average
      {"--bits 2 --distill kd --average-tail 0.25 --average-weights 0.9" + data + out, 2},  // one kind of average
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const Result r = Qcompress(c.args);
    CHECK_MESSAGE(r.exit_code == c.code, r.output);
    CHECK_FALSE(r.output.empty());  // a message saying what is wrong
  }
  CHECK_FALSE(fs::exists(Dir() / "never.qm"));
}

TEST_CASE("Ctrl-C writes a checkpoint and exits 130; --resume finishes with the uninterrupted run's bytes") {
  const fs::path dir = Dir() / "interrupt";
  const fs::path ref_dir = Dir() / "uninterrupted";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::create_directories(ref_dir);
  const std::string args = "--bits 2 --distill kd" + DataFlags() + " --steps 150 --eval-every 50";
  const std::string command = kQcompress + " " + Bert() + " " + args + " -o " + Q(dir / "s.qm");
  const fs::path log = dir / "log.txt";
  // Start, wait for the second step's progress line, interrupt, report the exit code.
  const Result interrupted = Run("sh -c " + Quote(command + " > " + Q(log) + " 2>&1 & pid=$!; i=0; " +
                                                  "while ! grep -q ' 2/150' " + Q(log) + " && [ $i -lt 600 ]; do " +
                                                  "sleep 0.05; i=$((i+1)); done; kill -INT $pid; wait $pid; echo rc=$?"));
  const std::string log_text = ReadBytes(log);
  REQUIRE_MESSAGE(interrupted.output.find("rc=130") != std::string::npos, (interrupted.output + log_text));
  CHECK(log_text.find("--resume") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "s.qm"));
  CHECK(fs::exists(dir / "s.qm.ckpt" / "last.pt"));

  // Resuming with another setting is refused, naming it; the checkpoint stays for the right command.
  const Result mismatched = Run(command + " --seed 7 --resume");
  CHECK(mismatched.exit_code == 1);
  CHECK_MESSAGE(mismatched.output.find("last.pt: its run had seed ") != std::string::npos, mismatched.output);
  CHECK_MESSAGE(mismatched.output.find("this run has 7;") != std::string::npos, mismatched.output);
  CHECK(fs::exists(dir / "s.qm.ckpt" / "last.pt"));
  CHECK_FALSE(fs::exists(dir / "s.qm"));

  const Result resumed = Run(command + " --resume");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  const Result reference = Qcompress(args + " -o " + Q(ref_dir / "s.qm"));
  REQUIRE_MESSAGE(reference.exit_code == 0, reference.output);
  CHECK(ReadBytes(dir / "s.qm") == ReadBytes(ref_dir / "s.qm"));
}

TEST_CASE("data and training flags: columns, regression, metrics, checkpoints, device") {
  // A header-less file with the label first: --text-col / --label-col / --no-header.
  std::string headerless;
  for (int i = 0; i < 48; ++i) headerless += std::string(i % 2 ? "1" : "0") + "\tthe film was " + (i % 2 ? "good" : "bad") + "\n";
  const fs::path cols = Dir() / "cols.tsv";
  WriteBytes(cols, headerless);
  const std::string ckpt = (Dir() / "my_ckpt").string();
  fs::remove_all(ckpt);
  Result r = Qcompress("--bits 2 --distill kd --data " + Q(cols) + " --eval " + Q(cols) +
                       " --text-col 1 --label-col 0 --no-header --metric f1 --steps 6 --eval-every 3 --epochs 9" +
                       " --batch-size 8 --threads 1 --checkpoint-dir " + Quote(ckpt) + " -o " + Q(Dir() / "cols.qm"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("data: 48 training, 48 eval examples") != std::string::npos);
  CHECK(r.output.find("eval f1: float ") != std::string::npos);
  CHECK(fs::exists(fs::path(ckpt) / "best.pt"));  // a directory the user chose is kept
  CHECK(fs::exists(fs::path(ckpt) / "last.pt"));
  // Without the columns the same file is an error naming it (no header to detect from).
  r = Qcompress("--bits 2 --distill kd --data " + Q(cols) + " --steps 2 -o " + Q(Dir() / "x.qm"));
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("cols.tsv") != std::string::npos);

  // Regression (STS-B style scores): --task regression, Pearson by default, MSE on logits; a 1-output head.
  std::string sts = "sentence1\tsentence2\tscore\n";
  for (int i = 0; i < 40; ++i) {
    sts += std::string("the movie was ") + (i % 3 ? "good" : "bad") + "\tthe film was " + (i % 2 ? "great" : "awful") +
           "\t" + std::to_string(i % 6) + ".0\n";
  }
  const fs::path sts_path = Dir() / "sts.tsv";
  WriteBytes(sts_path, sts);
  r = Qcompress("--finetune --task regression --data " + Q(sts_path) + " --eval " + Q(sts_path) +
                " --steps 4 --batch-size 8 --threads 1 -o " + Q(Dir() / "sts.qm"));
  // bert_tiny's head has 3 outputs; a regression task needs 1: refused before training, naming both.
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("regression") != std::string::npos);
  CHECK(r.output.find("3 outputs") != std::string::npos);

  // A bare encoder (the fixture's config says BertModel) gets a 1-output head for regression; its QAT student is
  // compared with the written .qm by the largest output difference, not by argmax agreement.
  const fs::path encoder = Dir() / "bert_tiny_encoder";
  fs::remove_all(encoder);
  fs::copy(qc::test::FixturesDir() / "hf" / "bert_tiny", encoder, fs::copy_options::recursive);
  std::string config = ReadBytes(encoder / "config.json");
  config.replace(config.find("BertForSequenceClassification"), 29, "BertModel");
  WriteBytes(encoder / "config.json", config);
  const std::string sts_flags = " --task regression --data " + Q(sts_path) + " --eval " + Q(sts_path) +
                                " --steps 4 --batch-size 8 --threads 1";
  const fs::path sts_teacher = Dir() / "sts_teacher.qm";
  r = Run(kQcompress + " " + Q(encoder) + " --finetune --num-labels 1" + sts_flags + " -o " + Q(sts_teacher));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const fs::path sts_json = Dir() / "sts_student.json";
  r = Run(kQcompress + " " + Q(sts_teacher) + " --bits 2 --distill kd" + sts_flags + " -o " +
          Q(Dir() / "sts_student.qm") + " --report " + Q(sts_json));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("runtime vs trained (fake-quant) model: outputs differ by at most") != std::string::npos);
  CHECK(r.output.find("same prediction on") == std::string::npos);
  const std::string sts_report = ReadBytes(sts_json);
  CHECK(sts_report.find("\"trained_max_diff\": ") != std::string::npos);
  CHECK(sts_report.find("trained_agreement") == std::string::npos);
  CHECK(sts_report.find("differ from the trained model") == std::string::npos);  // no warning: the .qm is the model

  // --device cuda needs a LibTorch built with CUDA: a usage error here.
  r = Qcompress("--bits 2 --distill kd --data " + Q(Data().train) + " --device cuda -o " + Q(Dir() / "x.qm"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("CPU-only") != std::string::npos);
}
