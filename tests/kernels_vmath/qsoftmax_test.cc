// QAttention softmax row kernels (runtime/kernels/i32-f32-softmax): QcExp inside 2 ulp of e^x; every ISA this CPU
// runs returns QSoftmaxRowRef's bits for rows around the vector widths, with and without a mask term (including
// -inf and float-lowest fills), against guard pages; NaN rows stay NaN.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "configs/qsoftmax_config.h"
#include "core/cpu_features.h"
#include "kernels/i32-f32-softmax/scalar.h"
#include "tests/kernels_vmath/same_bits.h"
#include "tests/support/guard_buffer.h"

namespace {

using qc::test::SameBits;

struct Row {
  std::vector<int32_t> s;
  std::vector<float> dk, dv, add;
};

Row MakeRow(size_t n, uint32_t seed, float fill) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> sums(-40000, 40000);
  std::uniform_real_distribution<float> d(0.001f, 0.03f);
  Row r;
  for (size_t j = 0; j < n; ++j) {
    r.s.push_back(sums(rng));
    r.dk.push_back(d(rng));
    r.dv.push_back(d(rng));
    r.add.push_back(j % 5 == 3 ? fill : 0.0f);
  }
  return r;
}

}  // namespace

TEST_CASE("QcExp is within 2 ulp of e^x on [-87, 0], 0 below, NaN through") {
  double worst_ulp = 0.0;
  for (int i = 0; i <= 870000; ++i) {
    const float x = -static_cast<float>(i) * 1e-4f;
    const float got = qc::QcExp(x);
    const double want = std::exp(static_cast<double>(x));
    const double ulp = std::ldexp(1.0, std::ilogb(static_cast<float>(want)) - 23);
    worst_ulp = std::max(worst_ulp, std::fabs(got - want) / ulp);
  }
  INFO("worst " << worst_ulp << " ulp");
  CHECK(worst_ulp <= 2.0);
  CHECK(qc::QcExp(0.0f) == 1.0f);
  CHECK(qc::QcExp(-87.5f) == 0.0f);
  CHECK(qc::QcExp(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(std::isnan(qc::QcExp(std::nanf(""))));
}

TEST_CASE("every softmax row kernel returns QSoftmaxRowRef's bits") {
  const qc::CpuFeatures& cpu = qc::HardwareCpuFeatures();
  int ran = 0;
  for (const qc::QSoftmaxKernel& k : qc::QSoftmaxKernels()) {
    if (!qc::IsaAvailable(k.isa, cpu)) {
      MESSAGE("skipping " << k.name << ": this CPU lacks " << qc::IsaName(k.isa));
      continue;
    }
    ++ran;
    CAPTURE(k.name);
    for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{8}, size_t{9},
                     size_t{15}, size_t{16}, size_t{17}, size_t{31}, size_t{32}, size_t{33}, size_t{64}, size_t{100},
                     size_t{128}, size_t{129}, size_t{512}}) {
      for (float fill : {0.0f, -10000.0f, std::numeric_limits<float>::lowest(),
                         -std::numeric_limits<float>::infinity()}) {
        CAPTURE(n);
        CAPTURE(fill);
        const Row r = MakeRow(n, static_cast<uint32_t>(n * 7 + 1), fill);
        qc::test::GuardBuffer<int32_t> s(n);
        qc::test::GuardBuffer<float> dk(n), dv(n), add(n), p(n);
        std::memcpy(s.data(), r.s.data(), n * sizeof(int32_t));
        std::memcpy(dk.data(), r.dk.data(), n * sizeof(float));
        std::memcpy(dv.data(), r.dv.data(), n * sizeof(float));
        std::memcpy(add.data(), r.add.data(), n * sizeof(float));
        for (bool with_mask : {false, true}) {
          std::vector<float> want(n);
          qc::QSoftmaxRowArgs a;
          a.s = r.s.data();
          a.dq = 0.0123f;
          a.dk = r.dk.data();
          a.scale = 0.125f;
          a.add = with_mask ? r.add.data() : nullptr;
          a.dv = r.dv.data();
          a.n = n;
          a.p = want.data();
          qc::QSoftmaxRowRef(a);
          qc::QSoftmaxRowArgs b = a;
          b.s = s.data();
          b.dk = dk.data();
          b.add = with_mask ? add.data() : nullptr;
          b.dv = dv.data();
          b.p = p.data();
          k.fn(b);
          size_t mismatches = 0;
          for (size_t j = 0; j < n; ++j) mismatches += SameBits(p[j], want[j]) ? 0 : 1;
          CHECK(mismatches == 0);
        }
      }
    }
    // Every key masked with -inf: the row is NaN (as torch's softmax); a NaN-free row sums to about dv.
    const size_t n = 20;
    Row r = MakeRow(n, 5, -std::numeric_limits<float>::infinity());
    std::vector<float> all_masked(n, -std::numeric_limits<float>::infinity()), p(n);
    qc::QSoftmaxRowArgs a;
    a.s = r.s.data();
    a.dq = 0.01f;
    a.dk = r.dk.data();
    a.add = all_masked.data();
    a.dv = r.dv.data();
    a.n = n;
    a.p = p.data();
    k.fn(a);
    for (float v : p) CHECK(std::isnan(v));
    std::vector<float> ones(n, 1.0f);
    a.add = nullptr;
    a.dv = ones.data();
    k.fn(a);
    double total = 0.0;
    for (float v : p) total += v;
    CHECK(std::fabs(total - 1.0) < 1e-5);
  }
  CHECK(ran >= 1);
}
