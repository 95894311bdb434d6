// tests/quant/test_util.hpp — small helpers shared by the quant tests.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

namespace qvk::quant::test {

inline std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

inline std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Fixed seeds, logged so a failure can be reproduced.
inline std::mt19937_64 seeded_rng(std::uint64_t seed) {
  std::printf("[ seed ] %llu\n", static_cast<unsigned long long>(seed));
  return std::mt19937_64(seed);
}

// A block of uniformly random bytes (scales included; callers pin special fields).
template <class Block>
Block random_block(std::mt19937_64& rng) {
  Block b;
  auto* p = reinterpret_cast<unsigned char*>(&b);
  for (std::size_t i = 0; i < sizeof(Block); ++i) p[i] = static_cast<unsigned char>(rng());
  return b;
}

}  // namespace qvk::quant::test
