// tests/vk/ops_harness.hpp — what every small-op test (tests/vk/*_ops, property/
// *_ops) needs: device buffers from host vectors, outputs NaN-filled with a
// guard region after them, one recorded dispatch, and bit comparisons that
// report the first mismatch (index, both words in hex).
//
// All data crosses as 32-bit words (f32 bits, packed f16 pairs, ids), so the
// comparison is a memcmp of words, never a tolerance.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"
#include "vk_test_device.hpp"

namespace qvk::vk::opstest {

using test::device;
using test::expect_validation_clean;
using test::pipelines;

inline constexpr std::uint32_t kGuardWords = 67;              // words after each output
inline constexpr std::uint32_t kUnwrittenBits = 0x7fa5a5a5u;  // a NaN no kernel produces
inline constexpr std::uint32_t kGuardBits = 0x7fbadbadu;

struct Comparison {
  bool ok = true;
  std::string message;  // first mismatch: what, index, both values in hex
};

inline std::string hex(std::uint32_t w) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", w);
  return b;
}

template <class T>
std::vector<std::uint32_t> words(std::span<const T> v) {
  static_assert(sizeof(T) == 4);
  std::vector<std::uint32_t> w(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) w[i] = std::bit_cast<std::uint32_t>(v[i]);
  return w;
}
inline std::vector<std::uint32_t> words(const std::vector<float>& v) { return words(std::span<const float>(v)); }

// An input buffer holding `w` (at least one word, so empty inputs still bind).
inline Buffer input(const std::vector<std::uint32_t>& w) {
  Device& d = device();
  Buffer b(d, std::max<std::size_t>(w.size(), 1) * 4);
  if (!w.empty()) upload(d, b, std::span<const std::uint32_t>(w));
  return b;
}

// An output of n words: n unwritten-NaN words then kGuardWords guard words.
// (`initial` instead of the NaN words, for in-place ops and caches.)
inline Buffer output(std::size_t n, const std::vector<std::uint32_t>* initial = nullptr) {
  Device& d = device();
  std::vector<std::uint32_t> w(n + kGuardWords, kGuardBits);
  if (initial)
    std::copy(initial->begin(), initial->end(), w.begin());
  else
    std::fill(w.begin(), w.begin() + std::ptrdiff_t(n), kUnwrittenBits);
  Buffer b(d, w.size() * 4);
  upload(d, b, std::span<const std::uint32_t>(w));
  return b;
}

inline std::vector<std::uint32_t> read(const Buffer& b) {
  std::vector<std::uint32_t> w(b.size() / 4);
  download(device(), b, std::span<std::uint32_t>(w));
  return w;
}

inline std::string as_float(std::uint32_t w) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", static_cast<double>(std::bit_cast<float>(w)));
  return b;
}

// got holds want.size() words and then the guard.
inline Comparison compare(const std::string& what, const std::vector<std::uint32_t>& got,
                          const std::vector<std::uint32_t>& want, bool show_float = true) {
  if (got.size() < want.size() + kGuardWords) return {false, what + ": output buffer too small"};
  for (std::size_t i = 0; i < want.size(); ++i)
    if (got[i] != want[i])
      return {false, what + "[" + std::to_string(i) + "]: gpu " + hex(got[i]) +
                         (show_float ? " (" + as_float(got[i]) + ")" : "") + ", reference " + hex(want[i]) +
                         (show_float ? " (" + as_float(want[i]) + ")" : "") +
                         (got[i] == kUnwrittenBits ? " [never written]" : "")};
  for (std::size_t i = 0; i < kGuardWords; ++i)
    if (got[want.size() + i] != kGuardBits)
      return {false, what + " guard word " + std::to_string(i) + " overwritten: " + hex(got[want.size() + i])};
  return {};
}

// Records one op into a fresh command buffer, waits, and checks it dispatched.
template <class Op>
Comparison dispatch(const Bindings<Op>& bindings, const typename Op::Problem& problem, std::uint32_t subgroup = 0) {
  Recorder rec(device(), pipelines());
  rec.set_subgroup_size(subgroup);
  submit_and_wait(device(), [&](VkCommandBuffer cmd) { record<Op>(rec, cmd, bindings, problem); });
  if (rec.dispatches() != 1) return {false, std::string(Op::kVariant) + ": the recorder did not dispatch"};
  return {};
}

// Subgroup sizes a test may pin: 0 (the driver's choice) and every allowed one.
inline std::vector<std::uint32_t> subgroup_choices() {
  std::vector<std::uint32_t> s{0};
  if (device().can_pin_subgroup_size()) {
    const auto allowed = device().features().allowed_subgroup_sizes();
    s.insert(s.end(), allowed.begin(), allowed.end());
  }
  return s;
}

}  // namespace qvk::vk::opstest
