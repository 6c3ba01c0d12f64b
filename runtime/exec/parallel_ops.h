// exec/parallel_ops.h: how the executor splits one op across a Session's thread pool.
//
// Overview
//   Every split gives each output element to exactly one task, and the element is computed by the same code in the
//   same arithmetic order as on one thread, so outputs are bit-identical for every thread count:
//   * GEMMs (float Linear, QLinear) split over output columns N, at multiples of the kernel's column tile, so the
//     register tiles are the same ones a single call would use;
//   * attention (float and quantized) splits over (batch × head) tasks, each thread with its own scratch;
//   * row-wise ops (LayerNorm, softmax) split over rows; elementwise ops over 64-element-aligned blocks.
//   Where the work comes in more pieces than threads (attention heads, row chunks of a row-split QLinear), a thread
//   that finishes its own share takes the unclaimed pieces of the others' (ClaimTasks): on a shared or virtual
//   machine one core is often slowed for a while, and with fixed shares every parallel region then waits for the
//   slow core's whole half. Which thread computes a piece never changes its result.
//   Small ops stay on the calling thread: a part is made only for at least kMinWorkPerPart units of work (about a
//   multiply-add or one element of a cheap op), so waking threads never costs more than it saves. A null pool runs
//   everything on the calling thread.
//
// Usage
//   exec::SplitColumns(pool, n, kernel.rows, m * k, [&](size_t n0, size_t n1) { kernel.fn(args, 0, m, n0, n1); });
//   exec::ParallelF32Gemm(pool, args);
//   exec::ParallelLayerNorm(pool, x, rows, cols, gamma, beta, eps, y);
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/f32-f32-gemm/kernels.h"
#include "ops/attention.h"
#include "ops/qattention.h"
#include "qcompress/status.h"
#include "quant/act_quant.h"

namespace qc::exec {

/// Work units (≈ multiply-adds) below which a part is not worth a thread.
inline constexpr size_t kMinWorkPerPart = size_t{1} << 16;

/// Tests set a smaller grain (1: split every op as finely as the thread count allows) so that small models exercise
/// the splits; 0 restores kMinWorkPerPart. Process-wide; not for production use.
void SetMinWorkPerPartForTesting(size_t work);

/// Parts for `units` independent units of `work_per_unit` each: one per thread at most, each >= kMinWorkPerPart
/// (or the testing grain).
size_t PartsForWork(const ThreadPool* pool, size_t units, size_t work_per_unit);

/// Runs run_task(task, part) for every task in [0, tasks) on `parts` threads (part < parts, one part per thread, so
/// per-part scratch is never shared). Part p first runs its own contiguous share of the tasks in order (the static
/// split: balanced when the cores run at the same speed); a part that finishes then takes the next unclaimed tasks
/// of the others' shares, so a core the host slows down hands over the rest of its share instead of holding up the
/// region. With parts <= 1 the tasks run in order on the calling thread.
template <typename Fn>
void ClaimTasks(ThreadPool* pool, size_t tasks, size_t parts, Fn&& run_task) {
  if (parts <= 1 || pool == nullptr) {
    for (size_t t = 0; t < tasks; ++t) run_task(t, size_t{0});
    return;
  }
  struct alignas(64) Share {  // one cache line each: owners and thieves of different shares never contend
    std::atomic<size_t> next{0};
    size_t end = 0;
  };
  std::vector<Share> shares(parts);
  for (size_t p = 0; p < parts; ++p) {
    const Range r = SplitRange(tasks, parts, p);
    shares[p].next.store(r.begin, std::memory_order_relaxed);
    shares[p].end = r.end;
  }
  pool->ParallelFor(parts, [&](size_t part) {
    for (size_t i = 0; i < parts; ++i) {  // own share first, then the others' in turn
      Share& share = shares[(part + i) % parts];
      for (size_t t = share.next.fetch_add(1, std::memory_order_relaxed); t < share.end;
           t = share.next.fetch_add(1, std::memory_order_relaxed)) {
        run_task(t, part);
      }
    }
  });
}

/// run_columns(n0, n1) over a split of [0, n) into parts whose bounds are multiples of `tile` (the last ends at n);
/// `work_per_column` sizes the parts (for a GEMM, m · k).
template <typename Fn>
void SplitColumns(ThreadPool* pool, size_t n, size_t tile, size_t work_per_column, Fn&& run_columns) {
  if (tile == 0) tile = 1;
  const size_t tiles = (n + tile - 1) / tile;
  const size_t parts = PartsForWork(pool, tiles, work_per_column * tile);
  if (parts <= 1) {
    run_columns(size_t{0}, n);
    return;
  }
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(n, parts, part, tile);
    if (r.begin < r.end) run_columns(r.begin, r.end);
  });
}

/// Y = X·Wᵀ + bias with GetF32GemmKernel(), split over N at the kernel's nr.
void ParallelF32Gemm(ThreadPool* pool, const F32GemmArgs& args);

/// fn(begin, end) over a split of [0, n) elements into 64-aligned blocks (elementwise ops).
void ParallelElements(ThreadPool* pool, size_t n, void (*fn)(const float* x, size_t n, float* y), const float* x,
                      float* y);

/// ops/elementwise.h Add (y = a + b, same shapes) split like ParallelElements.
void ParallelAdd(ThreadPool* pool, const float* a, const float* b, size_t n, float* y);

/// QuantizeActivations of the per-token rows [rows.begin, rows.end) of x [m, k] (row stride k) into the same rows of
/// `out`: the piece of per-token quantization one thread does (row numbers in errors are relative to rows.begin).
Status QuantizeActivationRows(const float* x, size_t k, const ActQuantParams& params, const ActQuantOutput& out,
                              Range rows);

/// quant/act_quant.h QuantizeActivations of x [m, k] (row stride k): per-token quantization splits over rows;
/// per-tensor (one amax over all rows) runs on the calling thread. A failing split is rerun whole on the calling
/// thread, so the error names the same row as a single-thread run.
Status ParallelQuantizeActivations(ThreadPool* pool, const float* x, size_t m, size_t k, const ActQuantParams& params,
                                   const ActQuantOutput& out);

/// ops/layer_norm.h LayerNorm split over rows.
void ParallelLayerNorm(ThreadPool* pool, const float* x, size_t rows, size_t cols, const float* gamma,
                       const float* beta, float eps, float* y);

/// sum = a + b, then y = LayerNorm(sum) over rows of `cols`, in one split over rows: each thread adds and normalises
/// its own rows (the same two ops, the same bits, one meeting of the threads instead of two).
void ParallelAddLayerNorm(ThreadPool* pool, const float* a, const float* b, size_t rows, size_t cols,
                          const float* gamma, const float* beta, float eps, float* sum, float* y);

/// ops/softmax.h Softmax split over rows.
void ParallelSoftmax(ThreadPool* pool, const float* x, size_t rows, size_t cols, float* y);

/// ops/attention.h MultiHeadAttention split over (batch × head) tasks; scratch is allocated per part.
Status ParallelAttention(ThreadPool* pool, const AttentionParams& params, const float* q, const float* k,
                         const float* v, const TokenMask& mask, float* out);

/// ops/qattention.h QAttentionForward split over (batch × head) tasks. `scratch` is resized to one
/// QAttentionScratchBytes slot per part. The error is the one of the lowest failing task, as on one thread.
Status ParallelQAttention(ThreadPool* pool, const QAttentionParams& params, const float* q, const float* k,
                          const float* v, const TokenMask& mask, float* out, std::vector<unsigned char>* scratch);

}  // namespace qc::exec
