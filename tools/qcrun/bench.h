// qcrun bench: latency, throughput and memory of one .qm model on deterministic synthetic inputs.
//
//   qcrun bench bert.qm --batch 1 --seq 128 --threads 1 --warmup 5 --iters 50 --json
//
// Token models get pseudo-random token ids (a fixed seed; ids drawn from the model's own vocabulary, [CLS] first and
// [SEP] last when the tokenizer has them), an all-ones attention mask and zero token types; image models get
// pseudo-random pixels in [-1, 1] at the model's fixed image size. Only Session::Run is timed. Peak RSS is the
// process's VmHWM after the last run, so it includes the mapped .qm pages the load touched (the whole file: the
// checksums read every page) plus activations and scratch.
//
//   qcrun bench bert.qm --threads 2 --against-threads 1 --iters 60 --json   # paired thread-count comparison
//
// --against-threads N adds a second session with N threads on the same loaded model and alternates the two, one
// run each per pair (which goes first alternates too). On a shared or virtual machine whose speed drifts over
// seconds, separate processes per thread count compare different machine states; consecutive runs of a pair see
// nearly the same one, so the median of the per-pair ratios (the "against" run's time / this run's time) is a
// steadier speed-up estimate than a ratio of medians. Peak RSS then counts both sessions' buffers.
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
  int against_threads = 0;  ///< > 0: also time a session with this many threads, interleaved (see above)
  bool json = false;
};

/// Builds the synthetic inputs described above for every graph input of `model`; names the input it cannot fill.
Expected<std::vector<NamedTensor>> MakeSyntheticInputs(const Model& model, int64_t batch, int64_t seq);

/// Returns the process exit code (0 ok, 1 bad model or failed run, 2 usage error).
int RunBench(const BenchOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
