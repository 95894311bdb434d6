// qvk/quant/q4_k.hpp — Q4_K: 256 elements in 8 sub-blocks of 32.
//
// Block: f16 d, f16 dmin, 12 bytes of packed 6-bit sub-block scales sc[j] and
// mins m[j] (detail/k_scales.hpp), 128 bytes of 4-bit codes q in [0, 15].
// Element 64c + l (c = 0..3, l = 0..31) is the low nibble of qs[32c + l];
// element 64c + 32 + l is its high nibble. Sub-block j = element / 32.
//   x = (d * sc[j]) * q - (dmin * m[j])        (gguf-py's order: d*sc, dmin*m, then d_j*q - m_j)
#pragma once

#include <cstddef>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/detail/k_scales.hpp"
#include "qvk/quant/detail/k_quantize_mins.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct Q4_K {
  static constexpr Type kType = Type::Q4_K;
  static constexpr std::size_t kBlockElems = 256, kBlockBytes = 144;
  static constexpr std::size_t kSubBlockElems = 32, kSubBlocks = 8;
  struct Block {
    std::uint16_t d;     // f16 bits: scale of the sub-block scales
    std::uint16_t dmin;  // f16 bits: scale of the sub-block mins
    std::uint8_t scales[12];
    std::uint8_t qs[128];
  };
  static_assert(sizeof(Block) == kBlockBytes);

  // value(i) = (d * float(scale[j])) * float(q[i]) - dmin * float(min[j]), j = i / 32.
  // For an int8 dot product with activations a = da * c:  Σ x·a over sub-block j =
  // da * ((d*scale[j]) * Σ q·c - (dmin*min[j]) * Σ c).
  struct Decomposed {
    float d, dmin;
    std::uint8_t scale[8], min[8];  // 0..63
    std::int8_t q[256];             // 0..15
    float value(std::size_t i) const {
      const std::size_t j = i / 32;
      const float dj = d * static_cast<float>(scale[j]);
      const float mj = dmin * static_cast<float>(min[j]);
      return dj * static_cast<float>(q[i]) - mj;
    }
  };

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
        out.q[64 * c + l] = static_cast<std::int8_t>(b.qs[32 * c + l] & 0x0f);
        out.q[64 * c + 32 + l] = static_cast<std::int8_t>(b.qs[32 * c + l] >> 4);
      }
  }

  static void dequantize(const Block& b, float* out) {
    Decomposed dec;
    decompose(b, dec);
    for (std::size_t i = 0; i < 256; ++i) out[i] = dec.value(i);
  }

  // llama.cpp's reference (quantize_row_q4_K_ref): per sub-block a weighted
  // asymmetric fit (weights sqrt(mean x²) + |x|, 21 trial scales), then the
  // sub-block scales and mins are quantized to 6 bits against their maxima, and
  // the codes are recomputed against the stored (rounded) scales.
  static void quantize(const float* x, Block& b) {
    detail::quantize_k_with_mins<15>(x, b.d, b.dmin, b.scales, b.qs, nullptr);
  }
};

}  // namespace qvk::quant
