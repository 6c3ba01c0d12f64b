// exec/parallel_ops.h: every split op gives the same bytes as the single-thread call, for 1..4 threads, at sizes
// around the kernels' column tiles, with outputs against a guard page.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "configs/gemm_config.h"
#include "configs/t2_gemm_config.h"
#include "exec/parallel_ops.h"
#include "ops/elementwise.h"
#include "ops/layer_norm.h"
#include "ops/softmax.h"
#include "quant/act_quant.h"
#include "quant/t2_pack.h"
#include "tests/support/guard_buffer.h"

using namespace qc;

namespace {

std::vector<float> Random(size_t n, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

bool SameBytes(const float* a, const float* b, size_t n) {
  return std::memcmp(a, b, n * sizeof(float)) == 0;
}

std::vector<std::unique_ptr<ThreadPool>> Pools() {
  std::vector<std::unique_ptr<ThreadPool>> pools;
  for (int t = 1; t <= 4; ++t) {
    auto p = ThreadPool::Create(t);
    REQUIRE(p.ok());
    pools.push_back(std::move(p).value());
  }
  return pools;
}

// Splits as finely as the thread count allows while a test runs.
struct FineGrain {
  FineGrain() { exec::SetMinWorkPerPartForTesting(1); }
  ~FineGrain() { exec::SetMinWorkPerPartForTesting(0); }
};

}  // namespace

TEST_CASE("ParallelF32Gemm equals one F32Gemm call byte for byte") {
  FineGrain grain;
  auto pools = Pools();
  const size_t nr = static_cast<size_t>(GetF32GemmKernel().nr);
  for (size_t m : {size_t{1}, size_t{5}, size_t{17}}) {
    for (size_t n : {size_t{1}, nr - 1, nr, nr + 1, 2 * nr + 1, 4 * nr, 4 * nr + 3, size_t{97}}) {
      const size_t k = 37;
      CAPTURE(m);
      CAPTURE(n);
      const auto x = Random(m * k, 1), w = Random(n * k, 2), bias = Random(n, 3);
      F32GemmArgs a;
      a.x = x.data();
      a.x_stride = k;
      a.w = w.data();
      a.w_stride = k;
      a.bias = bias.data();
      a.m = m;
      a.n = n;
      a.k = k;
      a.y_stride = n;
      std::vector<float> want(m * n);
      a.y = want.data();
      F32Gemm(a);
      for (auto& pool : pools) {
        test::GuardBuffer<float> got(m * n);
        a.y = got.data();
        exec::ParallelF32Gemm(pool.get(), a);
        CHECK(SameBytes(got.data(), want.data(), m * n));
      }
    }
  }
}

TEST_CASE("SplitColumns over the T2 kernel equals one call byte for byte") {
  FineGrain grain;
  auto pools = Pools();
  const T2GemmKernel& kernel = GetT2GemmKernel();
  for (size_t n : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{13}, size_t{64}, size_t{66}}) {
    const size_t m = 19, k = 200, qk = T2PaddedK(k);
    CAPTURE(n);
    std::mt19937 rng(7);
    std::vector<uint8_t> codes(n * k);
    for (uint8_t& c : codes) c = static_cast<uint8_t>(rng() % 3);
    std::vector<uint8_t> packed(T2PackedBytes(n, k));
    REQUIRE(PackT2(codes.data(), n, k, k, packed.data(), packed.size()).ok());
    const auto x = Random(m * k, 8);
    std::vector<int8_t> q(m * qk);
    std::vector<float> scale(m), dequant(m);
    std::vector<int32_t> sums(m);
    const ActQuantOutput out{q.data(), qk, qk, scale.data(), dequant.data(), sums.data()};
    REQUIRE(QuantizeActivations(x.data(), m, k, k, ActQuantParams{}, out).ok());
    const auto alpha = Random(n, 9, 0.1f, 1.0f), bias = Random(n, 10);
    T2GemmArgs a;
    a.w = packed.data();
    a.alpha = alpha.data();
    a.alpha_per_row = true;
    a.q = q.data();
    a.q_stride = qk;
    a.q_sum = sums.data();
    a.q_dequant = dequant.data();
    a.bias = bias.data();
    a.y_stride = n;
    a.m = m;
    a.n = n;
    a.k = k;
    std::vector<float> want(m * n);
    a.y = want.data();
    kernel.fn(a, 0, m, 0, n);
    for (auto& pool : pools) {
      test::GuardBuffer<float> got(m * n);
      a.y = got.data();
      exec::SplitColumns(pool.get(), n, static_cast<size_t>(kernel.rows), m * k,
                         [&](size_t n0, size_t n1) { kernel.fn(a, 0, m, n0, n1); });
      CHECK(SameBytes(got.data(), want.data(), m * n));
    }
  }
}

TEST_CASE("row-wise and elementwise splits equal the sequential ops") {
  FineGrain grain;
  auto pools = Pools();
  for (size_t rows : {size_t{1}, size_t{3}, size_t{10}}) {
    const size_t cols = 77;
    const auto x = Random(rows * cols, 11), gamma = Random(cols, 12), beta = Random(cols, 13);
    std::vector<float> ln(rows * cols), sm(rows * cols), ge(rows * cols);
    LayerNorm(x.data(), rows, cols, gamma.data(), beta.data(), 1e-12f, ln.data());
    Softmax(x.data(), rows, cols, sm.data());
    GeluErf(x.data(), rows * cols, ge.data());
    for (auto& pool : pools) {
      test::GuardBuffer<float> a(rows * cols), b(rows * cols), c(rows * cols);
      exec::ParallelLayerNorm(pool.get(), x.data(), rows, cols, gamma.data(), beta.data(), 1e-12f, a.data());
      exec::ParallelSoftmax(pool.get(), x.data(), rows, cols, b.data());
      exec::ParallelElements(pool.get(), rows * cols, &GeluErf, x.data(), c.data());
      CHECK(SameBytes(a.data(), ln.data(), rows * cols));
      CHECK(SameBytes(b.data(), sm.data(), rows * cols));
      CHECK(SameBytes(c.data(), ge.data(), rows * cols));
    }
  }
}

TEST_CASE("ParallelAddLayerNorm equals Add then LayerNorm, sum and result, at every thread count") {
  FineGrain grain;
  auto pools = Pools();
  for (size_t rows : {size_t{1}, size_t{3}, size_t{10}}) {
    const size_t cols = 77;
    const auto a = Random(rows * cols, 31), b = Random(rows * cols, 32), gamma = Random(cols, 33),
               beta = Random(cols, 34);
    std::vector<float> sum(rows * cols), ln(rows * cols);
    Add(a.data(), b.data(), rows * cols, sum.data());
    LayerNorm(sum.data(), rows, cols, gamma.data(), beta.data(), 1e-12f, ln.data());
    for (auto& pool : pools) {
      test::GuardBuffer<float> s(rows * cols), y(rows * cols);
      exec::ParallelAddLayerNorm(pool.get(), a.data(), b.data(), rows, cols, gamma.data(), beta.data(), 1e-12f,
                                 s.data(), y.data());
      CHECK(SameBytes(s.data(), sum.data(), rows * cols));
      CHECK(SameBytes(y.data(), ln.data(), rows * cols));
    }
  }
}

TEST_CASE("attention splits over (batch x head) equal the single-thread ops, with padding masks") {
  FineGrain grain;
  auto pools = Pools();
  const size_t batch = 3, seq = 9, heads = 4, hidden = 32;
  const auto qkv = Random(batch * seq * 3 * hidden, 21);
  std::vector<int64_t> mask(batch * seq, 1);
  for (size_t s = 5; s < seq; ++s) mask[1 * seq + s] = 0;  // row 1 padded after 5 tokens
  for (size_t s = 1; s < seq; ++s) mask[2 * seq + s] = 0;  // row 2 holds one token
  const TokenMask tm = TokenMask::Int64(mask.data());
  const float* q = qkv.data();
  const float* k = q + hidden;
  const float* v = k + hidden;

  AttentionParams fp;
  fp.batch = batch;
  fp.seq = seq;
  fp.hidden = hidden;
  fp.num_heads = heads;
  fp.qkv_stride = 3 * hidden;
  fp.scale = 1.0f / std::sqrt(8.0f);
  std::vector<float> want(batch * seq * hidden);
  REQUIRE(MultiHeadAttention(fp, q, k, v, tm, want.data(), nullptr).ok());

  QAttentionParams qp;
  qp.batch = batch;
  qp.seq = seq;
  qp.hidden = hidden;
  qp.num_heads = heads;
  qp.q_stride = qp.k_stride = qp.v_stride = 3 * hidden;
  qp.scale = fp.scale;
  std::vector<float> qwant(batch * seq * hidden);
  REQUIRE(QAttentionForward(qp, q, k, v, tm, qwant.data(), nullptr).ok());

  for (auto& pool : pools) {
    CAPTURE(pool->num_threads());
    test::GuardBuffer<float> got(want.size()), qgot(qwant.size());
    REQUIRE(exec::ParallelAttention(pool.get(), fp, q, k, v, tm, got.data()).ok());
    CHECK(SameBytes(got.data(), want.data(), want.size()));
    std::vector<unsigned char> scratch;
    REQUIRE(exec::ParallelQAttention(pool.get(), qp, q, k, v, tm, qgot.data(), &scratch).ok());
    CHECK(SameBytes(qgot.data(), qwant.data(), qwant.size()));
  }
}

TEST_CASE("ParallelQAttention reports the error of the lowest failing task, as one thread does") {
  FineGrain grain;
  auto pools = Pools();
  const size_t batch = 4, seq = 4, heads = 2, hidden = 8;
  auto q = Random(batch * seq * hidden, 31);
  const auto k = Random(batch * seq * hidden, 32), v = Random(batch * seq * hidden, 33);
  q[(1 * seq + 2) * hidden + 5] = std::nanf("");  // batch 1, head 1
  q[(3 * seq + 0) * hidden + 0] = std::nanf("");  // batch 3, head 0
  QAttentionParams p;
  p.batch = batch;
  p.seq = seq;
  p.hidden = hidden;
  p.num_heads = heads;
  std::vector<float> out(q.size());
  const Status want = QAttentionForward(p, q.data(), k.data(), v.data(), TokenMask::None(), out.data(), nullptr);
  REQUIRE_FALSE(want.ok());
  for (auto& pool : pools) {
    std::vector<unsigned char> scratch;
    const Status got =
        exec::ParallelQAttention(pool.get(), p, q.data(), k.data(), v.data(), TokenMask::None(), out.data(), &scratch);
    CHECK(got.code() == want.code());
    CHECK(got.message() == want.message());
  }
}

TEST_CASE("PartsForWork: one part without a pool or for small work, at most one per thread") {
  auto pools = Pools();
  CHECK(exec::PartsForWork(nullptr, 1000, 1000000) == 1);
  CHECK(exec::PartsForWork(pools[3].get(), 1000, 1) == 1);  // 1000 units of work: below the default grain
  CHECK(exec::PartsForWork(pools[3].get(), 1000, 1000000) == 4);
  CHECK(exec::PartsForWork(pools[3].get(), 3, 1000000) == 3);
  CHECK(exec::PartsForWork(pools[0].get(), 1000, 1000000) == 1);
}

TEST_CASE("ParallelAdd and ParallelQuantizeActivations equal the sequential calls; errors name the same row") {
  FineGrain grain;
  auto pools = Pools();
  const size_t m = 11, k = 150, qk = 256;
  auto x = Random(m * k, 41);
  const auto b = Random(m * k, 42);
  std::vector<float> sum(m * k);
  Add(x.data(), b.data(), m * k, sum.data());
  for (ActGranularity g : {ActGranularity::kPerToken, ActGranularity::kPerTensor}) {
    ActQuantParams params;
    params.granularity = g;
    params.clip = 1.5f;
    std::vector<int8_t> q(m * qk);
    std::vector<float> scale(m), dequant(m);
    std::vector<int32_t> sums(m);
    REQUIRE(QuantizeActivations(x.data(), m, k, k, params,
                                ActQuantOutput{q.data(), qk, qk, scale.data(), dequant.data(), sums.data()})
                .ok());
    for (auto& pool : pools) {
      CAPTURE(pool->num_threads());
      std::vector<int8_t> q2(m * qk, 99);
      std::vector<float> scale2(m), dequant2(m);
      std::vector<int32_t> sums2(m);
      REQUIRE(exec::ParallelQuantizeActivations(
                  pool.get(), x.data(), m, k, params,
                  ActQuantOutput{q2.data(), qk, qk, scale2.data(), dequant2.data(), sums2.data()})
                  .ok());
      CHECK(q2 == q);
      CHECK(SameBytes(scale2.data(), scale.data(), m));
      CHECK(SameBytes(dequant2.data(), dequant.data(), m));
      CHECK(sums2 == sums);
      test::GuardBuffer<float> y(m * k);
      exec::ParallelAdd(pool.get(), x.data(), b.data(), m * k, y.data());
      CHECK(SameBytes(y.data(), sum.data(), m * k));
    }
  }
  x[9 * k + 3] = std::nanf("");
  std::vector<int8_t> q(m * qk);
  std::vector<float> scale(m), dequant(m);
  std::vector<int32_t> sums(m);
  const ActQuantOutput out{q.data(), qk, qk, scale.data(), dequant.data(), sums.data()};
  const Status want = QuantizeActivations(x.data(), m, k, k, ActQuantParams{}, out);
  REQUIRE_FALSE(want.ok());
  for (auto& pool : pools) {
    const Status got = exec::ParallelQuantizeActivations(pool.get(), x.data(), m, k, ActQuantParams{}, out);
    CHECK(got.message() == want.message());
  }
}

TEST_CASE("ClaimTasks: every task exactly once for any task and part count; inline without a pool") {
  for (int threads = 1; threads <= 4; ++threads) {
    auto pool = ThreadPool::Create(threads);
    REQUIRE(pool.ok());
    for (size_t tasks : {size_t{0}, size_t{1}, size_t{3}, size_t{8}, size_t{13}}) {
      for (size_t parts = 1; parts <= static_cast<size_t>(threads); ++parts) {
        CAPTURE(threads);
        CAPTURE(tasks);
        CAPTURE(parts);
        std::vector<std::atomic<int>> runs(tasks);
        std::atomic<bool> bad_part{false};
        exec::ClaimTasks(pool->get(), tasks, parts, [&](size_t t, size_t part) {
          runs[t].fetch_add(1);
          if (part >= parts) bad_part = true;
        });
        for (size_t t = 0; t < tasks; ++t) CHECK(runs[t].load() == 1);
        CHECK_FALSE(bad_part.load());
      }
    }
  }
  std::vector<size_t> order;
  exec::ClaimTasks(nullptr, 5, 3, [&](size_t t, size_t part) {
    CHECK(part == 0);
    order.push_back(t);
  });
  CHECK(order == std::vector<size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("ClaimTasks: a part that finishes its share takes the unclaimed tasks of a slow part") {
  auto pool = ThreadPool::Create(2);
  REQUIRE(pool.ok());
  // Part 1 claims its first task (4) and then stalls until part 0 is done with everything it can take; part 0 waits
  // for that claim before starting, so it runs its own share 0-3 and then 5, 6, 7 from part 1's.
  std::atomic<bool> part1_claimed{false}, part0_done{false};
  std::vector<std::atomic<int>> by_part(8);
  for (auto& b : by_part) b = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto wait_for = [&](const std::atomic<bool>& flag) {
    while (!flag.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return flag.load();
  };
  std::atomic<bool> timed_out{false};
  exec::ClaimTasks(pool->get(), 8, 2, [&](size_t t, size_t part) {
    by_part[t] = static_cast<int>(part);
    if (part == 1 && t == 4) {
      part1_claimed = true;
      if (!wait_for(part0_done)) timed_out = true;
    }
    if (part == 0 && t == 0 && !wait_for(part1_claimed)) timed_out = true;
    if (part == 0 && t == 7) part0_done = true;
  });
  REQUIRE_FALSE(timed_out.load());
  for (size_t t = 0; t < 8; ++t) {
    CAPTURE(t);
    CHECK(by_part[t].load() == (t == 4 ? 1 : 0));
  }
}
