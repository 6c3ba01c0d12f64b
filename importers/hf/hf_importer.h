// importers/hf/hf_importer.h: a Hugging Face model directory (BERT or ViT, no Python) -> a verified IR graph.
//
// Overview
//   ImportHfDirectory(dir) reads config.json, the safetensors checkpoint, the tokenizer files (BERT) or
//   preprocessor_config.json (ViT), and the sentence-transformers layer when modules.json is present (the HF model then
//   lives in the Transformer module's folder, usually the directory itself). It maps the checkpoint's tensor names
//   onto the IR's transformer ops and returns a graph that passed ir::Verify, plus warnings.
//
//   BERT (tensor names with or without the "bert." prefix; LayerNorm .gamma/.beta accepted for .weight/.bias):
//     inputs  input_ids, attention_mask, token_type_ids: i64 [batch, sequence]
//     body    Embedding(word) -> AddPositionEmbedding -> + Embedding(token type) -> LayerNorm, then per layer
//             Linear q/k/v -> Attention(mask, scale 1/sqrt(head_dim)) -> Linear -> +residual -> LayerNorm ->
//             Linear -> Gelu/Relu -> Linear -> +residual -> LayerNorm (post-LN)
//     outputs logits [batch, labels]      BertForSequenceClassification: SelectToken(0) -> pooler Linear -> Tanh ->
//                                         classifier Linear
//             logits [batch, sequence, labels]   BertForTokenClassification
//             sentence_embedding [batch, hidden] sentence-transformers: MeanPool(mask) or SelectToken(0), then
//                                         L2Normalize if a Normalize module follows
//             last_hidden_state [+ pooler_output]  BertModel (pooler_output when the pooler weights exist);
//                                         BertForMaskedLM / BertForPreTraining import as the encoder, with a warning
//   ViT (with or without "vit."): pixel_values f32 [batch, C, H, W] -> PatchEmbed -> PrependToken(cls_token) ->
//     AddPositionEmbedding (the [1, N+1, D] table viewed as [N+1, D]) -> pre-LN layers (LayerNorm -> Attention, no
//     mask -> +residual -> LayerNorm -> MLP -> +residual) -> final LayerNorm -> logits (ViTForImageClassification:
//     SelectToken(0) -> classifier) or last_hidden_state [+ pooler_output = Tanh(Linear(CLS))].
//   The attention mask fill is the lowest float (transformers' finfo.min), so padded keys get exactly zero weight.
//
//   Every expected tensor must exist with the shape the config implies (errors name the tensor and both shapes);
//   tensors left over (e.g. an MLM head, mask_token) are listed in `unused_tensors` and summarised in `warnings`. The
//   position_ids buffer older checkpoints store is accepted if it is 0..P-1.
//
//   Graph metadata: source.format = "huggingface", source.model_type, source.architecture, source.output;
//   BERT tokenizer: tokenizer.type = "wordpiece", tokenizer.vocab (string list by id), tokenizer.lowercase,
//   tokenizer.strip_accents (-1 unset / 0 / 1), tokenizer.clean_text, tokenizer.handle_chinese_chars,
//   tokenizer.unk_token / cls_token / sep_token / pad_token / mask_token, tokenizer.continuing_subword_prefix,
//   tokenizer.max_input_chars_per_word, tokenizer.model_max_length (sentence-transformers max_seq_length, else
//   tokenizer_config.json, else max_position_embeddings; never above max_position_embeddings),
//   tokenizer.pad_token_type_id, tokenizer.added_tokens (contents) with tokenizer.added_token_ids and
//   tokenizer.added_tokens_normalized / tokenizer.added_tokens_special (0/1 lists);
//   ViT image: image.size [h, w], image.mean, image.std, image.rescale_factor (do_* switches folded in),
//   image.resample, image.do_resize; classifiers: model.labels (by id), model.problem_type when set;
//   sentence embeddings: pooling.mode ("mean" / "cls"), pooling.normalize (0/1).
//   Booleans are int64 0/1.
//
// Usage
//   qc::hf::HfImportOptions options;                       // output = kAuto picks what the directory describes
//   QC_ASSIGN_OR_RETURN(qc::hf::HfImportResult r, qc::hf::ImportHfDirectory("all-MiniLM-L6-v2", options));
//   for (const std::string& w : r.warnings) std::cerr << "warning: " << w << "\n";
//   qc::ir::Graph graph = std::move(r.graph);               // outputs: sentence_embedding
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "importers/hf/config.h"
#include "importers/hf/image_config.h"
#include "importers/hf/sentence_transformers.h"
#include "importers/hf/tokenizer_config.h"
#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::hf {

/// Which output(s) the graph computes.
enum class HfOutput {
  kAuto,               ///< classifier -> logits; sentence-transformers -> sentence_embedding; else last_hidden_state
  kLogits,             ///< requires a classification architecture
  kSentenceEmbedding,  ///< requires modules.json (sentence-transformers)
  kLastHiddenState,    ///< the encoder alone (any architecture; head tensors are reported unused)
};

std::string_view HfOutputName(HfOutput output);  // "auto", "logits", "sentence_embedding", "last_hidden_state"

struct HfImportOptions {
  HfOutput output = HfOutput::kAuto;
  /// false: no token_type_ids input; every token gets token type 0 (its embedding row is added as a constant).
  bool token_type_ids_input = true;
};

struct HfImportResult {
  ir::Graph graph;
  HfModelConfig config;
  HfOutput output = HfOutput::kAuto;  ///< what was built (never kAuto)
  std::optional<HfTokenizerSpec> tokenizer;
  std::optional<HfImageSpec> image;
  std::optional<HfPoolingSpec> pooling;
  /// Checkpoint tensors the graph does not use, sorted.
  std::vector<std::string> unused_tensors;
  /// Things the user should know: unused tensors (summarised), heads imported as the bare encoder, tokenizer
  /// disagreements, missing preprocessor config, clamped lengths.
  std::vector<std::string> warnings;
};

/// Imports the model directory `dir` (see the header comment).
Expected<HfImportResult> ImportHfDirectory(const std::string& dir, const HfImportOptions& options = {});

}  // namespace qc::hf
