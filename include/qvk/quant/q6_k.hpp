// qvk/quant/q6_k.hpp — Q6_K: 256 elements in 16 sub-blocks of 16, 6-bit codes, no mins.
//
// Block: 128 bytes ql (low nibbles), 64 bytes qh (high 2 bits), 16 int8 sub-block
// scales, f16 d. For half h = 0..1 and r = 0..127, element e = 128h + r:
//   low  = (ql[64h + r % 64] >> (4 * (r / 64))) & 15
//   high = (qh[32h + r % 32] >> (2 * (r / 32))) & 3
//   q = (low | high << 4) - 32 in [-32, 31];  x = (d * sc[e / 16]) * q
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/detail/kquant_search.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct Q6_K {
  static constexpr Type kType = Type::Q6_K;
  static constexpr std::size_t kBlockElems = 256, kBlockBytes = 210;
  static constexpr std::size_t kSubBlockElems = 16, kSubBlocks = 16;
  struct Block {
    std::uint8_t ql[128];
    std::uint8_t qh[64];
    std::int8_t scales[16];
    std::uint16_t d;  // f16 bits
  };
  static_assert(sizeof(Block) == kBlockBytes);

  // value(i) = (d * float(scale[i / 16])) * float(q[i])
  struct Decomposed {
    float d;
    std::int8_t scale[16];
    std::int8_t q[256];  // -32..31
    float value(std::size_t i) const { return d * static_cast<float>(scale[i / 16]) * static_cast<float>(q[i]); }
  };

  static void decompose(const Block& b, Decomposed& out) {
    out.d = numerics::f16_bits_to_f32(b.d);
    for (std::size_t j = 0; j < 16; ++j) out.scale[j] = b.scales[j];
    for (std::size_t h = 0; h < 2; ++h)
      for (std::size_t r = 0; r < 128; ++r) {
        const int low = (b.ql[64 * h + r % 64] >> (4 * (r / 64))) & 0x0f;
        const int high = (b.qh[32 * h + r % 32] >> (2 * (r / 32))) & 0x03;
        out.q[128 * h + r] = static_cast<std::int8_t>((low | (high << 4)) - 32);
      }
  }

  static void dequantize(const Block& b, float* out) {
    Decomposed dec;
    decompose(b, dec);
    for (std::size_t i = 0; i < 256; ++i) out[i] = dec.value(i);
  }

  // llama.cpp's reference (quantize_row_q6_K_ref): per sub-block of 16 a symmetric
  // fit (weights x², 19 trial scales), the sub-block scales quantized to int8
  // against the one of largest magnitude (d = that / -128), then the codes
  // recomputed against the stored scales. An all-(near-)zero block is all zero bytes.
  static void quantize(const float* x, Block& b) {
    std::int8_t levels[256];
    float scales[16];
    float max_scale = 0, max_abs_scale = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = detail::fit_symmetric_scale<16>(x + 16 * j, 32, levels + 16 * j);
      const float a = std::fabs(scales[j]);
      if (a > max_abs_scale) {
        max_abs_scale = a;
        max_scale = scales[j];
      }
    }
    if (max_abs_scale < detail::kGroupMaxEps) {
      b = Block{};
      return;
    }
    const float iscale = -128.0f / max_scale;
    b.d = numerics::f32_to_f16_bits(1 / iscale);
    for (int j = 0; j < 16; ++j) {
      const int s = detail::round_via_magic_add(iscale * scales[j]);
      b.scales[j] = static_cast<std::int8_t>(s < 127 ? s : 127);
    }
    const float d = numerics::f16_bits_to_f32(b.d);
    for (int j = 0; j < 16; ++j) {
      const float dj = d * static_cast<float>(b.scales[j]);
      if (dj == 0.0f) continue;  // keep the fit's codes
      for (int l = 0; l < 16; ++l) {
        const int q = detail::round_via_magic_add(x[16 * j + l] / dj);
        levels[16 * j + l] = static_cast<std::int8_t>(detail::clamp_int(q, -32, 31) + 32);
      }
    }
    for (int h = 0; h < 2; ++h)
      for (int l = 0; l < 32; ++l) {
        const int base = 128 * h + l;
        const int q1 = levels[base], q2 = levels[base + 32], q3 = levels[base + 64], q4 = levels[base + 96];
        b.ql[64 * h + l] = static_cast<std::uint8_t>((q1 & 0x0f) | ((q3 & 0x0f) << 4));
        b.ql[64 * h + 32 + l] = static_cast<std::uint8_t>((q2 & 0x0f) | ((q4 & 0x0f) << 4));
        b.qh[32 * h + l] = static_cast<std::uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
  }
};

}  // namespace qvk::quant
