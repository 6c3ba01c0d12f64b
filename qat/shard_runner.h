// qat/shard_runner.h: thread-count-independent parallelism for training and evaluation.
//
// Why: LibTorch's intra-op parallelism splits reductions (bias and LayerNorm gradients, large sums) by thread
// count, so the same run with 1 and 2 threads drifts apart in the last bits and writes different models. Instead,
// every LibTorch op runs single-threaded and the work is cut into a FIXED number of shards (batch halves, eval
// batches) that do not depend on the thread count; threads only decide which shard runs where. Results are then
// combined in shard order, so any --threads gives the same bits.
//
//   QC_RETURN_IF_ERROR(qc::qat::RunShards(threads, shards, [&](int i) -> Status { ... shard i ... }));
#pragma once

#include <functional>

#include "qcompress/status.h"

namespace qc::qat {

/// Runs fn(0) .. fn(count - 1), each exactly once, on min(threads, count) threads (the caller's among them); every
/// thread runs LibTorch single-threaded. LibTorch exceptions inside fn become Status errors. Returns the error of the
/// lowest failing shard, after all shards finished.
Status RunShards(int threads, int count, const std::function<Status(int)>& fn);

/// Makes LibTorch single-threaded on the calling thread (intra-op and inter-op pools the process uses for it).
void UseSingleTorchThread();

}  // namespace qc::qat
