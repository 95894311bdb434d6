// qvk/runtime/sampler_rng.hpp — the sampler's random numbers: counter-based and
// integer-only, so any device (or the host, passing u as a push constant)
// reproduces them from (seed, step) alone, with no state to carry.
//
//   key  = mix64(seed)                      (a bijection: distinct seeds, distinct keys)
//   x    = mix64(key + (step + 1) * kGolden)  (mod 2^64)
//   bits = x >> 40                          (the top 24 bits)
//   u    = bits * 2^-24                     (exact: u in [0, 1) on a 2^-24 grid)
// mix64 is SplitMix64's output function (Steele, Lea, Flood 2014): per seed the
// draws are the SplitMix64 stream started at key. One draw per sampled token;
// `step` is the index of the token in the Sampler's sequence.
#pragma once

#include <cstdint>

namespace qvk::runtime {

inline constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ull;

inline constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The 24 random bits of draw `step` of stream `seed`.
inline constexpr std::uint32_t rng_bits24(std::uint64_t seed, std::uint64_t step) {
  return static_cast<std::uint32_t>(mix64(mix64(seed) + (step + 1) * kGolden) >> 40);
}

// u in [0, 1): bits * 2^-24, exact in f32.
inline float rng_uniform(std::uint64_t seed, std::uint64_t step) {
  return static_cast<float>(rng_bits24(seed, step)) * 0x1p-24f;
}

}  // namespace qvk::runtime
