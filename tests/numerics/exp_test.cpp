// numerics::exp, rsqrt, flush and the canonical reduction order.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "qvk/numerics/exp.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/reduce.hpp"
#include "qvk/numerics/rsqrt.hpp"

namespace qvk::numerics {
namespace {

std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }

// Distance in units in the last place between a float and an exact double.
double ulp_error(float got, double exact) {
  const float ef = static_cast<float>(exact);
  const double ulp = std::nextafter(std::fabs(ef), std::numeric_limits<float>::infinity()) - std::fabs(ef);
  return std::fabs(static_cast<double>(got) - exact) / ulp;
}

TEST(Flush, ZeroesEverythingUpToAndIncludingFltMinKeepingSign) {
  EXPECT_EQ(bits(flush(std::numeric_limits<float>::min())), 0u);
  EXPECT_EQ(bits(flush(-std::numeric_limits<float>::min())), 0x80000000u);
  EXPECT_EQ(bits(flush(std::numeric_limits<float>::denorm_min())), 0u);
  EXPECT_EQ(flush(std::nextafter(std::numeric_limits<float>::min(), 1.0f)),
            std::nextafter(std::numeric_limits<float>::min(), 1.0f));
  EXPECT_TRUE(std::isnan(flush(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(flush(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  // A product that IEEE rounds to exactly FLT_MIN is zero under the contract.
  EXPECT_EQ(bits(mul(std::ldexp(1.0f, -63), std::ldexp(1.0f, -63))), 0u);
}

TEST(Exp, IsWithinTwoUlpOverTheWholeNormalRange) {
  double worst = 0;
  float worst_x = 0;
  int n = 0;
  for (float x = -87.0f; x < 88.7f; x = std::nextafter(x, 100.0f) + 0.00037f, ++n) {
    const double err = ulp_error(exp(x), std::exp(static_cast<double>(x)));
    if (err > worst) worst = err, worst_x = x;
  }
  std::printf("exp: %d points in [-87, 88.7], max error %.3f ulp at x = %.9g\n", n, worst, worst_x);
  EXPECT_LT(worst, 2.0);
  EXPECT_GT(n, 400000);
}

TEST(Exp, HandlesSpecialValuesByTheContract) {
  EXPECT_EQ(exp(0.0f), 1.0f);
  EXPECT_EQ(exp(-0.0f), 1.0f);
  EXPECT_EQ(exp(std::numeric_limits<float>::min()), 1.0f);  // tiny input is 0
  EXPECT_EQ(exp(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(exp(-88.0f), 0.0f);  // e^-88 < FLT_MIN: flushed
  EXPECT_EQ(exp(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_EQ(exp(89.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(bits(exp(std::numeric_limits<float>::quiet_NaN())), kCanonicalNan);
  EXPECT_TRUE(std::isfinite(exp(88.72f)));
  // Never returns a subnormal.
  for (float x = -87.5f; x < -86.5f; x += 1e-4f) EXPECT_FALSE(exp(x) != 0.0f && exp(x) < std::numeric_limits<float>::min());
}

TEST(Rsqrt, IsWithinTwoUlpForEveryMantissaOfTwoBinades) {
  // Exhaustive over [1, 4): the exponent handling is exact, so this covers every normal input.
  double worst = 0;
  for (std::uint32_t b = bits(1.0f); b < bits(4.0f); ++b) {
    const float x = std::bit_cast<float>(b);
    worst = std::max(worst, ulp_error(rsqrt(x), 1.0 / std::sqrt(static_cast<double>(x))));
  }
  std::printf("rsqrt: max error %.3f ulp over [1, 4)\n", worst);
  EXPECT_LT(worst, 2.0);
}

TEST(Rsqrt, ScalesByPowersOfFourExactlyAndHandlesSpecials) {
  EXPECT_EQ(rsqrt(4.0f), 0.5f);
  EXPECT_EQ(rsqrt(1.0f), 1.0f);
  for (int k = -60; k <= 60; ++k) EXPECT_EQ(rsqrt(std::ldexp(3.0f, 2 * k)), std::ldexp(rsqrt(3.0f), -k)) << k;
  EXPECT_EQ(rsqrt(0.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(rsqrt(std::numeric_limits<float>::min()), std::numeric_limits<float>::infinity());
  EXPECT_EQ(rsqrt(std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(bits(rsqrt(-1.0f)), kCanonicalNan);
  EXPECT_EQ(bits(rsqrt(std::numeric_limits<float>::quiet_NaN())), kCanonicalNan);
  EXPECT_TRUE(std::isfinite(rsqrt(std::numeric_limits<float>::max())));
}

TEST(Reduce, SumsLanesSequentiallyThenInAPairwiseTree) {
  // Terms chosen so that any other order rounds differently: 1e8 + 1 + ... .
  const float t[] = {1e8f, 1.0f, 1.0f, 1.0f, -1e8f, 1.0f, 1.0f, 1.0f, 0.5f};
  // L = 4: lane0 = (1e8 + -1e8) + 0.5 = 0.5, lane1 = 1+1 = 2, lane2 = 2, lane3 = 2;
  // tree: (0.5+2) + (2+2) = 6.5.
  EXPECT_EQ(strided_sum<4>(9, [&](std::size_t i) { return t[i]; }), 6.5f);
  // L = 1: sequential: 1e8+1+1+1 = 1e8 (each +1 is lost), -1e8 → 0, then 3.5.
  EXPECT_EQ(strided_sum<1>(9, [&](std::size_t i) { return t[i]; }), 3.5f);
  EXPECT_EQ(strided_sum<32>(0, [&](std::size_t) { return 1.0f; }), 0.0f);
}

}  // namespace
}  // namespace qvk::numerics
