// qvk/quant/detail/k_scales.hpp — the 12-byte packing of eight 6-bit scales and
// eight 6-bit mins shared by Q4_K and Q5_K.
//
// Layout (byte: bits 7..0), scale s0..s7, min m0..m7:
//   0..3  : s4..s7 high 2 bits | s0..s3 (6 bits)
//   4..7  : m4..m7 high 2 bits | m0..m3 (6 bits)
//   8..11 : m4..m7 low 4 bits  | s4..s7 low 4 bits
#pragma once

#include <array>
#include <cstdint>

namespace qvk::quant::detail {

struct KScalesMins {
  std::array<std::uint8_t, 8> scale;  // 0..63
  std::array<std::uint8_t, 8> min;    // 0..63
};

inline KScalesMins unpack_k_scales(const std::uint8_t (&p)[12]) {
  KScalesMins out{};
  for (int j = 0; j < 4; ++j) {
    out.scale[j] = p[j] & 0x3f;
    out.min[j] = p[j + 4] & 0x3f;
    out.scale[j + 4] = static_cast<std::uint8_t>((p[j + 8] & 0x0f) | ((p[j] >> 6) << 4));
    out.min[j + 4] = static_cast<std::uint8_t>((p[j + 8] >> 4) | ((p[j + 4] >> 6) << 4));
  }
  return out;
}

// Inverse of unpack_k_scales; values must be < 64.
inline void pack_k_scales(const std::uint8_t (&scale)[8], const std::uint8_t (&min)[8], std::uint8_t (&p)[12]) {
  for (int j = 0; j < 4; ++j) {
    p[j] = static_cast<std::uint8_t>(scale[j] | ((scale[j + 4] >> 4) << 6));
    p[j + 4] = static_cast<std::uint8_t>(min[j] | ((min[j + 4] >> 4) << 6));
    p[j + 8] = static_cast<std::uint8_t>((scale[j + 4] & 0x0f) | ((min[j + 4] & 0x0f) << 4));
  }
}

}  // namespace qvk::quant::detail
