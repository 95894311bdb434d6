// qvk/quant/bf16.hpp — BF16: the top 16 bits of an IEEE float per element.
// quantize rounds to nearest even, NaN kept quiet (gguf-py BF16.quantize_blocks).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct BF16 {
  static constexpr Type kType = Type::BF16;
  static constexpr std::size_t kBlockElems = 1, kBlockBytes = 2;
  struct Block {
    std::uint16_t bits;
  };
  static_assert(sizeof(Block) == kBlockBytes);

  static void dequantize(const Block& b, float* out) { out[0] = numerics::bf16_bits_to_f32(b.bits); }
  static void quantize(const float* in, Block& b) { b.bits = numerics::f32_to_bf16_bits(in[0]); }
};

}  // namespace qvk::quant
