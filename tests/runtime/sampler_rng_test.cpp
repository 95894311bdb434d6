// Tests for qvk/runtime/sampler_rng.hpp: the counter-based draw stream.
#include "qvk/runtime/sampler_rng.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

using qvk::runtime::rng_bits24;
using qvk::runtime::rng_uniform;

TEST(SamplerRng, MatchesPinnedValues) {
  // Pinned so that any change to the stream definition (which every device
  // mirror must follow) is noticed.
  EXPECT_EQ(qvk::runtime::mix64(0), 0u);
  EXPECT_EQ(qvk::runtime::mix64(qvk::runtime::kGolden), 0xe220a8397b1dcdafull);  // SplitMix64(seed 0), 1st output, as published
  EXPECT_EQ(rng_bits24(0, 0), 0xe220a8u);
  EXPECT_EQ(rng_bits24(0, 1), 0x6e789eu);
  EXPECT_EQ(rng_bits24(42, 0), 0x989b3fu);
  EXPECT_EQ(rng_bits24(42, 1000000), 0xfabed2u);
  EXPECT_EQ(rng_bits24(0xffffffffffffffffull, 7), 0xc62e56u);
}

TEST(SamplerRng, UniformIsBitsTimesTwoToMinus24Exactly) {
  for (std::uint64_t step = 0; step < 1000; ++step) {
    const std::uint32_t b = rng_bits24(123, step);
    ASSERT_LT(b, 1u << 24);
    const float u = rng_uniform(123, step);
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    ASSERT_EQ(static_cast<double>(u) * 16777216.0, static_cast<double>(b)) << "step " << step;
  }
}

TEST(SamplerRng, DependsOnlyOnSeedAndStep) {
  // Order of evaluation does not matter: no hidden state.
  const std::uint32_t late = rng_bits24(9, 500);
  for (std::uint64_t s = 0; s < 500; ++s) (void)rng_bits24(9, s);
  EXPECT_EQ(rng_bits24(9, 500), late);
}

TEST(SamplerRng, SeedsAndStepsGiveDistinctDraws) {
  // 24-bit values collide by chance (birthday bound ~ n^2 / 2^25): with 2,000
  // draws about 0.12 collisions are expected, so allow a couple.
  std::set<std::uint32_t> by_step, by_seed;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    by_step.insert(rng_bits24(5, i));
    by_seed.insert(rng_bits24(i, 5));
  }
  EXPECT_GE(by_step.size(), 1998u);
  EXPECT_GE(by_seed.size(), 1998u);
}

TEST(SamplerRng, BitsAreRoughlyUniform) {
  // Mean of u over 100,000 draws: 0.5 ± 5 sigma (sigma = sqrt(1/12/n) ≈ 0.00091).
  double sum = 0;
  int high_bit = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    sum += rng_uniform(2024, static_cast<std::uint64_t>(i));
    high_bit += (rng_bits24(2024, static_cast<std::uint64_t>(i)) >> 23) & 1;
  }
  EXPECT_NEAR(sum / n, 0.5, 5 * 0.00091);
  EXPECT_NEAR(high_bit, n / 2, 5 * 158);  // sqrt(n/4) ≈ 158
}
