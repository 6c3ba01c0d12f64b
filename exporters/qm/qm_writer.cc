// WriteQmFile: blob layout and hashing, the FlatBuffer graph section, and the atomic write. See qm_writer.h.
#include "exporters/qm/qm_writer.h"

#include <xxhash.h>

#include <algorithm>
#include <memory>
#include <string_view>

#include "ir/atomic_file.h"
#include "runtime/format/qm_generated.h"

namespace qc::qm {
namespace {

namespace fbs = flatbuffers;

// Where one constant goes in the blob.
struct Placement {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t alignment = 0;
  uint64_t xxh3 = 0;
};

struct BlobLayout {
  std::vector<std::optional<Placement>> values;  // per value; set for constants
  uint64_t length = 0;
  uint64_t xxh3 = 0;
};

const uint8_t kZeros[kLargeTensorAlignment] = {};

// Calls emit(ptr, n) for every byte of the blob in order: constants and the zero padding before each.
template <typename Emit>
Status ForEachBlobChunk(const QmModelSpec& spec, const BlobLayout& layout, Emit&& emit) {
  uint64_t cursor = 0;
  for (size_t i = 0; i < spec.values.size(); ++i) {
    if (!layout.values[i]) continue;
    const Placement& p = *layout.values[i];
    if (p.offset > cursor) QC_RETURN_IF_ERROR(emit(kZeros, static_cast<size_t>(p.offset - cursor)));
    if (p.length > 0) QC_RETURN_IF_ERROR(emit(spec.values[i].constant->data, static_cast<size_t>(p.length)));
    cursor = p.offset + p.length;
  }
  return Status::Ok();
}

Expected<BlobLayout> LayOutBlob(const QmModelSpec& spec) {
  BlobLayout layout;
  layout.values.resize(spec.values.size());
  uint64_t cursor = 0;
  for (size_t i = 0; i < spec.values.size(); ++i) {
    const std::optional<ConstantData>& c = spec.values[i].constant;
    if (!c) continue;
    Placement p;
    p.alignment = TensorAlignmentFor(c->size);
    p.length = c->size;
    if (!AlignUp(cursor, p.alignment, &p.offset) || p.offset > UINT64_MAX / 2 - p.length) {
      return InvalidArgument("qm spec: the blob would exceed 2^63 bytes at value " + std::to_string(i));
    }
    p.xxh3 = XXH3_64bits(p.length == 0 ? nullptr : c->data, static_cast<size_t>(p.length));
    cursor = p.offset + p.length;
    layout.values[i] = p;
  }
  layout.length = cursor;
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
  if (state == nullptr || XXH3_64bits_reset(state.get()) != XXH_OK) return Internal("cannot allocate an XXH3 state");
  QC_RETURN_IF_ERROR(ForEachBlobChunk(spec, layout, [&](const void* p, size_t n) {
    XXH3_64bits_update(state.get(), p, n);
    return Status::Ok();
  }));
  layout.xxh3 = XXH3_64bits_digest(state.get());
  return layout;
}

// ---- FlatBuffer ------------------------------------------------------------------------------------------------

std::pair<fb::Datum, fbs::Offset<void>> BuildDatum(fbs::FlatBufferBuilder& b, const Datum& d) {
  switch (d.kind()) {
    case DatumKind::kInt:
      return {fb::Datum::IntDatum, fb::CreateIntDatum(b, std::get<int64_t>(d.value)).Union()};
    case DatumKind::kFloat:
      return {fb::Datum::FloatDatum, fb::CreateFloatDatum(b, std::get<double>(d.value)).Union()};
    case DatumKind::kString: {
      const auto s = b.CreateString(std::get<std::string>(d.value));
      return {fb::Datum::StringDatum, fb::CreateStringDatum(b, s).Union()};
    }
    case DatumKind::kIntList: {
      const auto v = b.CreateVector(std::get<std::vector<int64_t>>(d.value));
      return {fb::Datum::IntListDatum, fb::CreateIntListDatum(b, v).Union()};
    }
    case DatumKind::kFloatList: {
      const auto v = b.CreateVector(std::get<std::vector<double>>(d.value));
      return {fb::Datum::FloatListDatum, fb::CreateFloatListDatum(b, v).Union()};
    }
    case DatumKind::kStringList: {
      const auto v = b.CreateVectorOfStrings(std::get<std::vector<std::string>>(d.value));
      return {fb::Datum::StringListDatum, fb::CreateStringListDatum(b, v).Union()};
    }
    case DatumKind::kBytes: {
      const auto v = b.CreateVector(std::get<Datum::Bytes>(d.value).data);
      return {fb::Datum::BytesDatum, fb::CreateBytesDatum(b, v).Union()};
    }
  }
  return {fb::Datum::NONE, 0};
}

// Symbol names in order of first appearance (values, then dims): deterministic for a given spec.
std::vector<std::string_view> CollectSymbols(const QmModelSpec& spec) {
  std::vector<std::string_view> symbols;
  for (const ValueSpec& v : spec.values) {
    for (const DimSpec& d : v.shape) {
      if (d.is_symbolic() && std::find(symbols.begin(), symbols.end(), d.symbol) == symbols.end()) {
        symbols.push_back(d.symbol);
      }
    }
  }
  return symbols;
}

void BuildGraph(const QmModelSpec& spec, const BlobLayout& layout, fbs::FlatBufferBuilder& b) {
  // Children are created before their parents; the order below is fixed, so the bytes are too.
  std::vector<std::string> features = spec.required_features;
  std::sort(features.begin(), features.end());
  const auto features_off = b.CreateVectorOfStrings(features);

  const std::vector<std::string_view> symbols = CollectSymbols(spec);
  std::vector<fbs::Offset<fbs::String>> symbol_offs;
  for (std::string_view s : symbols) symbol_offs.push_back(b.CreateString(s.data(), s.size()));
  const auto symbols_off = b.CreateVector(symbol_offs);

  std::vector<fbs::Offset<fb::Value>> values;
  for (size_t i = 0; i < spec.values.size(); ++i) {
    const ValueSpec& v = spec.values[i];
    const auto name = b.CreateString(v.name);
    std::vector<int64_t> dims;
    for (const DimSpec& d : v.shape) {
      if (!d.is_symbolic()) {
        dims.push_back(d.size);
      } else {
        const auto it = std::find(symbols.begin(), symbols.end(), d.symbol);
        dims.push_back(-1 - static_cast<int64_t>(it - symbols.begin()));
      }
    }
    const auto shape = b.CreateVector(dims);
    fbs::Offset<fb::TensorData> data = 0;
    if (const std::optional<Placement>& p = layout.values[i]) {
      data = fb::CreateTensorData(b, p->offset, p->length, p->xxh3, p->alignment);
    }
    fbs::Offset<fb::QuantParams> quant = 0;
    if (v.quant) {
      const QuantSpec& q = *v.quant;
      quant = fb::CreateQuantParams(b, q.bits, q.granularity, q.axis, q.group_size, q.scale_value, q.zero_point_value);
    }
    values.push_back(fb::CreateValue(b, name, v.dtype, shape, data, quant));
  }
  const auto values_off = b.CreateVector(values);

  std::vector<fbs::Offset<fb::Op>> ops;
  for (const OpSpec& op : spec.ops) {
    const auto name = b.CreateString(op.name);
    const auto inputs = b.CreateVector(op.inputs);
    const auto outputs = b.CreateVector(op.outputs);
    std::vector<fbs::Offset<fb::Attr>> attrs;
    for (const AttrSpec& a : op.attrs) {
      const auto [type, value] = BuildDatum(b, a.value);
      attrs.push_back(fb::CreateAttr(b, a.key, type, value));
    }
    const auto attrs_off = b.CreateVector(attrs);
    ops.push_back(fb::CreateOp(b, op.type, op.version, name, inputs, outputs, attrs_off));
  }
  const auto ops_off = b.CreateVector(ops);
  const auto inputs_off = b.CreateVector(spec.inputs);
  const auto outputs_off = b.CreateVector(spec.outputs);

  std::vector<fbs::Offset<fb::MetadataEntry>> metadata;  // std::map iterates in key order: already sorted
  for (const auto& [key, datum] : spec.metadata) {
    const auto key_off = b.CreateString(key);
    const auto [type, value] = BuildDatum(b, datum);
    metadata.push_back(fb::CreateMetadataEntry(b, key_off, type, value));
  }
  const auto metadata_off = b.CreateVector(metadata);

  const ProvenanceSpec& pv = spec.provenance;
  const auto provenance = fb::CreateProvenance(
      b, b.CreateString(pv.producer_name), b.CreateString(pv.producer_version), b.CreateString(pv.command_line),
      b.CreateString(pv.source_model_name), b.CreateString(pv.source_model_hash),
      b.CreateString(pv.calibration_data_hash), pv.seed.value_or(0), pv.seed.has_value());
  const auto report = b.CreateString(spec.report_json);

  const auto model =
      fb::CreateModel(b, spec.min_runtime_version.Packed(), features_off, symbols_off, values_off, ops_off, inputs_off,
                      outputs_off, metadata_off, provenance, report, layout.length, layout.xxh3);
  fb::FinishModelBuffer(b, model);
}

// ---- File ------------------------------------------------------------------------------------------------------

Status WriteFile(const QmModelSpec& spec, const BlobLayout& layout, const fbs::FlatBufferBuilder& graph,
                 const std::string& path) {
  Preamble p = MakePreamble();
  p.min_runtime_version = spec.min_runtime_version.Packed();
  p.graph_length = static_cast<uint32_t>(graph.GetSize());
  p.blob_offset = BlobOffsetAfterGraph(p.graph_offset, p.graph_length);
  p.blob_length = layout.length;
  if (p.blob_offset > UINT64_MAX - p.blob_length) return InvalidArgument("qm spec: the file would exceed 2^64 bytes");
  p.file_length = p.blob_offset + p.blob_length;

  QC_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(path));
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
  if (state == nullptr || XXH3_64bits_reset(state.get()) != XXH_OK) return Internal("cannot allocate an XXH3 state");
  // Everything after the preamble is hashed as it is written; the preamble goes in last.
  const auto write = [&](const void* data, size_t n) {
    XXH3_64bits_update(state.get(), data, n);
    return out.Append(data, n);
  };
  QC_RETURN_IF_ERROR(out.AppendZeros(kPreambleSize));
  QC_RETURN_IF_ERROR(write(graph.GetBufferPointer(), graph.GetSize()));
  QC_RETURN_IF_ERROR(write(kZeros, static_cast<size_t>(p.blob_offset - p.graph_offset - p.graph_length)));
  QC_RETURN_IF_ERROR(ForEachBlobChunk(spec, layout, write));
  if (out.size() != p.file_length) {
    return Internal(path + ": wrote " + std::to_string(out.size()) + " bytes, expected " +
                    std::to_string(p.file_length));
  }
  p.file_xxh3 = XXH3_64bits_digest(state.get());

  uint8_t preamble[kPreambleSize];
  EncodePreamble(p, preamble);
  StoreLE64(preamble + kPreambleChecksumOffset, XXH3_64bits(preamble, kPreambleChecksumOffset));
  QC_RETURN_IF_ERROR(out.WriteAt(0, preamble, sizeof(preamble)));
  return out.Commit();
}

}  // namespace

Status WriteQmFile(const QmModelSpec& spec, const std::string& path) {
  const std::string context = "writing " + path;
  QC_RETURN_IF_ERROR(ValidateQmSpec(spec).WithContext(context));
  auto layout = LayOutBlob(spec);
  if (!layout.ok()) return layout.status().WithContext(context);
  fbs::FlatBufferBuilder builder(64 * 1024);
  BuildGraph(spec, *layout, builder);
  if (builder.GetSize() > kMaxGraphBytes) {
    return InvalidArgument(context + ": the graph section is " + std::to_string(builder.GetSize()) +
                           " bytes, over the 1 GiB limit");
  }
  return WriteFile(spec, *layout, builder, path);
}

}  // namespace qc::qm
