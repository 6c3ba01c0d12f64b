// What applications want from a run besides raw tensors: labelled predictions and pooled embeddings.
#include <algorithm>
#include <cmath>
#include <map>

#include "qcompress/runtime.h"

namespace qc {

namespace {

bool IsFloatMatrix(const HostTensor& t) { return t.type == ElementType::kFloat32 && t.shape.size() == 2; }

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Rows to run together, in order. A model that declares no attention_mask attends to [PAD] tokens, so a row padded
// to a longer neighbour would not equal the same text run alone: such models run texts of equal token length
// together (no padding at all) instead. With an attention mask, or a fixed pad_to_length, everything is one batch.
Expected<std::vector<std::vector<size_t>>> RunGroups(const Session& session, const std::vector<std::string>& texts,
                                                     const std::vector<std::string>& pairs) {
  std::vector<size_t> order(texts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto& inputs = session.model().inputs();
  const bool masked =
      std::any_of(inputs.begin(), inputs.end(), [](const ValueSignature& s) { return s.name == "attention_mask"; });
  // One batch, tokenized once by the caller; bad arguments (no texts, a pair count that differs) are reported there.
  const bool bad_pairs = !pairs.empty() && pairs.size() != texts.size();
  if (masked || texts.size() < 2 || bad_pairs) return std::vector<std::vector<size_t>>{order};
  std::map<int64_t, std::vector<size_t>> by_length;
  for (size_t i = 0; i < texts.size(); ++i) {
    QC_ASSIGN_OR_RETURN(
        std::vector<NamedTensor> one,
        session.Tokenize({texts[i]}, pairs.empty() ? std::vector<std::string>{} : std::vector<std::string>{pairs[i]}));
    if (one.empty()) return std::vector<std::vector<size_t>>{order};  // no token input: RunText says why
    by_length[one.front().tensor.shape.back()].push_back(i);
  }
  std::vector<std::vector<size_t>> groups;
  for (auto& [length, rows] : by_length) groups.push_back(std::move(rows));
  return groups;
}

// v's entries at `rows`; a single group (all rows) passes v through, so RunText sees the caller's own arguments.
std::vector<std::string> Pick(const std::vector<std::string>& v, const std::vector<size_t>& rows, bool whole) {
  if (whole || v.empty()) return v;
  std::vector<std::string> out;
  for (size_t r : rows) out.push_back(v[r]);
  return out;
}

}  // namespace

Expected<const NamedTensor*> FindLogits(const Model& model, const std::vector<NamedTensor>& outputs) {
  for (const NamedTensor& o : outputs) {
    if (o.name != "logits") continue;
    if (!IsFloatMatrix(o.tensor)) {
      return InvalidArgument(model.path() + ": output 'logits' is " + ElementTypeName(o.tensor.type) + " " +
                             ShapeText(o.tensor.shape) + ", not float32 [batch, classes]");
    }
    return &o;
  }
  const size_t classes = model.label_names().size();
  for (const NamedTensor& o : outputs) {
    if (classes > 0 && IsFloatMatrix(o.tensor) && o.tensor.shape[1] == static_cast<int64_t>(classes)) return &o;
  }
  return NotFound(model.path() + ": no classifier output (none is named 'logits', and no float32 [batch, " +
                  std::to_string(classes) + "] output matches the " + std::to_string(classes) + " model.labels names)");
}

Expected<std::vector<Prediction>> Classify(const Model& model, const std::vector<NamedTensor>& outputs) {
  QC_ASSIGN_OR_RETURN(const NamedTensor* logits, FindLogits(model, outputs));
  const int64_t rows = logits->tensor.shape[0];
  const int64_t classes = logits->tensor.shape[1];
  if (classes <= 0) return InvalidArgument(model.path() + ": output '" + logits->name + "' has no classes");
  const std::vector<std::string>& names = model.label_names();
  std::vector<Prediction> predictions(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits->tensor.floats.data() + r * classes;
    Prediction& p = predictions[static_cast<size_t>(r)];
    p.label = std::max_element(row, row + classes) - row;
    // Softmax relative to the largest logit, so exp never overflows; the sum in double keeps rows of many classes
    // accurate.
    const double top = row[p.label];
    double sum = 0.0;
    p.probabilities.resize(static_cast<size_t>(classes));
    for (int64_t c = 0; c < classes; ++c) {
      const double e = std::exp(static_cast<double>(row[c]) - top);
      p.probabilities[static_cast<size_t>(c)] = static_cast<float>(e);
      sum += e;
    }
    for (float& v : p.probabilities) v = static_cast<float>(v / sum);
    p.score = p.probabilities[static_cast<size_t>(p.label)];
    if (static_cast<size_t>(classes) == names.size()) p.name = names[static_cast<size_t>(p.label)];
  }
  return predictions;
}

Expected<HostTensor> Embed(const Model& model, const std::vector<NamedTensor>& outputs,
                           const HostTensor* attention_mask) {
  for (const NamedTensor& o : outputs) {
    if (o.tensor.type != ElementType::kFloat32 || o.tensor.shape.size() != 3) continue;
    const int64_t batch = o.tensor.shape[0], sequence = o.tensor.shape[1], hidden = o.tensor.shape[2];
    if (attention_mask != nullptr &&
        (attention_mask->type == ElementType::kFloat32 || attention_mask->shape.size() != 2 ||
         attention_mask->shape[0] != batch || attention_mask->shape[1] != sequence ||
         static_cast<int64_t>(attention_mask->ints.size()) != batch * sequence)) {
      return InvalidArgument(model.path() + ": attention mask " + ShapeText(attention_mask->shape) +
                             " does not match output '" + o.name + "' " + ShapeText(o.tensor.shape));
    }
    // Mean over the positions the mask keeps (sentence-transformers' mean pooling); a row without any keeps zeros.
    std::vector<float> pooled(static_cast<size_t>(batch * hidden), 0.0f);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<double> sum(static_cast<size_t>(hidden), 0.0);
      int64_t kept = 0;
      for (int64_t s = 0; s < sequence; ++s) {
        if (attention_mask != nullptr && attention_mask->ints[static_cast<size_t>(b * sequence + s)] == 0) continue;
        ++kept;
        const float* h = o.tensor.floats.data() + (b * sequence + s) * hidden;
        for (int64_t k = 0; k < hidden; ++k) sum[static_cast<size_t>(k)] += h[k];
      }
      for (int64_t k = 0; k < hidden; ++k) {
        pooled[static_cast<size_t>(b * hidden + k)] =
            kept > 0 ? static_cast<float>(sum[static_cast<size_t>(k)] / static_cast<double>(kept)) : 0.0f;
      }
    }
    return HostTensor::Float32({batch, hidden}, std::move(pooled));
  }
  auto logits = FindLogits(model, outputs);
  for (const NamedTensor& o : outputs) {
    if (IsFloatMatrix(o.tensor) && !(logits.ok() && *logits == &o)) return o.tensor;
  }
  return NotFound(model.path() + ": no embedding output (no float32 [batch, sequence, hidden] output and no float32 "
                  "[batch, hidden] output besides the logits)");
}

Expected<std::vector<Prediction>> Session::ClassifyText(const std::vector<std::string>& texts,
                                                        const std::vector<std::string>& pairs) {
  QC_ASSIGN_OR_RETURN(auto groups, RunGroups(*this, texts, pairs));
  const bool whole = groups.size() == 1;
  std::vector<Prediction> predictions(texts.size());
  for (const std::vector<size_t>& rows : groups) {
    QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, RunText(Pick(texts, rows, whole), Pick(pairs, rows, whole)));
    QC_ASSIGN_OR_RETURN(std::vector<Prediction> part, Classify(model(), outputs));
    if (part.size() != rows.size()) {
      return Internal(model().path() + ": " + std::to_string(part.size()) + " predictions for " +
                      std::to_string(rows.size()) + " texts");
    }
    for (size_t i = 0; i < rows.size(); ++i) predictions[rows[i]] = std::move(part[i]);
  }
  return predictions;
}

Expected<HostTensor> Session::EmbedText(const std::vector<std::string>& texts, const std::vector<std::string>& pairs) {
  QC_ASSIGN_OR_RETURN(auto groups, RunGroups(*this, texts, pairs));
  const bool whole = groups.size() == 1;
  std::vector<float> rows_out;
  int64_t hidden = -1;
  for (const std::vector<size_t>& rows : groups) {
    QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> inputs, Tokenize(Pick(texts, rows, whole), Pick(pairs, rows, whole)));
    QC_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, Run(inputs));
    const HostTensor* mask = nullptr;
    for (const NamedTensor& in : inputs) {
      if (in.name == "attention_mask") mask = &in.tensor;
    }
    QC_ASSIGN_OR_RETURN(HostTensor part, Embed(model(), outputs, mask));
    if (groups.size() == 1) return part;
    if (!IsFloatMatrix(part) || part.shape[0] != static_cast<int64_t>(rows.size()) ||
        (hidden >= 0 && part.shape[1] != hidden)) {
      return Internal(model().path() + ": embedding " + ShapeText(part.shape) + " for " + std::to_string(rows.size()) +
                      " texts");
    }
    hidden = part.shape[1];
    rows_out.resize(texts.size() * static_cast<size_t>(hidden));
    for (size_t i = 0; i < rows.size(); ++i) {
      std::copy_n(part.floats.begin() + static_cast<std::ptrdiff_t>(i * static_cast<size_t>(hidden)), hidden,
                  rows_out.begin() + static_cast<std::ptrdiff_t>(rows[i] * static_cast<size_t>(hidden)));
    }
  }
  return HostTensor::Float32({static_cast<int64_t>(texts.size()), hidden}, std::move(rows_out));
}

}  // namespace qc
