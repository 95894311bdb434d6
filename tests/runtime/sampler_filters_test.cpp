// Tests for qvk/runtime/sampler_filters.hpp: weights, top-p, min-p, the draw.
#include "qvk/runtime/sampler_filters.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "qvk/numerics/exp.hpp"

using qvk::runtime::Candidate;
using qvk::runtime::min_p_filter;
using qvk::runtime::select_index;
using qvk::runtime::top_p_count;

namespace {

std::vector<Candidate> candidates(const std::vector<float>& sorted_logits) {
  std::vector<Candidate> c;
  for (std::size_t i = 0; i < sorted_logits.size(); ++i)
    c.push_back({sorted_logits[i], static_cast<std::int32_t>(i)});
  return c;
}

std::vector<float> unit_weights(const std::vector<float>& sorted_logits) {
  std::vector<float> w;
  qvk::runtime::unit_weights(candidates(sorted_logits), w);
  return w;
}

constexpr float kJustBelowHalf = 0.5f - 0x1p-25f;

}  // namespace

TEST(SamplerWeights, FirstCandidateWeighsExactlyOne) {
  const std::vector<float> w = unit_weights({7.25f, 7.25f, 1.0f});
  EXPECT_EQ(w[0], 1.0f);
  EXPECT_EQ(w[1], 1.0f);
  EXPECT_EQ(w[2], qvk::numerics::exp(-6.25f));
}

TEST(SamplerWeights, TemperatureMultipliesTheDifference) {
  std::vector<float> w;
  qvk::runtime::temperature_weights(candidates({2.0f, 1.0f, -1.0f}), 0.5f, w);
  EXPECT_EQ(w[0], 1.0f);
  EXPECT_EQ(w[1], qvk::numerics::exp(-0.5f));
  EXPECT_EQ(w[2], qvk::numerics::exp(-1.5f));
}

TEST(SamplerWeights, MinusInfCandidateWeighsZero) {
  const std::vector<float> w = unit_weights({0.0f, -std::numeric_limits<float>::infinity()});
  EXPECT_EQ(w[1], 0.0f);
}

TEST(TopP, KeepsSmallestPrefixReachingTheMass) {
  // softmax(3, 2, 1, 0, -10) ≈ 0.6439, 0.2369, 0.0871, 0.0321, 0.0000
  const std::vector<float> w = unit_weights({3.0f, 2.0f, 1.0f, 0.0f, -10.0f});
  EXPECT_EQ(top_p_count(w, 0.5f), 1u);
  EXPECT_EQ(top_p_count(w, 0.7f), 2u);
  EXPECT_EQ(top_p_count(w, 0.9f), 3u);
  EXPECT_EQ(top_p_count(w, 0.99f), 4u);
  EXPECT_EQ(top_p_count(w, 0.99999f), 4u);    // the last one holds only ~1.5e-6
  EXPECT_EQ(top_p_count(w, 0.9999999f), 5u);
  EXPECT_EQ(top_p_count(w, 1.0f), 5u);
}

TEST(TopP, MassExactlyAtThresholdStopsThere) {
  // Four equal weights, all exactly 1: total 4, cumulative 1, 2, 3, 4 (exact).
  const std::vector<float> w = {1.0f, 1.0f, 1.0f, 1.0f};
  EXPECT_EQ(top_p_count(w, 0.5f), 2u);                   // 2 >= 0.5 * 4
  EXPECT_EQ(top_p_count(w, 0.5f + 0x1p-24f), 3u);        // 2 < (0.5 + ulp) * 4
  EXPECT_EQ(top_p_count(w, 0.25f), 1u);
}

TEST(MinP, KeepsCandidatesWithWeightAtLeastMinP) {
  // exp(0), exp(-1) ≈ 0.368, exp(-2) ≈ 0.135, exp(-3) ≈ 0.050
  std::vector<Candidate> c = candidates({0.0f, -1.0f, -2.0f, -3.0f});
  std::vector<float> w = unit_weights({0.0f, -1.0f, -2.0f, -3.0f});
  EXPECT_EQ(min_p_filter(c, w, 0.2f), 2u);
  EXPECT_EQ(c[0].id, 0);
  EXPECT_EQ(c[1].id, 1);
  EXPECT_EQ(w[1], qvk::numerics::exp(-1.0f));
}

TEST(MinP, OneKeepsExactlyTheTiedMaxima) {
  std::vector<Candidate> c = candidates({4.0f, 4.0f, 4.0f - 0x1p-21f});
  std::vector<float> w = unit_weights({4.0f, 4.0f, 4.0f - 0x1p-21f});
  EXPECT_LT(w[2], 1.0f);
  EXPECT_EQ(min_p_filter(c, w, 1.0f), 2u);
}

TEST(MinP, ZeroKeepsEverythingIncludingZeroWeights) {
  std::vector<Candidate> c = candidates({0.0f, -200.0f});
  std::vector<float> w = unit_weights({0.0f, -200.0f});
  EXPECT_EQ(w[1], 0.0f);
  EXPECT_EQ(min_p_filter(c, w, 0.0f), 2u);
}

TEST(SelectIndex, SplitsTheUnitIntervalByCumulativeWeight) {
  // Weights 1, 1: total 2, token 0 iff 1 > 2u, i.e. u < 0.5 (all exact).
  const std::vector<float> w = {1.0f, 1.0f};
  EXPECT_EQ(select_index(w, 0.0f), 0u);
  EXPECT_EQ(select_index(w, kJustBelowHalf), 0u);
  EXPECT_EQ(select_index(w, 0.5f), 1u);
  EXPECT_EQ(select_index(w, 1.0f - 0x1p-24f), 1u);
}

TEST(SelectIndex, NeverDrawsAZeroWeight) {
  const std::vector<float> w = {1.0f, 0.0f, 0.0f, 0.5f, 0.0f};
  // total 1.5: u * 1.5 in [0, 1) -> index 0, [1, 1.5) -> index 3.
  EXPECT_EQ(select_index(w, 0.0f), 0u);
  EXPECT_EQ(select_index(w, 0.66f), 0u);
  EXPECT_EQ(select_index(w, 0.67f), 3u);
  EXPECT_EQ(select_index(w, 1.0f - 0x1p-24f), 3u);
}

TEST(SelectIndex, FallsBackToLastPositiveWeightWhenCumulativeFallsShort) {
  // The lane-tree total can exceed the sequential cumulative: with 33 weights
  // (1, then 32 copies of 2^-24) the sequential sum stays at 1 (each 1 + 2^-24
  // rounds to 1) while the lane tree adds most small ones among themselves first
  // and gets 1 + 30 * 2^-24.
  std::vector<float> w(33, 0x1p-24f);
  w[0] = 1.0f;
  const float total = qvk::runtime::total_weight(w);
  ASSERT_EQ(total, 1.0f + 30 * 0x1p-24f);
  // u just below 1: threshold ~ total > every cumulative.
  EXPECT_EQ(select_index(w, 1.0f - 0x1p-24f), 32u);
}
