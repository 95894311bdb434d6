// Tests for the 8-bit activation block (qvk/quant/q8_act.hpp).
#include "qvk/quant/q8_act.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.hpp"

using namespace qvk::quant;
using qvk::quant::test::bits;

TEST(Q8Act32, RoundsHalfAwayFromZeroWithUnitScale) {
  float x[32] = {127, -127, 0.5f, -0.5f, 1.5f, -2.5f, 126.5f, 0.49999997f, 3.0f};
  Q8Act32 a{};
  quantize_q8_act(x, a);
  EXPECT_EQ(a.d, 1.0f);  // 127 * kInv127 rounds to exactly 1
  const int expected[9] = {127, -127, 1, -1, 2, -3, 127, 0, 3};
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(a.qs[i], expected[i]) << i;
    sum += expected[i];
  }
  for (int i = 9; i < 32; ++i) EXPECT_EQ(a.qs[i], 0);
  EXPECT_EQ(a.sum, sum);
}

TEST(Q8Act32, CodesAreWithinHalfAStepAndSumMatches) {
  auto rng = qvk::quant::test::seeded_rng(0x8ac7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int n = 0; n < 20'000; ++n) {
    float x[32];
    const float scale = std::ldexp(1.0f, static_cast<int>(rng() % 200) - 100);
    for (float& v : x) v = dist(rng) * scale;
    Q8Act32 a{};
    quantize_q8_act(x, a);
    ASSERT_GT(a.d, 0.0f);
    int sum = 0, peak = 0;
    for (int i = 0; i < 32; ++i) {
      // half a step, plus the recip error (~1 ulp of 127-ish values)
      ASSERT_LE(std::fabs(a.value(i) - x[i]), a.d * 0.50002f) << "block " << n << " element " << i;
      sum += a.qs[i];
      peak = std::max(peak, std::abs(static_cast<int>(a.qs[i])));
    }
    ASSERT_EQ(a.sum, sum);
    ASSERT_EQ(peak, 127);
  }
}

TEST(Q8Act32, ZeroAndTinyBlocksGiveZeroScaleAndCodes) {
  float x[32] = {};
  Q8Act32 a{};
  quantize_q8_act(x, a);
  EXPECT_EQ(bits(a.d), 0u);
  EXPECT_EQ(a.sum, 0);
  x[0] = std::numeric_limits<float>::min();         // |x| <= FLT_MIN counts as 0
  x[1] = -std::numeric_limits<float>::denorm_min();
  x[2] = 1e-37f;                                      // normal, but d = x/127 would be <= FLT_MIN
  quantize_q8_act(x, a);
  EXPECT_EQ(bits(a.d), 0u);
  for (auto q : a.qs) EXPECT_EQ(q, 0);
}

TEST(Q8Act32, NonFiniteInputPoisonsTheBlockWithCanonicalNan) {
  for (float bad : {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), std::nanf("3")}) {
    float x[32];
    for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i);
    x[17] = bad;
    Q8Act32 a{};
    quantize_q8_act(x, a);
    EXPECT_EQ(bits(a.d), 0x7fc00000u);
    EXPECT_EQ(a.sum, 0);
    for (auto q : a.qs) EXPECT_EQ(q, 0);
  }
}

TEST(Q8Act32, HugeValuesStayFinite) {
  float x[32] = {};
  x[0] = std::numeric_limits<float>::max();
  x[1] = -std::numeric_limits<float>::max() / 2;
  Q8Act32 a{};
  quantize_q8_act(x, a);
  EXPECT_TRUE(std::isfinite(a.d));
  EXPECT_EQ(a.qs[0], 127);
  EXPECT_TRUE(a.qs[1] == -64 || a.qs[1] == -63) << int{a.qs[1]};  // about -63.5
}
