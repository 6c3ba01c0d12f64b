#include "exec/parallel_ops.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "configs/gemm_config.h"
#include "ops/elementwise.h"
#include "ops/layer_norm.h"
#include "ops/softmax.h"

namespace qc::exec {
namespace {

// Elementwise blocks start at multiples of this many floats: whole cache lines, and whole vectors for any
// vectorised loop, so a split never moves an element between a loop's vector body and its scalar tail.
constexpr size_t kElementAlign = 64;

// Rough cost of one element of an elementwise op or a row-wise op's per-column work, in kMinWorkPerPart units.
constexpr size_t kElementWork = 8;

// Bytes between per-part scratch slots: each part's slot starts on its own cache line.
size_t AlignedSlot(size_t bytes) {
  return (bytes + 63) / 64 * 64;
}

std::atomic<size_t> g_min_work_per_part{kMinWorkPerPart};

}  // namespace

void SetMinWorkPerPartForTesting(size_t work) {
  g_min_work_per_part.store(work == 0 ? kMinWorkPerPart : work, std::memory_order_relaxed);
}

size_t PartsForWork(const ThreadPool* pool, size_t units, size_t work_per_unit) {
  if (pool == nullptr || pool->num_threads() <= 1 || units <= 1) return 1;
  const size_t total = units * std::max<size_t>(work_per_unit, 1);
  const size_t by_work = total / g_min_work_per_part.load(std::memory_order_relaxed);
  return std::max<size_t>(1, std::min({static_cast<size_t>(pool->num_threads()), units, by_work}));
}

void ParallelF32Gemm(ThreadPool* pool, const F32GemmArgs& args) {
  const F32GemmKernel& kernel = GetF32GemmKernel();
  SplitColumns(pool, args.n, static_cast<size_t>(kernel.nr), args.m * args.k,
               [&](size_t n0, size_t n1) { kernel.fn(args, 0, args.m, n0, n1); });
}

void ParallelElements(ThreadPool* pool, size_t n, void (*fn)(const float* x, size_t n, float* y), const float* x,
                      float* y) {
  const size_t blocks = (n + kElementAlign - 1) / kElementAlign;
  const size_t parts = PartsForWork(pool, blocks, kElementAlign * kElementWork);
  if (parts <= 1) {
    fn(x, n, y);
    return;
  }
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(n, parts, part, kElementAlign);
    if (r.begin < r.end) fn(x + r.begin, r.end - r.begin, y + r.begin);
  });
}

void ParallelAdd(ThreadPool* pool, const float* a, const float* b, size_t n, float* y) {
  const size_t blocks = (n + kElementAlign - 1) / kElementAlign;
  // One add per element, but a pass over three arrays: worth splitting once a few rows are involved, and each thread
  // then touches the rows the row-split ops around it keep in its cache.
  const size_t parts = PartsForWork(pool, blocks, kElementAlign * kElementWork / 2);
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(n, parts, part, kElementAlign);
    if (r.begin < r.end) Add(a + r.begin, b + r.begin, r.end - r.begin, y + r.begin);
  });
}

Status QuantizeActivationRows(const float* x, size_t k, const ActQuantParams& params, const ActQuantOutput& out,
                              Range rows) {
  ActQuantOutput part = out;
  part.q += rows.begin * out.q_stride;
  part.scale += rows.begin;
  part.dequant += rows.begin;
  part.row_sum += rows.begin;
  return QuantizeActivations(x + rows.begin * k, rows.end - rows.begin, k, k, params, part);
}

Status ParallelQuantizeActivations(ThreadPool* pool, const float* x, size_t m, size_t k, const ActQuantParams& params,
                                   const ActQuantOutput& out) {
  const size_t parts =
      params.granularity == ActGranularity::kPerToken ? PartsForWork(pool, m, 2 * k * kElementWork) : 1;
  if (parts <= 1) return QuantizeActivations(x, m, k, k, params, out);
  TaskStatuses statuses(parts);
  ParallelFor(pool, parts, [&](size_t part) {
    statuses.Set(part, QuantizeActivationRows(x, k, params, out, SplitRange(m, parts, part)));
  });
  if (!statuses.First().ok()) return QuantizeActivations(x, m, k, k, params, out);  // the whole-tensor message
  return Status::Ok();
}

void ParallelAddLayerNorm(ThreadPool* pool, const float* a, const float* b, size_t rows, size_t cols,
                          const float* gamma, const float* beta, float eps, float* sum, float* y) {
  const size_t parts = PartsForWork(pool, rows, cols * kElementWork);
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(rows, parts, part);
    const size_t at = r.begin * cols, n = (r.end - r.begin) * cols;
    Add(a + at, b + at, n, sum + at);
    LayerNorm(sum + at, r.end - r.begin, cols, gamma, beta, eps, y + at);
  });
}

void ParallelLayerNorm(ThreadPool* pool, const float* x, size_t rows, size_t cols, const float* gamma,
                       const float* beta, float eps, float* y) {
  const size_t parts = PartsForWork(pool, rows, cols * kElementWork);
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(rows, parts, part);
    LayerNorm(x + r.begin * cols, r.end - r.begin, cols, gamma, beta, eps, y + r.begin * cols);
  });
}

void ParallelSoftmax(ThreadPool* pool, const float* x, size_t rows, size_t cols, float* y) {
  const size_t parts = PartsForWork(pool, rows, cols * kElementWork);
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(rows, parts, part);
    Softmax(x + r.begin * cols, r.end - r.begin, cols, y + r.begin * cols);
  });
}

Status ParallelAttention(ThreadPool* pool, const AttentionParams& p, const float* q, const float* k, const float* v,
                         const TokenMask& mask, float* out) {
  QC_RETURN_IF_ERROR(ValidateAttention(p));
  const size_t tasks = AttentionTaskCount(p);
  const size_t head_dim = p.hidden / p.num_heads;
  const size_t parts = PartsForWork(pool, tasks, 2 * p.seq * p.seq * head_dim);
  const size_t slot = AlignedSlot(AttentionScratchFloats(p) * sizeof(float)) / sizeof(float);
  std::vector<float> scratch(std::max<size_t>(parts, 1) * slot);
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(tasks, parts, part);
    MultiHeadAttentionTasks(p, q, k, v, mask, out, scratch.data() + part * slot, r.begin, r.end);
  });
  return Status::Ok();
}

Status ParallelQAttention(ThreadPool* pool, const QAttentionParams& p, const float* q, const float* k, const float* v,
                          const TokenMask& mask, float* out, std::vector<unsigned char>* scratch) {
  QC_RETURN_IF_ERROR(ValidateQAttention(p));
  const size_t tasks = QAttentionTaskCount(p);
  const size_t head_dim = p.hidden / p.num_heads;
  const size_t parts = PartsForWork(pool, tasks, 2 * p.seq * p.seq * head_dim);
  const size_t slot = AlignedSlot(QAttentionScratchBytes(p));
  scratch->resize(std::max<size_t>(parts, 1) * slot);
  // One (batch, head) task per claim (ClaimTasks): each writes its own output columns.
  TaskStatuses statuses(tasks);
  ClaimTasks(pool, tasks, parts, [&](size_t task, size_t part) {
    statuses.Set(task, QAttentionTasks(p, q, k, v, mask, out, scratch->data() + part * slot, task, task + 1));
  });
  return statuses.First();
}

}  // namespace qc::exec
