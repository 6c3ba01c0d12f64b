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
//   QC_ASSIGN_OR_RETURN(qc::Session session, qc::Session::Create(model));
//   std::vector<qc::NamedTensor> inputs = {
//       {"input_ids", qc::HostTensor::Int64({1, 4}, {101, 7592, 2088, 102})},
//       {"attention_mask", qc::HostTensor::Int64({1, 4}, {1, 1, 1, 1})}};
//   QC_ASSIGN_OR_RETURN(std::vector<qc::NamedTensor> outputs, session.Run(inputs));
//   const std::vector<float>& logits = outputs[0].tensor.floats;
//
//   // Models that carry a tokenizer take text directly:
//   QC_ASSIGN_OR_RETURN(auto out, session.RunText({"a gripping film", "dull"}));
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qcompress/status.h"

namespace qc {

namespace qm {
class QmFile;
}
class WordPieceTokenizer;

/// Element types that cross the API. Integer inputs may be given as int64 or int32.
enum class ElementType : int { kFloat32 = 1, kInt64 = 2, kInt32 = 3 };

const char* ElementTypeName(ElementType type);

/// A dense row-major tensor in host memory. Exactly one of `floats` / `ints` holds the elements.
struct HostTensor {
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

class Model {
 public:
  static Expected<std::shared_ptr<const Model>> Load(const std::string& path, const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::vector<ValueSignature>& inputs() const;
  const std::vector<ValueSignature>& outputs() const;
  const std::string& path() const;

  /// The embedded WordPiece tokenizer, or nullptr when the model carries none (e.g. ViT).
  const WordPieceTokenizer* tokenizer() const;
  /// Class names by output index (metadata "labels.names"); empty when the model has none.
  const std::vector<std::string>& label_names() const;

  /// The verified file, for in-tree tools (include "format/qm_reader.h" to use it).
  const qm::QmFile& file() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct SessionOptions {
  /// Pad token sequences to this length in RunText; 0 pads to the longest text in the batch.
  int64_t pad_to_length = 0;
  /// Truncate token sequences to this length in RunText; 0 uses the tokenizer's model_max_length.
  int64_t max_length = 0;
};

/// One inference at a time; create one per thread. Sessions sharing a Model never share mutable state.
class Session {
 public:
  static Expected<Session> Create(std::shared_ptr<const Model> model, const SessionOptions& options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  /// Runs the model. Every graph input must be given once by name with a matching element type and rank; symbolic
  /// dimensions bind to the given sizes and must agree across inputs. Outputs come back in graph order.
  Expected<std::vector<NamedTensor>> Run(const std::vector<NamedTensor>& inputs);

  /// Tokenizes `texts` (or pairs `texts[i]`, `pairs[i]` when `pairs` is non-empty) with the embedded tokenizer,
  /// then runs the model on input_ids / attention_mask / token_type_ids, whichever the model declares.
  Expected<std::vector<NamedTensor>> RunText(const std::vector<std::string>& texts,
                                             const std::vector<std::string>& pairs = {});

  const Model& model() const;

  struct State;

 private:
  explicit Session(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace qc
