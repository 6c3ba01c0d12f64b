#include "report/error_metrics.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using qc::report::CompareOutputs;
using qc::report::ErrorAccumulator;
using qc::report::kMaxSqnrDb;

TEST_CASE("SQNR and cosine on hand-computed cases") {
  SUBCASE("one element off by one") {
    // signal 1+4+9+16 = 30, noise 1, <r,t> = 1+4+9+20 = 34, |t|^2 = 39
    const float r[] = {1, 2, 3, 4}, t[] = {1, 2, 3, 5};
    auto s = CompareOutputs(r, t, 4);
    REQUIRE(s.ok());
    CHECK(s->sqnr_db == doctest::Approx(10 * std::log10(30.0)).epsilon(1e-12));
    CHECK(s->sqnr_db == doctest::Approx(14.7712125472).epsilon(1e-9));
    CHECK(s->cosine == doctest::Approx(34 / std::sqrt(30.0 * 39.0)).epsilon(1e-12));
    CHECK(s->max_abs_error == 1.0);
    CHECK(s->count == 4);
  }
  SUBCASE("orthogonal") {
    const float r[] = {1, 0}, t[] = {0, 1};
    auto s = CompareOutputs(r, t, 2);
    REQUIRE(s.ok());
    CHECK(s->cosine == 0.0);
    CHECK(s->sqnr_db == doctest::Approx(-3.0102999566).epsilon(1e-9));  // 10 log10(1/2)
  }
  SUBCASE("negated") {
    const float r[] = {3, -4}, t[] = {-3, 4};
    auto s = CompareOutputs(r, t, 2);
    REQUIRE(s.ok());
    CHECK(s->cosine == -1.0);
    CHECK(s->sqnr_db == doctest::Approx(-6.0205999133).epsilon(1e-9));  // 10 log10(25/100)
  }
  SUBCASE("scaled copy: cosine 1, SQNR from the scale error") {
    const float r[] = {0.5f, -1.5f, 2.0f}, t[] = {1.0f, -3.0f, 4.0f};
    auto s = CompareOutputs(r, t, 3);
    REQUIRE(s.ok());
    CHECK(s->cosine == doctest::Approx(1.0).epsilon(1e-15));
    CHECK(s->sqnr_db == doctest::Approx(0.0).epsilon(1e-12));  // error equals the signal
  }
}

TEST_CASE("edge cases give finite documented values") {
  const float a[] = {1, 2}, zero[] = {0, 0};
  auto exact = CompareOutputs(a, a, 2);
  REQUIRE(exact.ok());
  CHECK(exact->sqnr_db == kMaxSqnrDb);
  CHECK(exact->cosine == 1.0);
  auto both_zero = CompareOutputs(zero, zero, 2);
  REQUIRE(both_zero.ok());
  CHECK(both_zero->sqnr_db == kMaxSqnrDb);
  CHECK(both_zero->cosine == 1.0);
  auto ref_zero = CompareOutputs(zero, a, 2);
  REQUIRE(ref_zero.ok());
  CHECK(ref_zero->sqnr_db == -kMaxSqnrDb);
  CHECK(ref_zero->cosine == 0.0);
  auto test_zero = CompareOutputs(a, zero, 2);
  REQUIRE(test_zero.ok());
  CHECK(test_zero->sqnr_db == doctest::Approx(0.0));
  CHECK(test_zero->cosine == 0.0);
}

TEST_CASE("errors: empty input, non-finite values") {
  ErrorAccumulator acc;
  auto empty = acc.Result();
  CHECK_FALSE(empty.ok());
  const float good[] = {1, 2, 3}, bad[] = {1, std::numeric_limits<float>::quiet_NaN(), 3};
  const float inf[] = {1, 2, std::numeric_limits<float>::infinity()};
  REQUIRE(acc.Add(good, good, 3).ok());
  const qc::Status st = acc.Add(good, bad, 3);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("test value 1") != std::string::npos);
  const qc::Status st2 = acc.Add(inf, good, 3);
  CHECK(st2.message().find("reference value 2") != std::string::npos);
  auto s = acc.Result();  // the rejected batches left no trace
  REQUIRE(s.ok());
  CHECK(s->count == 3);
  CHECK(s->sqnr_db == kMaxSqnrDb);
}

TEST_CASE("accumulating batches equals one pass over the concatenation") {
  std::vector<float> r(1000), t(1000);
  for (size_t i = 0; i < r.size(); ++i) {
    r[i] = std::sin(0.01f * static_cast<float>(i)) * 3.0f;
    t[i] = r[i] + 0.01f * std::cos(0.37f * static_cast<float>(i));
  }
  auto whole = CompareOutputs(r.data(), t.data(), r.size());
  ErrorAccumulator acc;
  REQUIRE(acc.Add(r.data(), t.data(), 1).ok());
  REQUIRE(acc.Add(r.data() + 1, t.data() + 1, 332).ok());
  REQUIRE(acc.Add(r.data() + 333, t.data() + 333, 667).ok());
  auto parts = acc.Result();
  REQUIRE(whole.ok());
  REQUIRE(parts.ok());
  CHECK(parts->count == 1000);
  CHECK(parts->sqnr_db == doctest::Approx(whole->sqnr_db).epsilon(1e-12));
  CHECK(parts->cosine == doctest::Approx(whole->cosine).epsilon(1e-12));
  CHECK(parts->max_abs_error == whole->max_abs_error);
}

TEST_CASE("float64 accumulation keeps a tiny error over a million values") {
  // Every element is 1 with the same small error e; SQNR = 10 log10(1 / e^2) exactly. A float32 running sum stalls
  // at 2^24 and would get the ratio badly wrong.
  const size_t n = size_t(1) << 21;
  const float one_plus = 1.0f + 1.0f / 4096;
  std::vector<float> r(n, 1.0f), t(n, one_plus);
  auto s = CompareOutputs(r.data(), t.data(), n);
  REQUIRE(s.ok());
  const double e = static_cast<double>(one_plus) - 1.0;
  CHECK(s->sqnr_db == doctest::Approx(10 * std::log10(1.0 / (e * e))).epsilon(1e-12));
  CHECK(s->sqnr_db == doctest::Approx(72.2471989).epsilon(1e-7));  // 20 log10(4096)
}
