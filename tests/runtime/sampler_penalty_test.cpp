// Tests for qvk/runtime/sampler_penalty.hpp: llama.cpp's repeat penalty.
#include "qvk/runtime/sampler_penalty.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "qvk/numerics/recip.hpp"

using qvk::runtime::apply_repeat_penalty;

TEST(RepeatPenalty, DividesPositiveAndMultipliesNegativeLogits) {
  std::vector<float> z = {2.0f, -2.0f, 1.5f, 0.0f, 3.0f};
  const std::vector<std::int32_t> history = {0, 1, 3};
  apply_repeat_penalty(z, history, 64, 2.0f);
  EXPECT_EQ(z, (std::vector<float>{1.0f, -4.0f, 1.5f, 0.0f, 3.0f}));
}

TEST(RepeatPenalty, DividesThroughTheCanonicalReciprocal) {
  // 1/3 is not a float, so "divide by 3" is defined as z * recip(3).
  std::vector<float> z = {5.0f, -5.0f};
  const std::vector<std::int32_t> history = {0, 1};
  apply_repeat_penalty(z, history, 64, 3.0f);
  EXPECT_EQ(z[0], 5.0f * qvk::numerics::recip(3.0f));
  EXPECT_EQ(z[1], -15.0f);
}

TEST(RepeatPenalty, RepeatedTokenIsPenalizedOnce) {
  std::vector<float> z = {8.0f, -8.0f};
  const std::vector<std::int32_t> history = {0, 0, 0, 1, 1};
  apply_repeat_penalty(z, history, 64, 2.0f);
  EXPECT_EQ(z, (std::vector<float>{4.0f, -16.0f}));
}

TEST(RepeatPenalty, OnlyTheLastNTokensCount) {
  std::vector<float> z = {8.0f, 8.0f, 8.0f, 8.0f};
  const std::vector<std::int32_t> history = {0, 1, 2, 3};
  apply_repeat_penalty(z, history, 2, 2.0f);
  EXPECT_EQ(z, (std::vector<float>{8.0f, 8.0f, 4.0f, 4.0f}));
}

TEST(RepeatPenalty, PenaltyOneOrWindowZeroChangesNothing) {
  const std::vector<float> orig = {8.0f, -8.0f, std::numeric_limits<float>::quiet_NaN()};
  std::vector<float> z = orig;
  const std::vector<std::int32_t> history = {0, 1, 2};
  apply_repeat_penalty(z, history, 64, 1.0f);
  EXPECT_EQ(z[0], 8.0f);
  EXPECT_TRUE(std::isnan(z[2]));  // untouched, not even sanitized
  apply_repeat_penalty(z, history, 0, 2.0f);
  EXPECT_EQ(z[1], -8.0f);
}

TEST(RepeatPenalty, PenaltyBelowOneBoostsRepeatedTokens) {
  std::vector<float> z = {3.0f, -3.0f};
  const std::vector<std::int32_t> history = {0, 1};
  apply_repeat_penalty(z, history, 64, 0.5f);
  EXPECT_EQ(z, (std::vector<float>{6.0f, -1.5f}));
}

TEST(RepeatPenalty, SanitizesPenalizedNanAndInf) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  std::vector<float> z = {std::numeric_limits<float>::quiet_NaN(), kInf};
  const std::vector<std::int32_t> history = {0, 1};
  apply_repeat_penalty(z, history, 64, 2.0f);
  EXPECT_EQ(z[0], -kInf);
  EXPECT_EQ(z[1], std::numeric_limits<float>::max() * 0.5f);
}

TEST(RepeatPenalty, RejectsHistoryTokenOutsideVocabulary) {
  std::vector<float> z = {1.0f, 2.0f};
  const std::vector<std::int32_t> too_big = {2};
  const std::vector<std::int32_t> negative = {-1};
  EXPECT_THROW(apply_repeat_penalty(z, too_big, 64, 2.0f), std::out_of_range);
  EXPECT_THROW(apply_repeat_penalty(z, negative, 64, 2.0f), std::out_of_range);
  // Outside the window it is not looked at.
  const std::vector<std::int32_t> old_bad = {7, 0};
  EXPECT_NO_THROW(apply_repeat_penalty(z, old_bad, 1, 2.0f));
}
