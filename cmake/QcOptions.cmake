# Build switches shared by the full build and the standalone runtime build.
include_guard(GLOBAL)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(QC_ARCH_X86_64 ON)
else()
  set(QC_ARCH_X86_64 OFF)
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(QC_ARCH_AARCH64 ON)
else()
  set(QC_ARCH_AARCH64 OFF)
endif()

# Per-ISA kernel sources get their own compile flags; the choice among them is made at run time by CPUID,
# so enabling an ISA here never makes the binary require it. The scalar reference is always built.
option(QC_ENABLE_AVX2 "Build AVX2 kernels (x86-64)" ${QC_ARCH_X86_64})
option(QC_ENABLE_AVX512 "Build AVX-512 (F/BW/VL/VNNI) kernels (x86-64)" ${QC_ARCH_X86_64})
option(QC_ENABLE_AMX "Build AMX-INT8 kernels (x86-64; need AVX-512 too)" ${QC_ARCH_X86_64})
option(QC_ENABLE_NEON "Build NEON (dotprod) kernels (aarch64)" ${QC_ARCH_AARCH64})

option(QC_SANITIZE_ADDRESS "Build with AddressSanitizer" OFF)
option(QC_SANITIZE_UNDEFINED "Build with UndefinedBehaviorSanitizer" OFF)
option(QC_FATAL_WARNINGS "Treat compiler warnings as errors" OFF)
