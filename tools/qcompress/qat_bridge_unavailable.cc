// Builds without LibTorch (QC_WITH_TORCH=OFF): qcompress still quantizes after training (--distill none) and
// evaluates, but cannot train. Every entry point says so; compress.cc turns that into a usage error (exit 2).
#include "qcompress/qat_bridge.h"

namespace qc::tools {

namespace {
Status NoQat() {
  return Unsupported(
      "quantization-aware training and fine-tuning need LibTorch; this qcompress was built with QC_WITH_TORCH=OFF");
}
}  // namespace

bool QatAvailable() { return false; }

Expected<bool> EnsureClassifierHead(ir::Graph&, int64_t, uint64_t) { return NoQat(); }

Expected<TrainingOutcome> RunTraining(ir::Graph&, const TaskData&, const TrainingPlan&) { return NoQat(); }

}  // namespace qc::tools
