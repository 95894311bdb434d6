// qvk/gguf/detail/checked.hpp — overflow-checked 64-bit arithmetic for sizes
// read from untrusted files. Every size the reader derives from a file goes
// through these, so a hostile header can never wrap an offset back into range.
#pragma once

#include <cstdint>
#include <optional>

namespace qvk::gguf::detail {

constexpr std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

constexpr std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

constexpr bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Rounds v up to a multiple of `alignment` (a power of two); nullopt on overflow.
constexpr std::optional<std::uint64_t> align_up(std::uint64_t v, std::uint64_t alignment) {
  auto sum = checked_add(v, alignment - 1);
  if (!sum) return std::nullopt;
  return *sum & ~(alignment - 1);
}

static_assert(align_up(33, 32) == 64 && align_up(64, 32) == 64 && align_up(0, 32) == 0);
static_assert(!align_up(~0ull, 32) && !checked_mul(1ull << 32, 1ull << 32));

}  // namespace qvk::gguf::detail
