// qvk/quant/q8_0.hpp — Q8_0: 32 elements = f16 scale d + 32 int8 codes; x = code * d.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qvk/numerics/half.hpp"
#include "qvk/quant/detail/rounding.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::quant {

struct Q8_0 {
  static constexpr Type kType = Type::Q8_0;
  static constexpr std::size_t kBlockElems = 32, kBlockBytes = 34;
  static constexpr std::size_t kSubBlockElems = 32;  // one scale per block
  struct Block {
    std::uint16_t d;  // f16 bits
    std::int8_t qs[32];
  };
  static_assert(sizeof(Block) == kBlockBytes);

  // value(i) = float(q[i]) * d   (gguf-py: x * d)
  struct Decomposed {
    float d;
    std::int8_t q[32];
    float value(std::size_t i) const { return static_cast<float>(q[i]) * d; }
  };

  static void decompose(const Block& b, Decomposed& out) {
    out.d = numerics::f16_bits_to_f32(b.d);
    for (std::size_t i = 0; i < 32; ++i) out.q[i] = b.qs[i];
  }

  static void dequantize(const Block& b, float* out) {
    const float d = numerics::f16_bits_to_f32(b.d);
    for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<float>(b.qs[i]) * d;
  }

  // gguf-py / ggml reference: d = amax/127, code = roundf(x * (1/d)) (half away
  // from zero), d stored as f16. Where those leave the result undefined (1/d
  // overflows for a subnormal d, so x*(1/d) is ±inf or NaN) we pin it: NaN -> 0,
  // otherwise clamp to [-128, 127].
  static void quantize(const float* in, Block& b) {
    float amax = 0.0f;
    for (std::size_t i = 0; i < 32; ++i) {
      const float a = std::fabs(in[i]);
      amax = amax < a ? a : amax;
    }
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b.d = numerics::f32_to_f16_bits(d);
    for (std::size_t i = 0; i < 32; ++i) {
      const float r = detail::round_half_away(in[i] * id);
      b.qs[i] = static_cast<std::int8_t>(r != r ? 0.0f : (r < -128.0f ? -128.0f : (r > 127.0f ? 127.0f : r)));
    }
  }
};

}  // namespace qvk::quant
