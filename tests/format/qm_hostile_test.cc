// Hostile files, part 1: truncation, byte flips, preamble fields, section table, checksums, FlatBuffers Verifier.
// Every case must give its own error, never a crash (this binary runs under ASan/UBSan in CI).
#include <doctest/doctest.h>

#include <random>

#include "exporters/qm/qm_writer.h"
#include "qm_test_util.h"

namespace {

using qc::StatusCode;

// A valid sample file's bytes, written once.
const std::vector<uint8_t>& SampleBytes() {
  static const std::vector<uint8_t> bytes = [] {
    qc::test::TempDir dir;
    qc::test::SampleModel sample;
    const qc::Status s = qc::qm::WriteQmFile(sample.spec, dir.File("m.qm"));
    if (!s.ok()) return std::vector<uint8_t>();
    return qc::test::ReadBytes(dir.File("m.qm"));
  }();
  return bytes;
}

qc::Status Load(const std::vector<uint8_t>& bytes) {
  return qc::test::OpenBytes(bytes).status();
}

bool Contains(const qc::Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// Sets a preamble field (little-endian) and recomputes the preamble checksum.
void SetField(std::vector<uint8_t>* bytes, size_t offset, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) (*bytes)[offset + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
  qc::test::ResealPreamble(bytes);
}

}  // namespace

TEST_CASE("the sample file loads from memory") {
  REQUIRE(SampleBytes().size() > 70000);
  const qc::Status s = Load(SampleBytes());
  CHECK_MESSAGE(s.ok(), s.ToString());
}

TEST_CASE("truncated files are rejected with their size") {
  const std::vector<uint8_t>& full = SampleBytes();
  const qc::qm::Preamble p = qc::qm::DecodePreamble(full.data());
  for (size_t cut : {size_t{0}, size_t{1}, size_t{4}, size_t{63}}) {
    CAPTURE(cut);
    const qc::Status s = Load(std::vector<uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut)));
    CHECK(s.code() == StatusCode::kCorruptData);
    CHECK(Contains(s, "file is " + std::to_string(cut) + " bytes, shorter than the 64-byte .qm preamble"));
  }
  for (size_t cut : {size_t{64}, size_t{65}, size_t{64 + p.graph_length / 2}, size_t(p.blob_offset),
                     size_t(p.blob_offset + 1), full.size() - 1}) {
    CAPTURE(cut);
    const qc::Status s = Load(std::vector<uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut)));
    CHECK(s.code() == StatusCode::kCorruptData);
    CHECK(Contains(s, "file is " + std::to_string(cut) + " bytes but its preamble says " + std::to_string(full.size()) +
                          " (truncated)"));
  }
  std::vector<uint8_t> longer = full;
  longer.push_back(0);
  CHECK(Contains(Load(longer), "(trailing bytes)"));
}

TEST_CASE("every single-byte flip in the preamble is caught") {
  const std::vector<uint8_t>& full = SampleBytes();
  for (size_t i = 0; i < 64; ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      CAPTURE(i);
      CAPTURE(int{mask});
      std::vector<uint8_t> bytes = full;
      bytes[i] ^= mask;
      const qc::Status s = Load(bytes);
      REQUIRE_FALSE(s.ok());
      CHECK(s.code() == StatusCode::kCorruptData);
      if (i < 4) {
        CHECK(Contains(s, "not a .qm file"));
      } else if (i < 6) {
        CHECK(Contains(s, "byte-order mark"));
      } else {
        CHECK(Contains(s, "preamble checksum mismatch"));
      }
    }
  }
}

TEST_CASE("flips after the preamble fail the whole-file checksum and are located") {
  const std::vector<uint8_t>& full = SampleBytes();
  const qc::qm::Preamble p = qc::qm::DecodePreamble(full.data());
  std::mt19937 rng(1234);
  std::vector<size_t> offsets = {64, 64 + p.graph_length - 1, size_t(p.blob_offset), full.size() - 1};
  for (int k = 0; k < 300; ++k) offsets.push_back(64 + rng() % (full.size() - 64));
  for (size_t i : offsets) {
    CAPTURE(i);
    std::vector<uint8_t> bytes = full;
    bytes[i] ^= static_cast<uint8_t>(1u << (rng() % 8));
    const qc::Status s = Load(bytes);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == StatusCode::kCorruptData);
    CHECK(Contains(s, "file checksum mismatch over bytes [64, " + std::to_string(full.size()) + ")"));
    if (i >= 64 + p.graph_length && i < p.blob_offset) CHECK(Contains(s, "padding before the blob section"));
  }
  // A flip inside a constant names it.
  std::vector<uint8_t> bytes = full;
  auto file = qc::test::OpenBytes(full);
  REQUIRE(file.ok());
  const qc::qm::QmValue big = file->value(9);
  bytes[p.blob_offset + big.blob_offset() + 100] ^= 4;
  CHECK(Contains(Load(bytes), "the bytes of constant 'big.table' (value 9) at file offset " +
                                  std::to_string(p.blob_offset + big.blob_offset()) + " are corrupt"));
}

TEST_CASE("magic, byte order and versions") {
  const std::vector<uint8_t>& full = SampleBytes();
  std::vector<uint8_t> bytes = full;
  bytes[0] = 'G', bytes[1] = 'G', bytes[2] = 'U', bytes[3] = 'F';
  CHECK(Contains(Load(bytes), "not a .qm file: bytes 0..3 are not the magic \"QCMF\""));

  bytes = full;
  std::swap(bytes[4], bytes[5]);
  const qc::Status big_endian = Load(bytes);
  CHECK(big_endian.code() == StatusCode::kCorruptData);
  CHECK(Contains(big_endian, "byte-order mark at offset 4 is 0xfffe"));

  bytes = full;
  SetField(&bytes, 8, 2, 2);  // format 2.0, checksum valid
  SetField(&bytes, 10, 0, 2);
  const qc::Status newer = Load(bytes);
  CHECK(newer.code() == StatusCode::kVersionTooNew);
  CHECK(Contains(newer, "file format version 2.0 is newer than this runtime (0.4.0) reads (format 1.x)"));

  bytes = full;
  SetField(&bytes, 8, 0, 2);
  const qc::Status older = Load(bytes);
  CHECK(older.code() == StatusCode::kUnsupported);
  CHECK(Contains(older, "format version 0.3 is older"));  // the minor is the writer's (1.3)

  bytes = full;  // a corrupt major field (checksum not updated) is corruption, not a version problem
  bytes[8] = 7;
  const qc::Status corrupt_major = Load(bytes);
  CHECK(corrupt_major.code() == StatusCode::kCorruptData);
  CHECK(Contains(corrupt_major, "format_major field at offset 8 is corrupt"));

  bytes = full;  // a newer minor of the same major is readable
  SetField(&bytes, 10, 7, 2);
  auto minor = qc::test::OpenBytes(bytes);
  REQUIRE_MESSAGE(minor.ok(), minor.status().ToString());
  CHECK(minor->format_minor() == 7);

  bytes = full;
  SetField(&bytes, 12, (2u << 16) | (5u << 8) | 1u, 4);
  const qc::Status runtime = Load(bytes);
  CHECK(runtime.code() == StatusCode::kVersionTooNew);
  CHECK(Contains(runtime, "model requires qcompress runtime >= 2.5.1; this is 0.4.0"));

  bytes = full;
  SetField(&bytes, 12, 0x000009, 4);
  CHECK(Contains(Load(bytes), "min_runtime_version 0.0.9 is below 0.1.0"));

  bytes = full;
  SetField(&bytes, 6, 128, 2);
  CHECK(Contains(Load(bytes), "preamble_size is 128, format 1.x requires 64"));
}

TEST_CASE("a writer-made file needing a newer runtime is refused by name") {
  qc::test::TempDir dir;
  qc::test::SampleModel sample;
  sample.spec.min_runtime_version = {9, 9, 9};
  REQUIRE(qc::qm::WriteQmFile(sample.spec, dir.File("future.qm")).ok());
  auto file = qc::qm::QmFile::Open(dir.File("future.qm"));
  CHECK(file.status().code() == StatusCode::kVersionTooNew);
  CHECK(Contains(file.status(), dir.File("future.qm") + ": model requires qcompress runtime >= 9.9.9; this is 0.4.0"));
}

TEST_CASE("section offsets out of range or overflowing") {
  const std::vector<uint8_t>& full = SampleBytes();
  const qc::qm::Preamble p = qc::qm::DecodePreamble(full.data());
  const uint64_t size = full.size();
  struct Case {
    size_t offset;
    int width;
    uint64_t value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {16, 4, 0, "graph section offset 0 must be >= 64"},
      {16, 4, 60, "graph section offset 60 must be >= 64"},
      {16, 4, 68, "graph section offset 68 must be >= 64 and a multiple of 8"},
      {20, 4, 0, "graph section length 0 is outside"},
      {20, 4, 0xFFFFFFFFu, "graph section length 4294967295 is outside"},
      {20, 4, p.blob_offset, "overlaps the graph section"},
      {24, 8, p.blob_offset + 64, "is not a multiple of 4096"},
      {24, 8, 0, "blob section offset 0 overlaps the graph section"},
      {24, 8, 0xFFFFFFFFFFFFF000ull, "extends past the end"},
      {24, 8, p.blob_offset + 4096 * 64, "extends past the end"},
      {32, 8, 0xFFFFFFFFFFFFFFFFull, "extends past the end"},
      {32, 8, 0xFFFFFFFFFFFFFFFFull - p.blob_offset + 2, "extends past the end"},  // offset + length wraps
      {32, 8, p.blob_length - 1, "1 bytes follow the blob section"},
      {40, 8, size + 4096, "but its preamble says " + std::to_string(size + 4096) + " (truncated)"},
      {40, 8, 0xFFFFFFFFFFFFFFFFull, "(truncated)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.message);
    std::vector<uint8_t> bytes = full;
    SetField(&bytes, c.offset, c.value, c.width);
    const qc::Status s = Load(bytes);
    CHECK(s.code() == StatusCode::kCorruptData);
    CHECK_MESSAGE(Contains(s, c.message), s.message());
  }
}

TEST_CASE("non-zero padding with valid checksums is refused") {
  std::vector<uint8_t> bytes = SampleBytes();
  const qc::qm::Preamble p = qc::qm::DecodePreamble(bytes.data());
  bytes[p.blob_offset - 1] = 0x5A;
  qc::test::Reseal(&bytes);
  CHECK(Contains(Load(bytes), "padding byte at offset " + std::to_string(p.blob_offset - 1) + " is not zero"));
}

TEST_CASE("a graph section that fails the FlatBuffers Verifier is caught by it") {
  const std::vector<uint8_t>& full = SampleBytes();
  const qc::qm::Preamble p = qc::qm::DecodePreamble(full.data());

  std::vector<uint8_t> bytes = full;  // root offset beyond the section
  qc::qm::StoreLE32(bytes.data() + 64, p.graph_length + 100);
  qc::test::Reseal(&bytes);
  qc::Status s = Load(bytes);
  CHECK(s.code() == StatusCode::kCorruptData);
  CHECK(Contains(s, "graph section [64, " + std::to_string(64 + p.graph_length) + ") fails FlatBuffers verification"));

  bytes = full;  // root table's vtable offset pointing outside the buffer
  const uint32_t root = qc::qm::LoadLE32(full.data() + 64);
  qc::qm::StoreLE32(bytes.data() + 64 + root, 0x7FFFFFF0u);
  qc::test::Reseal(&bytes);
  CHECK(Contains(Load(bytes), "fails FlatBuffers verification"));

  bytes = full;  // wrong file identifier
  bytes[68] = 'X';
  qc::test::Reseal(&bytes);
  CHECK(Contains(Load(bytes), "lacks the FlatBuffers file identifier \"QM01\""));

  // Random damage to the graph section with valid checksums: an error or (rarely) a harmless change, never a crash.
  std::mt19937 rng(99);
  int rejected = 0;
  for (int k = 0; k < 1500; ++k) {
    bytes = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[64 + rng() % p.graph_length] = static_cast<uint8_t>(rng());
    qc::test::Reseal(&bytes);
    const qc::Status r = Load(bytes);
    if (!r.ok()) {
      ++rejected;
      CHECK(r.code() != StatusCode::kInternal);
      CHECK(r.code() != StatusCode::kOk);
    }
  }
  CHECK(rejected > 1000);
}
