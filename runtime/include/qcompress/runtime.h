// qcompress/runtime.h: the C++ API of the qcompress runtime.
//
// Overview
//   A Model is a verified, memory-mapped .qm file plus its execution plan. It is immutable once loaded and shared
//   between threads through std::shared_ptr<const Model>; weights stay in the mapping (never copied). A Session owns
//   the scratch memory of one inference at a time: create one Session per thread, all sharing one Model. Nothing
//   here throws; every fallible call returns qc::Status or qc::Expected<T> with a message naming what is wrong.
//
// Usage
//   QC_ASSIGN_OR_RETURN(std::shared_ptr<const qc::Model> model, qc::Model::Load("bert.qm"));
//   qc::SessionOptions options;
//   options.num_threads = 4;                 // optional: split each inference over 4 threads (same results)
//   QC_ASSIGN_OR_RETURN(qc::Session session, qc::Session::Create(model, options));
//   std::vector<qc::NamedTensor> inputs = {
//       {"input_ids", qc::HostTensor::Int64({1, 4}, {101, 7592, 2088, 102})},
//       {"attention_mask", qc::HostTensor::Int64({1, 4}, {1, 1, 1, 1})}};
//   QC_ASSIGN_OR_RETURN(std::vector<qc::NamedTensor> outputs, session.Run(inputs));
//   const std::vector<float>& logits = outputs[0].tensor.floats;
//
//   // Models that carry a tokenizer take text directly:
//   QC_ASSIGN_OR_RETURN(auto out, session.RunText({"a gripping film", "dull"}));
//   // Classifiers name their prediction (model.labels); encoders give one pooled vector per text:
//   QC_ASSIGN_OR_RETURN(std::vector<qc::Prediction> labels, session.ClassifyText({"a gripping film"}));
//   QC_ASSIGN_OR_RETURN(qc::HostTensor embeddings, session.EmbedText({"a gripping film"}));  // [1, hidden]
//
// Linking: the shared library libqcompress.so exports exactly the classes and functions marked QC_API here and the
// C API (qcompress/qcompress.h); installed, they are the target qcompress::runtime (docs/api.md). Model::file(),
// Model::impl() and Model::tokenizer() return types whose headers are not installed: they serve in-tree tools.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qcompress/export.h"
#include "qcompress/status.h"

namespace qc {

namespace qm {
class QmFile;
}
class WordPieceTokenizer;

/// Element types that cross the API. Integer inputs may be given as int64 or int32.
enum class ElementType : int { kFloat32 = 1, kInt64 = 2, kInt32 = 3 };

QC_API const char* ElementTypeName(ElementType type);

/// A dense row-major tensor in host memory. Exactly one of `floats` / `ints` holds the elements.
struct QC_API HostTensor {
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<float> floats;  ///< when type == kFloat32
  std::vector<int64_t> ints;  ///< when type is kInt64 or kInt32 (int32 values widened)

  static HostTensor Float32(std::vector<int64_t> shape, std::vector<float> values);
  static HostTensor Int64(std::vector<int64_t> shape, std::vector<int64_t> values);
  /// Product of the shape (1 for a scalar).
  int64_t element_count() const;
};

struct NamedTensor {
  std::string name;
  HostTensor tensor;
};

/// A graph input or output as declared in the model: dims[i] >= 0 is fixed, dims[i] < 0 is the symbolic
/// dimension named dim_names[i] ("batch", "sequence").
struct ValueSignature {
  std::string name;
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_names;
};

struct LoadOptions {
  /// Verify every constant's checksum besides the whole-file checksum (always verified).
  bool verify_tensor_checksums = true;
};

/// What a model's image.* metadata says about its image input: raw pixels p become
/// (p * rescale_factor - mean[c]) / stddev[c]; images must already be height x width (the runtime does not resize).
struct ImageSpec {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  float rescale_factor = 1.0f;
  std::vector<float> mean;    ///< image.mean, one per channel (zeros when absent)
  std::vector<float> stddev;  ///< image.std, one per channel, all != 0 (ones when absent)
};

class QC_API Model {
 public:
  static Expected<std::shared_ptr<const Model>> Load(const std::string& path, const LoadOptions& options = {});
  /// Loads a .qm held in memory. The bytes are copied (weights are then read from the copy); `name` stands for the
  /// path in error messages.
  static Expected<std::shared_ptr<const Model>> LoadFromMemory(const void* data, size_t size, const std::string& name,
                                                                const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::vector<ValueSignature>& inputs() const;
  const std::vector<ValueSignature>& outputs() const;
  const std::string& path() const;

  /// The embedded WordPiece tokenizer, or nullptr when the model carries none (e.g. ViT).
  const WordPieceTokenizer* tokenizer() const;
  /// Class names by output index (metadata "model.labels"); empty when the model has none.
  const std::vector<std::string>& label_names() const;
  /// The image preprocessing of image.* metadata; kFailedPrecondition when the model carries none.
  Expected<ImageSpec> image_spec() const;

  /// The verified file, for in-tree tools (include "format/qm_reader.h" to use it).
  const qm::QmFile& file() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  // Everything Load does once the file is open and verified: plan, signatures, tokenizer, labels.
  static Expected<std::shared_ptr<const Model>> Finish(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct SessionOptions {
  /// Pad token sequences to this length in RunText; 0 pads to the longest text in the batch.
  int64_t pad_to_length = 0;
  /// Truncate token sequences to this length in RunText; 0 uses the tokenizer's model_max_length.
  int64_t max_length = 0;
  /// Threads one inference uses, counting the calling thread (1..256). The session owns its pool; outputs are
  /// bit-identical for every thread count. Sessions sharing a Model each have their own threads.
  int num_threads = 1;
};

/// A classifier's verdict on one batch row: the argmax class, its name and the softmax probabilities.
struct Prediction {
  int64_t label = -1;
  std::string name;                  ///< model.labels[label]; empty when the model has no label names
  float score = 0.0f;                ///< probabilities[label]
  std::vector<float> probabilities;  ///< softmax over all classes
};

/// One inference at a time; create one per thread. Sessions sharing a Model never share mutable state. With
/// SessionOptions::num_threads > 1 a session also splits each inference across its own worker threads.
class QC_API Session {
 public:
  static Expected<Session> Create(std::shared_ptr<const Model> model, const SessionOptions& options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  /// Runs the model. Every graph input must be given once by name with a matching element type and rank; symbolic
  /// dimensions bind to the given sizes and must agree across inputs. Outputs come back in graph order.
  Expected<std::vector<NamedTensor>> Run(const std::vector<NamedTensor>& inputs);

  /// Tokenizes `texts` (or pairs `texts[i]`, `pairs[i]` when `pairs` is non-empty) with the embedded tokenizer,
  /// then runs the model on input_ids / attention_mask / token_type_ids, whichever the model declares. Rows are
  /// padded to the longest; a model that declares no attention_mask sees that padding (ClassifyText and EmbedText
  /// avoid it).
  Expected<std::vector<NamedTensor>> RunText(const std::vector<std::string>& texts,
                                             const std::vector<std::string>& pairs = {});

  /// The inputs RunText feeds the model for `texts` / `pairs`: input_ids, attention_mask, token_type_ids (those
  /// the model declares, in its order), int64 [batch, length].
  Expected<std::vector<NamedTensor>> Tokenize(const std::vector<std::string>& texts,
                                              const std::vector<std::string>& pairs = {}) const;

  /// Runs an image model on raw pixels, float32 [batch, channels, height, width], normalized per image_spec().
  Expected<std::vector<NamedTensor>> RunImages(const HostTensor& pixels);

  /// RunText, then Classify: one Prediction per text. A model without an attention_mask input would attend to the
  /// padding of a mixed-length batch, so for such a model (and no SessionOptions::pad_to_length) texts of equal
  /// token length run together, unpadded: every text gets what it gets alone. The same holds for EmbedText.
  Expected<std::vector<Prediction>> ClassifyText(const std::vector<std::string>& texts,
                                                 const std::vector<std::string>& pairs = {});
  /// RunText, then Embed with the tokenizer's attention mask: float32 [batch, hidden].
  Expected<HostTensor> EmbedText(const std::vector<std::string>& texts, const std::vector<std::string>& pairs = {});

  const Model& model() const;

  struct State;

 private:
  explicit Session(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// The logits among a run's outputs: the output named "logits", else the first float32 [batch, classes] output
/// with as many classes as the model has label names. kNotFound when there is none.
QC_API Expected<const NamedTensor*> FindLogits(const Model& model, const std::vector<NamedTensor>& outputs);
/// Argmax and softmax of each row of the logits (FindLogits), named by model.labels.
QC_API Expected<std::vector<Prediction>> Classify(const Model& model, const std::vector<NamedTensor>& outputs);
/// One vector per batch row, float32 [batch, hidden]: the first float32 [batch, sequence, hidden] output mean-pooled
/// over `attention_mask` ([batch, sequence]; nullptr: every position counts), else the first float32 [batch, hidden]
/// output that is not the logits. kNotFound when there is neither.
QC_API Expected<HostTensor> Embed(const Model& model, const std::vector<NamedTensor>& outputs,
                                  const HostTensor* attention_mask = nullptr);

}  // namespace qc
