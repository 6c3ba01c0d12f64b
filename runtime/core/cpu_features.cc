#include "core/cpu_features.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace qc {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// Linux hands out the 8 KiB AMX tile-data state only on request (arch_prctl ARCH_REQ_XCOMP_PERM, kernel >= 5.16);
// without it the first tile instruction faults. The permission is per process, so asking once (from the
// thread-safe detection below) covers every thread.
bool RequestAmxPermission() {
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

CpuFeatures DetectX86() {
  CpuFeatures f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = (ecx >> 27) & 1;
  const bool fma = (ecx >> 12) & 1;
  if (!osxsave) return f;
  const uint64_t xcr0 = ReadXcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;    // XMM and YMM state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;  // plus opmask, ZMM_Hi256, Hi16_ZMM
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool avx2 = (ebx >> 5) & 1;
  const bool avx512f = (ebx >> 16) & 1;
  const bool avx512dq = (ebx >> 17) & 1;
  const bool avx512bw = (ebx >> 30) & 1;
  const bool avx512vl = (ebx >> 31) & 1;
  const bool avx512vbmi = (ecx >> 1) & 1;
  const bool avx512vnni = (ecx >> 11) & 1;
  unsigned eax1 = 0, ebx1 = 0, ecx1 = 0, edx1 = 0;
  __cpuid_count(7, 1, eax1, ebx1, ecx1, edx1);
  const bool avxvnni = (eax1 >> 4) & 1;
  const bool amx_tile = (edx >> 24) & 1;
  const bool amx_int8 = (edx >> 25) & 1;
  const bool os_amx = (xcr0 & 0x60000) == 0x60000;  // XTILECFG (17) and XTILEDATA (18)

  f.avx2 = os_ymm && avx2 && fma;
  f.avx_vnni = f.avx2 && avxvnni;
  f.avx512 = f.avx2 && os_zmm && avx512f && avx512bw && avx512vl && avx512dq;
  f.avx512_vnni = f.avx512 && avx512vnni;
  f.avx512_vbmi = f.avx512 && avx512vbmi;
  // The AMX kernels also use AVX-512 VNNI code for their epilogue.
  f.amx_int8 = f.avx512_vnni && amx_tile && amx_int8 && os_amx && RequestAmxPermission();
  return f;
}
#endif

CpuFeatures DetectHardware() {
#if defined(__x86_64__) || defined(_M_X64)
  return DetectX86();
#elif defined(__aarch64__)
  CpuFeatures f;
  f.neon = true;  // Advanced SIMD is mandatory on AArch64.
#if defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
#ifdef HWCAP_ASIMDDP
  f.neon_dotprod = (hwcap & HWCAP_ASIMDDP) != 0;
#endif
#ifdef HWCAP2_I8MM
  f.neon_i8mm = (hwcap2 & HWCAP2_I8MM) != 0;
#endif
  (void)hwcap;
  (void)hwcap2;
#endif
  return f;
#else
  return CpuFeatures{};
#endif
}

}  // namespace

std::string CpuFeatures::ToString() const {
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "avx2");
  add(avx_vnni, "avx_vnni");
  add(avx512, "avx512");
  add(avx512_vnni, "avx512_vnni");
  add(avx512_vbmi, "avx512_vbmi");
  add(amx_int8, "amx_int8");
  add(neon, "neon");
  add(neon_dotprod, "neon_dotprod");
  add(neon_i8mm, "neon_i8mm");
  return s.empty() ? "scalar" : s;
}

bool CapCpuFeatures(CpuFeatures& f, const std::string& isa) {
  if (isa == "scalar") {
    f = CpuFeatures{};
  } else if (isa == "avx2") {
    f.avx512 = f.avx512_vnni = f.avx512_vbmi = f.amx_int8 = false;
    f.avx_vnni = false;
  } else if (isa == "avx_vnni") {
    f.avx512 = f.avx512_vnni = f.avx512_vbmi = f.amx_int8 = false;
  } else if (isa == "avx512") {
    f.amx_int8 = false;
  } else if (isa == "amx") {
    // everything the hardware has
  } else if (isa == "neon") {
    f.neon_i8mm = false;
  } else {
    return false;
  }
  return true;
}

const CpuFeatures& HardwareCpuFeatures() {
  static const CpuFeatures features = DetectHardware();
  return features;
}

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = [] {
    CpuFeatures f = HardwareCpuFeatures();
    const char* isa = std::getenv("QC_ISA");
    // A misspelt cap would otherwise run (and benchmark) a different ISA than the user asked for, silently.
    if (isa != nullptr && *isa != '\0' && !CapCpuFeatures(f, isa)) {
      std::fprintf(stderr,
                   "qcompress runtime: QC_ISA=%s is not one of scalar, avx2, avx_vnni, avx512, amx, neon; ignored "
                   "(dispatching on: %s)\n",
                   isa, f.ToString().c_str());
    }
    return f;
  }();
  return features;
}

}  // namespace qc
