// qvk/numerics/flush.hpp — the contract's rule for tiny values, and the
// rounded f32 operations every exact path is written with.
//
// Devices disagree on fp32 subnormals (lavapipe keeps them; the H100 flushes
// inputs and outputs like x86 FTZ|DAZ) and none lets us choose, so qvk defines
// tiny values itself: any value with |x| <= FLT_MIN becomes ±0 (sign kept),
// decided on the bit pattern. "<=" and not "<": a product that IEEE rounds up to
// exactly FLT_MIN is zero on the H100, so it must be zero everywhere. `add`,
// `sub` and `mul` apply the rule to every result; shaders mirror them op for op
// (each op `precise`, followed by the same bit test).
#pragma once

#include <bit>
#include <cstdint>

namespace qvk::numerics {

inline constexpr std::uint32_t kFltMinBits = 0x00800000u;

// ±0 for |x| <= FLT_MIN, x otherwise (NaN and inf pass through).
inline float flush(float x) {
  const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
  return (b & 0x7fffffffu) <= kFltMinBits ? std::bit_cast<float>(b & 0x80000000u) : x;
}

inline float add(float a, float b) { return flush(a + b); }
inline float sub(float a, float b) { return flush(a - b); }
inline float mul(float a, float b) { return flush(a * b); }

}  // namespace qvk::numerics
