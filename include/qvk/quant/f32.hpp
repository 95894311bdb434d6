// qvk/quant/f32.hpp — F32: one little-endian IEEE float per element (identity).
#pragma once

#include <cstddef>

#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct F32 {
  static constexpr Type kType = Type::F32;
  static constexpr std::size_t kBlockElems = 1, kBlockBytes = 4;
  struct Block {
    float value;
  };
  static_assert(sizeof(Block) == kBlockBytes);

  static void dequantize(const Block& b, float* out) { out[0] = b.value; }
  static void quantize(const float* in, Block& b) { b.value = in[0]; }
};

}  // namespace qvk::quant
