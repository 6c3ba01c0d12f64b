// Single-thread GFLOP/s of every fp32 GEMM kernel this CPU can run, at BERT-base shapes. Not a test: it asserts
// nothing and is not registered with CTest; timings are reported, never checked.
//
//   build-kern/tests/kernels/gemm_bench            # all kernels except the oracle
//   build-kern/tests/kernels/gemm_bench --all      # include F32GemmRef
// Each figure is the fastest of repeated runs over ~0.5 s per kernel and shape. FLOPs = 2·M·N·K.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "configs/gemm_config.h"

namespace {

struct Shape {
  size_t m, n, k;
  const char* what;
};

// Minimum over repetitions for up to `budget` seconds (at least 3 runs): on a shared machine the fastest run is the
// one least disturbed by other processes.
double BestSeconds(const qc::F32GemmKernel& kernel, const qc::F32GemmArgs& args, double budget) {
  double best = 1e30, total = 0.0;
  kernel.fn(args, 0, args.m, 0, args.n);  // warm caches and page in the buffers
  for (int r = 0; r < 3 || (total < budget && r < 1000); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    kernel.fn(args, 0, args.m, 0, args.n);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, sec);
    total += sec;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const bool all = argc > 1 && std::strcmp(argv[1], "--all") == 0;
  const std::vector<Shape> shapes = {
      {128, 768, 768, "QKV/out proj"}, {128, 3072, 768, "FFN up"},      {128, 768, 3072, "FFN down"},
      {16, 768, 768, "QKV/out, M=16"}, {16, 3072, 768, "FFN up, M=16"}, {16, 768, 3072, "FFN down, M=16"},
  };
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const qc::CpuFeatures& cpu = qc::HardwareCpuFeatures();
  std::printf("cpu features: %s; selected: %s\n", cpu.ToString().c_str(), qc::GetF32GemmKernel().name);
  std::printf("%-18s %-16s %5s %5s %5s %10s %10s\n", "kernel", "shape", "M", "N", "K", "ms", "GFLOP/s");
  for (const Shape& s : shapes) {
    std::vector<float> x(s.m * s.k), w(s.n * s.k), b(s.n), y(s.m * s.n);
    for (float& v : x) v = dist(rng);
    for (float& v : w) v = dist(rng);
    for (float& v : b) v = dist(rng);
    qc::F32GemmArgs a;
    a.x = x.data();
    a.x_stride = s.k;
    a.w = w.data();
    a.w_stride = s.k;
    a.bias = b.data();
    a.y = y.data();
    a.y_stride = s.n;
    a.m = s.m;
    a.n = s.n;
    a.k = s.k;
    for (const qc::F32GemmKernel& kernel : qc::F32GemmKernels()) {
      if (!qc::IsaAvailable(kernel.isa, cpu)) continue;
      const bool oracle = std::strcmp(kernel.name, "F32GemmRef") == 0;
      if (oracle && !all) continue;
      const double sec = BestSeconds(kernel, a, 0.5);
      const double gflops = 2.0 * s.m * s.n * s.k / sec * 1e-9;
      std::printf("%-18s %-16s %5zu %5zu %5zu %10.3f %10.1f\n", kernel.name, s.what, s.m, s.n, s.k, sec * 1e3, gflops);
    }
  }
  return 0;
}
