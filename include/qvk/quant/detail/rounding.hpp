// qvk/quant/detail/rounding.hpp — the float -> int roundings the GGML quantizers use.
//
// They are part of the file format in practice: a quantizer that rounds
// differently writes different blocks than llama.cpp / gguf-py.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace qvk::quant::detail {

// Round to nearest, ties to even, by adding 1.5*2^23 and reading the low
// mantissa bits (GGML's K-quant rounding). Exact for |v| <= 2^22 - 1; outside
// that range it returns the same (meaningless but deterministic) bits as GGML,
// which is what keeps our blocks identical to llama.cpp's on odd inputs.
inline int round_via_magic_add(float v) {
  const float shifted = v + 12582912.0f;
  const auto bits = std::bit_cast<std::int32_t>(shifted);
  return (bits & 0x007fffff) - 0x00400000;
}

// Round half away from zero, as C roundf and gguf-py's np_roundf.
inline float round_half_away(float v) { return std::round(v); }

}  // namespace qvk::quant::detail
