// exporters/qm/qm_spec.h: a format-level description of a model, the input of the .qm writer.
//
// Overview
//   QmModelSpec mirrors the IR closely (values with name / dtype / shape with symbolic dims / optional constant;
//   ops with type / name / inputs / outputs / typed attributes) but uses the file format's enums, so the IR -> spec
//   adapter (exporters/qm/from_ir.cc) is a field-by-field copy. Constant bytes are *borrowed*: ConstantData points at
//   memory the caller keeps alive and unchanged until WriteQmFile returns; nothing is copied.
//
//   Conventions (all checked by ValidateQmSpec, docs/qm-format.md has the full list):
//   * Values are referenced by index into `values`. Graph inputs, constants (have `constant`) and op outputs are
//     disjoint; every value is exactly one of them. Ops are listed in topological order.
//   * Op inputs may be kNoValue (-1) for an optional input that is not given; outputs may not.
//   * Value names are unique and non-empty; op names are free text (the source node name) and may be empty.
//   * A constant's byte size is ceil(elements * bits / 8) of its dtype; sub-byte dtypes (T2, I4) are packed as in the
//     IR (ir/dtypes.inc).
//   * Metadata keys are lower-case dotted identifiers; standard keys (format/qm_rules.h) have fixed kinds and
//     ranges, and unknown keys under "tokenizer.", "image." and "model." are refused as typos.
//
// Usage
//   qc::qm::QmModelSpec spec;
//   spec.values.push_back({"input_ids", qc::qm::DType::I64, {qc::qm::DimSpec::Symbol("batch"),
//                                                            qc::qm::DimSpec::Symbol("sequence")}});
//   spec.values.push_back({"word_embeddings", qc::qm::DType::F32, {qc::qm::DimSpec::Fixed(30522),
//                                                                 qc::qm::DimSpec::Fixed(768)}});
//   spec.values.back().constant = qc::qm::ConstantData{weights.data(), weights.size() * sizeof(float)};
//   spec.values.push_back({"embeddings", qc::qm::DType::F32, {...}});
//   spec.ops.push_back({qc::qm::OpType::Embedding, 1, "bert.embeddings.word_embeddings", {1, 0}, {2}, {}});
//   spec.inputs = {0};
//   spec.outputs = {2};
//   spec.metadata["tokenizer.lowercase"] = qc::qm::Datum::Int(1);
//   QC_RETURN_IF_ERROR(qc::qm::WriteQmFile(spec, "bert.qm"));   // exporters/qm/qm_writer.h
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/format/qm_layout.h"
#include "runtime/format/qm_types.h"

namespace qc::qm {

/// An op input slot left empty.
inline constexpr int32_t kNoValue = -1;

/// One dimension: fixed (size >= 0) or symbolic (non-empty symbol, e.g. "batch").
struct DimSpec {
  int64_t size = 0;
  std::string symbol;

  static DimSpec Fixed(int64_t size) { return DimSpec{size, {}}; }
  static DimSpec Symbol(std::string name) { return DimSpec{0, std::move(name)}; }
  bool is_symbolic() const { return !symbol.empty(); }
};

/// Borrowed constant bytes: `size` bytes at `data` (data may be null only when size is 0).
struct ConstantData {
  const void* data = nullptr;
  uint64_t size = 0;
};

/// Quantization parameters (reserved in format 1.0: stored and reference-checked, not yet interpreted).
struct QuantSpec {
  uint8_t bits = 0;  ///< 1..32
  QuantGranularity granularity = QuantGranularity::PerTensor;
  int32_t axis = 0;                     ///< for PerChannel / PerGroup
  uint32_t group_size = 0;              ///< > 0 exactly for PerGroup
  int32_t scale_value = kNoValue;       ///< index of a constant value, or kNoValue
  int32_t zero_point_value = kNoValue;  ///< index of a constant value, or kNoValue
};

struct ValueSpec {
  std::string name;
  DType dtype = DType::Invalid;
  std::vector<DimSpec> shape;            ///< empty = scalar
  std::optional<ConstantData> constant;  ///< present = a constant (all dims fixed)
  std::optional<QuantSpec> quant;
};

/// A typed value for attributes and metadata; build with the factories (a bare `1` would be ambiguous).
struct Datum {
  struct Bytes {
    std::vector<uint8_t> data;
  };
  std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>, std::vector<std::string>, Bytes>
      value;

  static Datum Int(int64_t v) { return Datum{v}; }
  static Datum Bool(bool v) { return Datum{int64_t{v ? 1 : 0}}; }
  static Datum Float(double v) { return Datum{v}; }
  static Datum String(std::string v) { return Datum{std::move(v)}; }
  static Datum IntList(std::vector<int64_t> v) { return Datum{std::move(v)}; }
  static Datum FloatList(std::vector<double> v) { return Datum{std::move(v)}; }
  static Datum StringList(std::vector<std::string> v) { return Datum{std::move(v)}; }
  static Datum ByteString(std::vector<uint8_t> v) { return Datum{Bytes{std::move(v)}}; }

  DatumKind kind() const;
};

struct AttrSpec {
  AttrKey key = AttrKey::Invalid;
  Datum value;
};

struct OpSpec {
  OpType type = OpType::Invalid;
  uint16_t version = 1;          ///< per-op semantics version, >= 1
  std::string name;              ///< source node name, for messages
  std::vector<int32_t> inputs;   ///< value indices or kNoValue
  std::vector<int32_t> outputs;  ///< value indices
  std::vector<AttrSpec> attrs;   ///< one per key at most; written in this order
};

struct ProvenanceSpec {
  std::string producer_name;      ///< "qcompress"
  std::string producer_version;   ///< "0.1.0"
  std::string command_line;       ///< without absolute paths
  std::string source_model_name;  ///< a basename or hub id, never an absolute path
  std::string source_model_hash;  ///< "<algo>:<hex>"
  std::string calibration_data_hash;
  std::optional<uint64_t> seed;
};

struct QmModelSpec {
  std::vector<ValueSpec> values;
  std::vector<OpSpec> ops;        ///< topological order
  std::vector<uint32_t> inputs;   ///< graph inputs (value indices)
  std::vector<uint32_t> outputs;  ///< graph outputs (value indices)
  std::map<std::string, Datum> metadata;
  ProvenanceSpec provenance;
  std::string report_json;                     ///< per-layer report (JSON text), may be empty
  std::vector<std::string> required_features;  ///< "<area>.<name>@<version>"; written sorted
  RuntimeVersion min_runtime_version = kFormatFloorRuntime;
};

inline DatumKind Datum::kind() const {
  static constexpr DatumKind kKinds[] = {DatumKind::kInt,     DatumKind::kFloat,     DatumKind::kString,
                                         DatumKind::kIntList, DatumKind::kFloatList, DatumKind::kStringList,
                                         DatumKind::kBytes};
  return kKinds[value.index()];
}

}  // namespace qc::qm
