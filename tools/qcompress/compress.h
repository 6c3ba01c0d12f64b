// The compress command: MODEL (ONNX file or Hugging Face directory) in, a verified .qm file out.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace qc::tools {

struct CompressOptions {
  std::string model_path;
  std::string output_path;
  int bits = 32;          ///< 32 = float export; 2, 4, 8 = post-training quantization (passes/pipeline.h)
  bool bits_given = false;  ///< --bits was on the command line (it then wins over the config's "bits")
  int act_groups = 0;       ///< --act-groups N (PEG activation scales); 0 = the config's "act_groups" (default 1)
  std::string distill = "none";  ///< none (PTQ), kd, kdqat, ti: quantization-aware training (qat/trainer.h)
  std::string calib_path;        ///< --calib: text lines (TSV: first column) for static activation scales
  std::string config_path;       ///< --config: JSON quantization config (qcompress/quant_config_json.h)
  std::vector<std::string> disabled_passes;  ///< --disable-pass, repeatable
  std::string dump_ir_path;      ///< --dump-ir: the graph after every pass that changed it
  bool verify_passes = false;    ///< --verify-passes: run the IR verifier after every pass (always on in debug)
  int64_t num_heads = 0;  ///< ONNX only: override the inferred head count
  std::string tokenizer_path;  ///< ONNX only: tokenizer directory or file to embed ("" = next to the model)
  bool quiet = false;

  // Task data: training (--data) and evaluation (--eval) sets, read by qat/data/glue_data.h.
  std::string data_path;
  std::string eval_path;
  std::string task = "classification";  ///< or "regression"
  std::vector<int> text_columns;        ///< --text-col (0-based, once or twice for pairs); empty: detect
  int label_column = -1;                ///< --label-col
  bool no_header = false;               ///< with explicit columns: the first line is data
  int64_t max_length = 0;  ///< 0: min(128, the model's positions, the tokenizer's model_max_length)
  std::string metric;  ///< accuracy, f1, mcc, pearson, spearman; "" = accuracy / pearson

  // Training.
  bool finetune = false;     ///< float fine-tuning on --data (makes a task teacher); --bits must stay 32
  int64_t num_labels = 0;    ///< --finetune on a model without a classifier head: its classes (0 = from the data)
  int64_t steps = 0;         ///< 0: epochs x ceil(train / batch)
  double epochs = 3.0;
  int64_t batch_size = 32;
  double lr = 2e-5;
  std::string optimizer = "bertadam";  ///< bertadam (method.md) or adamw (bias-corrected moments)
  bool learn_act_clip = false;         ///< --learn-act-clip: train the activation clips (PACT-style) with the weights
  double act_clip_lr = 1e-4;           ///< their learning rate (BinaryBERT's clip_lr)
  std::string keep = "last";  ///< which trained state is exported: last, or best (by the --eval metric)
  double average_decay = 0.0;  ///< --average-weights: decay of the weights' moving average; 0 = raw weights
  double average_tail = 0.0;   ///< --average-tail: fraction of the steps whose states are averaged; 0 = raw weights
  uint64_t seed = 42;
  int threads = 0;           ///< 0: all cores
  int64_t ti_steps = 0;      ///< TI step 1; 0: 10% of the steps (at least 1)
  std::string ti_mode = "gradual";  ///< gradual, inverted, stochastic, output, context, map
  int64_t eval_every = 0;    ///< 0: 10 evaluations per run
  std::string checkpoint_dir;  ///< "" = OUTPUT.ckpt/
  bool resume = false;
  std::string device = "cpu";

  // Report and quality gates.
  std::string report_path;  ///< --report FILE.json
  std::string html_path;    ///< --html FILE.html
  std::optional<double> max_drop;    ///< fail (exit 3) when teacher - student > X
  std::optional<double> min_metric;  ///< fail (exit 3) when the student scores below X

  std::vector<std::string> argv;  ///< the command line, recorded (with basenames) as provenance
};

/// Process exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitGateFailed = 3;   ///< the .qm was written and is marked as failing its quality gate
inline constexpr int kExitInterrupted = 130;  ///< Ctrl-C during training: checkpoint written, no .qm

/// Runs the command; returns the process exit code.
int RunCompress(const CompressOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
