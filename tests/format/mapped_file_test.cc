#include "core/mapped_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "qm_test_util.h"

namespace {

bool PageAligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(::getpagesize()) == 0;
}

}  // namespace

TEST_CASE("MappedFile maps a file read-only and in place") {
  qc::test::TempDir dir;
  std::vector<uint8_t> bytes(10000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  qc::test::WriteBytes(dir.File("f.bin"), bytes);

  auto file = qc::MappedFile::Open(dir.File("f.bin"));
  REQUIRE(file.ok());
  CHECK(file->size() == bytes.size());
  CHECK(file->path() == dir.File("f.bin"));
  CHECK(PageAligned(file->data()));
  CHECK(std::memcmp(file->data(), bytes.data(), bytes.size()) == 0);
  CHECK(file->Contains(file->data()));
  CHECK(file->Contains(file->data() + bytes.size() - 1));
  CHECK_FALSE(file->Contains(file->data() + bytes.size()));

  // Moving keeps the mapping; the moved-from object is empty.
  const uint8_t* data = file->data();
  qc::MappedFile moved = std::move(*file);
  CHECK(moved.data() == data);
  CHECK(file->data() == nullptr);
  CHECK(file->size() == 0);
  qc::MappedFile assigned;
  assigned = std::move(moved);
  CHECK(assigned.data() == data);
  CHECK(assigned.data()[9999] == bytes[9999]);
}

TEST_CASE("MappedFile reports missing files, directories and empty files") {
  qc::test::TempDir dir;
  auto missing = qc::MappedFile::Open(dir.File("nope.qm"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == qc::StatusCode::kNotFound);
  CHECK(missing.status().message().find("nope.qm") != std::string::npos);

  auto directory = qc::MappedFile::Open(dir.path());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.status().code() == qc::StatusCode::kInvalidArgument);
  CHECK(directory.status().message().find("not a regular file") != std::string::npos);

  qc::test::WriteBytes(dir.File("empty"), {});
  auto empty = qc::MappedFile::Open(dir.File("empty"));
  REQUIRE(empty.ok());
  CHECK(empty->size() == 0);
  CHECK(empty->data() == nullptr);
  CHECK_FALSE(empty->Contains(nullptr));
}

TEST_CASE("MappedFile::CopyOf makes an aligned private copy") {
  std::vector<uint8_t> bytes = {1, 2, 3, 4, 5};
  auto copy = qc::MappedFile::CopyOf(bytes.data(), bytes.size(), "memory");
  REQUIRE(copy.ok());
  CHECK(copy->path() == "memory");
  CHECK(copy->size() == 5);
  CHECK(copy->data() != bytes.data());
  CHECK(PageAligned(copy->data()));
  bytes[0] = 9;
  CHECK(copy->data()[0] == 1);

  auto none = qc::MappedFile::CopyOf(nullptr, 0, "none");
  REQUIRE(none.ok());
  CHECK(none->size() == 0);
  auto bad = qc::MappedFile::CopyOf(nullptr, 3, "bad");
  CHECK(bad.status().code() == qc::StatusCode::kInvalidArgument);
}
