// qvk/quant/q4_0.hpp — Q4_0: 32 elements = f16 scale d + 16 bytes of 4-bit codes;
// x = (code - 8) * d. Byte j holds element j (low nibble) and j+16 (high nibble).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct Q4_0 {
  static constexpr Type kType = Type::Q4_0;
  static constexpr std::size_t kBlockElems = 32, kBlockBytes = 18;
  static constexpr std::size_t kSubBlockElems = 32;
  struct Block {
    std::uint16_t d;  // f16 bits
    std::uint8_t qs[16];
  };
  static_assert(sizeof(Block) == kBlockBytes);

  // value(i) = d * float(q[i]), q = nibble - 8 in [-8, 7]   (gguf-py: d * qs)
  struct Decomposed {
    float d;
    std::int8_t q[32];
    float value(std::size_t i) const { return d * static_cast<float>(q[i]); }
  };

  static int code(const Block& b, std::size_t i) {
    const std::uint8_t byte = b.qs[i % 16];
    return (i < 16 ? (byte & 0x0f) : (byte >> 4)) - 8;
  }

  static void decompose(const Block& b, Decomposed& out) {
    out.d = numerics::f16_bits_to_f32(b.d);
    for (std::size_t i = 0; i < 32; ++i) out.q[i] = static_cast<std::int8_t>(code(b, i));
  }

  static void dequantize(const Block& b, float* out) {
    const float d = numerics::f16_bits_to_f32(b.d);
    for (std::size_t i = 0; i < 32; ++i) out[i] = d * static_cast<float>(code(b, i));
  }

  // gguf-py / ggml reference: take the element of largest magnitude (first one on
  // ties) with its sign, d = max / -8, nibble = min(15, trunc(x*(1/d) + 8.5)).
  // Undefined there (NaN from 0*inf when d is subnormal) -> nibble 0 here.
  static void quantize(const float* in, Block& b) {
    float amax = 0.0f, max = 0.0f;
    for (std::size_t i = 0; i < 32; ++i) {
      if (amax < std::fabs(in[i])) {
        amax = std::fabs(in[i]);
        max = in[i];
      }
    }
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b.d = numerics::f32_to_f16_bits(d);
    std::uint8_t nib[32];
    for (std::size_t i = 0; i < 32; ++i) {
      const float t = in[i] * id + 8.5f;
      nib[i] = static_cast<std::uint8_t>(!(t >= 0.0f) ? 0 : (t >= 15.0f ? 15 : static_cast<int>(t)));
    }
    for (std::size_t j = 0; j < 16; ++j) b.qs[j] = static_cast<std::uint8_t>(nib[j] | (nib[j + 16] << 4));
  }
};

}  // namespace qvk::quant
