// qcrun: the companion tool for .qm files: inspect them and run them.
//
//   qcrun inspect bert.qm [--json]                 # signature, metadata, provenance, ops, checksum verification
//   qcrun run bert.qm --text "a gripping film" [--pair "..."] [--json]
//   qcrun run bert.qm --ids 101,2023,102 [--json]  # token ids directly
//   qcrun run vit.qm --image cat.png [--image dog.jpg] [--json]
//   qcrun bench bert.qm --batch 1 --seq 128 --threads 1 [--json]   # latency, throughput, peak RSS
//   qcrun eval sst2.qm --data SST-2/dev.tsv [--threads 4] [--json]  # accuracy on a GLUE-style TSV
//   qcrun eval vit.qm --data test/ [--json]        # accuracy on PNG/JPEG images, one folder per class
//
// Exit codes: 0 success, 1 bad input or I/O error (including a corrupt or too-new .qm), 2 usage error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "qcrun/bench.h"
#include "qcrun/eval.h"
#include "qcrun/inspect.h"
#include "qcrun/run.h"

int main(int argc, char** argv) {
  CLI::App app{"qcrun: inspect and run qcompress .qm models", "qcrun"};
  app.require_subcommand(1);

  qc::tools::InspectOptions inspect_options;
  CLI::App* inspect = app.add_subcommand("inspect", "Verify a .qm file and print its signature and metadata");
  inspect->add_option("MODEL", inspect_options.path, ".qm file")->required();
  inspect->add_flag("--json", inspect_options.json, "Print JSON");
  inspect->add_flag("--ops", inspect_options.list_ops, "List every op");

  qc::tools::RunOptions run_options;
  CLI::App* run = app.add_subcommand("run", "Run a .qm model on text (embedded tokenizer), token ids or images");
  run->add_option("MODEL", run_options.path, ".qm file")->required();
  auto* text = run->add_option("--text", run_options.texts, "Input text; repeat for a batch");
  run->add_option("--pair", run_options.pairs, "Second text of a pair; repeat once per --text");
  auto* ids = run->add_option("--ids", run_options.ids, "Comma-separated token ids (one sequence)")->delimiter(',');
  auto* image = run->add_option("--image", run_options.images, "PNG/JPEG file at the model's size; repeat for a batch");
  text->excludes(ids);
  image->excludes(text);
  image->excludes(ids);
  run->add_option("--max-length", run_options.max_length, "Truncate token sequences to this length");
  run->add_option("--threads", run_options.threads, "Threads of the session (outputs do not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  run->add_flag("--json", run_options.json, "Print JSON");

  qc::tools::BenchOptions bench_options;
  CLI::App* bench = app.add_subcommand("bench", "Time a .qm model on synthetic inputs; report latency and peak RSS");
  bench->add_option("MODEL", bench_options.path, ".qm file")->required();
  bench->add_option("--batch", bench_options.batch, "Batch size")->check(CLI::Range(1, 1000000))->capture_default_str();
  bench->add_option("--seq", bench_options.seq, "Sequence length (token models)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  bench->add_option("--threads", bench_options.threads, "Threads of the session (outputs do not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  bench->add_option("--warmup", bench_options.warmup, "Untimed runs first (at least one always runs)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  bench->add_option("--iters", bench_options.iters, "Timed runs")->check(CLI::Range(1, 1000000))->capture_default_str();
  bench
      ->add_option("--against-threads", bench_options.against_threads,
                   "Also time a session with this many threads, alternating runs with the first; reports the median "
                   "per-pair speed-up (steadier than separate processes on a machine whose speed drifts)")
      ->check(CLI::Range(1, 256));
  bench->add_flag("--json", bench_options.json, "Print JSON");

  qc::tools::EvalOptions eval_options;
  CLI::App* eval = app.add_subcommand("eval", "Accuracy of a classifier on a GLUE-style TSV or an image folder");
  eval->add_option("MODEL", eval_options.path, ".qm file")->required();
  eval->add_option("--data", eval_options.data,
                   "Tab-separated examples (GLUE dev.tsv layout), or for an image model a folder of PNG/JPEG images "
                   "in one subfolder per class")
      ->required();
  eval->add_option("--text-col", eval_options.text_cols, "Text column: 0-based index or header name; twice for pairs")
      ->expected(1);
  eval->add_option("--label-col", eval_options.label_col, "Label column: 0-based index or header name");
  eval->add_option("--batch", eval_options.batch, "Texts or images per run")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  eval->add_option("--max-length", eval_options.max_length, "Truncate token sequences to this length")
      ->check(CLI::Range(0, 1000000));
  eval->add_option("--limit", eval_options.limit, "Only the first N examples")->check(CLI::Range(0, 1000000));
  eval->add_option("--threads", eval_options.threads, "Threads of the session (results do not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  eval->add_flag("--json", eval_options.json, "Print JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (inspect->parsed()) return qc::tools::RunInspect(inspect_options, std::cout, std::cerr);
  if (bench->parsed()) return qc::tools::RunBench(bench_options, std::cout, std::cerr);
  if (eval->parsed()) return qc::tools::RunEval(eval_options, std::cout, std::cerr);
  if (run->parsed()) {
    if (run_options.texts.empty() && run_options.ids.empty() && run_options.images.empty()) {
      std::cerr << "qcrun run: give --text, --ids or --image\n";
      return 2;
    }
    return qc::tools::RunModel(run_options, std::cout, std::cerr);
  }
  return 2;
}
