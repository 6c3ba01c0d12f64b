#include "quant_sim.h"

#include "tests/support/qsoftmax_sim.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qc::test {
namespace {

// s = 127 / amax, d = amax / 127 (float divisions); all-zero rule for amax == 0 or an infinite s.
void Scales(float amax, float* s, float* d) {
  *s = 0.0f;
  *d = 0.0f;
  if (!(amax > 0.0f)) return;
  const float scale = 127.0f / amax;
  if (std::isinf(scale)) return;
  *s = scale;
  *d = amax / 127.0f;
}

int8_t Code(float x, float clip, float s) {
  const float xc = std::min(std::max(x, -clip), clip);
  const float product = xc * s;
  long r = std::lrint(product);  // default rounding mode: to nearest, ties to even
  r = std::min(127L, std::max(-127L, r));
  return static_cast<int8_t>(r);
}

}  // namespace

SimActs SimQuantizeActs(const std::vector<float>& x, size_t m, size_t k, SimGranularity g, float clip, float amax) {
  const float c = clip > 0 ? clip : std::numeric_limits<float>::infinity();
  SimActs out;
  out.q.resize(m * k);
  out.d.resize(m);
  std::vector<float> s(m);
  if (g == SimGranularity::kStatic) {
    float scale, dequant;
    Scales(amax, &scale, &dequant);
    for (size_t i = 0; i < m; ++i) s[i] = scale, out.d[i] = dequant;
    for (size_t i = 0; i < m * k; ++i) out.q[i] = Code(x[i], std::min(c, amax), s[i / k]);
    return out;
  }
  std::vector<float> row_amax(m, 0.0f);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < k; ++j) {
      const float xc = std::min(std::max(x[i * k + j], -c), c);
      row_amax[i] = std::max(row_amax[i], std::fabs(xc));
    }
  }
  if (g == SimGranularity::kPerTensor) {
    float all = 0.0f;
    for (float a : row_amax) all = std::max(all, a);
    std::fill(row_amax.begin(), row_amax.end(), all);
  }
  for (size_t i = 0; i < m; ++i) {
    Scales(row_amax[i], &s[i], &out.d[i]);
    for (size_t j = 0; j < k; ++j) out.q[i * k + j] = Code(x[i * k + j], c, s[i]);
  }
  return out;
}

std::vector<int64_t> SimIntProduct(const std::vector<int8_t>& q, const std::vector<int8_t>& w_int, size_t m, size_t k,
                                   size_t n) {
  std::vector<int64_t> y(m * n, 0);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (size_t t = 0; t < k; ++t) acc += int64_t{w_int[j * k + t]} * q[i * k + t];
      y[i * n + j] = acc;
    }
  }
  return y;
}

std::vector<double> SimFakeQuantLinear(const SimActs& a, const std::vector<int8_t>& w_int,
                                       const std::vector<float>& alpha, const std::vector<float>& bias, size_t m,
                                       size_t k, size_t n, std::vector<double>* magnitude) {
  std::vector<double> y(m * n);
  magnitude->assign(m * n, 0.0);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const double aj = alpha.size() == 1 ? alpha[0] : alpha[j];
      const double b = bias.empty() ? 0.0 : bias[j];
      double acc = 0.0, mag = 0.0;
      for (size_t t = 0; t < k; ++t) {
        const double term = (aj * w_int[j * k + t]) * (static_cast<double>(a.q[i * k + t]) * a.d[i]);
        acc += term;
        mag += std::fabs(term);
      }
      y[i * n + j] = acc + b;
      (*magnitude)[i * n + j] = mag + std::fabs(b);
    }
  }
  return y;
}

std::vector<float> SimQAttention(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                                 const std::vector<float>* mask, size_t batch, size_t seq, size_t hidden, size_t heads,
                                 float scale, float mask_fill, float clip) {
  const size_t dh = hidden / heads;
  std::vector<float> out(batch * seq * hidden);
  auto slice = [&](const std::vector<float>& t, size_t b, size_t h) {
    std::vector<float> s(seq * dh);
    for (size_t i = 0; i < seq; ++i) {
      for (size_t c = 0; c < dh; ++c) s[i * dh + c] = t[(b * seq + i) * hidden + h * dh + c];
    }
    return SimQuantizeActs(s, seq, dh, SimGranularity::kPerToken, clip, 0);  // per row = per (token, head)
  };
  for (size_t b = 0; b < batch; ++b) {
    for (size_t h = 0; h < heads; ++h) {
      const SimActs qa = slice(q, b, h), ka = slice(k, b, h), va = slice(v, b, h);
      for (size_t i = 0; i < seq; ++i) {
        std::vector<float> score(seq), p(seq);
        for (size_t j = 0; j < seq; ++j) {
          int32_t s_int = 0;
          for (size_t c = 0; c < dh; ++c) s_int += int32_t{qa.q[i * dh + c]} * ka.q[j * dh + c];
          volatile float dqk = qa.d[i] * ka.d[j];  // volatile: one rounding per step, as written in §7.4
          volatile float scaled = static_cast<float>(s_int) * dqk;
          score[j] = scaled * scale;
          if (mask != nullptr) {
            const float m = (*mask)[b * seq + j];
            if (m != 1.0f) {
              volatile float add = (1.0f - m) * mask_fill;
              score[j] = score[j] + add;
            }
          }
        }
        const float mx = *std::max_element(score.begin(), score.end());
        for (size_t j = 0; j < seq; ++j) p[j] = SimQcExp(score[j] - mx);  // §7.4 step 3's exp and sum order
        const float sum = SimLaneSum(p);
        for (size_t j = 0; j < seq; ++j) {
          p[j] = p[j] / sum;
          p[j] = p[j] * va.d[j];
        }
        const SimActs pa = SimQuantizeActs(p, 1, seq, SimGranularity::kPerToken, 0, 0);
        for (size_t c = 0; c < dh; ++c) {
          int32_t o = 0;
          for (size_t j = 0; j < seq; ++j) o += int32_t{pa.q[j]} * va.q[j * dh + c];
          out[(b * seq + i) * hidden + h * dh + c] = static_cast<float>(o) * pa.d[0];
        }
      }
    }
  }
  return out;
}

SimQLinearResult SimQLinear(const std::vector<float>& x, size_t m, size_t k, size_t n, size_t groups, SimGranularity g,
                            float clip, float amax, const std::vector<int8_t>& w_int, const std::vector<float>& alpha,
                            const std::vector<float>& bias) {
  const size_t width = k / groups;
  SimQLinearResult r;
  r.exact.assign(m * n, 0.0f);
  r.fake.assign(m * n, 0.0);
  r.magnitude.assign(m * n, 0.0);
  std::vector<float> xg(m * width);
  std::vector<int8_t> wg(n * width);
  for (size_t s = 0; s < groups; ++s) {
    for (size_t i = 0; i < m; ++i) std::copy_n(x.begin() + i * k + s * width, width, xg.begin() + i * width);
    for (size_t j = 0; j < n; ++j) std::copy_n(w_int.begin() + j * k + s * width, width, wg.begin() + j * width);
    const SimActs acts = SimQuantizeActs(xg, m, width, g, clip, amax);
    const std::vector<int64_t> y_int = SimIntProduct(acts.q, wg, m, width, n);
    const std::vector<float> no_bias;
    std::vector<double> magnitude;
    const std::vector<double> fq =
        SimFakeQuantLinear(acts, wg, alpha, s == 0 ? bias : no_bias, m, width, n, &magnitude);
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const size_t e = i * n + j;
        volatile float dequant = alpha[alpha.size() == 1 ? 0 : j] * acts.d[i];  // fl(α_j · d_i), never contracted
        const float b = s == 0 && !bias.empty() ? bias[j] : 0.0f;
        const float part = std::fma(static_cast<float>(y_int[e]), dequant, b);
        r.exact[e] = s == 0 ? part : r.exact[e] + part;
        r.fake[e] += fq[e];
        r.magnitude[e] += magnitude[e];
      }
    }
  }
  return r;
}

std::vector<int8_t> SimDecodeGroupedWeight(int weight_format, const uint8_t* packed, size_t n, size_t k,
                                           size_t groups) {
  const size_t width = k / groups;
  const size_t kb = (width + 127) / 128, block_bytes = weight_format == 1 ? 128 : (weight_format == 2 ? 256 : 512);
  const size_t slice_bytes = (n + 3) / 4 * kb * block_bytes;
  std::vector<int8_t> w(n * k);
  for (size_t s = 0; s < groups; ++s) {
    const std::vector<int8_t> slice = SimDecodePackedWeight(weight_format, packed + s * slice_bytes, n, width);
    for (size_t j = 0; j < n; ++j) std::copy_n(slice.begin() + j * width, width, w.begin() + j * k + s * width);
  }
  return w;
}

std::vector<int8_t> SimDecodePackedWeight(int weight_format, const uint8_t* packed, size_t n, size_t k) {
  const size_t kb = (k + 127) / 128;
  const size_t block_bytes = weight_format == 1 ? 128 : (weight_format == 2 ? 256 : 512);
  std::vector<int8_t> w(n * k);
  for (size_t j = 0; j < n; ++j) {
    const size_t group = j / 4, r = j % 4;
    for (size_t c = 0; c < k; ++c) {
      const size_t b = c / 128, i = c % 128;
      const uint8_t* block = packed + (group * kb + b) * block_bytes;
      int value = 0;
      if (weight_format == 1) {  // row r owns bytes [32r, 32r+32); byte i%32 holds columns i%32 + 32t at 6 - 2t
        const unsigned shift = 6 - 2 * static_cast<unsigned>(i / 32);
        value = ((block[32 * r + i % 32] >> shift) & 3) - 1;
      } else if (weight_format == 2) {  // row r owns 64 bytes; column i < 64 low nibble of byte i, else high of i-64
        const uint8_t byte = block[64 * r + i % 64];
        value = (i < 64 ? (byte & 15) : (byte >> 4)) - 8;
      } else {  // row r owns 128 bytes, byte i = column i, offset 128
        value = block[128 * r + i] - 128;
      }
      w[j * k + c] = static_cast<int8_t>(value);
    }
  }
  return w;
}

std::vector<int8_t> SimDecodeDenseTable(int table_bits, const uint8_t* data, size_t count) {
  std::vector<int8_t> w(count);
  for (size_t e = 0; e < count; ++e) {
    if (table_bits == 2) {
      w[e] = static_cast<int8_t>(((data[e / 4] >> (2 * (e % 4))) & 3) - 1);
    } else if (table_bits == 4) {
      const int nibble = (data[e / 2] >> (4 * (e % 2))) & 15;
      w[e] = static_cast<int8_t>(nibble >= 8 ? nibble - 16 : nibble);
    } else {
      w[e] = static_cast<int8_t>(data[e]);
    }
  }
  return w;
}

double SimGeluErf(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

double SimGeluTanh(double x) {
  const double kPi = 3.14159265358979323846;
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (x + 0.044715 * x * x * x)));
}

}  // namespace qc::test
