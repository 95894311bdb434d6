// Tests for qvk/numerics/recip.hpp: the canonical software reciprocal.
#include "qvk/numerics/recip.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.hpp"

using qvk::numerics::recip;
using qvk::quant::test::bits;
using qvk::quant::test::hex;

namespace {

// |y - 1/x| in ulps of the exact result (ulp = 2^(floor(log2|1/x|) - 23)).
double ulp_error(float x, float y) {
  const double exact = 1.0 / static_cast<double>(x);
  const double ulp = std::ldexp(1.0, std::ilogb(exact) - 23);
  return std::fabs(static_cast<double>(y) - exact) / ulp;
}

}  // namespace

TEST(Recip, ErrorIsAtMostDocumentedBoundOverEveryMantissa) {
  // Exponent handling is exact integer code, so [1, 2) covers every input whose
  // reciprocal is a normal float.
  double worst = 0;
  std::uint32_t worst_bits = 0, correctly_rounded = 0;
  for (std::uint32_t b = 0x3f800000u; b < 0x40000000u; ++b) {
    const float x = std::bit_cast<float>(b);
    const float y = recip(x);
    const double e = ulp_error(x, y);
    if (e > worst) {
      worst = e;
      worst_bits = b;
    }
    correctly_rounded += y == static_cast<float>(1.0 / static_cast<double>(x));
  }
  EXPECT_LE(worst, 1.134) << "worst input " << hex(worst_bits);
  EXPECT_GT(worst, 1.0);  // the documented figure is tight, not a loose bound
  EXPECT_GE(correctly_rounded, 7'000'000u);  // 83.5 % of 8,388,608 documented
}

TEST(Recip, ScalesExactlyAcrossBinades) {
  auto rng = qvk::quant::test::seeded_rng(0x4ec1);
  for (int i = 0; i < 200'000; ++i) {
    const auto mant = static_cast<std::uint32_t>(rng() & 0x007fffffu);
    const float m = std::bit_cast<float>(0x3f800000u | mant);
    const float rm = recip(m);
    const int shift = static_cast<int>(rng() % 250) - 125;  // x = m * 2^shift, 1/x stays normal
    const float x = std::ldexp(m, shift);
    const float expected = std::ldexp(rm, -shift);
    ASSERT_EQ(bits(recip(x)), bits(expected)) << hex(bits(x));
    ASSERT_EQ(bits(recip(-x)), bits(-expected)) << hex(bits(x));
  }
}

TEST(Recip, SpecialInputsFollowTheContract) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(bits(recip(std::nanf(""))), 0x7fc00000u);
  EXPECT_EQ(bits(recip(-std::nanf("7"))), 0x7fc00000u);
  EXPECT_EQ(bits(recip(0.0f)), bits(inf));
  EXPECT_EQ(bits(recip(-0.0f)), bits(-inf));
  EXPECT_EQ(bits(recip(std::numeric_limits<float>::denorm_min())), bits(inf));
  EXPECT_EQ(bits(recip(-std::numeric_limits<float>::min())), bits(-inf));  // |x| <= FLT_MIN counts as 0
  EXPECT_EQ(bits(recip(inf)), bits(0.0f));
  EXPECT_EQ(bits(recip(-inf)), bits(-0.0f));
  EXPECT_EQ(bits(recip(std::numeric_limits<float>::max())), bits(0.0f));  // 1/x below FLT_MIN -> 0
  EXPECT_EQ(bits(recip(0x1p126f)), bits(0.0f));                            // 1/x == FLT_MIN -> 0
  EXPECT_EQ(bits(recip(0x1p125f)), bits(0x1p-125f));
  EXPECT_GT(recip(std::bit_cast<float>(0x00800001u)), 0x1p125f);  // just above FLT_MIN: finite
  EXPECT_EQ(recip(2.0f), 0.5f);
  EXPECT_EQ(recip(-4.0f), -0.25f);
}
