// Where tests find their data: the source tree (fixtures) and ../shared (GLUE, vocab), both fixed at configure time
// and overridable by QC_SOURCE_DIR / QC_SHARED_DIR in the environment.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace qc::test {

inline std::filesystem::path SourceDir() {
  if (const char* env = std::getenv("QC_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return QC_TEST_SOURCE_DIR;
}

inline std::filesystem::path FixturesDir() { return SourceDir() / "tests" / "fixtures"; }

/// ../shared next to the repository; may be absent on a developer machine, so callers check exists().
inline std::filesystem::path SharedDir() {
  if (const char* env = std::getenv("QC_SHARED_DIR"); env != nullptr && *env != '\0') return env;
  return QC_TEST_SHARED_DIR;
}

}  // namespace qc::test
