// Single-thread throughput of every ternary × int8 GEMM kernel this CPU can run, against the measured int8 MAC peak
// of the core. Not a test: it asserts nothing and is not registered with CTest; timings are reported, never checked.
//
//   build/tests/kernels_t2/t2_gemm_bench                          # all kernels except the oracle
//   build/tests/kernels_t2/t2_gemm_bench --all                    # include T2GemmRef
//   build/tests/kernels_t2/t2_gemm_bench --only Avx512 --shape "FFN down" --pairs 200
//
// Peaks: hand-written loops of independent instructions (no memory traffic): vpdpbusd zmm (64 int8 MAC each,
// AVX-512 VNNI), tdpbusd (16384 MAC each, AMX-INT8) and vpmaddubsw ymm (32 MAC each, AVX2); the clock is estimated
// with a dependent add chain. Kernels: best of repeated runs over ~0.4 s per shape, MAC = M·N·K; "of peak" divides
// by the peak of the kernel's own instruction (tdpbusd for AMX, vpdpbusd zmm for AVX-512 VNNI, vpmaddubsw ymm for
// AVX2 and scalar). The fp32 kernel (configs/gemm_config.h) and activation quantization run on the same shapes for
// comparison. A shared virtual machine's speed drifts over seconds (by up to 1.8x here), so "of peak" pairs each
// kernel run with one run of the peak loop right after it (~1 ms each) and takes the median of the per-pair ratios
// over at least --pairs pairs (default 25) and ~0.4 s; ms and GMAC/s are the kernel's best run.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "configs/gemm_config.h"
#include "configs/t2_gemm_config.h"
#include "quant/act_quant.h"
#include "quant/t2_pack.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Best time of fn() over repetitions for up to `budget` seconds (at least 3 runs), after one warm-up run.
template <typename Fn>
double Best(Fn fn, double budget) {
  fn();
  double best = 1e30, total = 0.0;
  for (int r = 0; r < 3 || (total < budget && r < 100000); ++r) {
    const auto t0 = Clock::now();
    fn();
    const double s = Seconds(t0);
    best = std::min(best, s);
    total += s;
  }
  return best;
}

#if defined(__x86_64__)
// Cycles are estimated by a chain of dependent adds (one per cycle on every x86 core of interest).
double ClockGhz() {
  return 1e-9 /
         Best(
             [] {
               uint64_t n = 1'000'000, x = 0;
               __asm__ volatile("1:\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tsub $4, %0\n\tjnz 1b"
                                : "+r"(n), "+r"(x)::"cc");
             },
             0.3) *
         1'000'000;
}

#define QC_REP16(INSN)                                                                                              \
  INSN("0")                                                                                                         \
  INSN("1")                                                                                                         \
  INSN("2")                                                                                                         \
  INSN("3") INSN("4") INSN("5") INSN("6") INSN("7") INSN("8") INSN("9") INSN("10") INSN("11") INSN("12") INSN("13") \
      INSN("14") INSN("15")

// The asm loops live in plain functions carrying the ISA target: a lambda would not inherit the attribute, and an
// unoptimised build would then compile zmm/ymm clobbers for the base target and fail.
constexpr uint64_t kPeakIters = 100'000;

// 16 independent vpdpbusd zmm per iteration.
__attribute__((target("avx512f,avx512vnni"))) void VpdpbusdZmmLoop() {
  uint64_t n = kPeakIters;
#define QC_DPBUSD(i) "vpdpbusd %%zmm16, %%zmm17, %%zmm" i "\n\t"
  __asm__ volatile(
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\tvpxord %%zmm17, %%zmm17, %%zmm17\n\t"
      "1:\n\t" QC_REP16(QC_DPBUSD) "dec %0\n\tjnz 1b"
      : "+r"(n)::"cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17");
#undef QC_DPBUSD
}

constexpr double kVpdpbusdLoopMacs = kPeakIters * 16.0 * 64.0;

// Returns int8 MAC per second.
double VpdpbusdZmmPeak(double budget = 0.3) {
  return kVpdpbusdLoopMacs / Best(VpdpbusdZmmLoop, budget);
}

// 16 independent vpmaddubsw ymm per iteration (no accumulation: the pure multiply throughput).
__attribute__((target("avx2"))) void VpmaddubswYmmLoop() {
  uint64_t n = kPeakIters;
#define QC_MADDUBS(i) "vpmaddubsw %%ymm14, %%ymm15, %%ymm" i "\n\t"
  __asm__ volatile(
      "vpxor %%ymm14, %%ymm14, %%ymm14\n\tvpxor %%ymm15, %%ymm15, %%ymm15\n\t"
      "1:\n\t" QC_MADDUBS("0") QC_MADDUBS("1") QC_MADDUBS("2") QC_MADDUBS("3") QC_MADDUBS("4") QC_MADDUBS("5")
          QC_MADDUBS("6") QC_MADDUBS("7") QC_MADDUBS("8") QC_MADDUBS("9") QC_MADDUBS("10") QC_MADDUBS("11")
              QC_MADDUBS("12") QC_MADDUBS("13") QC_MADDUBS("0") QC_MADDUBS("1") "dec %0\n\tjnz 1b"
      : "+r"(n)::"cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15");
#undef QC_MADDUBS
}

constexpr double kVpmaddubswLoopMacs = kPeakIters * 16.0 * 32.0;

double VpmaddubswYmmPeak(double budget = 0.3) {
  return kVpmaddubswLoopMacs / Best(VpmaddubswYmmLoop, budget);
}

// 16 tdpbusd per iteration over 4 independent C tiles (tmm0-3; A = tmm4/5, B = tmm6/7, all 16 rows × 64 bytes,
// zero), each 16·16·64 int8 MAC. Plain inline asm: the mnemonics need only the assembler, not -mamx-*. Run only
// when CpuFeatures::amx_int8 (which includes the Linux XTILEDATA permission).
void TdpbusdLoop() {
  alignas(64) uint8_t cfg[64] = {};
  cfg[0] = 1;  // palette 1
  for (int t = 0; t < 8; ++t) {
    cfg[16 + 2 * t] = 64;  // colsb (little-endian uint16)
    cfg[48 + t] = 16;      // rows
  }
  uint64_t n = kPeakIters / 4;
#define QC_TDP4                                                          \
  "tdpbusd %%tmm6, %%tmm4, %%tmm0\n\ttdpbusd %%tmm7, %%tmm4, %%tmm1\n\t" \
  "tdpbusd %%tmm6, %%tmm5, %%tmm2\n\ttdpbusd %%tmm7, %%tmm5, %%tmm3\n\t"
  __asm__ volatile(
      "ldtilecfg %1\n\ttilezero %%tmm0\n\ttilezero %%tmm1\n\ttilezero %%tmm2\n\ttilezero %%tmm3\n\t"
      "tilezero %%tmm4\n\ttilezero %%tmm5\n\ttilezero %%tmm6\n\ttilezero %%tmm7\n\t"
      "1:\n\t" QC_TDP4 QC_TDP4 QC_TDP4 QC_TDP4 "dec %0\n\tjnz 1b\n\ttilerelease"
      : "+r"(n)
      : "m"(cfg)
      : "cc", "memory");
#undef QC_TDP4
}

constexpr double kTdpbusdLoopMacs = (kPeakIters / 4) * 16.0 * 16.0 * 16.0 * 64.0;

double TdpbusdPeak(double budget = 0.3) {
  return kTdpbusdLoopMacs / Best(TdpbusdLoop, budget);
}
#endif

struct Shape {
  size_t m, n, k;
  const char* what;
};

struct Operands {
  size_t m, n, k, kp;
  std::vector<uint8_t> w;
  std::vector<int8_t> q;
  std::vector<int32_t> q_sum, y_int;
  std::vector<float> x, alpha, deq, scale, bias, y, wf;

  explicit Operands(const Shape& s, std::mt19937& rng) : m(s.m), n(s.n), k(s.k), kp(qc::T2PaddedK(s.k)) {
    std::vector<uint8_t> codes(n * k);
    for (uint8_t& c : codes) c = static_cast<uint8_t>(rng() % 3);
    w.resize(qc::T2PackedBytes(n, k));
    if (!qc::PackT2(codes.data(), n, k, k, w.data(), w.size()).ok()) std::abort();
    std::normal_distribution<float> normal(0.0f, 1.0f);
    x.resize(m * k);
    for (float& v : x) v = normal(rng);
    q.resize(m * kp);
    q_sum.resize(m);
    deq.resize(m);
    scale.resize(m);
    if (!Quantize().ok()) std::abort();
    alpha.assign(n, 0.05f);
    bias.assign(n, 0.01f);
    y.resize(m * n);
    y_int.resize(m * n);
    wf.resize(n * k);
    for (float& v : wf) v = normal(rng) * 0.05f;
  }

  qc::Status Quantize() {
    return qc::QuantizeActivations(x.data(), m, k, k, {qc::ActGranularity::kPerToken, 2.5f},
                                   {q.data(), kp, kp, scale.data(), deq.data(), q_sum.data()});
  }

  qc::T2GemmArgs Args() {
    qc::T2GemmArgs a;
    a.w = w.data();
    a.alpha = alpha.data();
    a.alpha_per_row = true;
    a.q = q.data();
    a.q_stride = kp;
    a.q_sum = q_sum.data();
    a.q_dequant = deq.data();
    a.bias = bias.data();
    a.y = y.data();
    a.y_stride = n;
    a.m = m;
    a.n = n;
    a.k = k;
    return a;
  }

  qc::F32GemmArgs F32Args() {
    qc::F32GemmArgs a;
    a.x = x.data();
    a.x_stride = k;
    a.w = wf.data();
    a.w_stride = k;
    a.bias = bias.data();
    a.y = y.data();
    a.y_stride = n;
    a.m = m;
    a.n = n;
    a.k = k;
    return a;
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 != 0 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

}  // namespace

int main(int argc, char** argv) {
  bool all = false;
  const char* only = "";
  const char* shape_filter = "";
  int min_pairs = 25;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--all") == 0) {
      all = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (std::strcmp(argv[i], "--shape") == 0 && i + 1 < argc) {
      shape_filter = argv[++i];
    } else if (std::strcmp(argv[i], "--pairs") == 0 && i + 1 < argc) {
      min_pairs = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--all] [--only KERNEL-SUBSTRING] [--shape SHAPE-SUBSTRING] [--pairs N]\n",
                   argv[0]);
      return 2;
    }
  }
  const qc::CpuFeatures& cpu = qc::HardwareCpuFeatures();
  std::printf("cpu features: %s\nselected t2 kernel: %s, fp32 kernel: %s\n", cpu.ToString().c_str(),
              qc::GetT2GemmKernel().name, qc::GetF32GemmKernel().name);
  double peak_zmm = 0.0, peak_ymm = 0.0, peak_amx = 0.0;
#if defined(__x86_64__)
  const double ghz = ClockGhz();
  std::printf("clock (dependent add chain): %.2f GHz\n", ghz);
  if (cpu.avx512_vnni) {
    peak_zmm = VpdpbusdZmmPeak();
    std::printf("peak vpdpbusd zmm:   %7.1f GMAC/s  (%.1f MAC/cycle)\n", peak_zmm * 1e-9, peak_zmm / (ghz * 1e9));
  }
  if (cpu.amx_int8) {
    peak_amx = TdpbusdPeak();
    std::printf("peak tdpbusd (AMX):  %7.1f GMAC/s  (%.1f MAC/cycle)\n", peak_amx * 1e-9, peak_amx / (ghz * 1e9));
  }
  if (cpu.avx2) {
    peak_ymm = VpmaddubswYmmPeak();
    std::printf("peak vpmaddubsw ymm: %7.1f GMAC/s  (%.1f MAC/cycle)\n", peak_ymm * 1e-9, peak_ymm / (ghz * 1e9));
  }
#endif
  // M = 64 is each thread's share when a 2-thread session splits M = 128 by rows.
  const std::vector<Shape> shapes = {
      {128, 768, 768, "QKV/out proj"}, {128, 3072, 768, "FFN up"},      {128, 768, 3072, "FFN down"},
      {64, 768, 768, "QKV/out, M=64"}, {64, 3072, 768, "FFN up, M=64"}, {64, 768, 3072, "FFN down, M=64"},
      {16, 768, 768, "QKV/out, M=16"}, {16, 3072, 768, "FFN up, M=16"}, {16, 768, 3072, "FFN down, M=16"},
  };
  std::mt19937 rng(7);
  std::printf("%-22s %-15s %4s %5s %5s %9s %8s %8s %9s\n", "kernel", "shape", "M", "N", "K", "ms", "GMAC/s", "of peak",
              "vs fp32");
  for (const Shape& s : shapes) {
    Operands op(s, rng);  // every shape draws its operands, filtered or not, so the data stay the same
    if (std::strstr(s.what, shape_filter) == nullptr) continue;
    const qc::F32GemmArgs fa = op.F32Args();
    const double f32 = Best([&] { qc::GetF32GemmKernel().fn(fa, 0, s.m, 0, s.n); }, 0.4);
    const double macs = static_cast<double>(s.m) * s.n * s.k;
    std::printf("%-22s %-15s %4zu %5zu %5zu %9.3f %8.1f %8s %9s\n", qc::GetF32GemmKernel().name, s.what, s.m, s.n, s.k,
                f32 * 1e3, macs / f32 * 1e-9, "-", "1.00x");
    for (const qc::T2GemmKernel& kernel : qc::T2GemmKernels()) {
      if (!qc::T2IsaAvailable(kernel.isa, cpu)) continue;
      if (kernel.fn == &qc::T2GemmRef && !all) continue;
      if (std::strstr(kernel.name, only) == nullptr) continue;
      const qc::T2GemmArgs a = op.Args();
      // The peak loop of the kernel's own multiply-accumulate instruction: its body and MACs per call.
      void (*peak_loop)() = nullptr;
      double peak_macs = 0.0;
#if defined(__x86_64__)
      if (kernel.isa == qc::T2GemmIsa::kAmxInt8 && peak_amx > 0.0) {
        peak_loop = TdpbusdLoop;
        peak_macs = kTdpbusdLoopMacs;
      } else if (kernel.isa == qc::T2GemmIsa::kAvx512Vnni && peak_zmm > 0.0) {
        peak_loop = VpdpbusdZmmLoop;
        peak_macs = kVpdpbusdLoopMacs;
      } else if (kernel.isa != qc::T2GemmIsa::kAmxInt8 && kernel.isa != qc::T2GemmIsa::kAvx512Vnni && peak_ymm > 0.0) {
        peak_loop = VpmaddubswYmmLoop;
        peak_macs = kVpmaddubswLoopMacs;
      }
#endif
      // Pairs: one kernel run, then one peak-loop run (~1 ms each), so both see the same machine state; "of peak"
      // is the median of the per-pair ratios, ms the kernel's best run.
      double sec = 1e30;
      std::vector<double> fractions;
      kernel.fn(a, 0, s.m, 0, s.n);  // warm-up
      const auto start = Clock::now();
      for (int r = 0; r < min_pairs || (Seconds(start) < 0.4 && r < 100000); ++r) {
        const auto t0 = Clock::now();
        kernel.fn(a, 0, s.m, 0, s.n);
        const double t = Seconds(t0);
        sec = std::min(sec, t);
        if (peak_loop != nullptr) {
          const auto t1 = Clock::now();
          peak_loop();
          fractions.push_back((macs / t) / (peak_macs / Seconds(t1)));
        }
      }
      char of_peak[16] = "-";
      if (!fractions.empty()) std::snprintf(of_peak, sizeof(of_peak), "%.0f%%", 100.0 * Median(fractions));
      std::printf("%-22s %-15s %4zu %5zu %5zu %9.3f %8.1f %8s %8.2fx\n", kernel.name, s.what, s.m, s.n, s.k, sec * 1e3,
                  macs / sec * 1e-9, of_peak, f32 / sec);
    }
    const double quant = Best([&] { (void)op.Quantize(); }, 0.2);
    std::printf("%-22s %-15s %4zu %5s %5zu %9.3f\n", "QuantizeActivations", s.what, s.m, "-", s.k, quant * 1e3);
  }
  return 0;
}
