// Write a spec, read it back, compare every field.
#include <doctest/doctest.h>

#include <cstring>

#include "exporters/qm/qm_writer.h"
#include "qm_test_util.h"

namespace {

using qc::qm::AttrKey;
using qc::qm::DType;
using qc::qm::OpType;

std::string DimText(const qc::qm::QmDim& d) {
  return d.symbolic ? std::string(d.symbol) : std::to_string(d.size);
}

}  // namespace

TEST_CASE("round trip preserves values, constants and alignment") {
  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  const qc::qm::QmModelSpec& spec = sample.spec;
  const std::string path = dir.File("sample.qm");
  REQUIRE(qc::qm::WriteQmFile(spec, path).ok());
  CHECK(dir.List() == std::vector<std::string>{"sample.qm"});  // no temp file left behind

  auto opened = qc::qm::QmFile::Open(path);
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  const qc::qm::QmFile& file = *opened;
  CHECK(file.path() == path);
  CHECK(file.format_major() == 1);
  CHECK(file.format_minor() == 3);
  CHECK(file.preamble().graph_offset == 64);
  CHECK(file.preamble().blob_offset % 4096 == 0);
  CHECK(file.preamble().file_length == file.mapping().size());

  REQUIRE(file.num_values() == spec.values.size());
  for (uint32_t i = 0; i < file.num_values(); ++i) {
    const qc::qm::ValueSpec& want = spec.values[i];
    const qc::qm::QmValue got = file.value(i);
    CAPTURE(want.name);
    CHECK(got.index() == i);
    CHECK(got.name() == want.name);
    CHECK(got.dtype() == want.dtype);
    REQUIRE(got.rank() == want.shape.size());
    bool fixed = true;
    for (size_t d = 0; d < want.shape.size(); ++d) {
      CHECK(got.dim(d).symbolic == want.shape[d].is_symbolic());
      CHECK(DimText(got.dim(d)) ==
            (want.shape[d].is_symbolic() ? want.shape[d].symbol : std::to_string(want.shape[d].size)));
      fixed = fixed && !want.shape[d].is_symbolic();
    }
    CHECK(got.has_fixed_shape() == fixed);
    CHECK(got.is_constant() == want.constant.has_value());
    auto found = file.FindValue(want.name);
    REQUIRE(found.ok());
    CHECK(*found == i);
    if (!want.constant) {
      CHECK(got.data() == nullptr);
      CHECK(got.byte_size() == 0);
      continue;
    }
    REQUIRE(got.byte_size() == want.constant->size);
    const uint32_t expected_alignment = want.constant->size >= 65536 ? 4096 : 64;
    CHECK(got.alignment() == expected_alignment);
    CHECK(got.blob_offset() % expected_alignment == 0);
    CHECK(reinterpret_cast<uintptr_t>(got.data()) % expected_alignment == 0);
    CHECK(got.data() == file.blob_data() + got.blob_offset());
    if (got.byte_size() > 0) {
      CHECK(file.mapping().Contains(got.data()));
      CHECK(file.mapping().Contains(got.data() + got.byte_size() - 1));
      CHECK(std::memcmp(got.data(), want.constant->data, got.byte_size()) == 0);
      CHECK(got.data() != want.constant->data);
    }
  }
  CHECK(file.FindValue("no.such.value").status().code() == qc::StatusCode::kNotFound);

  // Symbols are interned once, in order of first appearance.
  REQUIRE(file.num_dim_symbols() == 2);
  CHECK(file.dim_symbol(0) == "batch");
  CHECK(file.dim_symbol(1) == "sequence");

  // Quant params survive, including the scale reference.
  auto quant = file.value(6).quant();
  REQUIRE(quant.has_value());
  CHECK(quant->bits == 2);
  CHECK(quant->granularity == qc::qm::QuantGranularity::PerChannel);
  CHECK(quant->axis == 0);
  CHECK(quant->scale_value == 7);
  CHECK(quant->zero_point_value == -1);
  CHECK_FALSE(file.value(0).quant().has_value());

  // Large tensors are page aligned in the file, small ones 64-byte aligned; padding is zero.
  const qc::qm::QmValue big = file.value(9);
  CHECK((file.preamble().blob_offset + big.blob_offset()) % 4096 == 0);
  const uint8_t* base = file.mapping().data();
  const uint64_t graph_end = 64 + file.preamble().graph_length;
  for (uint64_t i = graph_end; i < file.preamble().blob_offset; ++i) REQUIRE(base[i] == 0);
}

TEST_CASE("round trip preserves ops, attributes and the signature") {
  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("m.qm")).ok());
  auto opened = qc::qm::QmFile::Open(dir.File("m.qm"));
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  const qc::qm::QmFile& file = *opened;

  REQUIRE(file.num_ops() == sample.spec.ops.size());
  for (uint32_t i = 0; i < file.num_ops(); ++i) {
    const qc::qm::OpSpec& want = sample.spec.ops[i];
    const qc::qm::QmOp got = file.op(i);
    CAPTURE(want.name);
    CHECK(got.index() == i);
    CHECK(got.type() == want.type);
    CHECK(got.version() == want.version);
    CHECK(got.name() == want.name);
    REQUIRE(got.num_inputs() == want.inputs.size());
    for (size_t k = 0; k < want.inputs.size(); ++k) CHECK(got.input(k) == want.inputs[k]);
    REQUIRE(got.num_outputs() == want.outputs.size());
    for (size_t k = 0; k < want.outputs.size(); ++k) CHECK(got.output(k) == want.outputs[k]);
    REQUIRE(got.num_attrs() == want.attrs.size());
    for (size_t k = 0; k < want.attrs.size(); ++k) {
      CHECK(got.attr_key(k) == want.attrs[k].key);
      CHECK(got.attr_value(k).kind() == want.attrs[k].value.kind());
    }
  }
  const qc::qm::QmOp ln = file.op(2);
  CHECK(ln.GetFloat(AttrKey::epsilon).value() == doctest::Approx(1e-12));
  CHECK(ln.GetInt(AttrKey::axis).value() == -1);
  CHECK(ln.Describe() == "op 2 'bert.embeddings.LayerNorm' (LayerNorm v1)");
  const qc::qm::QmOp dense = file.op(3);
  CHECK(dense.version() == 2);
  CHECK(dense.input(2) == qc::qm::kNoValue);
  auto scale = dense.GetFloatList(AttrKey::scale);
  REQUIRE(scale.ok());
  REQUIRE(scale->size == 2);
  CHECK((*scale)[0] == 0.5);
  CHECK((*scale)[1] == 0.25);
  auto patch = dense.GetIntList(AttrKey::patch);
  REQUIRE(patch.ok());
  CHECK(std::vector<int64_t>(patch->begin(), patch->end()) == std::vector<int64_t>{16, 16});
  const qc::qm::QmOp attention = file.op(4);
  CHECK(attention.GetInt(AttrKey::num_heads).value() == 2);
  CHECK(attention.GetFloat(AttrKey::mask_fill).value() == -1e4);
  CHECK(attention.GetString(AttrKey::approximate).value() == "none");
  CHECK(file.op(5).name().empty());

  // Missing attribute: kNotFound; wrong kind: kCorruptData; both name the op and the key.
  auto missing = attention.GetInt(AttrKey::epsilon);
  CHECK(missing.status().code() == qc::StatusCode::kNotFound);
  CHECK(missing.status().message().find("'epsilon'") != std::string::npos);
  CHECK(missing.status().message().find("bert.encoder.attention") != std::string::npos);
  auto wrong = attention.GetInt(AttrKey::mask_fill);
  CHECK(wrong.status().code() == qc::StatusCode::kCorruptData);
  CHECK(wrong.status().message().find("is a float, not an int") != std::string::npos);
  CHECK(ln.GetFloat(AttrKey::axis).value() == -1.0);  // ints widen to float
  CHECK_FALSE(attention.FindAttr(AttrKey::index).has_value());

  CHECK(std::vector<uint32_t>(file.inputs().begin(), file.inputs().end()) == sample.spec.inputs);
  CHECK(std::vector<uint32_t>(file.outputs().begin(), file.outputs().end()) == sample.spec.outputs);
}

TEST_CASE("round trip preserves metadata, provenance, report and versions") {
  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  sample.spec.min_runtime_version = {0, 1, 0};
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("m.qm")).ok());
  auto opened = qc::qm::QmFile::Open(dir.File("m.qm"));
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  const qc::qm::QmFile& file = *opened;

  REQUIRE(file.num_metadata() == sample.spec.metadata.size());
  size_t i = 0;
  for (const auto& [key, datum] : sample.spec.metadata) {  // std::map order = file order
    CHECK(file.metadata_key(i) == key);
    CHECK(file.metadata_value(i).kind() == datum.kind());
    ++i;
  }
  auto vocab = file.GetMetadataStringList("tokenizer.vocab");
  REQUIRE(vocab.ok());
  REQUIRE(vocab->size() == 7);
  CHECK((*vocab)[0] == "[PAD]");
  CHECK((*vocab)[6] == "##s");
  CHECK(file.GetMetadataInt("tokenizer.lowercase").value() == 1);
  CHECK(file.GetMetadataInt("tokenizer.strip_accents").value() == -1);
  CHECK(file.GetMetadataInt("tokenizer.model_max_length").value() == 512);
  CHECK(file.GetMetadataString("tokenizer.mask_token").value() == "[MASK]");
  auto size = file.GetMetadataIntList("image.size");
  REQUIRE(size.ok());
  CHECK(std::vector<int64_t>(size->begin(), size->end()) == std::vector<int64_t>{224, 224});
  auto mean = file.GetMetadataFloatList("image.mean");
  REQUIRE(mean.ok());
  CHECK(mean->size == 3);
  CHECK(file.GetMetadataFloat("image.rescale_factor").value() == 1.0 / 255.0);
  auto blob = file.GetMetadataBytes("custom.blob");
  REQUIRE(blob.ok());
  CHECK(std::vector<uint8_t>(blob->begin(), blob->end()) == std::vector<uint8_t>{0, 1, 2, 255});
  auto empty = file.GetMetadataIntList("custom.empty_list");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  CHECK(file.HasMetadata("model.architecture"));
  CHECK_FALSE(file.HasMetadata("model.labels"));
  auto missing = file.GetMetadataInt("tokenizer.nothing");
  CHECK(missing.status().code() == qc::StatusCode::kNotFound);
  auto wrong = file.GetMetadataInt("tokenizer.vocab");
  CHECK(wrong.status().code() == qc::StatusCode::kInvalidArgument);
  CHECK(wrong.status().message().find("metadata 'tokenizer.vocab' is a string list, not an int") != std::string::npos);

  const qc::qm::QmProvenance p = file.provenance();
  CHECK(p.producer_name == "qcompress");
  CHECK(p.producer_version == "0.1.0");
  CHECK(p.command_line == "qcompress export --bits 2 model.onnx");
  CHECK(p.source_model_name == "model.onnx");
  CHECK(p.source_model_hash == "xxh3:0123456789abcdef");
  CHECK(p.calibration_data_hash == "xxh3:fedcba9876543210");
  REQUIRE(p.seed.has_value());
  CHECK(*p.seed == 42);
  CHECK(file.report_json() == sample.spec.report_json);

  CHECK(file.min_runtime_version() == qc::qm::RuntimeVersion{0, 1, 0});
  REQUIRE(file.num_required_features() == 2);
  CHECK(file.required_feature(0) == "op.attention@1");  // written sorted
  CHECK(file.required_feature(1) == "op.linear@2");
  CHECK(file.CheckRequiredFeatures({"op.linear@2", "op.attention@1", "op.gelu@1"}).ok());
  const qc::Status lacking = file.CheckRequiredFeatures({"op.attention@1", "op.linear@1"});
  CHECK(lacking.code() == qc::StatusCode::kUnsupported);
  CHECK(lacking.message().find("'op.linear@2'") != std::string::npos);
}

TEST_CASE("an empty model and a model without provenance round-trip") {
  qc::test::TempDir dir;
  qc::qm::QmModelSpec spec;
  REQUIRE(qc::qm::WriteQmFile(spec, dir.File("empty.qm")).ok());
  auto file = qc::qm::QmFile::Open(dir.File("empty.qm"));
  REQUIRE_MESSAGE(file.ok(), file.status().ToString());
  CHECK(file->num_values() == 0);
  CHECK(file->num_ops() == 0);
  CHECK(file->blob_size() == 0);
  CHECK(file->inputs().empty());
  CHECK(file->report_json().empty());
  CHECK_FALSE(file->provenance().seed.has_value());
  CHECK(file->mapping().size() == file->preamble().blob_offset);
}

TEST_CASE("skipping tensor checksums still loads a valid file, and the file survives a move") {
  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("m.qm")).ok());
  qc::qm::QmReadOptions options;
  options.verify_tensor_checksums = false;
  auto file = qc::qm::QmFile::Open(dir.File("m.qm"), options);
  REQUIRE(file.ok());
  const uint8_t* data = file->value(2).data();
  qc::qm::QmFile moved = std::move(*file);
  CHECK_FALSE(file->loaded());
  CHECK(file->num_values() == 0);
  CHECK(moved.loaded());
  CHECK(moved.value(2).data() == data);
  CHECK(moved.value(2).name() == "word_embeddings");
  CHECK(moved.GetMetadataString("model.architecture").value() == "bert");
}

TEST_CASE("a default-constructed QmFile is empty and can be assigned") {
  qc::qm::QmFile file;
  CHECK_FALSE(file.loaded());
  CHECK(file.num_values() == 0);
  CHECK(file.num_ops() == 0);
  CHECK(file.num_metadata() == 0);
  CHECK(file.num_required_features() == 0);
  CHECK(file.inputs().empty());
  CHECK(file.blob_data() == nullptr);
  CHECK(file.report_json().empty());
  CHECK(file.FindValue("x").status().code() == qc::StatusCode::kNotFound);
  CHECK(file.GetMetadataInt("tokenizer.lowercase").status().code() == qc::StatusCode::kNotFound);

  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("m.qm")).ok());
  auto opened = qc::qm::QmFile::Open(dir.File("m.qm"));
  REQUIRE(opened.ok());
  file = std::move(*opened);
  CHECK(file.loaded());
  CHECK(file.num_values() == sample.spec.values.size());
  CHECK(file.GetMetadataInt("tokenizer.lowercase").value() == 1);
}
