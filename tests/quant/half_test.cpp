// Tests for qvk/numerics/half.hpp: f32 <-> f16 / bf16 in integer code.
#include "qvk/numerics/half.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "test_util.hpp"

using qvk::numerics::bf16_bits_to_f32;
using qvk::numerics::f16_bits_to_f32;
using qvk::numerics::f32_to_bf16_bits;
using qvk::numerics::f32_to_f16_bits;
using qvk::quant::test::bits;
using qvk::quant::test::hex;

namespace {

std::uint16_t compiler_f16(float f) {
  const auto h = static_cast<_Float16>(f);
  std::uint16_t out;
  std::memcpy(&out, &h, 2);
  return out;
}

float f(std::uint32_t b) { return std::bit_cast<float>(b); }

}  // namespace

TEST(HalfF16, RoundTripsEveryBitPatternExactly) {
  int nans = 0;
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const auto h16 = static_cast<std::uint16_t>(h);
    const float x = f16_bits_to_f32(h16);
    // The widening must be exact: the compiler's f16 -> f32 agrees on every
    // non-NaN pattern. (It quiets signalling NaNs; we keep the payload bit for bit.)
    _Float16 hv;
    std::memcpy(&hv, &h16, 2);
    const float ref = static_cast<float>(hv);
    if (std::isnan(x)) {
      ++nans;
      ASSERT_TRUE(std::isnan(ref));
      ASSERT_EQ(bits(x), ((h & 0x8000u) << 16) | 0x7f800000u | ((h & 0x3ffu) << 13)) << "f16 " << hex(h);
      // NaN comes back quiet with its sign and payload (quiet bit forced).
      ASSERT_EQ(f32_to_f16_bits(x), h16 | 0x0200u) << "f16 " << hex(h);
    } else {
      ASSERT_EQ(bits(x), bits(ref)) << "f16 " << hex(h);
      ASSERT_EQ(f32_to_f16_bits(x), h16) << "f16 " << hex(h);
    }
  }
  EXPECT_EQ(nans, 2 * 1023);
}

TEST(HalfF16, MatchesCompilerConversionOnRandomAndEdgeInputs) {
  auto rng = qvk::quant::test::seeded_rng(0xF16F16);
  std::uint64_t checked = 0, mismatches = 0, subnormal_results = 0, inf_results = 0;
  std::string first_mismatch;
  auto check = [&](float x) {
    const std::uint16_t ours = f32_to_f16_bits(x), ref = compiler_f16(x);
    if (ours != ref && mismatches++ == 0)
      first_mismatch = "input " + hex(bits(x)) + ": ours " + hex(ours) + ", compiler " + hex(ref);
    ++checked;
    subnormal_results += (ours & 0x7c00u) == 0 && (ours & 0x3ffu) != 0;
    inf_results += (ours & 0x7fffu) == 0x7c00u;
  };
  for (int i = 0; i < 1'000'000; ++i) {
    const std::uint64_t r = rng();
    std::uint32_t b;
    switch (r % 4) {
      case 0: b = static_cast<std::uint32_t>(r >> 32); break;  // anything, NaN included
      case 1: b = 0x33000000u + static_cast<std::uint32_t>((r >> 32) % (0x38800000u - 0x33000000u)); break;  // f16 subnormal range
      case 2: b = 0x47000000u + static_cast<std::uint32_t>((r >> 32) % 0x01000000u); break;  // around 65504 / overflow
      default: b = (static_cast<std::uint32_t>(r >> 32) & 0x80000000u) | (0x38000000u + static_cast<std::uint32_t>((r >> 33) % 0x0f800000u)); break;
    }
    check(f(b));
    // Exact ties: a random f16 value plus half an f16 ulp.
    const std::uint32_t tie = bits(f16_bits_to_f32(static_cast<std::uint16_t>(r & 0x7bffu))) + (1u << 12);
    if ((r & 0x7c00u) != 0) check(f(tie));
  }
  for (std::uint32_t b : {0x00000000u, 0x80000000u, 0x33000000u, 0x33000001u, 0x337fffffu, 0x33800000u, 0x387fc000u,
                          0x387fe000u, 0x38800000u, 0x477fe000u, 0x477fefffu, 0x477ff000u, 0x7f7fffffu, 0x7f800000u,
                          0xff800000u, 0x00000001u, 0x00800000u})
    check(f(b));
  EXPECT_EQ(mismatches, 0u) << "first: " << first_mismatch;
  EXPECT_GT(checked, 1'500'000u);
  EXPECT_GT(subnormal_results, 100'000u);
  EXPECT_GT(inf_results, 10'000u);
}

TEST(HalfF16, HandPickedValues) {
  EXPECT_EQ(f32_to_f16_bits(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16_bits(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16_bits(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16_bits(65519.996f), 0x7bff);
  EXPECT_EQ(f32_to_f16_bits(65520.0f), 0x7c00);                  // tie rounds to even = inf
  EXPECT_EQ(f32_to_f16_bits(1.0f + 0x1p-11f), 0x3c00);           // tie, even stays
  EXPECT_EQ(f32_to_f16_bits(1.0f + 3 * 0x1p-11f), 0x3c02);       // tie, odd rounds up
  EXPECT_EQ(f32_to_f16_bits(0x1p-24f), 0x0001);                  // smallest subnormal
  EXPECT_EQ(f32_to_f16_bits(0x1p-25f), 0x0000);                  // tie to even zero
  EXPECT_EQ(f32_to_f16_bits(0x1.000002p-25f), 0x0001);
  EXPECT_EQ(f32_to_f16_bits(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16_bits(f(0x7f812345u)), 0x7e09);            // NaN: quiet, payload kept
  EXPECT_EQ(bits(f16_bits_to_f32(0x0001)), bits(0x1p-24f));
  EXPECT_EQ(bits(f16_bits_to_f32(0x03ff)), bits(1023 * 0x1p-24f));
}

TEST(HalfBf16, RoundsToNearestEvenAndQuietsNan) {
  EXPECT_EQ(f32_to_bf16_bits(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16_bits(1.0f + 0x1p-8f), 0x3f80);           // tie, even stays
  EXPECT_EQ(f32_to_bf16_bits(1.0f + 3 * 0x1p-8f), 0x3f82);       // tie, odd rounds up
  EXPECT_EQ(f32_to_bf16_bits(f(0x3f808001u)), 0x3f81);           // above the tie
  EXPECT_EQ(f32_to_bf16_bits(f(0x7f7fffffu)), 0x7f80);           // FLT_MAX rounds to inf
  EXPECT_EQ(f32_to_bf16_bits(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(f32_to_bf16_bits(f(0x7f800001u)), 0x7fc0);           // signalling NaN -> quiet
  EXPECT_EQ(f32_to_bf16_bits(f(0xffa50000u)), 0xffe5);           // payload top bits kept
  EXPECT_EQ(f32_to_bf16_bits(f(0x00008000u)), 0x0000);           // subnormal tie to even
  EXPECT_EQ(f32_to_bf16_bits(f(0x00018000u)), 0x0002);
}

TEST(HalfBf16, WideningIsExactOnEveryPattern) {
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float x = bf16_bits_to_f32(static_cast<std::uint16_t>(h));
    ASSERT_EQ(bits(x), h << 16);
    const std::uint16_t back = f32_to_bf16_bits(x);
    ASSERT_EQ(back, std::isnan(x) ? (h | 0x0040u) : h) << hex(h);
  }
}
