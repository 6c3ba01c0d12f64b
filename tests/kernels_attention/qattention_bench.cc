// QAttention vs the float Attention op, one thread (and QAttention on two), BERT-base shapes (H = 768, 12 heads of 64;
// S = 128 and 16, batch 1), plus the integer products alone on every attention kernel the CPU can run. Not a test:
// timings are printed, never asserted. Run by hand on an idle machine:
//   build/tests/kernels_attention/qattention_bench [iterations [seq]]   (QC_ISA=avx2 etc. caps the op's kernel)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "configs/attention_config.h"
#include "core/thread_pool.h"
#include "exec/parallel_ops.h"
#include "kernels/i8-i8-attention/kernels.h"
#include "ops/attention.h"
#include "ops/qattention.h"

namespace {

template <typename F>
double MedianMicros(int iterations, F&& f) {
  std::vector<double> t;
  f();  // warm up
  for (int i = 0; i < iterations; ++i) {
    const auto a = std::chrono::steady_clock::now();
    f();
    const auto b = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::micro>(b - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void BenchShape(size_t seq, int iterations) {
  const size_t hidden = 768, heads = 12, dh = 64;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> qkv(seq * 3 * hidden), out(seq * hidden);
  for (float& x : qkv) x = dist(rng);
  std::vector<float> mask(seq, 1.0f);
  const qc::TokenMask m = qc::TokenMask::Float(mask.data());

  qc::AttentionParams fp;
  fp.batch = 1;
  fp.seq = seq;
  fp.hidden = hidden;
  fp.num_heads = heads;
  fp.qkv_stride = 3 * hidden;
  fp.scale = 0.125f;
  std::vector<float> fscratch(qc::AttentionScratchFloats(fp));
  const double t_float = MedianMicros(iterations, [&] {
    if (!qc::MultiHeadAttention(fp, qkv.data(), qkv.data() + hidden, qkv.data() + 2 * hidden, m, out.data(),
                                fscratch.data())
             .ok())
      std::abort();
  });

  qc::QAttentionParams qp;
  qp.batch = 1;
  qp.seq = seq;
  qp.hidden = hidden;
  qp.num_heads = heads;
  qp.q_stride = qp.k_stride = qp.v_stride = 3 * hidden;
  qp.scale = 0.125f;
  std::vector<unsigned char> qscratch(qc::QAttentionScratchBytes(qp));
  const double t_q = MedianMicros(iterations, [&] {
    if (!qc::QAttentionForward(qp, qkv.data(), qkv.data() + hidden, qkv.data() + 2 * hidden, m, out.data(),
                               qscratch.data())
             .ok())
      std::abort();
  });
  std::printf("S=%4zu H=768 heads=12  float Attention %9.1f us   QAttention (%s) %9.1f us   ratio %.2f\n", seq, t_float,
              qc::GetI8AttnGemmKernel().name, t_q, t_q / t_float);

  // The op as a 2-thread session runs it (exec/parallel_ops.h split), on its own: inside a model the inputs come
  // from the ops before it, in the other core's cache for part of them.
  auto pool = qc::ThreadPool::Create(2);
  if (!pool.ok()) std::abort();
  std::vector<unsigned char> pscratch;
  const double t_q2 = MedianMicros(iterations, [&] {
    if (!qc::exec::ParallelQAttention(pool->get(), qp, qkv.data(), qkv.data() + hidden, qkv.data() + 2 * hidden, m,
                                      out.data(), &pscratch)
             .ok())
      std::abort();
  });
  std::printf("          QAttention on 2 threads (ParallelQAttention) %9.1f us   speed-up %.2f\n", t_q2, t_q / t_q2);

  // The two integer products of all 12 heads alone: S_int (S × S × 64) and O_int (S × 64 × S).
  const size_t kpd = qc::I8AttnPaddedK(dh), kps = qc::I8AttnPaddedK(seq);
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<int8_t> a1(seq * kpd), b1(seq * kpd), a2(seq * kps), b2(dh * kps);
  for (auto* v : {&a1, &b1, &a2, &b2}) {
    for (auto& x : *v) x = static_cast<int8_t>(code(rng));
  }
  for (size_t r = 0; r < seq; ++r) std::fill(a2.begin() + r * kps + seq, a2.begin() + (r + 1) * kps, int8_t{0});
  for (size_t r = 0; r < dh; ++r) std::fill(b2.begin() + r * kps + seq, b2.begin() + (r + 1) * kps, int8_t{0});
  std::vector<int32_t> c1(seq * seq), c2(seq * dh);
  for (const auto& k : qc::I8AttnGemmKernels()) {
    if (!qc::I8AttnIsaAvailable(k.isa, qc::HardwareCpuFeatures())) continue;
    const double t = MedianMicros(iterations, [&] {
      for (size_t h = 0; h < heads; ++h) {
        qc::I8AttnGemmArgs g{a1.data(), kpd, b1.data(), kpd, c1.data(), seq, seq, seq, dh};
        k.fn(g, 0, seq, 0, seq);
        qc::I8AttnGemmArgs g2{a2.data(), kps, b2.data(), kps, c2.data(), dh, seq, dh, seq};
        k.fn(g2, 0, seq, 0, dh);
      }
    });
    const double macs = 2.0 * heads * seq * seq * dh;
    std::printf("          integer products, 12 heads, %-26s %9.1f us  (%.1f GMAC/s)\n", k.name, t, macs / t * 1e-3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 50;
  if (argc > 2) {
    BenchShape(static_cast<size_t>(std::atoi(argv[2])), iterations);
  } else {
    for (size_t seq : {128, 16}) BenchShape(seq, iterations);
  }
  return 0;
}
