// qcompress: the command users run.
//
//   qcompress MODEL -o OUT.qm                                   # ONNX file or Hugging Face directory -> float .qm
//   qcompress MODEL --bits 2 --distill ti --data train.tsv --eval dev.tsv -o OUT.qm   # QAT with distillation
//   qcompress MODEL --bits 2|4|8 --distill none [--calib FILE] [--config FILE] -o OUT.qm   # post-training
//   qcompress MODEL --finetune --data train.tsv --eval dev.tsv -o TEACHER.qm   # float task teacher
//   qcompress inspect MODEL.onnx [--json]  # producer, opsets, I/O signature, parameter count, op census
//   qcompress cpu                          # the CPU features the runtime dispatches on
//
// Exit codes (docs/cli.md): 0 success, 1 bad input or I/O error, 2 usage error, 3 quality gate failed (the .qm is
// written and marked), 130 interrupted during training (checkpoint written, no .qm).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "core/cpu_features.h"
#include "core/version.h"
#include "importers/onnx/model_file.h"
#include "importers/onnx/summary.h"
#include "qcompress/compress.h"

namespace {

using qc::tools::kExitBadInput;
using qc::tools::kExitOk;
using qc::tools::kExitUsage;

// LibTorch's OpenMP (libgomp) spins in its barriers unless OMP_WAIT_POLICY says otherwise, and it reads the variable
// only when it is loaded, before main. On a busy machine spinning measured 5-10x slower at 2 threads, so a training
// run re-executes itself once with the variable set.
void EnsurePassiveOpenMp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then train with the default policy
}

int RunInspect(const std::string& path, bool json) {
  auto model = qc::onnx_import::ReadModelFile(path);
  if (!model.ok()) {
    std::cerr << "qcompress: error: " << model.status().ToString() << "\n";
    return kExitBadInput;
  }
  const auto summary = qc::onnx_import::SummarizeModel(*model);
  std::cout << (json ? qc::onnx_import::FormatSummaryJson(summary) : qc::onnx_import::FormatSummaryText(summary));
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qcompress: compress BERT and ViT checkpoints into ultra-low-bit .qm models", "qcompress"};
  app.set_version_flag("--version", std::string("qcompress ") + qc::kRuntimeVersionString);
  app.require_subcommand(0, 1);
  app.footer(R"(Examples:
  qcompress bert.onnx -o bert.qm                                    float .qm, verified
  qcompress bert.onnx --bits 8 --calib dev.tsv -o bert8.qm          post-training quantization
  qcompress bert/ --bits 2 --distill ti --data train.tsv --eval dev.tsv -o bert_t.qm --max-drop 0.01
  qcompress minilm/ --finetune --data train.tsv --eval dev.tsv -o teacher.qm

Exit codes: 0 written (gate passed or none); 1 bad input or I/O error; 2 usage error; 3 quality gate failed (the
.qm is written and marked failing); 130 interrupted during training (checkpoint kept, rerun with --resume).
Reference: docs/cli.md)");

  qc::tools::CompressOptions compress;
  for (int i = 0; i < argc; ++i) compress.argv.emplace_back(argv[i]);
  app.add_option("MODEL", compress.model_path, "ONNX file, Hugging Face model directory, or float .qm (e.g. a --finetune teacher)");
  app.add_option("-o,--output", compress.output_path, "Where to write the .qm model (written atomically)");
  CLI::Option* bits = app.add_option("--bits", compress.bits, "Weight bit width: 2 (ternary), 4, 8; 32 exports float")
                          ->check(CLI::IsMember({2, 4, 8, 32}));
  app.add_option("--distill", compress.distill,
                 "none: post-training quantization; kd (TernaryBERT losses), kdqat (attention-map KL + output MSE) "
                 "or ti (two-step Teacher Intervention): quantization-aware training on --data")
      ->check(CLI::IsMember({"none", "kd", "kdqat", "ti"}))
      ->capture_default_str();
  app.add_option("--calib", compress.calib_path,
                 "Calibration text for static activation scales: GLUE-style .tsv (text columns from the header) "
                 "or one text per line")
      ->check(CLI::ExistingFile);
  app.add_option("--config", compress.config_path, "JSON quantization config (docs/cli.md)")->check(CLI::ExistingFile);
  app.add_option("--act-groups", compress.act_groups,
                 "Per-embedding-group activation scales: split each quantized Linear's input features into N equal "
                 "groups with their own int8 scales (PEG; N must divide every in_features; wins over the config)")
      ->check(CLI::Range(1, 64));
  app.add_option("--disable-pass", compress.disabled_passes, "Skip a compression pass by name (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--dump-ir", compress.dump_ir_path, "Write the IR after every pass that changed it to this file");
  app.add_flag("--verify-passes", compress.verify_passes, "Run the IR verifier after every pass");
  app.add_option("--num-heads", compress.num_heads, "ONNX: attention head count when it cannot be inferred");
  app.add_option("--tokenizer", compress.tokenizer_path,
                 "ONNX: tokenizer.json / vocab.txt (or their folder) to embed; default: the model's folder");
  app.add_flag("-q,--quiet", compress.quiet, "Print errors only (no progress, no summary)");

  const char* kData = "Task data";
  app.add_option("--data", compress.data_path,
                 "Training data: GLUE-style TSV (sentences or pairs; labels for classification or regression), or "
                 "a .txt file of unlabeled lines (distillation from the teacher alone); image models: a folder with "
                 "images.npy + labels.npy, or with one folder of PNG/JPEG images per class. Without it, distillation of "
                 "a text model uses a built-in corpus of 10,000 WordNet sentences (with a warning)")
      ->group(kData);
  app.add_option("--eval", compress.eval_path,
                 "Labeled evaluation set (TSV, or an image folder as for --data): the teacher's and the compressed model's metric (run by the runtime), "
                 "evaluation during training, quality gates")
      ->group(kData);
  app.add_option("--task", compress.task, "classification or regression")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->group(kData);
  app.add_option("--text-col", compress.text_columns,
                 "0-based text column; give it twice for sentence pairs (default: from the header)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(kData);
  app.add_option("--label-col", compress.label_column, "0-based label column (default: from the header)")->group(kData);
  app.add_flag("--no-header", compress.no_header, "With --text-col: the first line is data")->group(kData);
  app.add_option("--max-length", compress.max_length,
                 "Token sequence length for training and evaluation (default: 128, or the model's limit)")
      ->group(kData);
  app.add_option("--metric", compress.metric, "accuracy, f1, mcc, pearson or spearman (default accuracy; pearson "
                                              "for regression)")
      ->check(CLI::IsMember({"accuracy", "f1", "mcc", "pearson", "spearman"}))
      ->group(kData);

  const char* kTrain = "Training";
  app.add_flag("--finetune", compress.finetune,
               "Fine-tune the float model on --data (adds a classifier head when it has none): makes a task "
               "teacher to compress in a second run")
      ->group(kTrain);
  app.add_option("--num-labels", compress.num_labels, "--finetune: classes of the new head (default: from the data)")
      ->group(kTrain);
  app.add_option("--steps", compress.steps, "Optimizer steps (default: --epochs passes over --data)")->group(kTrain);
  app.add_option("--epochs", compress.epochs, "Passes over --data when --steps is not given")
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--batch-size", compress.batch_size, "Training batch size")->capture_default_str()->group(kTrain);
  app.add_option("--lr", compress.lr, "Peak learning rate (BertAdam, warmup 10%, linear decay)")
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--optimizer", compress.optimizer,
                 "bertadam (method.md: no bias correction) or adamw (bias-corrected moments; steadier fine-tuning of "
                 "small data sets such as RTE)")
      ->check(CLI::IsMember({"bertadam", "adamw"}))
      ->capture_default_str()
      ->group(kTrain);
  app.add_flag("--learn-act-clip", compress.learn_act_clip,
               "Train each quantized Linear input's activation clip with the weights (PACT-style, from the config's "
               "act_clip, 2.5 by default); the .qm carries the trained clips")
      ->group(kTrain);
  app.add_option("--act-clip-lr", compress.act_clip_lr, "--learn-act-clip: the clips' learning rate")
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--keep", compress.keep,
                 "Which trained state is exported: last, or best (the evaluation with the highest --eval metric)")
      ->check(CLI::IsMember({"last", "best"}))
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--average-weights", compress.average_decay,
                 "Evaluate and export a moving average of the trained weights with this decay per step (e.g. 0.99; "
                 "0: the raw weights). Steadies a ternary run's last state; --keep best picks among averaged states")
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--average-tail", compress.average_tail,
                 "Evaluate and export the plain mean of the weights after each of the last F of the steps (e.g. 0.25; "
                 "0: the raw weights). Earlier evaluations score the raw weights. Excludes --average-weights")
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--seed", compress.seed, "Seed for batch order, head initialization and TI schedules")
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--threads", compress.threads, "Threads for training and for running the models on --eval "
                                                "(default: all cores); the output does not depend on it")
      ->group(kTrain);
  app.add_option("--ti-steps", compress.ti_steps, "--distill ti: steps of step 1 (with intervention); default 10%")
      ->group(kTrain);
  app.add_option("--ti-mode", compress.ti_mode,
                 "--distill ti: intervention schedule of step 1: gradual, inverted, stochastic, or one mode "
                 "(output, context, map)")
      ->check(CLI::IsMember({"gradual", "inverted", "stochastic", "output", "context", "map"}))
      ->capture_default_str()
      ->group(kTrain);
  app.add_option("--eval-every", compress.eval_every, "Steps between evaluations on --eval (default: 10 per run)")
      ->group(kTrain);
  app.add_option("--checkpoint-dir", compress.checkpoint_dir,
                 "Where training checkpoints go (default: OUT.qm.ckpt/); Ctrl-C leaves a resumable one")
      ->group(kTrain);
  app.add_flag("--resume", compress.resume, "Continue from the checkpoint of an interrupted run of the same command")
      ->group(kTrain);
  app.add_option("--device", compress.device, "Training device: cpu (cuda needs a LibTorch built with it)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str()
      ->group(kTrain);

  const char* kReport = "Report and quality gates";
  app.add_option("--report", compress.report_path, "Write the JSON report (docs/report-schema.json) here")
      ->group(kReport);
  app.add_option("--html", compress.html_path, "Write the one-page HTML report here")->group(kReport);
  app.add_option("--max-drop", compress.max_drop,
                 "Fail (exit 3) when the --eval metric drops more than this below the float model's")
      ->group(kReport);
  app.add_option("--min-metric", compress.min_metric, "Fail (exit 3) when the --eval metric is below this")
      ->group(kReport);

  std::string inspect_path;
  bool inspect_json = false;
  CLI::App* inspect = app.add_subcommand("inspect", "Print the structure of an ONNX model (I/O, opsets, op census)");
  inspect->add_option("MODEL", inspect_path, "ONNX model file")->required()->check(CLI::ExistingFile);
  inspect->add_flag("--json", inspect_json, "Print JSON instead of text");

  CLI::App* cpu = app.add_subcommand("cpu", "Print the CPU features the runtime dispatches on");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  compress.bits_given = bits->count() > 0;
  if (compress.distill != "none" || compress.finetune) EnsurePassiveOpenMp(argv);
  if (inspect->parsed()) return RunInspect(inspect_path, inspect_json);
  if (cpu->parsed()) {
    std::cout << "hardware: " << qc::HardwareCpuFeatures().ToString() << "\n"
              << "dispatch: " << qc::DetectCpuFeatures().ToString() << "\n";
    return kExitOk;
  }
  if (compress.model_path.empty() || compress.output_path.empty()) {
    std::cerr << "qcompress: error: give a MODEL and -o OUT.qm (see qcompress --help)\n";
    return kExitUsage;
  }
  if (compress.device == "cuda") {
    std::cerr << "qcompress: error: --device cuda: this qcompress links a CPU-only LibTorch\n";
    return kExitUsage;
  }
  return qc::tools::RunCompress(compress, std::cout, std::cerr);
}
