// AtomicFile: readers see the old file or the complete new one, never a partial one, and no temp file is left over.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ir/atomic_file.h"

namespace fs = std::filesystem;
using qc::AtomicFile;

namespace {

// A fresh empty directory per test case, removed afterwards.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& name)
      : path(fs::temp_directory_path() / ("qc_atomic_file_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteText(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

size_t EntryCount(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("Commit replaces the target with the complete new bytes, mode 0644, and leaves no temp file") {
  ScratchDir dir("commit");
  const fs::path target = dir.path / "model.qm";
  WriteText(target, "old contents");
  auto file = AtomicFile::Create(target.string());
  REQUIRE(file.ok());
  REQUIRE(file->Append("0123", 4).ok());
  // Larger than the 1 MiB buffer: goes straight to the OS after a flush.
  const std::vector<char> big((size_t{1} << 20) + 17, 'x');
  REQUIRE(file->Append(big.data(), big.size()).ok());
  REQUIRE(file->AppendZeros(3).ok());
  CHECK(file->size() == 4 + big.size() + 3);
  CHECK(ReadAll(target) == "old contents");  // untouched until Commit
  REQUIRE(file->WriteAt(1, "AB", 2).ok());   // patches bytes already handed to the OS
  REQUIRE(file->Commit().ok());

  const std::string got = ReadAll(target);
  REQUIRE(got.size() == 4 + big.size() + 3);
  CHECK(got.substr(0, 4) == "0AB3");
  CHECK(got.substr(4, big.size()) == std::string(big.begin(), big.end()));
  CHECK(got.substr(4 + big.size()) == std::string(3, '\0'));
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(EntryCount(dir.path) == 1);
  CHECK_FALSE(file->Commit().ok());  // spent
}

TEST_CASE("an abandoned file leaves the target as it was and removes its temp file") {
  ScratchDir dir("abandon");
  const fs::path target = dir.path / "last.pt";
  WriteText(target, "previous checkpoint");
  {
    auto file = AtomicFile::Create(target.string());
    REQUIRE(file.ok());
    CHECK(fs::path(file->temp_path()).parent_path() == dir.path);  // same filesystem, so the rename is atomic
    REQUIRE(file->Append("half a checkp", 13).ok());
    CHECK(EntryCount(dir.path) == 2);
  }  // no Commit: e.g. the writer failed half-way
  CHECK(ReadAll(target) == "previous checkpoint");
  CHECK(EntryCount(dir.path) == 1);
}

TEST_CASE("a new target appears only on Commit") {
  ScratchDir dir("new");
  const fs::path target = dir.path / "report.json";
  auto file = AtomicFile::Create(target.string());
  REQUIRE(file.ok());
  REQUIRE(file->Append("{}", 2).ok());
  CHECK_FALSE(fs::exists(target));
  REQUIRE(file->Commit().ok());
  CHECK(ReadAll(target) == "{}");
}

TEST_CASE("errors name the path: missing directory, not a file path, WriteAt beyond the end") {
  ScratchDir dir("errors");
  const std::string missing = (dir.path / "no_such_dir" / "model.qm").string();
  auto in_missing = AtomicFile::Create(missing);
  REQUIRE_FALSE(in_missing.ok());
  CHECK(in_missing.status().message().find(missing) != std::string::npos);

  const std::string trailing_slash = (dir.path / "").string();
  auto not_a_file = AtomicFile::Create(trailing_slash);
  REQUIRE_FALSE(not_a_file.ok());
  CHECK(not_a_file.status().message().find("not a file path") != std::string::npos);

  const std::string target = (dir.path / "x.bin").string();
  auto file = AtomicFile::Create(target);
  REQUIRE(file.ok());
  REQUIRE(file->Append("abc", 3).ok());
  const qc::Status beyond = file->WriteAt(2, "yz", 2);
  REQUIRE_FALSE(beyond.ok());
  CHECK(beyond.message().find(target) != std::string::npos);
}
