#include "qcrun/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <string>

#include "core/cpu_features.h"
#include "format/qm_reader.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace qc::tools {
namespace {

// SplitMix64: a fixed, platform-independent stream, so every engine and every run sees the same inputs.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  float Signed() { return static_cast<float>(static_cast<double>(Next() >> 11) * 0x1.0p-53 * 2.0 - 1.0); }

 private:
  uint64_t state_;
};

constexpr uint64_t kSeed = 20261205;

// Rows of the embedding table that `input_ids` indexes, or 0 when no Embedding/QEmbedding op reads it directly.
int64_t EmbeddingRows(const qm::QmFile& file, std::string_view input_name) {
  for (uint32_t i = 0; i < file.num_ops(); ++i) {
    const qm::QmOp op = file.op(i);
    if (op.type() != qm::OpType::Embedding && op.type() != qm::OpType::QEmbedding) continue;
    if (op.num_inputs() < 2 || op.input(0) < 0 || op.input(1) < 0) continue;
    if (file.value(static_cast<uint32_t>(op.input(0))).name() != input_name) continue;
    const qm::QmValue table = file.value(static_cast<uint32_t>(op.input(1)));
    if (table.rank() >= 1 && !table.dim(0).symbolic) return table.dim(0).size;
  }
  return 0;
}

// Ids a real sentence could produce: ordinary word pieces (bert-base-uncased keeps ids < 1000 for [PAD], [unused*],
// [CLS], [SEP], [MASK] and single characters), [CLS] first and [SEP] last when the tokenizer has them.
std::vector<int64_t> SyntheticIds(const Model& model, const std::string& input_name, int64_t batch, int64_t seq) {
  int64_t vocab = EmbeddingRows(model.file(), input_name);
  const WordPieceTokenizer* tok = model.tokenizer();
  if (vocab <= 0 && tok != nullptr) vocab = static_cast<int64_t>(tok->vocab_size());
  if (vocab <= 0) vocab = 100;
  const int64_t lo = vocab > 2000 ? 1000 : 0;
  const int64_t cls = tok != nullptr ? tok->TokenToId("[CLS]") : -1;
  const int64_t sep = tok != nullptr ? tok->TokenToId("[SEP]") : -1;
  Rng rng(kSeed);
  std::vector<int64_t> ids(static_cast<size_t>(batch * seq));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < seq; ++t) {
      int64_t id = lo + rng.Below(vocab - lo);
      if (t == 0 && cls >= 0 && cls < vocab) id = cls;
      if (t == seq - 1 && seq > 1 && sep >= 0 && sep < vocab) id = sep;
      ids[static_cast<size_t>(b * seq + t)] = id;
    }
  }
  return ids;
}

// Value of a "Key:   123 kB" line of /proc/self/status in bytes, or -1 where there is no such file or line.
int64_t ProcStatusBytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  }
  return -1;
}

double Percentile(const std::vector<double>& sorted, double q) {  // nearest rank
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

double Median(const std::vector<double>& sorted) {
  const size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// median, p90, min and max of sorted latencies (ms).
nlohmann::ordered_json LatencySummary(const std::vector<double>& sorted) {
  return {
      {"median", Median(sorted)}, {"p90", Percentile(sorted, 0.9)}, {"min", sorted.front()}, {"max", sorted.back()}};
}

bool AllFinite(const std::vector<NamedTensor>& outputs) {
  for (const NamedTensor& o : outputs) {
    for (float v : o.tensor.floats) {
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

// Same names, shapes and elements (bit for bit: NaN payloads and signed zeros included).
bool SameOutputs(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const HostTensor& x = a[i].tensor;
    const HostTensor& y = b[i].tensor;
    if (a[i].name != b[i].name || x.type != y.type || x.shape != y.shape || x.ints != y.ints) return false;
    if (x.floats.size() != y.floats.size()) return false;
    if (!x.floats.empty() && std::memcmp(x.floats.data(), y.floats.data(), x.floats.size() * sizeof(float)) != 0) {
      return false;
    }
  }
  return true;
}

int Fail(std::ostream& err, const Status& status) {
  err << "qcrun bench: error: " << status.ToString() << "\n";
  return 1;
}

}  // namespace

Expected<std::vector<NamedTensor>> MakeSyntheticInputs(const Model& model, int64_t batch, int64_t seq) {
  std::vector<NamedTensor> inputs;
  for (const ValueSignature& sig : model.inputs()) {
    const bool integer = sig.type != ElementType::kFloat32;
    std::vector<int64_t> shape = sig.dims;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] >= 0) continue;
      // Token inputs are [batch, sequence]; any other input may only leave its leading (batch) dimension open.
      if (d == 0) {
        shape[d] = batch;
      } else if (d == 1 && integer) {
        shape[d] = seq;
      } else {
        return Unsupported(model.path() + ": cannot choose a size for symbolic dimension '" + sig.dim_names[d] +
                           "' of input '" + sig.name + "'");
      }
    }
    int64_t count = 1;
    for (int64_t s : shape) count *= s;
    if (!integer) {
      Rng rng(kSeed);
      std::vector<float> values(static_cast<size_t>(count));
      for (float& v : values) v = rng.Signed();
      inputs.push_back({sig.name, HostTensor::Float32(shape, std::move(values))});
    } else if (sig.name == "input_ids") {
      if (shape.size() != 2) return Unsupported(model.path() + ": input_ids has rank " + std::to_string(shape.size()));
      inputs.push_back({sig.name, HostTensor::Int64(shape, SyntheticIds(model, sig.name, shape[0], shape[1]))});
    } else if (sig.name == "attention_mask") {
      inputs.push_back({sig.name, HostTensor::Int64(shape, std::vector<int64_t>(static_cast<size_t>(count), 1))});
    } else if (sig.name == "token_type_ids" || sig.name == "position_ids") {
      std::vector<int64_t> values(static_cast<size_t>(count), 0);
      if (sig.name == "position_ids" && !shape.empty()) {
        for (int64_t i = 0; i < count; ++i) values[static_cast<size_t>(i)] = i % shape.back();
      }
      inputs.push_back({sig.name, HostTensor::Int64(shape, std::move(values))});
    } else {
      return Unsupported(model.path() + ": qcrun bench cannot make synthetic data for integer input '" + sig.name +
                         "'");
    }
  }
  return inputs;
}

int RunBench(const BenchOptions& options, std::ostream& out, std::ostream& err) {
  if (options.batch < 1 || options.seq < 1 || options.threads < 1 || options.warmup < 0 || options.iters < 1) {
    err << "qcrun bench: --batch, --seq, --threads and --iters must be >= 1, --warmup >= 0\n";
    return 2;
  }
  const int64_t rss_before_load = ProcStatusBytes("VmRSS");
  auto t0 = std::chrono::steady_clock::now();
  auto model = Model::Load(options.path);
  if (!model.ok()) return Fail(err, model.status());
  const double load_ms = MsSince(t0);
  const int64_t rss_after_load = ProcStatusBytes("VmRSS");

  SessionOptions session_options;
  session_options.num_threads = options.threads;
  auto session = Session::Create(*model, session_options);
  if (!session.ok()) return Fail(err, session.status());
  const bool paired = options.against_threads > 0;
  std::optional<Session> against;  // only when paired: an idle second session would still count in peak RSS
  if (paired) {
    SessionOptions against_options;
    against_options.num_threads = options.against_threads;
    auto created = Session::Create(*model, against_options);
    if (!created.ok()) return Fail(err, created.status());
    against.emplace(std::move(created).value());
  }
  auto inputs = MakeSyntheticInputs(**model, options.batch, options.seq);
  if (!inputs.ok()) return Fail(err, inputs.status());

  t0 = std::chrono::steady_clock::now();
  auto first = session->Run(*inputs);
  if (!first.ok()) return Fail(err, first.status());
  const double first_run_ms = MsSince(t0);
  bool finite = AllFinite(*first);
  if (paired) {
    // Outputs never depend on the thread count (the runtime's contract): a difference here is a runtime bug.
    auto other = against->Run(*inputs);
    if (!other.ok()) return Fail(err, other.status());
    if (!SameOutputs(*first, *other)) {
      err << "qcrun bench: error: " << options.path << ": outputs with " << options.threads << " and "
          << options.against_threads << " threads differ\n";
      return 1;
    }
  }
  for (int i = 1; i < options.warmup; ++i) {
    for (Session* s : {&*session, against ? &*against : nullptr}) {
      if (s == nullptr) continue;
      auto r = s->Run(*inputs);
      if (!r.ok()) return Fail(err, r.status());
    }
  }
  // One timed run of `s`; the last run's outputs are checked for NaN / Inf.
  auto timed_run = [&](Session& s, bool last, double* elapsed) -> Status {
    const auto start = std::chrono::steady_clock::now();
    auto r = s.Run(*inputs);
    *elapsed = MsSince(start);
    if (!r.ok()) return r.status();
    if (last) finite = finite && AllFinite(*r);
    return Status::Ok();
  };
  std::vector<double> ms, against_ms, ratios;
  ms.reserve(static_cast<size_t>(options.iters));
  for (int i = 0; i < options.iters; ++i) {
    const bool last = i == options.iters - 1;
    double mine = 0.0, theirs = 0.0;
    // Alternate which session goes first, so neither always runs right after the other's burst.
    if (paired && i % 2 == 1) {
      if (Status st = timed_run(*against, last, &theirs); !st.ok()) return Fail(err, st);
    }
    if (Status st = timed_run(*session, last, &mine); !st.ok()) return Fail(err, st);
    if (paired && i % 2 == 0) {
      if (Status st = timed_run(*against, last, &theirs); !st.ok()) return Fail(err, st);
    }
    ms.push_back(mine);
    if (paired) {
      against_ms.push_back(theirs);
      ratios.push_back(theirs / mine);
    }
  }
  const int64_t peak_rss = ProcStatusBytes("VmHWM");
  const std::vector<double> samples = ms;  // run order, for callers that pool runs of several processes
  std::sort(ms.begin(), ms.end());
  const double median = Median(ms);
  const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  std::error_code ec;
  const auto file_bytes = std::filesystem::file_size(options.path, ec);

  nlohmann::ordered_json j;
  j["model"] = options.path;
  j["file_bytes"] = ec ? -1 : static_cast<int64_t>(file_bytes);
  j["batch"] = options.batch;
  j["seq"] = options.seq;
  j["threads"] = options.threads;
  j["warmup"] = options.warmup;
  j["iters"] = options.iters;
  j["isa"] = DetectCpuFeatures().ToString();
  nlohmann::ordered_json shapes = nlohmann::ordered_json::object();
  for (const NamedTensor& t : *inputs) shapes[t.name] = t.tensor.shape;
  j["inputs"] = shapes;
  j["load_ms"] = load_ms;
  j["first_run_ms"] = first_run_ms;
  j["latency_ms"] = LatencySummary(ms);
  j["latency_ms"]["mean"] = mean;
  j["samples_ms"] = samples;
  j["throughput_seq_per_s"] = static_cast<double>(options.batch) * 1000.0 / median;
  j["peak_rss_bytes"] = peak_rss;
  j["rss_before_load_bytes"] = rss_before_load;
  j["rss_after_load_bytes"] = rss_after_load;
  j["outputs_finite"] = finite;
  nlohmann::ordered_json paired_json;
  if (paired) {
    const std::vector<double> against_samples = against_ms;
    std::sort(against_ms.begin(), against_ms.end());
    std::vector<double> sorted_ratios = ratios;
    std::sort(sorted_ratios.begin(), sorted_ratios.end());
    paired_json["threads"] = options.against_threads;
    paired_json["latency_ms"] = LatencySummary(against_ms);
    paired_json["samples_ms"] = against_samples;
    // against / this: above 1 when this session (--threads) is faster.
    paired_json["speedup"] = {{"median", Median(sorted_ratios)},
                              {"p10", Percentile(sorted_ratios, 0.1)},
                              {"p90", Percentile(sorted_ratios, 0.9)},
                              {"ratio_of_medians", Median(against_ms) / median}};
    paired_json["speedup_samples"] = ratios;
    j["against"] = paired_json;
  }
  if (options.json) {
    out << j.dump(2) << "\n";
  } else {
    const double mib = 1024.0 * 1024.0;
    out << "model:      " << options.path << " (" << j["file_bytes"].get<int64_t>() << " bytes)\n"
        << "inputs:     " << shapes.dump() << ", threads " << options.threads << " (isa " << j["isa"].get<std::string>()
        << ")\n"
        << "latency:    median " << median << " ms, p90 " << Percentile(ms, 0.9) << " ms, min " << ms.front()
        << " ms over " << options.iters << " runs after " << options.warmup << " warm-up\n"
        << "throughput: " << j["throughput_seq_per_s"].get<double>() << " sequences/s\n"
        << "load:       " << load_ms << " ms; first run " << first_run_ms << " ms\n"
        << "peak RSS:   " << static_cast<double>(peak_rss) / mib << " MiB (file "
        << static_cast<double>(j["file_bytes"].get<int64_t>()) / mib << " MiB)\n";
    if (paired) {
      const auto& lat = paired_json["latency_ms"];
      const auto& up = paired_json["speedup"];
      out << "against:    threads " << options.against_threads << ", median " << lat["median"].get<double>()
          << " ms, p90 " << lat["p90"].get<double>() << " ms, min " << lat["min"].get<double>() << " ms (interleaved)\n"
          << "speed-up:   " << options.threads << " vs " << options.against_threads << " threads: median per pair "
          << up["median"].get<double>() << "x (p10 " << up["p10"].get<double>() << ", p90 " << up["p90"].get<double>()
          << "; ratio of medians " << up["ratio_of_medians"].get<double>() << ")\n";
    }
  }
  if (!finite) {
    err << "qcrun bench: error: " << options.path << ": the outputs contain NaN or Inf\n";
    return 1;
  }
  return 0;
}

}  // namespace qc::tools
