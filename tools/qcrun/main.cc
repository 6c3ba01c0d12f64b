// qcrun: the companion tool for .qm files: inspect them and run them.
//
//   qcrun inspect bert.qm [--json]                 # signature, metadata, provenance, ops, checksum verification
//   qcrun run bert.qm --text "a gripping film" [--pair "..."] [--json]
//   qcrun run bert.qm --ids 101,2023,102 [--json]  # token ids directly
//
// Exit codes: 0 success, 1 bad input or I/O error (including a corrupt or too-new .qm), 2 usage error.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

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
  CLI::App* run = app.add_subcommand("run", "Run a .qm model on text (embedded tokenizer) or token ids");
  run->add_option("MODEL", run_options.path, ".qm file")->required();
  auto* text = run->add_option("--text", run_options.texts, "Input text; repeat for a batch");
  run->add_option("--pair", run_options.pairs, "Second text of a pair; repeat once per --text");
  auto* ids = run->add_option("--ids", run_options.ids, "Comma-separated token ids (one sequence)")->delimiter(',');
  text->excludes(ids);
  run->add_option("--max-length", run_options.max_length, "Truncate token sequences to this length");
  run->add_flag("--json", run_options.json, "Print JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (inspect->parsed()) return qc::tools::RunInspect(inspect_options, std::cout, std::cerr);
  if (run->parsed()) {
    if (run_options.texts.empty() && run_options.ids.empty()) {
      std::cerr << "qcrun run: give --text or --ids\n";
      return 2;
    }
    return qc::tools::RunModel(run_options, std::cout, std::cerr);
  }
  return 2;
}
