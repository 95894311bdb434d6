// qvk/quant/q5_k.hpp — Q5_K: 256 elements in 8 sub-blocks of 32, 5-bit codes.
//
// Block: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins (as Q4_K), 32 bytes qh of
// fifth bits, 128 bytes qs of low nibbles. For c = 0..3, l = 0..31:
//   element 64c + l      : low = qs[32c + l] & 15, fifth bit = (qh[l] >> 2c) & 1
//   element 64c + 32 + l : low = qs[32c + l] >> 4, fifth bit = (qh[l] >> (2c+1)) & 1
//   x = (d * sc[j]) * q - (dmin * m[j]),  q in [0, 31], j = element / 32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/detail/k_quantize_mins.hpp"
#include "qvk/quant/detail/k_scales.hpp"
#include "qvk/quant/q4_k.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct Q5_K {
  static constexpr Type kType = Type::Q5_K;
  static constexpr std::size_t kBlockElems = 256, kBlockBytes = 176;
  static constexpr std::size_t kSubBlockElems = 32, kSubBlocks = 8;
  struct Block {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[12];
    std::uint8_t qh[32];
    std::uint8_t qs[128];
  };
  static_assert(sizeof(Block) == kBlockBytes);

  // Same formula and field meaning as Q4_K::Decomposed, codes in [0, 31].
  using Decomposed = Q4_K::Decomposed;

  static void decompose(const Block& b, Decomposed& out) {
    out.d = numerics::f16_bits_to_f32(b.d);
    out.dmin = numerics::f16_bits_to_f32(b.dmin);
    const detail::KScalesMins sm = detail::unpack_k_scales(b.scales);
    for (std::size_t j = 0; j < 8; ++j) {
      out.scale[j] = sm.scale[j];
      out.min[j] = sm.min[j];
    }
    for (std::size_t c = 0; c < 4; ++c)
      for (std::size_t l = 0; l < 32; ++l) {
        const int lo = (b.qs[32 * c + l] & 0x0f) | (((b.qh[l] >> (2 * c)) & 1) << 4);
        const int hi = (b.qs[32 * c + l] >> 4) | (((b.qh[l] >> (2 * c + 1)) & 1) << 4);
        out.q[64 * c + l] = static_cast<std::int8_t>(lo);
        out.q[64 * c + 32 + l] = static_cast<std::int8_t>(hi);
      }
  }

  static void dequantize(const Block& b, float* out) {
    Decomposed dec;
    decompose(b, dec);
    for (std::size_t i = 0; i < 256; ++i) out[i] = dec.value(i);
  }

  // llama.cpp's reference (quantize_row_q5_K_ref): as Q4_K with 31 levels and 16 trial scales.
  static void quantize(const float* x, Block& b) {
    detail::quantize_k_with_mins<31>(x, b.d, b.dmin, b.scales, b.qs, b.qh);
  }
};

}  // namespace qvk::quant
