// Tests for qvk/runtime/sampler_candidates.hpp: sanitizing, order, greedy, top-k.
#include "qvk/runtime/sampler_candidates.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using qvk::runtime::Candidate;
using qvk::runtime::gather_candidates;
using qvk::runtime::greedy_token;
using qvk::runtime::sanitize_logit;

namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMax = std::numeric_limits<float>::max();

std::vector<std::int32_t> ids_of(const std::vector<Candidate>& c) {
  std::vector<std::int32_t> ids;
  for (const Candidate& x : c) ids.push_back(x.id);
  return ids;
}

}  // namespace

TEST(SanitizeLogit, MapsNanInfAndTinyValuesByTheRule) {
  EXPECT_EQ(sanitize_logit(kNan), -kInf);
  EXPECT_EQ(sanitize_logit(-kNan), -kInf);
  EXPECT_EQ(sanitize_logit(std::bit_cast<float>(0x7f800001u)), -kInf);  // signalling NaN
  EXPECT_EQ(sanitize_logit(kInf), kMax);
  EXPECT_EQ(sanitize_logit(-kInf), -kInf);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(sanitize_logit(-0.0f)), 0u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(sanitize_logit(-1e-40f)), 0u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(sanitize_logit(std::numeric_limits<float>::min())), 0u);
  const float above = std::nextafter(std::numeric_limits<float>::min(), 1.0f);
  EXPECT_EQ(sanitize_logit(above), above);
  EXPECT_EQ(sanitize_logit(-3.5f), -3.5f);
}

TEST(GreedyToken, TiesGoToTheLowestId) {
  const std::vector<float> z = {1.0f, 3.0f, 2.0f, 3.0f, 3.0f};
  EXPECT_EQ(greedy_token(z), 1);
}

TEST(GreedyToken, NanIsNeverChosenOverAFiniteLogit) {
  const std::vector<float> z = {kNan, -100.0f, kNan, -200.0f};
  EXPECT_EQ(greedy_token(z), 1);
  const std::vector<float> nan_last = {-5.0f, kNan};
  EXPECT_EQ(greedy_token(nan_last), 0);
}

TEST(GreedyToken, AllNanOrMinusInfGivesTokenZero) {
  const std::vector<float> z = {kNan, -kInf, kNan};
  EXPECT_EQ(greedy_token(z), 0);
}

TEST(GreedyToken, PlusInfTiesWithFltMaxAndOtherInfs) {
  const std::vector<float> z = {1.0f, kMax, kInf};
  EXPECT_EQ(greedy_token(z), 1);  // +inf is FLT_MAX, the tie goes to the lower id
}

TEST(GreedyToken, SubnormalsAndNegativeZeroTieWithZero) {
  const std::vector<float> z = {-1.0f, -0.0f, 1e-40f, 0.0f};
  EXPECT_EQ(greedy_token(z), 1);
}

TEST(GatherCandidates, TopKKeepsBestAndBreaksTiesByLowestId) {
  const std::vector<float> z = {1.0f, 5.0f, 5.0f, 3.0f, 5.0f, kNan, 3.0f};
  std::vector<Candidate> c;
  gather_candidates(z, 2, c);
  EXPECT_EQ(ids_of(c), (std::vector<std::int32_t>{1, 2}));
  gather_candidates(z, 4, c);
  EXPECT_EQ(ids_of(c), (std::vector<std::int32_t>{1, 2, 4, 3}));
  gather_candidates(z, 0, c);  // everything, NaN last
  EXPECT_EQ(ids_of(c), (std::vector<std::int32_t>{1, 2, 4, 3, 6, 0, 5}));
  EXPECT_EQ(c.back().logit, -kInf);
  gather_candidates(z, 100, c);  // k beyond the vocabulary: everything
  EXPECT_EQ(c.size(), z.size());
}

TEST(GatherCandidates, HeapSelectionEqualsPrefixOfFullSort) {
  // Seeded random logits on a coarse grid (many ties) with NaNs sprinkled in.
  std::mt19937 rng(1234);  // seed 1234
  std::uniform_int_distribution<int> level(-40, 40);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<float> z(3000);
    for (float& x : z) x = static_cast<float>(level(rng)) * 0.25f;
    for (int j = 0; j < 30; ++j) z[static_cast<std::size_t>(level(rng) + 40) * 37] = kNan;
    std::vector<Candidate> all, top;
    gather_candidates(z, 0, all);
    for (const std::size_t k : {1u, 2u, 40u, 1000u, 2999u}) {
      gather_candidates(z, k, top);
      ASSERT_EQ(top.size(), k);
      for (std::size_t i = 0; i < k; ++i) {
        ASSERT_EQ(top[i].id, all[i].id) << "trial " << trial << " k " << k << " i " << i;
        ASSERT_EQ(top[i].logit, all[i].logit);
      }
    }
    for (std::size_t i = 1; i < all.size(); ++i) ASSERT_TRUE(qvk::runtime::precedes(all[i - 1], all[i]));
  }
}

TEST(GatherCandidates, WholeVocabularyRadixSortEqualsAComparisonSort) {
  // Every special value (NaN payloads, ±inf, ±0, subnormals, FLT_MAX), heavy
  // ties across the key bytes, both Qwen vocabulary sizes and tiny ones.
  std::mt19937 rng(20261122);
  const std::uint32_t specials[] = {0x7fc00000u, 0xffc00001u, 0x7f800000u, 0xff800000u, 0x00000000u,
                                    0x80000000u, 0x00000001u, 0x807fffffu, 0x00800000u, 0x80800000u,
                                    0x7f7fffffu, 0xff7fffffu, 0x3f800000u, 0xbf800000u};
  for (const std::size_t n : {std::size_t(1), std::size_t(2), std::size_t(17), std::size_t(4099),
                              std::size_t(151936), std::size_t(248320)}) {
    std::vector<float> z(n);
    for (float& x : z) {
      const std::uint32_t r = rng();
      x = r % 5 == 0 ? std::bit_cast<float>(specials[rng() % std::size(specials)])
          : r % 5 == 1 ? static_cast<float>(static_cast<int>(rng() % 7) - 3)
                       : std::bit_cast<float>(static_cast<std::uint32_t>(rng()));  // any bit pattern
    }
    std::vector<Candidate> want(n), got;
    for (std::size_t i = 0; i < n; ++i) want[i] = {sanitize_logit(z[i]), static_cast<std::int32_t>(i)};
    std::sort(want.begin(), want.end(), [](const Candidate& a, const Candidate& b) { return qvk::runtime::precedes(a, b); });
    gather_candidates(z, 0, got);
    ASSERT_EQ(got.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(got[i].id, want[i].id) << "n " << n << " i " << i;
      ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i].logit), std::bit_cast<std::uint32_t>(want[i].logit));
    }
    gather_candidates(z, n + 5, got);  // top_k >= n: the same whole list
    ASSERT_EQ(ids_of(got), ids_of(want));
  }
}
