// core/thread_pool.h: a small fixed pool of threads for one Session, with static work partitioning.
//
// Overview
//   ThreadPool(n) starts n - 1 workers; the thread calling ParallelFor is the n-th and does its share too.
//   ParallelFor(count, fn) calls fn(task) exactly once for every task in [0, count) and returns when all have
//   finished. The split is static: with u = min(n, count), thread t < u runs tasks [t·count/u, (t+1)·count/u) in
//   order (thread 0 is the caller), so which thread computes a task is decided by (count, n) alone. Callers make tasks
//   that each write their own outputs with an arithmetic order that does not depend on the split (a block of GEMM
//   columns, a range of rows, an attention head), so results are bit-identical for every thread count; the pool adds no
//   reductions of its own. Idle workers spin briefly (a run is a burst of back-to-back ParallelFor calls) and then
//   sleep on a condition variable: an idle session costs no CPU. fn must not throw (the runtime reports errors as
//   values; collect them per task, see TaskStatuses). A call made from inside a task, or with count <= 1, or on a
//   1-thread pool runs inline on the calling thread. One ParallelFor at a time per pool: a pool belongs to one Session,
//   which runs one inference at a time.
//
// Usage
//   QC_ASSIGN_OR_RETURN(std::unique_ptr<qc::ThreadPool> pool, qc::ThreadPool::Create(4));
//   pool->ParallelFor(chunks, [&](size_t c) {
//     const qc::Range r = qc::SplitRange(n, chunks, c, /*align=*/16);   // column block c, tile-aligned
//     kernel(args, 0, m, r.begin, r.end);
//   });
//   qc::ParallelFor(nullptr, count, fn);     // null pool: everything on the calling thread
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "qcompress/status.h"

namespace qc {

/// Most threads a pool accepts (a guard against nonsense options, far above any core count we target).
inline constexpr int kMaxPoolThreads = 256;

class ThreadPool {
 public:
  /// A pool of `num_threads` threads counting the caller (1 = no workers). kInvalidArgument outside
  /// [1, kMaxPoolThreads]; kInternal when the system refuses to start a thread.
  static Expected<std::unique_ptr<ThreadPool>> Create(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  /// fn(task) for every task in [0, count), split statically as described above; returns when all are done.
  template <typename Fn>
  void ParallelFor(size_t count, Fn&& fn) {
    Run(
        count, [](void* ctx, size_t task) { (*static_cast<std::remove_reference_t<Fn>*>(ctx))(task); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using TaskFn = void (*)(void* ctx, size_t task);
  explicit ThreadPool(int num_threads);
  void Run(size_t count, TaskFn fn, void* ctx);
  void RunShare(int thread, size_t count, TaskFn fn, void* ctx);
  void WorkerLoop(int thread);

  const int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;  ///< workers wait here for a new generation
  std::condition_variable done_;  ///< the caller waits here for pending_ == 0
  // The current job; written by the caller before generation_ is bumped, read by workers after they see it.
  TaskFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  size_t job_count_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};  ///< workers that have not finished the current job
  bool stop_ = false;            ///< guarded by mutex_
};

/// A half-open range of indices.
struct Range {
  size_t begin = 0;
  size_t end = 0;
};

/// Part `part` of `parts` of [0, total): contiguous, in order, boundaries at multiples of `align` (>= 1) except the
/// last end, sizes as even as the alignment allows. Parts past the work are empty.
Range SplitRange(size_t total, size_t parts, size_t part, size_t align = 1);

/// How many parts to split `total` units into for `pool`: at most one per thread and at least `min_per_part` units
/// per part (so tiny ops stay on one thread), at least 1.
size_t PartsFor(const ThreadPool* pool, size_t total, size_t min_per_part);

/// pool->ParallelFor(count, fn), or fn(0..count-1) on the calling thread when pool is null.
template <typename Fn>
void ParallelFor(ThreadPool* pool, size_t count, Fn&& fn) {
  if (pool != nullptr) {
    pool->ParallelFor(count, fn);
  } else {
    for (size_t t = 0; t < count; ++t) fn(t);
  }
}

/// Statuses of tasks that may fail: each task records its own, and First() gives the error of the lowest failing
/// task, i.e. the same error a sequential run would meet first.
class TaskStatuses {
 public:
  explicit TaskStatuses(size_t count) : statuses_(count) {}
  void Set(size_t task, Status status) { statuses_[task] = std::move(status); }
  Status First() const {
    for (const Status& s : statuses_) {
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  std::vector<Status> statuses_;
};

}  // namespace qc
