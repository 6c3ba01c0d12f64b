// Cross-ISA golden test: the whole integer pipeline (TWN → pack → activation quantization → every runnable GEMM
// kernel) on inputs generated from integers only, hashed into one 64-bit digest that is hard-coded here. The same
// value must come out on x86-64 (scalar, AVX2, AVX-512 VNNI) and on AArch64 (scalar, NEON DotProd): the contract of
// docs/quantization.md leaves no freedom in any bit (exact integers, correctly rounded float steps).
//
// Inputs are dyadic fractions from a SplitMix64 stream (no <random> distribution, whose algorithms are
// implementation-defined), so every float is exact and the digest depends only on the contract.
// If the contract changes on purpose, update kGolden from the MESSAGE this test prints.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "configs/t2_gemm_config.h"
#include "quant/act_quant.h"
#include "quant/t2_pack.h"
#include "quant/twn.h"

namespace {

constexpr uint64_t kGolden = 0x9f4bae0fbaad8a8eull;  // x86-64 AVX-512 machine; equal on qemu-aarch64

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A value in [-range, range] with 1/1024 resolution: exact in float.
float Dyadic(uint64_t& s, int range) {
  const int v = static_cast<int>(SplitMix(s) % static_cast<uint64_t>(2 * range * 1024 + 1)) - range * 1024;
  return static_cast<float>(v) / 1024.0f;
}

void Mix(uint64_t& h, const void* data, size_t bytes) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ull;  // FNV-1a
}

}  // namespace

TEST_CASE("golden digest of the integer pipeline is the same on every ISA") {
  const size_t m = 21, n = 38, k = 777, kp = qc::T2PaddedK(k);
  uint64_t seed = 2024;
  std::vector<float> w(n * k), x(m * k), bias(n);
  for (float& v : w) v = Dyadic(seed, 1) * 0.0625f;
  for (float& v : x) v = Dyadic(seed, 4);
  for (float& v : bias) v = Dyadic(seed, 1);
  std::vector<uint8_t> codes(n * k), packed(qc::T2PackedBytes(n, k));
  std::vector<float> alpha(n);
  REQUIRE(qc::TernarizeTwn(w.data(), n, k, k, {qc::TwnGranularity::kPerRow, 2.5f}, codes.data(), k, alpha.data()).ok());
  REQUIRE(qc::PackT2(codes.data(), n, k, k, packed.data(), packed.size()).ok());
  std::vector<int8_t> q(m * kp);
  std::vector<float> scale(m), deq(m);
  std::vector<int32_t> q_sum(m);
  REQUIRE(qc::QuantizeActivations(x.data(), m, k, k, {qc::ActGranularity::kPerToken, 2.5f},
                                  {q.data(), kp, kp, scale.data(), deq.data(), q_sum.data()})
              .ok());
  uint64_t inputs = 0xcbf29ce484222325ull;
  Mix(inputs, packed.data(), packed.size());
  Mix(inputs, alpha.data(), alpha.size() * sizeof(float));
  Mix(inputs, q.data(), q.size());
  Mix(inputs, scale.data(), m * sizeof(float));
  Mix(inputs, deq.data(), m * sizeof(float));
  Mix(inputs, q_sum.data(), m * sizeof(int32_t));

  int ran = 0;
  for (const qc::T2GemmKernel& kernel : qc::T2GemmKernels()) {
    if (!qc::T2IsaAvailable(kernel.isa, qc::HardwareCpuFeatures())) continue;
    std::vector<float> y(m * n);
    std::vector<int32_t> y_int(m * n);
    qc::T2GemmArgs a;
    a.w = packed.data();
    a.alpha = alpha.data();
    a.alpha_per_row = true;
    a.q = q.data();
    a.q_stride = kp;
    a.q_sum = q_sum.data();
    a.q_dequant = deq.data();
    a.bias = bias.data();
    a.y = y.data();
    a.y_stride = n;
    a.y_int = y_int.data();
    a.y_int_stride = n;
    a.m = m;
    a.n = n;
    a.k = k;
    kernel.fn(a, 0, m, 0, n);
    uint64_t h = inputs;
    Mix(h, y.data(), y.size() * sizeof(float));
    Mix(h, y_int.data(), y_int.size() * sizeof(int32_t));
    char hex[32];
    std::snprintf(hex, sizeof(hex), "0x%016llx", static_cast<unsigned long long>(h));
    MESSAGE(std::string(kernel.name), " digest ", std::string(hex));
    CHECK(h == kGolden);
    ++ran;
  }
  CHECK(ran >= 2);  // the oracle and at least the scalar production kernel
}
