// qcrun bench: latency, throughput and memory of one .qm model on deterministic synthetic inputs.
//
//   qcrun bench bert.qm --batch 1 --seq 128 --threads 1 --warmup 5 --iters 50 --json
//
// Token models get pseudo-random token ids (a fixed seed; ids drawn from the model's own vocabulary, [CLS] first and
// [SEP] last when the tokenizer has them), an all-ones attention mask and zero token types; image models get
// pseudo-random pixels in [-1, 1] at the model's fixed image size. Only Session::Run is timed. Peak RSS is the
// process's VmHWM after the last run, so it includes the mapped .qm pages the load touched (the whole file: the
// checksums read every page) plus activations and scratch.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "qcompress/runtime.h"

namespace qc::tools {

struct BenchOptions {
  std::string path;
  int64_t batch = 1;
  int64_t seq = 128;
  int threads = 1;
  int warmup = 3;
  int iters = 20;
  bool json = false;
};

/// Builds the synthetic inputs described above for every graph input of `model`; names the input it cannot fill.
Expected<std::vector<NamedTensor>> MakeSyntheticInputs(const Model& model, int64_t batch, int64_t seq);

/// Returns the process exit code (0 ok, 1 bad model or failed run, 2 usage error).
int RunBench(const BenchOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
