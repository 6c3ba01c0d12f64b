// GLUE TSV / text reading, tokenization and batching (qat/data/glue_data.h).
#include "qat/data/glue_data.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

namespace qc::qat {
namespace {

Expected<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

int Find(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
  }
  return -1;
}

int StandardLabel(const std::string& s) {
  static const std::vector<std::vector<std::string>> sets = {{"entailment", "not_entailment"},
                                                             {"contradiction", "entailment", "neutral"}};
  for (const auto& set : sets) {
    for (size_t i = 0; i < set.size(); ++i) {
      if (set[i] == s) return static_cast<int>(i);
    }
  }
  return -1;
}

Expected<double> ParseLabel(const std::string& text, const DatasetOptions& options, const std::string& where) {
  if (options.kind == TaskKind::kRegression) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v)) return InvalidArgument(where + ": bad target '" + text + "'");
    return v;
  }
  if (!options.label_names.empty()) {
    const auto it = std::find(options.label_names.begin(), options.label_names.end(), text);
    if (it == options.label_names.end()) return InvalidArgument(where + ": label '" + text + "' not in label_names");
    return static_cast<double>(it - options.label_names.begin());
  }
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return static_cast<double>(std::stoi(text));
  }
  const int standard = StandardLabel(text);
  if (standard < 0) return InvalidArgument(where + ": label '" + text + "' is not an integer; pass label_names");
  return static_cast<double>(standard);
}

}  // namespace

std::vector<std::string> SplitTsvLine(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}

Expected<TsvLayout> DetectTsvLayout(const std::string& path, const std::vector<std::string>& first) {
  TsvLayout l;
  const int question = Find(first, {"question"});
  const int sentence = Find(first, {"sentence"});
  if (question >= 0 && sentence >= 0) {  // QNLI: does the sentence answer the question?
    l.text_a = question;
    l.text_b = sentence;
  } else {
    l.text_a = Find(first, {"sentence", "sentence1", "question", "question1", "#1 String", "premise", "text"});
    l.text_b = Find(first, {"sentence2", "question2", "#2 String", "hypothesis"});
  }
  if (l.text_a >= 0) {
    l.header = true;
    l.label = Find(first, {"gold_label", "label", "Quality", "is_duplicate", "score"});
    return l;
  }
  // CoLA: no header; source, label, original label, sentence.
  if (first.size() == 4 && (first[1] == "0" || first[1] == "1")) return TsvLayout{3, -1, 1, false};
  return InvalidArgument(path +
                         ":1: cannot detect the column layout (no known header such as 'sentence', "
                         "'sentence1', 'label', and not CoLA's 4 columns); give the columns");
}

Expected<Dataset> ReadGlueTsv(const std::string& path, const DatasetOptions& options) {
  QC_ASSIGN_OR_RETURN(std::vector<std::string> lines, ReadLines(path));
  if (lines.empty()) return InvalidArgument(path + ": empty file");
  TsvLayout layout;
  if (options.layout) {
    layout = *options.layout;
  } else {
    QC_ASSIGN_OR_RETURN(layout, DetectTsvLayout(path, SplitTsvLine(lines[0])));
  }
  if (layout.text_a < 0) return InvalidArgument(path + ": the layout has no text column");
  Dataset d;
  d.kind = options.kind;
  d.pairs = layout.text_b >= 0;
  const int needed = std::max({layout.text_a, layout.text_b, layout.label});
  for (size_t i = layout.header ? 1 : 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const std::string where = path + ":" + std::to_string(i + 1);
    const std::vector<std::string> f = SplitTsvLine(lines[i]);
    if (static_cast<int>(f.size()) <= needed) {
      return InvalidArgument(where + ": " + std::to_string(f.size()) + " columns, the layout reads column " +
                             std::to_string(needed));
    }
    Example e;
    e.text_a = f[static_cast<size_t>(layout.text_a)];
    if (layout.text_b >= 0) e.text_b = f[static_cast<size_t>(layout.text_b)];
    if (layout.label >= 0) {
      QC_ASSIGN_OR_RETURN(e.label, ParseLabel(f[static_cast<size_t>(layout.label)], options, where));
      e.has_label = true;
      if (d.kind == TaskKind::kClassification) d.num_labels = std::max(d.num_labels, static_cast<int>(e.label) + 1);
    }
    d.examples.push_back(std::move(e));
    if (options.max_examples > 0 && d.examples.size() >= options.max_examples) break;
  }
  if (d.kind == TaskKind::kRegression) d.num_labels = 1;
  if (!options.label_names.empty()) d.num_labels = static_cast<int>(options.label_names.size());
  if (d.examples.empty()) return InvalidArgument(path + ": no examples");
  return d;
}

Expected<Dataset> ReadTextLines(const std::string& path, size_t max_examples) {
  QC_ASSIGN_OR_RETURN(std::vector<std::string> lines, ReadLines(path));
  Dataset d;
  for (std::string& line : lines) {
    if (line.empty()) continue;
    Example e;
    e.text_a = std::move(line);
    d.examples.push_back(std::move(e));
    if (max_examples > 0 && d.examples.size() >= max_examples) break;
  }
  if (d.examples.empty()) return InvalidArgument(path + ": no non-empty lines");
  return d;
}

Expected<WordPieceTokenizer> TokenizerFromGraph(const ir::Graph& graph) {
  const ir::Metadata& md = graph.metadata();
  auto get = [&](const char* key) -> const ir::MetadataValue* {
    const auto it = md.find(key);
    return it == md.end() ? nullptr : &it->second;
  };
  const auto* vocab = get("tokenizer.vocab");
  if (vocab == nullptr || !std::holds_alternative<std::vector<std::string>>(*vocab)) {
    return NotFound("graph metadata has no tokenizer.vocab string list (import the model with its tokenizer)");
  }
  TokenizerConfig c;
  c.vocab = std::get<std::vector<std::string>>(*vocab);
  auto integer = [&](const char* key, int64_t fallback) -> int64_t {
    const auto* v = get(key);
    return v != nullptr && std::holds_alternative<int64_t>(*v) ? std::get<int64_t>(*v) : fallback;
  };
  auto text = [&](const char* key, std::string& out) {
    const auto* v = get(key);
    if (v != nullptr && std::holds_alternative<std::string>(*v)) out = std::get<std::string>(*v);
  };
  c.lowercase = integer("tokenizer.lowercase", 1) != 0;
  c.clean_text = integer("tokenizer.clean_text", 1) != 0;
  c.handle_chinese_chars = integer("tokenizer.handle_chinese_chars", 1) != 0;
  const int64_t strip = integer("tokenizer.strip_accents", -1);
  if (strip >= 0) c.strip_accents = strip != 0;
  text("tokenizer.unk_token", c.unk_token);
  text("tokenizer.cls_token", c.cls_token);
  text("tokenizer.sep_token", c.sep_token);
  text("tokenizer.pad_token", c.pad_token);
  text("tokenizer.mask_token", c.mask_token);
  text("tokenizer.continuing_subword_prefix", c.continuing_subword_prefix);
  c.max_input_chars_per_word = static_cast<size_t>(integer("tokenizer.max_input_chars_per_word", 100));
  c.model_max_length = static_cast<size_t>(integer("tokenizer.model_max_length", 512));
  c.pad_token_type_id = static_cast<int32_t>(integer("tokenizer.pad_token_type_id", 0));
  const auto* added = get("tokenizer.added_tokens");
  if (added != nullptr && std::holds_alternative<std::vector<std::string>>(*added)) {
    const auto& contents = std::get<std::vector<std::string>>(*added);
    auto list = [&](const char* key, int64_t fallback) {
      const auto* v = get(key);
      if (v != nullptr && std::holds_alternative<std::vector<int64_t>>(*v) &&
          std::get<std::vector<int64_t>>(*v).size() == contents.size()) {
        return std::get<std::vector<int64_t>>(*v);
      }
      return std::vector<int64_t>(contents.size(), fallback);
    };
    const auto ids = list("tokenizer.added_token_ids", -1);
    const auto normalized = list("tokenizer.added_tokens_normalized", 0);
    const auto special = list("tokenizer.added_tokens_special", 1);
    for (size_t i = 0; i < contents.size(); ++i) {
      AddedToken t;
      t.content = contents[i];
      t.id = static_cast<int32_t>(ids[i]);
      t.normalized = normalized[i] == 1;
      t.special = special[i] != 0;
      c.added_tokens.push_back(std::move(t));
    }
  } else {
    for (const std::string* s : {&c.pad_token, &c.unk_token, &c.cls_token, &c.sep_token, &c.mask_token}) {
      if (s->empty()) continue;
      AddedToken t;
      t.content = *s;
      c.added_tokens.push_back(t);
    }
  }
  auto tok = WordPieceTokenizer::Create(std::move(c));
  if (!tok.ok()) return tok.status().WithContext("tokenizer from graph metadata");
  return std::move(*tok);
}

Expected<std::vector<EncodedExample>> EncodeDataset(const WordPieceTokenizer& tokenizer, const Dataset& dataset,
                                                    size_t max_length) {
  EncodeOptions o;
  o.truncation.enabled = true;
  o.truncation.max_length = max_length;
  std::vector<EncodedExample> out;
  out.reserve(dataset.examples.size());
  for (size_t i = 0; i < dataset.examples.size(); ++i) {
    const Example& e = dataset.examples[i];
    Expected<Encoding> enc = dataset.pairs ? tokenizer.EncodePair(e.text_a, e.text_b, o) : tokenizer.Encode(e.text_a, o);
    if (!enc.ok()) return enc.status().WithContext("example " + std::to_string(i));
    EncodedExample x;
    x.ids.assign(enc->ids.begin(), enc->ids.end());
    x.type_ids.assign(enc->token_type_ids.begin(), enc->token_type_ids.end());
    x.label = e.label;
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<std::vector<size_t>> MakeBatches(const std::vector<EncodedExample>& data, size_t batch_size,
                                             uint64_t seed, int64_t epoch, bool bucketing) {
  std::mt19937_64 rng(seed * 1000003u + static_cast<uint64_t>(epoch));
  auto shuffle = [&rng](auto& v) {  // Fisher-Yates with a modulo draw: the same sequence on every platform
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
  };
  std::vector<size_t> order(data.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  shuffle(order);
  batch_size = std::max<size_t>(batch_size, 1);
  if (bucketing) {
    const size_t window = batch_size * 50;
    for (size_t start = 0; start < order.size(); start += window) {
      const auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window));
      std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(start), end,
                       [&](size_t a, size_t b) { return data[a].ids.size() < data[b].ids.size(); });
    }
  }
  std::vector<std::vector<size_t>> batches;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + batch_size)));
  }
  if (bucketing) shuffle(batches);
  return batches;
}

std::vector<std::vector<size_t>> SequentialBatches(size_t count, size_t batch_size) {
  std::vector<std::vector<size_t>> batches;
  batch_size = std::max<size_t>(batch_size, 1);
  for (size_t start = 0; start < count; start += batch_size) {
    std::vector<size_t> rows;
    for (size_t i = start; i < std::min(count, start + batch_size); ++i) rows.push_back(i);
    batches.push_back(std::move(rows));
  }
  return batches;
}

PaddedBatch PadBatch(const std::vector<EncodedExample>& data, const std::vector<size_t>& rows, int64_t pad_id,
                     int64_t pad_type_id) {
  PaddedBatch b;
  b.batch = static_cast<int64_t>(rows.size());
  for (size_t r : rows) b.length = std::max<int64_t>(b.length, static_cast<int64_t>(data[r].ids.size()));
  const size_t n = rows.size() * static_cast<size_t>(b.length);
  b.ids.assign(n, pad_id);
  b.mask.assign(n, 0);
  b.type_ids.assign(n, pad_type_id);
  for (size_t i = 0; i < rows.size(); ++i) {
    const EncodedExample& e = data[rows[i]];
    for (size_t t = 0; t < e.ids.size(); ++t) {
      const size_t at = i * static_cast<size_t>(b.length) + t;
      b.ids[at] = e.ids[t];
      b.mask[at] = 1;
      b.type_ids[at] = t < e.type_ids.size() ? e.type_ids[t] : 0;
    }
    b.labels.push_back(e.label);
    if (!e.pixels.empty()) {
      b.image_shape = e.image_shape;
      b.pixels.insert(b.pixels.end(), e.pixels.begin(), e.pixels.end());
    }
  }
  return b;
}

}  // namespace qc::qat
