#include "hf_test_util.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <set>

namespace qc::hf::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() /
          ("qc_hf_test_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1)));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& relative, const std::string& bytes) const {
  const fs::path target = path_ / relative;
  fs::create_directories(target.parent_path());
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return target.string();
}

std::string FloatBytes(const std::vector<float>& values) {
  std::string bytes(values.size() * 4, '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string U16Bytes(const std::vector<uint16_t>& values) {
  std::string bytes;
  for (uint16_t v : values) {
    bytes.push_back(static_cast<char>(v & 0xFF));
    bytes.push_back(static_cast<char>(v >> 8));
  }
  return bytes;
}

std::string RawSafetensors(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

void StWriter::Add(std::string name, std::string dtype, std::vector<int64_t> shape, std::string data) {
  entries_.push_back({std::move(name), std::move(dtype), std::move(shape), std::move(data)});
}

void StWriter::AddF32(std::string name, std::vector<int64_t> shape, const std::vector<float>& values) {
  Add(std::move(name), "F32", std::move(shape), FloatBytes(values));
}

bool StWriter::Has(const std::string& name) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
}

std::string StWriter::Bytes(size_t alignment) const {
  std::string header = "{";
  if (!metadata_.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata_) {
      header += (first ? "\"" : ",\"") + k + "\":\"" + v + "\"";
      first = false;
    }
    header += "}";
  }
  std::string data;
  for (const Entry& e : entries_) {
    if (header.size() > 1) header += ",";
    header += "\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":[";
    for (size_t i = 0; i < e.shape.size(); ++i) header += (i ? "," : "") + std::to_string(e.shape[i]);
    header +=
        "],\"data_offsets\":[" + std::to_string(data.size()) + "," + std::to_string(data.size() + e.data.size()) + "]}";
    data += e.data;
  }
  header += "}";
  if (alignment > 0) {
    while ((8 + header.size()) % alignment != 0) header += ' ';
  }
  return RawSafetensors(header, data);
}

uint16_t TruncateToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return static_cast<uint16_t>(bits >> 16);
}

std::vector<float> RandomFloats(size_t count, uint32_t seed, float scale) {
  std::vector<float> out(count);
  uint32_t state = seed * 2654435761u + 12345u;
  for (float& v : out) {
    state = state * 1664525u + 1013904223u;
    v = (static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f) * scale;
  }
  return out;
}

std::string SyntheticVocabTxt(int64_t count) {
  static const char* kSpecials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string text;
  for (int64_t i = 0; i < count; ++i) {
    text += i < 5 ? std::string(kSpecials[i]) : "tok" + std::to_string(i);
    text += "\n";
  }
  return text;
}

std::vector<std::string> WriteSyntheticModel(const TempDir& dir, const SyntheticModel& m, const std::string& subdir) {
  const bool bert = m.model_type == "bert";
  const std::string p = m.prefix;
  std::vector<std::pair<std::string, std::vector<int64_t>>> specs;
  const int64_t h = m.hidden;
  const auto linear = [&](const std::string& name, int64_t out, int64_t in, bool bias = true) {
    specs.push_back({name + ".weight", {out, in}});
    if (bias) specs.push_back({name + ".bias", {out}});
  };
  const auto norm = [&](const std::string& name) {
    specs.push_back({name + ".weight", {h}});
    specs.push_back({name + ".bias", {h}});
  };
  const int64_t patches = (m.image / m.patch) * (m.image / m.patch);
  if (bert) {
    specs.push_back({p + "embeddings.word_embeddings.weight", {m.vocab, h}});
    specs.push_back({p + "embeddings.position_embeddings.weight", {m.positions, h}});
    specs.push_back({p + "embeddings.token_type_embeddings.weight", {m.type_vocab, h}});
    norm(p + "embeddings.LayerNorm");
  } else {
    specs.push_back({p + "embeddings.cls_token", {1, 1, h}});
    specs.push_back({p + "embeddings.position_embeddings", {1, patches + 1, h}});
    specs.push_back({p + "embeddings.patch_embeddings.projection.weight", {h, m.channels, m.patch, m.patch}});
    specs.push_back({p + "embeddings.patch_embeddings.projection.bias", {h}});
  }
  for (int64_t i = 0; i < m.layers; ++i) {
    const std::string l = p + "encoder.layer." + std::to_string(i) + ".";
    const std::string attn = l + (bert ? "attention.self." : "attention.attention.");
    for (const char* qkv : {"query", "key", "value"}) linear(attn + qkv, h, h, bert || m.qkv_bias);
    linear(l + "attention.output.dense", h, h);
    linear(l + "intermediate.dense", m.intermediate, h);
    linear(l + "output.dense", h, m.intermediate);
    if (bert) {
      norm(l + "attention.output.LayerNorm");
      norm(l + "output.LayerNorm");
    } else {
      norm(l + "layernorm_before");
      norm(l + "layernorm_after");
    }
  }
  if (!bert) norm(p + "layernorm");
  if (m.pooler) linear(p + "pooler.dense", h, h);
  if (m.architecture.find("Classification") != std::string::npos) linear("classifier", m.labels, h);
  for (const std::string& e : m.extra) specs.push_back({e, {2}});

  StWriter writer;
  writer.SetMetadata("format", "pt");
  std::vector<std::string> names;
  uint32_t seed = 1;
  for (auto& [name, shape] : specs) {
    if (std::find(m.drop.begin(), m.drop.end(), name) != m.drop.end()) continue;
    if (auto it = m.reshape.find(name); it != m.reshape.end()) shape = it->second;
    size_t count = 1;
    for (int64_t d : shape) count *= static_cast<size_t>(d);
    std::vector<float> values = RandomFloats(count, seed++, 0.5f);
    // LayerNorm gammas near 1 keep activations in a sane range.
    if (name.find("LayerNorm.weight") != std::string::npos || name.find("layernorm") != std::string::npos) {
      if (name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0) {
        for (float& v : values) v += 1.0f;
      }
    }
    if (auto it = m.rename.find(name); it != m.rename.end()) name = it->second;
    if (m.dtype == "BF16") {
      std::vector<uint16_t> bits;
      for (float v : values) bits.push_back(TruncateToBFloat16(v));
      writer.Add(name, "BF16", shape, U16Bytes(bits));
    } else {
      writer.AddF32(name, shape, values);
    }
    names.push_back(name);
  }
  for (const SyntheticModel::Raw& r : m.raw) {
    writer.Add(r.name, r.dtype, r.shape, r.bytes);
    names.push_back(r.name);
  }
  const std::string base = subdir.empty() ? "" : subdir + "/";
  dir.Write(base + "model.safetensors", writer.Bytes());

  std::string config = "{\n  \"model_type\": \"" + m.model_type + "\",\n";
  if (!m.architecture.empty()) config += "  \"architectures\": [\"" + m.architecture + "\"],\n";
  config += "  \"hidden_size\": " + std::to_string(h) + ",\n  \"num_hidden_layers\": " + std::to_string(m.layers) +
            ",\n  \"num_attention_heads\": " + std::to_string(m.heads) +
            ",\n  \"intermediate_size\": " + std::to_string(m.intermediate) + ",\n  \"hidden_act\": \"" + m.hidden_act +
            "\",\n  \"layer_norm_eps\": 1e-12,\n";
  if (bert) {
    config += "  \"vocab_size\": " + std::to_string(m.vocab) +
              ",\n  \"max_position_embeddings\": " + std::to_string(m.positions) +
              ",\n  \"type_vocab_size\": " + std::to_string(m.type_vocab) + ",\n  \"pad_token_id\": 0,\n";
  } else {
    config += "  \"image_size\": " + std::to_string(m.image) + ",\n  \"patch_size\": " + std::to_string(m.patch) +
              ",\n  \"num_channels\": " + std::to_string(m.channels) +
              ",\n  \"qkv_bias\": " + (m.qkv_bias ? "true" : "false") + ",\n";
  }
  config += "  \"id2label\": {";
  for (int64_t i = 0; i < m.labels; ++i) {
    config += (i ? ", \"" : "\"") + std::to_string(i) + "\": \"class_" + std::to_string(i) + "\"";
  }
  config += "}\n}\n";
  dir.Write(base + "config.json", config);
  if (bert) dir.Write(base + "vocab.txt", SyntheticVocabTxt(m.vocab));
  return names;
}

}  // namespace qc::hf::test
