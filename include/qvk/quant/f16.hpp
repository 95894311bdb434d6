// qvk/quant/f16.hpp — F16: one IEEE binary16 per element.
// quantize rounds to nearest even (numpy astype(float16)); see numerics/half.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct F16 {
  static constexpr Type kType = Type::F16;
  static constexpr std::size_t kBlockElems = 1, kBlockBytes = 2;
  struct Block {
    std::uint16_t bits;
  };
  static_assert(sizeof(Block) == kBlockBytes);

  static void dequantize(const Block& b, float* out) { out[0] = numerics::f16_bits_to_f32(b.bits); }
  static void quantize(const float* in, Block& b) { b.bits = numerics::f32_to_f16_bits(in[0]); }
};

}  // namespace qvk::quant
