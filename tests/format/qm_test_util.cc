#include "qm_test_util.h"

#include <xxhash.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "format/qm_generated.h"
#include "format/qm_quant_rules.h"

namespace qc::test {

namespace fs = std::filesystem;
namespace fbs = flatbuffers;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "qc_format_test_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::string> TempDir::List() const {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

SampleModel::SampleModel() {
  using qm::AttrKey;
  using qm::Datum;
  using qm::DimSpec;
  using qm::DType;
  using qm::OpType;
  for (int i = 0; i < 16 * 8; ++i) word_embeddings.push_back(0.25f * static_cast<float>(i % 17) - 1.0f);
  for (int i = 0; i < 32 * 8; ++i) position_embeddings.push_back(0.01f * static_cast<float>(i));
  gamma.assign(8, 1.5f);
  beta.assign(8, -0.5f);
  for (int i = 0; i < 16; ++i) ternary.push_back(static_cast<uint8_t>((i * 37) & 0xAA));  // codes 0..2
  ternary_scale = {0.5f, 0.25f, 1, 2, 4, 8, 16, 32};
  int4 = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0x0f};  // 15 nibbles + a zero pad nibble
  for (int i = 0; i < 128 * 128; ++i) big.push_back(static_cast<float>(i % 251));

  const auto sym = [](const char* s) { return DimSpec::Symbol(s); };
  const auto fixed = [](int64_t n) { return DimSpec::Fixed(n); };
  const auto constant = [](const auto& v) { return qm::ConstantData{v.data(), v.size() * sizeof(v[0])}; };
  auto& vals = spec.values;
  vals.push_back({"input_ids", DType::I64, {sym("batch"), sym("sequence")}, {}, {}});                             // 0
  vals.push_back({"attention_mask", DType::I64, {sym("batch"), sym("sequence")}, {}, {}});                        // 1
  vals.push_back({"word_embeddings", DType::F32, {fixed(16), fixed(8)}, constant(word_embeddings), {}});          // 2
  vals.push_back({"position_embeddings", DType::F32, {fixed(32), fixed(8)}, constant(position_embeddings), {}});  // 3
  vals.push_back({"ln.gamma", DType::F32, {fixed(8)}, constant(gamma), {}});                                      // 4
  vals.push_back({"ln.beta", DType::F32, {fixed(8)}, constant(beta), {}});                                        // 5
  vals.push_back({"dense.weight", DType::T2, {fixed(8), fixed(8)}, constant(ternary), {}});                       // 6
  vals.push_back({"dense.scale", DType::F32, {fixed(8)}, constant(ternary_scale), {}});                           // 7
  vals.push_back({"int4.table", DType::I4, {fixed(3), fixed(5)}, constant(int4), {}});                            // 8
  vals.push_back({"big.table", DType::F32, {fixed(128), fixed(128)}, constant(big), {}});                         // 9
  vals.push_back({"empty.bias", DType::F32, {fixed(0)}, qm::ConstantData{nullptr, 0}, {}});                       // 10
  vals.push_back({"embedded", DType::F32, {sym("batch"), sym("sequence"), fixed(8)}, {}, {}});                    // 11
  vals.push_back({"positioned", DType::F32, {sym("batch"), sym("sequence"), fixed(8)}, {}, {}});                  // 12
  vals.push_back({"normed", DType::F32, {sym("batch"), sym("sequence"), fixed(8)}, {}, {}});                      // 13
  vals.push_back({"dense", DType::F32, {sym("batch"), sym("sequence"), fixed(8)}, {}, {}});                       // 14
  vals.push_back({"attended", DType::F32, {sym("batch"), sym("sequence"), fixed(8)}, {}, {}});                    // 15
  vals.push_back({"pooled", DType::F32, {sym("batch"), fixed(8)}, {}, {}});                                       // 16
  vals.push_back({"scalar.out", DType::F32, {}, {}, {}});                                                         // 17
  vals[6].quant = qm::QuantSpec{2, qm::QuantGranularity::PerChannel, 0, 0, 7, qm::kNoValue};

  auto& ops = spec.ops;
  ops.push_back({OpType::Embedding, 1, "bert.embeddings.word_embeddings", {0, 2}, {11}, {}});
  ops.push_back(
      {OpType::AddPositionEmbedding, 1, "bert.embeddings.position", {11, 3}, {12}, {{AttrKey::offset, Datum::Int(0)}}});
  ops.push_back({OpType::LayerNorm,
                 1,
                 "bert.embeddings.LayerNorm",
                 {12, 4, 5},
                 {13},
                 {{AttrKey::epsilon, Datum::Float(1e-12)}, {AttrKey::axis, Datum::Int(-1)}}});
  ops.push_back({OpType::Linear,
                 2,
                 "bert.encoder.dense",
                 {13, 6, qm::kNoValue},
                 {14},
                 {{AttrKey::scale, Datum::FloatList({0.5, 0.25})}, {AttrKey::patch, Datum::IntList({16, 16})}}});
  ops.push_back({OpType::Attention,
                 1,
                 "bert.encoder.attention",
                 {14, 1},
                 {15},
                 {{AttrKey::num_heads, Datum::Int(2)},
                  {AttrKey::mask_fill, Datum::Float(-1e4)},
                  {AttrKey::approximate, Datum::String("none")}}});
  ops.push_back({OpType::SelectToken, 1, "", {15}, {16}, {{AttrKey::index, Datum::Int(0)}}});
  ops.push_back({OpType::MeanPool, 1, "pool.scalar", {16, 8, 9, 10}, {17}, {}});
  spec.inputs = {0, 1};
  spec.outputs = {16, 17};

  spec.metadata["tokenizer.vocab"] = Datum::StringList({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "##s"});
  spec.metadata["tokenizer.lowercase"] = Datum::Bool(true);
  spec.metadata["tokenizer.strip_accents"] = Datum::Int(-1);
  spec.metadata["tokenizer.clean_text"] = Datum::Int(1);
  spec.metadata["tokenizer.handle_chinese_chars"] = Datum::Int(0);
  spec.metadata["tokenizer.unk_token"] = Datum::String("[UNK]");
  spec.metadata["tokenizer.cls_token"] = Datum::String("[CLS]");
  spec.metadata["tokenizer.sep_token"] = Datum::String("[SEP]");
  spec.metadata["tokenizer.pad_token"] = Datum::String("[PAD]");
  spec.metadata["tokenizer.mask_token"] = Datum::String("[MASK]");
  spec.metadata["tokenizer.model_max_length"] = Datum::Int(512);
  spec.metadata["image.size"] = Datum::IntList({224, 224});
  spec.metadata["image.mean"] = Datum::FloatList({0.5, 0.5, 0.5});
  spec.metadata["image.std"] = Datum::FloatList({0.5, 0.5, 0.5});
  spec.metadata["image.rescale_factor"] = Datum::Float(1.0 / 255.0);
  spec.metadata["model.architecture"] = Datum::String("bert");
  spec.metadata["custom.blob"] = Datum::ByteString({0, 1, 2, 255});
  spec.metadata["custom.empty_list"] = Datum::IntList({});

  spec.provenance = {"qcompress",
                     "0.1.0",
                     "qcompress export --bits 2 model.onnx",
                     "model.onnx",
                     "xxh3:0123456789abcdef",
                     "xxh3:fedcba9876543210",
                     uint64_t{42}};
  spec.report_json = R"({"layers":[{"name":"dense","bits":2,"sqnr_db":12.5}]})";
  spec.required_features = {"op.linear@2", "op.attention@1"};
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void ResealPreamble(std::vector<uint8_t>* bytes) {
  qm::StoreLE64(bytes->data() + qm::kPreambleChecksumOffset, XXH3_64bits(bytes->data(), qm::kPreambleChecksumOffset));
}

void Reseal(std::vector<uint8_t>* bytes) {
  qm::StoreLE64(bytes->data() + 48, XXH3_64bits(bytes->data() + 64, bytes->size() - 64));
  ResealPreamble(bytes);
}

Expected<qm::QmFile> OpenBytes(const std::vector<uint8_t>& bytes, const qm::QmReadOptions& options) {
  QC_ASSIGN_OR_RETURN(MappedFile mapping, MappedFile::CopyOf(bytes.data(), bytes.size(), "test.qm"));
  return qm::QmFile::FromMapping(std::move(mapping), options);
}

RawModel QLinearRaw(int64_t k, int64_t act_groups) {
  const bool grouped = act_groups > 1;
  const auto slice_blocks = static_cast<uint64_t>((k / act_groups + 127) / 128);
  const uint64_t weight_bytes = static_cast<uint64_t>(act_groups) * 2 * slice_blocks * 128;  // 6 rows: 2 row groups
  RawModel m;
  m.min_runtime_version = m.preamble_min_runtime_version =
      (grouped ? qm::kActGroupsRuntime : qm::kQuantizedOpsRuntime).Packed();
  m.features = grouped ? std::vector<std::string>{"op.qlinear.act_groups@1", "op.qlinear@1"}
                       : std::vector<std::string>{"op.qlinear@1"};
  m.symbols = {"batch"};
  m.values.push_back({"x", 1, {-1, k}});
  RawValue w{"w", 8, {static_cast<int64_t>(weight_bytes)}};
  w.has_data = true;
  w.length = weight_bytes;
  m.values.push_back(w);
  RawValue s{"w_scale", 1, {1}};
  s.has_data = true;
  s.offset = weight_bytes;
  s.length = 4;
  m.values.push_back(s);
  m.values.push_back({"y", 1, {-1, 6}});
  RawOp op{18, 1, "fc", {0, 1, 2}, {3}, {}};
  op.attrs = {{10, RawInt(1)},   {11, RawInt(k)},    {12, RawInt(6)}, {13, RawInt(1)},
              {14, RawFloat(0)}, {15, RawFloat(0)}, {16, RawInt(0)}};
  if (grouped) op.attrs.push_back({17, RawInt(act_groups)});
  m.ops.push_back(op);
  m.inputs = {0};
  m.outputs = {3};
  m.blob.assign(weight_bytes + 4, 0x55);
  const size_t one = weight_bytes;  // 1.0f, little-endian
  m.blob[one] = 0, m.blob[one + 1] = 0, m.blob[one + 2] = 0x80, m.blob[one + 3] = 0x3f;
  return m;
}

RawModel MinimalRaw() {
  RawModel m;
  m.symbols = {"batch"};
  m.values.push_back({"x", 1, {-1}});
  RawValue w{"w", 1, {4}};
  w.has_data = true;
  w.length = 16;
  m.values.push_back(w);
  m.values.push_back({"y", 1, {-1}});
  m.ops.push_back({3, 1, "add", {0, 1}, {2}, {}});
  m.inputs = {0};
  m.outputs = {2};
  m.blob = {0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64};  // 1, 2, 3, 4 as f32
  return m;
}

namespace {

std::pair<uint8_t, fbs::Offset<void>> BuildRawDatum(fbs::FlatBufferBuilder& b, const RawDatum& d) {
  fbs::Offset<void> table = 0;
  if (!d.null_table) {
    switch (static_cast<qm::fb::Datum>(d.tag)) {
      case qm::fb::Datum::IntDatum:
        table = qm::fb::CreateIntDatum(b, d.i).Union();
        break;
      case qm::fb::Datum::FloatDatum:
        table = qm::fb::CreateFloatDatum(b, d.f).Union();
        break;
      case qm::fb::Datum::StringDatum:
        table = qm::fb::CreateStringDatum(b, b.CreateString(d.s)).Union();
        break;
      case qm::fb::Datum::IntListDatum:
        table = qm::fb::CreateIntListDatum(b, b.CreateVector(d.ints)).Union();
        break;
      case qm::fb::Datum::FloatListDatum:
        table = qm::fb::CreateFloatListDatum(b, b.CreateVector(d.floats)).Union();
        break;
      case qm::fb::Datum::StringListDatum:
        table = qm::fb::CreateStringListDatum(b, b.CreateVectorOfStrings(d.strings)).Union();
        break;
      default:
        table = qm::fb::CreateIntDatum(b, d.i).Union();
        break;  // unknown tags point at some table
    }
  }
  return {d.tag, table};
}

}  // namespace

std::vector<uint8_t> AssembleRaw(const RawModel& m) {
  fbs::FlatBufferBuilder b;
  const auto features = b.CreateVectorOfStrings(m.features);
  const auto symbols = b.CreateVectorOfStrings(m.symbols);
  std::vector<fbs::Offset<qm::fb::Value>> values;
  for (const RawValue& v : m.values) {
    const auto name = b.CreateString(v.name);
    const auto shape = b.CreateVector(v.shape);
    fbs::Offset<qm::fb::TensorData> data = 0;
    if (v.has_data) {
      uint64_t h = v.xxh3;
      if (v.hash_from_blob && v.offset <= m.blob.size() && v.length <= m.blob.size() - v.offset) {
        h = XXH3_64bits(m.blob.data() + v.offset, v.length);
      }
      data = qm::fb::CreateTensorData(b, v.offset, v.length, h, v.alignment);
    }
    fbs::Offset<qm::fb::QuantParams> quant = 0;
    if (v.has_quant) {
      quant = qm::fb::CreateQuantParams(b, v.quant_bits, static_cast<qm::fb::QuantGranularity>(v.quant_granularity), 0,
                                        0, v.quant_scale, -1);
    }
    values.push_back(qm::fb::CreateValue(b, name, static_cast<qm::fb::DType>(v.dtype), shape, data, quant));
  }
  const auto values_off = b.CreateVector(values);
  std::vector<fbs::Offset<qm::fb::Op>> ops;
  for (const RawOp& op : m.ops) {
    const auto name = b.CreateString(op.name);
    const auto inputs = b.CreateVector(op.inputs);
    const auto outputs = b.CreateVector(op.outputs);
    std::vector<fbs::Offset<qm::fb::Attr>> attrs;
    for (const RawAttr& a : op.attrs) {
      const auto [tag, table] = BuildRawDatum(b, a.value);
      attrs.push_back(
          qm::fb::CreateAttr(b, static_cast<qm::fb::AttrKey>(a.key), static_cast<qm::fb::Datum>(tag), table));
    }
    const auto attrs_off = b.CreateVector(attrs);
    ops.push_back(
        qm::fb::CreateOp(b, static_cast<qm::fb::OpType>(op.type), op.version, name, inputs, outputs, attrs_off));
  }
  const auto ops_off = b.CreateVector(ops);
  const auto inputs = b.CreateVector(m.inputs);
  const auto outputs = b.CreateVector(m.outputs);
  std::vector<fbs::Offset<qm::fb::MetadataEntry>> metadata;
  for (const RawMeta& e : m.metadata) {
    const auto key = b.CreateString(e.key);
    const auto [tag, table] = BuildRawDatum(b, e.value);
    metadata.push_back(qm::fb::CreateMetadataEntry(b, key, static_cast<qm::fb::Datum>(tag), table));
  }
  const auto metadata_off = b.CreateVector(metadata);
  const uint64_t blob_hash = XXH3_64bits(m.blob.data(), m.blob.size()) + (m.blob_hash_correct ? 0 : 1);
  const uint64_t blob_length = m.blob.size() + (m.blob_length_matches ? 0 : 1);
  const auto model = qm::fb::CreateModel(b, m.min_runtime_version, features, symbols, values_off, ops_off, inputs,
                                         outputs, metadata_off, 0, 0, blob_length, blob_hash);
  qm::fb::FinishModelBuffer(b, model);

  qm::Preamble p = qm::MakePreamble();
  p.min_runtime_version = m.preamble_min_runtime_version;
  p.graph_length = static_cast<uint32_t>(b.GetSize());
  p.blob_offset = qm::BlobOffsetAfterGraph(p.graph_offset, p.graph_length);
  p.blob_length = m.blob.size();
  p.file_length = p.blob_offset + p.blob_length;
  std::vector<uint8_t> bytes(p.file_length, 0);
  std::copy(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize(), bytes.begin() + 64);
  std::copy(m.blob.begin(), m.blob.end(), bytes.begin() + static_cast<std::ptrdiff_t>(p.blob_offset));
  qm::EncodePreamble(p, bytes.data());
  Reseal(&bytes);
  return bytes;
}

}  // namespace qc::test
