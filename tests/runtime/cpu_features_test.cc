#include "core/cpu_features.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

namespace {

// Flags the kernel reads from /proc/cpuinfo: an independent second opinion on what CPUID reported.
std::string ProcCpuFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return line + " ";
  }
  return "";
}

bool HasFlag(const std::string& flags, const std::string& name) {
  return flags.find(" " + name + " ") != std::string::npos;
}

}  // namespace

TEST_CASE("CPU features agree with /proc/cpuinfo") {
  const std::string flags = ProcCpuFlags();
  if (flags.empty()) {
    MESSAGE("no /proc/cpuinfo flags line on this system; skipping the cross-check");
    CHECK(true);
    return;
  }
  const qc::CpuFeatures& hw = qc::HardwareCpuFeatures();
#if defined(__x86_64__)
  CHECK(hw.avx2 == (HasFlag(flags, "avx2") && HasFlag(flags, "fma")));
  CHECK(hw.avx512_vnni == (hw.avx512 && HasFlag(flags, "avx512_vnni")));
  CHECK(hw.avx_vnni == (hw.avx2 && HasFlag(flags, "avx_vnni")));
  if (hw.avx512) {
    CHECK(HasFlag(flags, "avx512f"));
    CHECK(HasFlag(flags, "avx512bw"));
    CHECK(HasFlag(flags, "avx512vl"));
  }
  // amx_int8 also needs the OS permission, so only one direction is implied by /proc/cpuinfo.
  if (hw.amx_int8) {
    CHECK(HasFlag(flags, "amx_tile"));
    CHECK(HasFlag(flags, "amx_int8"));
  }
#endif
  MESSAGE("hardware features: " << hw.ToString());
}

TEST_CASE("Capping features to scalar and avx2") {
  qc::CpuFeatures f = qc::HardwareCpuFeatures();
  REQUIRE(qc::CapCpuFeatures(f, "avx2"));
  CHECK_FALSE(f.avx512);
  CHECK_FALSE(f.avx512_vnni);
  CHECK(f.avx2 == qc::HardwareCpuFeatures().avx2);

  REQUIRE(qc::CapCpuFeatures(f, "scalar"));
  CHECK(f.ToString() == "scalar");

  qc::CpuFeatures h = qc::HardwareCpuFeatures();
  REQUIRE(qc::CapCpuFeatures(h, "avx512"));  // AVX-512 without AMX
  CHECK_FALSE(h.amx_int8);
  CHECK(h.avx512_vnni == qc::HardwareCpuFeatures().avx512_vnni);
  h = qc::HardwareCpuFeatures();
  REQUIRE(qc::CapCpuFeatures(h, "amx"));
  CHECK(h.ToString() == qc::HardwareCpuFeatures().ToString());

  qc::CpuFeatures g = qc::HardwareCpuFeatures();
  CHECK_FALSE(qc::CapCpuFeatures(g, "sse9"));
  CHECK(g.ToString() == qc::HardwareCpuFeatures().ToString());
}
