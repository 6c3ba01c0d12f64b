#include "core/thread_pool.h"

#include <algorithm>
#include <string>
#include <system_error>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace qc {
namespace {

// Set on workers for their lifetime and on a caller while it runs its share: a ParallelFor issued from inside a task
// runs inline instead of waiting on the pool it is part of.
thread_local bool t_in_pool = false;

// Spin iterations before sleeping. An inference issues ParallelFor calls back to back with a little serial work in
// between; ~tens of microseconds of spinning covers those gaps without burning a core when the session is idle.
constexpr int kSpinIterations = 4000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace

Expected<std::unique_ptr<ThreadPool>> ThreadPool::Create(int num_threads) {
  if (num_threads < 1 || num_threads > kMaxPoolThreads) {
    return InvalidArgument("thread pool: num_threads is " + std::to_string(num_threads) + ", expected 1.." +
                           std::to_string(kMaxPoolThreads));
  }
  std::unique_ptr<ThreadPool> pool(new ThreadPool(num_threads));
  try {
    for (int t = 1; t < num_threads; ++t) pool->workers_.emplace_back([p = pool.get(), t] { p->WorkerLoop(t); });
  } catch (const std::system_error& e) {  // the destructor joins the workers already started
    return Internal("thread pool: cannot start thread " + std::to_string(pool->workers_.size() + 1) + " of " +
                    std::to_string(num_threads) + ": " + e.what());
  }
  return pool;
}

ThreadPool::ThreadPool(int num_threads) : num_threads_(num_threads) {}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::RunShare(int thread, size_t count, TaskFn fn, void* ctx) {
  // With fewer tasks than threads, the first `count` threads (the caller among them) take one each.
  const size_t n = std::min(static_cast<size_t>(num_threads_), count);
  const size_t t = static_cast<size_t>(thread);
  if (t >= n) return;
  const size_t begin = t * count / n, end = (t + 1) * count / n;
  for (size_t task = begin; task < end; ++task) fn(ctx, task);
}

void ThreadPool::Run(size_t count, TaskFn fn, void* ctx) {
  if (count == 0) return;
  if (workers_.empty() || count == 1 || t_in_pool) {
    for (size_t task = 0; task < count; ++task) fn(ctx, task);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_fn_ = fn;
    job_ctx_ = ctx;
    job_count_ = count;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  t_in_pool = true;
  RunShare(0, count, fn, ctx);
  t_in_pool = false;
  for (int i = 0; i < kSpinIterations; ++i) {
    if (pending_.load(std::memory_order_acquire) == 0) return;
    CpuRelax();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
}

void ThreadPool::WorkerLoop(int thread) {
  t_in_pool = true;
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    for (int i = 0; i < kSpinIterations && g == seen; ++i) {
      CpuRelax();
      g = generation_.load(std::memory_order_acquire);
    }
    TaskFn fn;
    void* ctx;
    size_t count;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (g == seen) {
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        g = generation_.load(std::memory_order_acquire);
      }
      if (stop_) return;
      fn = job_fn_;
      ctx = job_ctx_;
      count = job_count_;
    }
    seen = g;
    RunShare(thread, count, fn, ctx);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);  // pairs with the caller's predicate check: no lost wake-up
      done_.notify_one();
    }
  }
}

Range SplitRange(size_t total, size_t parts, size_t part, size_t align) {
  if (align == 0) align = 1;
  if (parts == 0 || part >= parts) return {total, total};
  const size_t units = (total + align - 1) / align;  // aligned blocks, the last one possibly short
  const size_t b0 = part * units / parts, b1 = (part + 1) * units / parts;
  return {std::min(total, b0 * align), std::min(total, b1 * align)};
}

size_t PartsFor(const ThreadPool* pool, size_t total, size_t min_per_part) {
  if (pool == nullptr) return 1;
  const size_t by_size = total / std::max<size_t>(min_per_part, 1);
  return std::max<size_t>(1, std::min(static_cast<size_t>(pool->num_threads()), by_size));
}

}  // namespace qc
