// tests/kernels_attention/qattention_sim.h: an independent scalar simulation of QAttention, written from
// docs/quantization.md "QAttention" (and §3 for the row quantizer) in plain loops. It shares no code with the runtime:
// its own quantizer (std::nearbyint under the default rounding mode = round half to even), int64 products, and the
// float steps in the documented order, each one float operation (kept apart with volatile so no FMA contraction).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "tests/support/qsoftmax_sim.h"

namespace qc::test {

struct SimAttention {
  size_t batch = 0, seq = 0, hidden = 0, heads = 0;
  size_t q_stride = 0, k_stride = 0, v_stride = 0;  // 0 = hidden
  float scale = 1.0f;
  float mask_fill = std::numeric_limits<float>::lowest();
  float act_clip = 0.0f;  // 0 = none
};

struct SimResult {
  std::vector<int8_t> q_codes, k_codes, v_codes, p_codes;  // [tasks, S, dh] / [tasks, S, S]
  std::vector<int32_t> s_int, o_int;
  std::vector<float> out;  // [B, S, H]
};

// Codes and the dequantization factor of one row: x_c = clamp(x, ±c); amax = max|x_c|; s = 127/amax;
// d = amax/127; zero rule; q = clamp(RNE(x_c·s), ±127).
inline float SimQuantizeRow(const float* x, size_t n, float clip, int8_t* q) {
  const float c = clip > 0.0f ? clip : std::numeric_limits<float>::infinity();
  float amax = 0.0f;
  for (size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(std::min(std::max(x[i], -c), c)));
  float s = 0.0f, d = 0.0f;
  if (amax > 0.0f) {
    s = 127.0f / amax;
    if (std::isinf(s)) {
      s = 0.0f;
    } else {
      d = amax / 127.0f;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const float xc = std::min(std::max(x[i], -c), c);
    const float r = std::nearbyint(xc * s);
    q[i] = static_cast<int8_t>(std::min(127.0f, std::max(-127.0f, r)));
  }
  return d;
}

// mask: [B, S] floats, or empty for none.
inline SimResult SimulateQAttention(const SimAttention& p, const float* q, const float* k, const float* v,
                                    const std::vector<float>& mask) {
  const size_t s = p.seq, dh = p.hidden / p.heads, tasks = p.batch * p.heads;
  const size_t qs = p.q_stride ? p.q_stride : p.hidden, ks = p.k_stride ? p.k_stride : p.hidden,
               vs = p.v_stride ? p.v_stride : p.hidden;
  SimResult r;
  r.q_codes.resize(tasks * s * dh);
  r.k_codes.resize(tasks * s * dh);
  r.v_codes.resize(tasks * s * dh);
  r.p_codes.resize(tasks * s * s);
  r.s_int.resize(tasks * s * s);
  r.o_int.resize(tasks * s * dh);
  r.out.resize(p.batch * s * p.hidden);
  std::vector<float> dq(s), dk(s), dv(s), score(s);
  for (size_t b = 0; b < p.batch; ++b) {
    for (size_t h = 0; h < p.heads; ++h) {
      const size_t t = b * p.heads + h;
      int8_t* qc = &r.q_codes[t * s * dh];
      int8_t* kc = &r.k_codes[t * s * dh];
      int8_t* vc = &r.v_codes[t * s * dh];
      for (size_t i = 0; i < s; ++i) {
        dq[i] = SimQuantizeRow(q + (b * s + i) * qs + h * dh, dh, p.act_clip, qc + i * dh);
        dk[i] = SimQuantizeRow(k + (b * s + i) * ks + h * dh, dh, p.act_clip, kc + i * dh);
        dv[i] = SimQuantizeRow(v + (b * s + i) * vs + h * dh, dh, p.act_clip, vc + i * dh);
      }
      for (size_t i = 0; i < s; ++i) {
        for (size_t j = 0; j < s; ++j) {
          int64_t acc = 0;
          for (size_t c = 0; c < dh; ++c) acc += int64_t{qc[i * dh + c]} * int64_t{kc[j * dh + c]};
          r.s_int[(t * s + i) * s + j] = static_cast<int32_t>(acc);
        }
      }
      for (size_t i = 0; i < s; ++i) {
        for (size_t j = 0; j < s; ++j) {
          const float ddk = dq[i] * dk[j];
          const float prod = static_cast<float>(r.s_int[(t * s + i) * s + j]) * ddk;
          volatile float scaled = prod * p.scale;
          float sc = scaled;
          if (!mask.empty()) {
            const float m = mask[b * s + j];
            const float add = m == 1.0f ? 0.0f : (1.0f - m) * p.mask_fill;
            sc = sc + add;
          }
          score[j] = sc;
        }
        float mx = -std::numeric_limits<float>::infinity();
        for (size_t j = 0; j < s; ++j) {
          if (score[j] > mx) mx = score[j];
        }
        std::vector<float> e(s);
        for (size_t j = 0; j < s; ++j) e[j] = SimQcExp(score[j] - mx);
        const float sum = SimLaneSum(e);
        std::vector<float> pp(s);
        bool nan = false;
        for (size_t j = 0; j < s; ++j) {
          const float prob = e[j] / sum;
          pp[j] = prob * dv[j];
          nan = nan || std::isnan(pp[j]);
        }
        int8_t* pc = &r.p_codes[(t * s + i) * s];
        float dp = std::numeric_limits<float>::quiet_NaN();
        if (nan) {
          std::fill(pc, pc + s, int8_t{0});
        } else {
          dp = SimQuantizeRow(pp.data(), s, 0.0f, pc);
        }
        for (size_t c = 0; c < dh; ++c) {
          int64_t acc = 0;
          for (size_t j = 0; j < s; ++j) acc += int64_t{pc[j]} * int64_t{vc[j * dh + c]};
          r.o_int[(t * s + i) * dh + c] = static_cast<int32_t>(acc);
          r.out[(b * s + i) * p.hidden + h * dh + c] = static_cast<float>(acc) * dp;
        }
      }
    }
  }
  return r;
}

}  // namespace qc::test
