// qvk/numerics/half.hpp — f32 <-> f16 and f32 <-> bf16 conversions in integer code.
//
// Why integer code: the numerics contract pins every conversion to bits, and a
// driver's or compiler's conversion is not guaranteed to round the same way (or
// to keep subnormals). These functions are the definition that shaders mirror.
//
// f32 -> f16 (f32_to_f16_bits): IEEE round-to-nearest-even, equal to numpy's
//   astype(np.float16) for every non-NaN input: f16 subnormals are produced
//   (2^-25 and below rounds to ±0, ties to even), values >= 65520 in magnitude
//   round to ±inf, ±inf stays ±inf, the sign of zero is kept.
// f32 -> bf16 (f32_to_bf16_bits): round-to-nearest-even on the top 16 bits,
//   equal to gguf-py's BF16.quantize_blocks (and ggml's fp32_to_bf16) for every
//   input, NaN included; f32 subnormals are rounded like any other value (no flush).
// NaN results: a NaN input gives a quiet NaN with the input's sign and the top
//   payload bits that fit: f16 = sign | 0x7e00 | (f32 mantissa >> 13),
//   bf16 = sign | 0x7fc0 | (f32 mantissa >> 16) — the quiet bit is forced, so a
//   NaN never becomes an infinity. (x86 F16C, GCC's _Float16 and gguf-py's BF16
//   do the same. numpy 1.24's software f16 cast differs for signalling NaNs only:
//   it keeps them signalling, 0x7c00 | (mantissa >> 13), nonzero; the numerics
//   contract canonicalizes NaN anyway, so no kernel result depends on this.)
// f16 -> f32 and bf16 -> f32 are exact (every f16/bf16 value is an f32 value);
//   NaN payloads are kept bit for bit, f16 subnormals become normal f32 values.
#pragma once

#include <bit>
#include <cstdint>

namespace qvk::numerics {

inline std::uint16_t f32_to_f16_bits(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t mag = bits & 0x7fffffffu;

  if (mag > 0x7f800000u)  // NaN: quiet it, keep sign and top payload bits
    return static_cast<std::uint16_t>(sign | 0x7e00u | ((mag >> 13) & 0x03ffu));
  if (mag >= 0x477ff000u)  // >= 65520 (halfway between 65504 and 2^16) or inf
    return static_cast<std::uint16_t>(sign | 0x7c00u);
  if (mag >= 0x38800000u) {  // normal f16 (>= 2^-14): rebias, round 13 dropped bits
    std::uint32_t h = (mag >> 13) - (112u << 10);
    const std::uint32_t rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // carry may bump the exponent: correct
    return static_cast<std::uint16_t>(sign | h);
  }
  if (mag <= 0x33000000u)  // <= 2^-25: at most half the smallest subnormal, ties to even 0
    return sign;
  // f16 subnormal: value = m * 2^(e-150); in units of 2^-24 that is m >> (126 - e).
  const std::uint32_t e = mag >> 23;  // 102..112
  const std::uint32_t m = (mag & 0x007fffffu) | 0x00800000u;
  const std::uint32_t shift = 126u - e;  // 14..24
  std::uint32_t h = m >> shift;
  const std::uint32_t rest = m & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (h & 1u))) ++h;  // may reach 0x400 = smallest normal: correct
  return static_cast<std::uint16_t>(sign | h);
}

inline float f16_bits_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x03ffu;
  if (exp == 0x1fu) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf / NaN
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) return std::bit_cast<float>(sign);
  // Subnormal f16 (mant * 2^-24): normalize into an f32 normal.
  std::uint32_t e = 113;  // biased f32 exponent of 2^-14
  while ((mant & 0x0400u) == 0) {
    mant <<= 1;
    --e;
  }
  return std::bit_cast<float>(sign | (e << 23) | ((mant & 0x03ffu) << 13));
}

inline std::uint16_t f32_to_bf16_bits(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u)  // NaN: force quiet, drop the low payload half
    return static_cast<std::uint16_t>(((bits & 0xffff0000u) | 0x00400000u) >> 16);
  // Round to nearest even; cannot overflow 32 bits since NaNs were handled.
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

inline float bf16_bits_to_f32(std::uint16_t h) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
}

}  // namespace qvk::numerics
