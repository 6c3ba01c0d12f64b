#include "tests/report/sample_report.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "report/error_metrics.h"

namespace qc::test {
namespace {

using qc::report::LayerRow;

class Rng {  // xorshift64*: fixed sequence on every platform
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  double Uniform() {
    s_ ^= s_ >> 12, s_ ^= s_ << 25, s_ ^= s_ >> 27;
    return static_cast<double>((s_ * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
  }
  float Normal() {  // Irwin-Hall approximation; good enough for sample weights
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += Uniform();
    return static_cast<float>(sum - 6.0);
  }

 private:
  uint64_t s_;
};

enum class Scheme { kTernary, kInt8PerRow, kFloat };

// w is [rows, cols] row-major; returns the dequantized copy.
std::vector<float> Quantize(const std::vector<float>& w, int64_t rows, int64_t cols, Scheme scheme) {
  std::vector<float> q(w);
  if (scheme == Scheme::kTernary) {
    double mean_abs = 0;
    for (float v : w) mean_abs += std::fabs(v);
    mean_abs /= static_cast<double>(w.size());
    const double threshold = 0.7 * mean_abs;
    double kept = 0, n = 0;
    for (float v : w) {
      if (std::fabs(v) > threshold) kept += std::fabs(v), ++n;
    }
    const float alpha = static_cast<float>(n > 0 ? kept / n : 0);
    for (float& v : q) v = std::fabs(v) > threshold ? std::copysign(alpha, v) : 0.0f;
  } else if (scheme == Scheme::kInt8PerRow) {
    for (int64_t r = 0; r < rows; ++r) {
      float amax = 0;
      for (int64_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(w[r * cols + c]));
      const float scale = amax > 0 ? amax / 127.0f : 1.0f;
      for (int64_t c = 0; c < cols; ++c) q[r * cols + c] = std::round(w[r * cols + c] / scale) * scale;
    }
  }
  return q;
}

// y[t, n] = sum_k x[t, k] w[k, n]
std::vector<float> MatMul(const std::vector<float>& x, const std::vector<float>& w, int64_t t, int64_t k, int64_t n) {
  std::vector<float> y(t * n, 0.0f);
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t m = 0; m < n; ++m) y[i * n + m] += x[i * k + j] * w[j * n + m];
  return y;
}

LayerRow MakeLayer(Rng& rng, const std::string& name, const std::string& op, int64_t rows, int64_t cols,
                   Scheme scheme) {
  std::vector<float> w(rows * cols);
  for (float& v : w) v = 0.05f * rng.Normal();
  const std::vector<float> q = Quantize(w, rows, cols, scheme);
  LayerRow l;
  l.name = name;
  l.op = op;
  l.shape = {rows, cols};
  const uint64_t numel = static_cast<uint64_t>(rows * cols);
  l.bytes_before = numel * 4;
  switch (scheme) {
    case Scheme::kTernary:
      l.weight_bits = 2, l.scheme = "t2/per_tensor a=i8/per_token/clip=2.5", l.bytes_after = (numel * 2 + 7) / 8 + 4;
      break;
    case Scheme::kInt8PerRow:
      l.weight_bits = 8, l.scheme = "i8/per_channel", l.bytes_after = numel + static_cast<uint64_t>(rows) * 4;
      break;
    case Scheme::kFloat:
      l.weight_bits = 32, l.scheme = "f32 (kept: too small to pay off)", l.bytes_after = numel * 4;
      return l;  // not quantized: no error to report
  }
  // Error of the layer's output on 16 sample tokens (embeddings: the looked-up rows themselves).
  std::vector<float> ref, test;
  if (op == "Gather") {
    for (int64_t t = 0; t < 16; ++t) {
      const int64_t row = static_cast<int64_t>(rng.Uniform() * static_cast<double>(rows));
      ref.insert(ref.end(), w.begin() + row * cols, w.begin() + (row + 1) * cols);
      test.insert(test.end(), q.begin() + row * cols, q.begin() + (row + 1) * cols);
    }
  } else {
    std::vector<float> x(16 * rows);
    for (float& v : x) v = rng.Normal();
    ref = MatMul(x, w, 16, rows, cols);
    test = MatMul(x, q, 16, rows, cols);
  }
  auto stats = qc::report::CompareOutputs(ref.data(), test.data(), ref.size());
  if (!stats.ok()) std::abort();  // finite by construction
  l.sqnr_db = stats->sqnr_db;
  l.cosine = stats->cosine;
  return l;
}

}  // namespace

qc::report::Report SampleReport() {
  Rng rng(0x5eed);
  qc::report::Report r;
  r.qcompress_version = "0.1.0";
  r.model_name = "tiny-bert-2L \"sst2\" <demo> & co";
  r.source_hash = "xxh64:9f3c2a71e04b5d18";
  r.command_line = "qcompress tiny-bert.onnx -o tiny.qm --weights t2 --activations i8 --report tiny.report.html";
  r.config_summary =
      "weights t2/per_tensor (embeddings i8/per_channel), activations i8/per_token clip 2.5, QAT 600 steps";
  r.eval_data = "16 synthetic tokens per layer (sample)";
  const int64_t hidden = 128, ffn = 512, vocab = 1000;
  r.layers.push_back(MakeLayer(rng, "embeddings.word_embeddings", "Gather", vocab, hidden, Scheme::kInt8PerRow));
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "encoder.layer." + std::to_string(layer) + ".";
    for (const char* proj : {"attention.query", "attention.key", "attention.value", "attention.output"}) {
      r.layers.push_back(MakeLayer(rng, p + proj, "MatMul", hidden, hidden, Scheme::kTernary));
    }
    r.layers.push_back(MakeLayer(rng, p + "intermediate.dense", "MatMul", hidden, ffn, Scheme::kTernary));
    r.layers.push_back(MakeLayer(rng, p + "output.dense", "MatMul", ffn, hidden, Scheme::kTernary));
  }
  r.layers.push_back(
      MakeLayer(rng, "classifier<script>alert(\"pwn\")</script> 'head'", "MatMul", hidden, 2, Scheme::kFloat));
  uint64_t before = 0, after = 0;
  for (const LayerRow& l : r.layers) before += l.bytes_before, after += l.bytes_after;
  r.totals.file_bytes_before = before + 6 * 1024;           // biases and LayerNorm parameters stay f32
  r.totals.file_bytes_after = after + 6 * 1024 + 3 * 1024;  // plus the .qm graph, vocab and checksums
  r.metric = qc::report::MakeMetric("accuracy", 0.9128, 0.9002, 0.02, 0.85);
  r.metric->trained_agreement = 0.9995;  // a QAT run: 1 of 2,000 eval predictions differs
  qc::report::Curve loss{"train loss (KD)", {}};
  for (int64_t step = 0; step <= 600; step += 10) {
    loss.points.emplace_back(step, 0.25 + 0.7 * std::exp(-static_cast<double>(step) / 150.0) + 0.03 * rng.Normal());
  }
  qc::report::Curve acc{"eval accuracy", {}};
  for (int64_t step = 100; step <= 600; step += 100) {
    acc.points.emplace_back(step, 0.90 - 0.08 * std::exp(-static_cast<double>(step) / 200.0));
  }
  r.curves = {loss, acc};
  r.warnings = {"layer 'classifier<script>' kept in f32: <b>too small</b> & not worth packing"};
  return r;
}

}  // namespace qc::test
