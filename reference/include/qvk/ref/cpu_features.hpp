// qvk/ref/cpu_features.hpp — which instruction set the CPU reference's kernels use.
//
// The kernels come in a portable C++ version and x86 versions (AVX2; AVX-512 with
// VNNI) selected at run time. Every version computes the same bits: integer sums
// are exact in any order, and the float ops are the same IEEE ops in the same
// order per output (SIMD lanes hold independent outputs, or independent logical
// lanes of one canonical reduction). The environment variable QVK_CPU_ISA
// (portable, avx2, avx512) caps the choice, so tests and benchmarks can run every
// version on one machine.
#pragma once

#include <cstdlib>
#include <string_view>

namespace qvk::ref {

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

inline const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    default: return "portable";
  }
}

namespace detail {

inline Isa detect_isa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") &&
                    __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vnni");
  Isa best = avx512 ? Isa::Avx512 : (avx2 ? Isa::Avx2 : Isa::Portable);
#else
  Isa best = Isa::Portable;
#endif
  if (const char* cap = std::getenv("QVK_CPU_ISA")) {
    const std::string_view c(cap);
    const Isa want = c == "portable" ? Isa::Portable : c == "avx2" ? Isa::Avx2 : Isa::Avx512;
    if (want < best) best = want;
  }
  return best;
}

}  // namespace detail

// The best supported kernel version (detected once), capped by QVK_CPU_ISA.
inline Isa cpu_isa() {
  static const Isa isa = detail::detect_isa();
  return isa;
}

}  // namespace qvk::ref
