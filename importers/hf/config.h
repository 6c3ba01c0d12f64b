// importers/hf/config.h: a Hugging Face `config.json` as typed structs, for BERT and ViT.
//
// Overview
//   Supported `model_type`s: "bert" (BertModel and its heads; also what sentence-transformers BERT models such as
//   all-MiniLM-L6-v2 use) and "vit". Other families are rejected with Unsupported naming the type: RoBERTa /
//   XLM-R / CamemBERT (position ids start at padding_idx + 1 and the tokenizer is BPE / SentencePiece), DistilBERT
//   (different tensor names and config keys, no token types), ALBERT, ELECTRA, DeBERTa, MPNet, DeiT, ...
//
//   Fields and defaults (HF's class defaults are used where old checkpoints omit a key):
//     both:  hidden_size, num_hidden_layers, num_attention_heads, intermediate_size (required, > 0, hidden divisible
//            by heads); hidden_act (default "gelu": gelu -> exact, gelu_new / gelu_pytorch_tanh / gelu_fast -> tanh
//            approximation, relu; others Unsupported); layer_norm_eps (default 1e-12, > 0)
//     bert:  vocab_size, max_position_embeddings (required); type_vocab_size (default 2, >= 1); pad_token_id
//            (default 0, may be null); position_embedding_type (only "absolute"); is_decoder / add_cross_attention
//            must be false
//     vit:   image_size (int or [h, w], default 224), patch_size (int or [p, p], square only, default 16), num_channels
//            (default 3), qkv_bias (default true), pooler_act (default "tanh"), pooler_output_size (default
//            hidden_size); image sides must be multiples of the patch
//     heads: architectures[0] -> HfHeadKind; labels from id2label (dense ids "0".."n-1"), else num_labels (names
//            "LABEL_<i>", HF's default), else 2; both given and different is an error (as in transformers);
//            problem_type one of regression / single_label_classification / multi_label_classification or null.
//   Errors name the file and the field: "bert/config.json: field 'num_attention_heads' is missing".
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::hf::HfModelConfig config, qc::hf::ReadHfConfig("bert-dir/config.json"));
//   if (config.model_type == qc::hf::HfModelType::kBert) use(config.encoder.hidden_size, config.bert.vocab_size);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qcompress/status.h"

namespace qc::hf {

enum class HfModelType { kBert, kVit };

/// The feed-forward activation. gelu_new, gelu_pytorch_tanh and gelu_fast all compute the tanh approximation.
enum class HfActivation { kGeluExact, kGeluTanh, kRelu };

/// What `architectures[0]` puts on top of the encoder.
enum class HfHeadKind {
  kBaseModel,               ///< BertModel / ViTModel, or no `architectures` entry
  kSequenceClassification,  ///< BertForSequenceClassification: pooler (dense + tanh on CLS) -> classifier
  kTokenClassification,     ///< BertForTokenClassification: classifier on every token
  kImageClassification,     ///< ViTForImageClassification: final LayerNorm -> CLS -> classifier
  kMaskedLM,                ///< BertForMaskedLM
  kPreTraining,             ///< BertForPreTraining
  kQuestionAnswering,       ///< BertForQuestionAnswering
  kMultipleChoice,          ///< BertForMultipleChoice
  kNextSentencePrediction,  ///< BertForNextSentencePrediction
  kCausalLM,                ///< BertLMHeadModel
  kMaskedImageModeling,     ///< ViTForMaskedImageModeling
  kUnknown,                 ///< any other class name (kept in HfModelConfig::architecture)
};

std::string_view HfModelTypeName(HfModelType type);   // "bert", "vit"
std::string_view HfActivationName(HfActivation act);  // "gelu", "gelu_tanh", "relu"
std::string_view HfHeadKindName(HfHeadKind kind);     // "sequence_classification", ...

/// Fields every supported encoder shares.
struct HfEncoderConfig {
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t intermediate_size = 0;
  HfActivation hidden_act = HfActivation::kGeluExact;
  std::string hidden_act_name = "gelu";  ///< as written in the file
  double layer_norm_eps = 1e-12;
  int64_t head_dim() const { return num_attention_heads > 0 ? hidden_size / num_attention_heads : 0; }
};

struct HfBertConfig {
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t type_vocab_size = 2;
  std::optional<int64_t> pad_token_id = 0;
};

struct HfVitConfig {
  int64_t image_height = 224;
  int64_t image_width = 224;
  int64_t patch_size = 16;
  int64_t num_channels = 3;
  bool qkv_bias = true;
  std::string pooler_act = "tanh";  ///< ViTModel's pooler activation
  int64_t pooler_output_size = 0;   ///< 0: hidden_size
  int64_t num_patches() const { return (image_height / patch_size) * (image_width / patch_size); }
};

struct HfLabels {
  /// Label names by id (from id2label, or LABEL_<i> when only num_labels is given).
  std::vector<std::string> names;
  /// True when names came from id2label in the file.
  bool from_id2label = false;
  /// label2id as written (not cross-checked: many checkpoints carry a stale one).
  std::map<std::string, int64_t> label2id;
  /// "regression", "single_label_classification", "multi_label_classification", or empty (unset).
  std::string problem_type;
  int64_t num_labels() const { return static_cast<int64_t>(names.size()); }
};

struct HfModelConfig {
  std::string path;  ///< the config.json read
  HfModelType model_type = HfModelType::kBert;
  std::string architecture;  ///< architectures[0], or "" when absent
  HfHeadKind head = HfHeadKind::kBaseModel;
  HfEncoderConfig encoder;
  HfBertConfig bert;  ///< meaningful when model_type == kBert
  HfVitConfig vit;    ///< meaningful when model_type == kVit
  HfLabels labels;
};

/// Reads and validates a config.json.
Expected<HfModelConfig> ReadHfConfig(const std::string& path);
/// The same for text already in memory; `path` is used in messages.
Expected<HfModelConfig> ParseHfConfig(std::string_view json_text, const std::string& path);

/// HfActivation for a config's `hidden_act` string; Unsupported names the value.
Expected<HfActivation> ParseHfActivation(std::string_view name);

}  // namespace qc::hf
