#include "importers/hf/config.h"

#include <cmath>
#include <utility>

#include "importers/hf/json_util.h"

namespace qc::hf {
namespace {

using nlohmann::json;

// Sizes beyond these are not real models; rejecting them keeps later size arithmetic far from overflow.
constexpr int64_t kMaxWidth = int64_t{1} << 20;  // hidden / intermediate size, heads
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxTableRows = int64_t{1} << 24;  // vocab, positions, token types, labels
constexpr int64_t kMaxImageSide = int64_t{1} << 16;

Status CheckRange(const JsonObject& obj, std::string_view key, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    return obj.BadValue(
        key, "= " + std::to_string(value) + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return Status::Ok();
}

Expected<int64_t> RequireSize(const JsonObject& obj, std::string_view key, int64_t max) {
  QC_ASSIGN_OR_RETURN(int64_t v, obj.RequireInt(key));
  QC_RETURN_IF_ERROR(CheckRange(obj, key, v, 1, max));
  return v;
}

Expected<int64_t> OptionalSize(const JsonObject& obj, std::string_view key, int64_t fallback, int64_t min,
                               int64_t max) {
  QC_ASSIGN_OR_RETURN(std::optional<int64_t> v, obj.OptionalInt(key));
  const int64_t value = v.value_or(fallback);
  QC_RETURN_IF_ERROR(CheckRange(obj, key, value, min, max));
  return value;
}

// image_size / patch_size: an int, or a two-element list [h, w].
Expected<std::pair<int64_t, int64_t>> IntOrPair(const JsonObject& obj, std::string_view key, int64_t fallback) {
  const json* found = obj.Find(key);
  if (found == nullptr || found->is_null()) return std::make_pair(fallback, fallback);
  if (found->is_array()) {
    if (found->size() != 2) return obj.BadValue(key, "must be an integer or a list of two integers");
    const std::optional<int64_t> a = JsonToInt((*found)[0]);
    const std::optional<int64_t> b = JsonToInt((*found)[1]);
    if (!a || !b) return obj.BadValue(key, "must be an integer or a list of two integers");
    return std::make_pair(*a, *b);
  }
  QC_ASSIGN_OR_RETURN(int64_t v, obj.RequireInt(key));
  return std::make_pair(v, v);
}

Expected<HfEncoderConfig> ParseEncoder(const JsonObject& c) {
  HfEncoderConfig e;
  QC_ASSIGN_OR_RETURN(e.hidden_size, RequireSize(c, "hidden_size", kMaxWidth));
  QC_ASSIGN_OR_RETURN(e.num_hidden_layers, RequireSize(c, "num_hidden_layers", kMaxLayers));
  QC_ASSIGN_OR_RETURN(e.num_attention_heads, RequireSize(c, "num_attention_heads", kMaxWidth));
  QC_ASSIGN_OR_RETURN(e.intermediate_size, RequireSize(c, "intermediate_size", kMaxWidth));
  if (e.hidden_size % e.num_attention_heads != 0) {
    return c.BadValue("hidden_size",
                      "= " + std::to_string(e.hidden_size) +
                          " is not divisible by num_attention_heads = " + std::to_string(e.num_attention_heads));
  }
  QC_ASSIGN_OR_RETURN(std::optional<std::string> act, c.OptionalString("hidden_act"));
  e.hidden_act_name = act.value_or("gelu");
  Expected<HfActivation> parsed = ParseHfActivation(e.hidden_act_name);
  if (!parsed.ok()) return parsed.status().WithContext(c.Describe("hidden_act"));
  e.hidden_act = *parsed;
  QC_ASSIGN_OR_RETURN(std::optional<double> eps, c.OptionalFloat("layer_norm_eps"));
  e.layer_norm_eps = eps.value_or(1e-12);
  if (!std::isfinite(e.layer_norm_eps) || e.layer_norm_eps <= 0) {
    return c.BadValue("layer_norm_eps", "must be finite and > 0");
  }
  return e;
}

Expected<HfBertConfig> ParseBert(const JsonObject& c) {
  HfBertConfig b;
  QC_ASSIGN_OR_RETURN(b.vocab_size, RequireSize(c, "vocab_size", kMaxTableRows));
  QC_ASSIGN_OR_RETURN(b.max_position_embeddings, RequireSize(c, "max_position_embeddings", kMaxTableRows));
  QC_ASSIGN_OR_RETURN(b.type_vocab_size, OptionalSize(c, "type_vocab_size", 2, 1, kMaxTableRows));
  if (c.Has("pad_token_id")) {
    QC_ASSIGN_OR_RETURN(b.pad_token_id, c.OptionalInt("pad_token_id"));  // null: no pad token
  }
  QC_ASSIGN_OR_RETURN(std::optional<std::string> position_type, c.OptionalString("position_embedding_type"));
  if (position_type && *position_type != "absolute") {
    return Unsupported(c.Describe("position_embedding_type") + " = '" + *position_type +
                       "' is not supported (only 'absolute' position embeddings)");
  }
  for (const char* key : {"is_decoder", "add_cross_attention"}) {
    QC_ASSIGN_OR_RETURN(std::optional<bool> flag, c.OptionalBool(key));
    if (flag.value_or(false)) {
      return Unsupported(c.Describe(key) + " is true: decoder / cross-attention BERT models are not supported");
    }
  }
  return b;
}

Expected<HfVitConfig> ParseVit(const JsonObject& c) {
  HfVitConfig v;
  QC_ASSIGN_OR_RETURN(auto image, IntOrPair(c, "image_size", 224));
  QC_ASSIGN_OR_RETURN(auto patch, IntOrPair(c, "patch_size", 16));
  v.image_height = image.first;
  v.image_width = image.second;
  QC_RETURN_IF_ERROR(CheckRange(c, "image_size", v.image_height, 1, kMaxImageSide));
  QC_RETURN_IF_ERROR(CheckRange(c, "image_size", v.image_width, 1, kMaxImageSide));
  if (patch.first != patch.second) {
    return Unsupported(c.Describe("patch_size") + " is non-square (" + std::to_string(patch.first) + "x" +
                       std::to_string(patch.second) + "); only square patches are supported");
  }
  v.patch_size = patch.first;
  QC_RETURN_IF_ERROR(CheckRange(c, "patch_size", v.patch_size, 1, kMaxImageSide));
  if (v.image_height % v.patch_size != 0 || v.image_width % v.patch_size != 0) {
    return c.BadValue("image_size", std::to_string(v.image_height) + "x" + std::to_string(v.image_width) +
                                        " is not a multiple of patch_size " + std::to_string(v.patch_size));
  }
  QC_ASSIGN_OR_RETURN(v.num_channels, OptionalSize(c, "num_channels", 3, 1, 64));
  QC_ASSIGN_OR_RETURN(std::optional<bool> qkv_bias, c.OptionalBool("qkv_bias"));
  v.qkv_bias = qkv_bias.value_or(true);
  QC_ASSIGN_OR_RETURN(std::optional<std::string> pooler_act, c.OptionalString("pooler_act"));
  v.pooler_act = pooler_act.value_or("tanh");
  QC_ASSIGN_OR_RETURN(std::optional<int64_t> pooler_size, c.OptionalInt("pooler_output_size"));
  v.pooler_output_size = pooler_size.value_or(0);
  if (v.pooler_output_size < 0 || v.pooler_output_size > kMaxWidth) {
    return c.BadValue("pooler_output_size", "is out of range");
  }
  return v;
}

HfHeadKind HeadFor(HfModelType type, const std::string& arch) {
  if (arch.empty()) return HfHeadKind::kBaseModel;
  if (type == HfModelType::kBert) {
    static const std::pair<const char*, HfHeadKind> kBert[] = {
        {"BertModel", HfHeadKind::kBaseModel},
        {"BertForSequenceClassification", HfHeadKind::kSequenceClassification},
        {"BertForTokenClassification", HfHeadKind::kTokenClassification},
        {"BertForMaskedLM", HfHeadKind::kMaskedLM},
        {"BertForPreTraining", HfHeadKind::kPreTraining},
        {"BertForQuestionAnswering", HfHeadKind::kQuestionAnswering},
        {"BertForMultipleChoice", HfHeadKind::kMultipleChoice},
        {"BertForNextSentencePrediction", HfHeadKind::kNextSentencePrediction},
        {"BertLMHeadModel", HfHeadKind::kCausalLM},
    };
    for (const auto& [name, kind] : kBert) {
      if (arch == name) return kind;
    }
  } else {
    static const std::pair<const char*, HfHeadKind> kVit[] = {
        {"ViTModel", HfHeadKind::kBaseModel},
        {"ViTForImageClassification", HfHeadKind::kImageClassification},
        {"ViTForMaskedImageModeling", HfHeadKind::kMaskedImageModeling},
    };
    for (const auto& [name, kind] : kVit) {
      if (arch == name) return kind;
    }
  }
  return HfHeadKind::kUnknown;
}

Expected<HfLabels> ParseLabels(const JsonObject& c) {
  HfLabels labels;
  QC_ASSIGN_OR_RETURN(std::optional<JsonObject> id2label, c.OptionalObject("id2label"));
  QC_ASSIGN_OR_RETURN(std::optional<int64_t> num_labels, c.OptionalInt("num_labels"));
  if (id2label) {
    const json& map = id2label->value();
    labels.names.resize(map.size());
    std::vector<bool> seen(map.size(), false);
    for (const auto& [key, value] : map.items()) {
      const int64_t id = ParseDecimalId(key).value_or(-1);
      if (id < 0 || id >= static_cast<int64_t>(map.size())) {
        return id2label->BadValue(key, "is not a label id in [0, " + std::to_string(map.size()) +
                                           ") (id2label keys must be the dense ids \"0\"..\"n-1\")");
      }
      if (seen[static_cast<size_t>(id)]) return id2label->BadValue(key, "repeats label id " + std::to_string(id));
      if (!value.is_string()) return id2label->WrongType(key, "a string");
      seen[static_cast<size_t>(id)] = true;
      labels.names[static_cast<size_t>(id)] = value.get<std::string>();
    }
    labels.from_id2label = true;
    if (num_labels && *num_labels != labels.num_labels()) {
      return c.BadValue("num_labels", "= " + std::to_string(*num_labels) + " disagrees with the " +
                                          std::to_string(labels.num_labels()) + " entries of id2label");
    }
  } else {
    const int64_t n = num_labels.value_or(2);
    QC_RETURN_IF_ERROR(CheckRange(c, "num_labels", n, 0, kMaxTableRows));
    for (int64_t i = 0; i < n; ++i) labels.names.push_back("LABEL_" + std::to_string(i));
  }
  QC_ASSIGN_OR_RETURN(std::optional<JsonObject> label2id, c.OptionalObject("label2id"));
  if (label2id) {
    for (const auto& [key, value] : label2id->value().items()) {
      const std::optional<int64_t> id = JsonToInt(value);
      if (!id) return label2id->WrongType(key, "an integer");
      labels.label2id[key] = *id;
    }
  }
  QC_ASSIGN_OR_RETURN(std::optional<std::string> problem, c.OptionalString("problem_type"));
  if (problem) {
    if (*problem != "regression" && *problem != "single_label_classification" &&
        *problem != "multi_label_classification") {
      return c.BadValue("problem_type", "= '" + *problem +
                                            "' is not one of regression, single_label_classification, "
                                            "multi_label_classification");
    }
    labels.problem_type = *problem;
  }
  return labels;
}

}  // namespace

std::string_view HfModelTypeName(HfModelType type) {
  return type == HfModelType::kBert ? "bert" : "vit";
}

std::string_view HfActivationName(HfActivation act) {
  switch (act) {
    case HfActivation::kGeluExact:
      return "gelu";
    case HfActivation::kGeluTanh:
      return "gelu_tanh";
    case HfActivation::kRelu:
      return "relu";
  }
  return "invalid";
}

std::string_view HfHeadKindName(HfHeadKind kind) {
  switch (kind) {
    case HfHeadKind::kBaseModel:
      return "base_model";
    case HfHeadKind::kSequenceClassification:
      return "sequence_classification";
    case HfHeadKind::kTokenClassification:
      return "token_classification";
    case HfHeadKind::kImageClassification:
      return "image_classification";
    case HfHeadKind::kMaskedLM:
      return "masked_lm";
    case HfHeadKind::kPreTraining:
      return "pretraining";
    case HfHeadKind::kQuestionAnswering:
      return "question_answering";
    case HfHeadKind::kMultipleChoice:
      return "multiple_choice";
    case HfHeadKind::kNextSentencePrediction:
      return "next_sentence_prediction";
    case HfHeadKind::kCausalLM:
      return "causal_lm";
    case HfHeadKind::kMaskedImageModeling:
      return "masked_image_modeling";
    case HfHeadKind::kUnknown:
      return "unknown";
  }
  return "invalid";
}

Expected<HfActivation> ParseHfActivation(std::string_view name) {
  if (name == "gelu") return HfActivation::kGeluExact;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return HfActivation::kGeluTanh;
  if (name == "relu") return HfActivation::kRelu;
  return Unsupported("activation '" + std::string(name) +
                     "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)");
}

Expected<HfModelConfig> ParseHfConfig(std::string_view json_text, const std::string& path) {
  QC_ASSIGN_OR_RETURN(json doc, ParseJson(json_text, path));
  const JsonObject c(doc, path);
  QC_RETURN_IF_ERROR(c.CheckIsObject());

  HfModelConfig config;
  config.path = path;
  QC_ASSIGN_OR_RETURN(std::string model_type, c.RequireString("model_type"));
  if (model_type == "bert") {
    config.model_type = HfModelType::kBert;
  } else if (model_type == "vit") {
    config.model_type = HfModelType::kVit;
  } else {
    std::string why = "is not supported (supported: bert, vit)";
    if (model_type == "roberta" || model_type == "xlm-roberta" || model_type == "camembert") {
      why += "; RoBERTa-style models offset position ids by padding_idx + 1 and use a BPE/SentencePiece tokenizer";
    } else if (model_type == "distilbert") {
      why += "; DistilBERT uses different tensor names and has no token type embeddings";
    }
    return Unsupported(c.Describe("model_type") + " = '" + model_type + "' " + why);
  }

  if (const json* archs = c.Find("architectures"); archs != nullptr && !archs->is_null()) {
    if (!archs->is_array()) return c.WrongType("architectures", "an array of strings");
    if (!archs->empty()) {
      if (!(*archs)[0].is_string()) return c.BadValue("architectures", "element 0 is not a string");
      config.architecture = (*archs)[0].get<std::string>();
    }
  }
  config.head = HeadFor(config.model_type, config.architecture);

  QC_ASSIGN_OR_RETURN(config.encoder, ParseEncoder(c));
  if (config.model_type == HfModelType::kBert) {
    QC_ASSIGN_OR_RETURN(config.bert, ParseBert(c));
  } else {
    QC_ASSIGN_OR_RETURN(config.vit, ParseVit(c));
  }
  QC_ASSIGN_OR_RETURN(config.labels, ParseLabels(c));
  return config;
}

Expected<HfModelConfig> ReadHfConfig(const std::string& path) {
  QC_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxJsonFileBytes));
  return ParseHfConfig(text, path);
}

}  // namespace qc::hf
