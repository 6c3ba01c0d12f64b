// core/thread_pool.h: every task runs exactly once, the split is the documented static one, the caller takes part,
// and the pool survives zero tasks, more threads than tasks, nesting, idle sleeps, repeated use and many pools at
// once.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

using qc::ThreadPool;

namespace {

std::unique_ptr<ThreadPool> MakePool(int threads) {
  auto pool = ThreadPool::Create(threads);
  REQUIRE_MESSAGE(pool.ok(), pool.status().ToString());
  return std::move(pool).value();
}

}  // namespace

TEST_CASE("ThreadPool::Create refuses thread counts outside 1..kMaxPoolThreads") {
  for (int bad : {0, -1, qc::kMaxPoolThreads + 1}) {
    auto pool = ThreadPool::Create(bad);
    REQUIRE_FALSE(pool.ok());
    CHECK(pool.status().code() == qc::StatusCode::kInvalidArgument);
    CHECK(pool.status().message().find("num_threads") != std::string::npos);
  }
  CHECK(MakePool(1)->num_threads() == 1);
}

TEST_CASE("ParallelFor runs every task exactly once with the static split, the caller first") {
  for (int threads = 1; threads <= 5; ++threads) {
    auto pool = MakePool(threads);
    for (size_t count :
         {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{64}, size_t{1001}}) {
      CAPTURE(threads);
      CAPTURE(count);
      std::vector<std::atomic<int>> runs(count);
      std::vector<std::thread::id> who(count);
      pool->ParallelFor(count, [&](size_t task) {
        runs[task].fetch_add(1);
        who[task] = std::this_thread::get_id();
      });
      for (size_t t = 0; t < count; ++t) CHECK(runs[t].load() == 1);
      if (count == 0) continue;
      CHECK((who[0] == std::this_thread::get_id()));  // the caller takes the first share
      // Thread t runs [t·count/u, (t+1)·count/u), u = min(threads, count): tasks of one share have one thread,
      // different shares different threads (count > 1; a single task runs inline).
      const size_t n = std::min(static_cast<size_t>(threads), count);
      std::map<std::thread::id, size_t> share_of;
      for (size_t t = 0; t < n; ++t) {
        for (size_t task = t * count / n; task < (t + 1) * count / n; ++task) {
          auto [it, inserted] = share_of.emplace(who[task], t);
          CHECK(it->second == t);
          (void)inserted;
        }
      }
      if (count > 1) {
        size_t busy = 0;
        for (size_t t = 0; t < n; ++t) busy += (t + 1) * count / n > t * count / n ? 1 : 0;
        CHECK(share_of.size() == busy);
      }
    }
  }
}

TEST_CASE("more threads than tasks, repeated use and idle sleeps") {
  auto pool = MakePool(8);
  std::atomic<int> sum{0};
  pool->ParallelFor(3, [&](size_t task) { sum += static_cast<int>(task) + 1; });
  CHECK(sum.load() == 6);
  int64_t total = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<int64_t> part(5, 0);
    pool->ParallelFor(part.size(), [&](size_t task) { part[task] = round * 10 + static_cast<int64_t>(task); });
    for (int64_t p : part) total += p;
  }
  int64_t expected = 0;
  for (int round = 0; round < 2000; ++round) expected += 5 * round * 10 + 10;
  CHECK(total == expected);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // workers are asleep on the condition variable now
  std::atomic<int> after{0};
  pool->ParallelFor(100, [&](size_t) { after.fetch_add(1); });
  CHECK(after.load() == 100);
}

TEST_CASE("a ParallelFor issued inside a task runs inline instead of deadlocking") {
  auto pool = MakePool(3);
  std::vector<std::atomic<int>> cells(6 * 4);
  pool->ParallelFor(6, [&](size_t outer) {
    const auto me = std::this_thread::get_id();
    pool->ParallelFor(4, [&](size_t inner) {
      CHECK((std::this_thread::get_id() == me));
      cells[outer * 4 + inner].fetch_add(1);
    });
  });
  for (auto& c : cells) CHECK(c.load() == 1);
}

TEST_CASE("many pools used from many threads at once stay independent") {
  constexpr int kUsers = 6;
  std::vector<int64_t> results(kUsers, 0);
  std::vector<std::thread> users;
  for (int u = 0; u < kUsers; ++u) {
    users.emplace_back([u, &results] {
      auto pool = ThreadPool::Create(1 + u % 4);
      if (!pool.ok()) return;
      int64_t acc = 0;
      for (int round = 0; round < 300; ++round) {
        std::vector<int64_t> v(17);
        (*pool)->ParallelFor(v.size(), [&](size_t t) { v[t] = static_cast<int64_t>(t) * (u + 1) + round; });
        for (int64_t x : v) acc += x;
      }
      results[static_cast<size_t>(u)] = acc;
    });
  }
  for (auto& t : users) t.join();
  for (int u = 0; u < kUsers; ++u) {
    int64_t expected = 0;
    for (int round = 0; round < 300; ++round) expected += 136 * (u + 1) + 17 * round;
    CHECK(results[static_cast<size_t>(u)] == expected);
  }
}

TEST_CASE("SplitRange: contiguous, ordered, covering, aligned parts") {
  for (size_t total :
       {size_t{0}, size_t{1}, size_t{5}, size_t{63}, size_t{64}, size_t{65}, size_t{768}, size_t{1001}}) {
    for (size_t parts : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{7}}) {
      for (size_t align : {size_t{1}, size_t{4}, size_t{6}, size_t{64}}) {
        CAPTURE(total);
        CAPTURE(parts);
        CAPTURE(align);
        size_t next = 0;
        for (size_t p = 0; p < parts; ++p) {
          const qc::Range r = qc::SplitRange(total, parts, p, align);
          CHECK(r.begin == next);
          CHECK(r.end >= r.begin);
          if (r.end != total) CHECK(r.end % align == 0);
          next = r.end;
        }
        CHECK(next == total);
      }
    }
  }
  const qc::Range past = qc::SplitRange(10, 2, 5);
  CHECK(past.begin == past.end);
}

TEST_CASE("TaskStatuses reports the lowest failing task") {
  qc::TaskStatuses s(4);
  CHECK(s.First().ok());
  s.Set(3, qc::InvalidArgument("three"));
  s.Set(1, qc::OutOfRange("one"));
  CHECK(s.First().code() == qc::StatusCode::kOutOfRange);
  CHECK(s.First().message() == "one");
}
