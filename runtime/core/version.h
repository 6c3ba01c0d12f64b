// Runtime and .qm format versions, kept in one place so the loader, the writer and the docs agree.
#pragma once

#include <cstdint>

namespace qc {

/// Version of this runtime library: a .qm file whose min_runtime_version is above this is refused by name.
inline constexpr uint32_t kRuntimeVersionMajor = 0;
inline constexpr uint32_t kRuntimeVersionMinor = 4;
inline constexpr uint32_t kRuntimeVersionPatch = 0;
inline constexpr const char* kRuntimeVersionString = "0.4.0";

}  // namespace qc
