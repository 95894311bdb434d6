// Tests for qvk/runtime/sampler.hpp: the whole chain and the Sampler class.
#include "qvk/runtime/sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

using qvk::runtime::SampleConfig;
using qvk::runtime::Sampler;
using qvk::runtime::SamplerParams;
using qvk::runtime::SampleScratch;

namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

SamplerParams plain(float temperature, std::uint64_t seed) {
  SamplerParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = seed;
  return p;
}

// Exactly representable logits on a 1/8 grid, a fixed permutation of ids.
std::vector<float> grid_logits(std::size_t n) {
  std::vector<float> z(n);
  for (std::size_t i = 0; i < n; ++i) z[i] = static_cast<float>(static_cast<int>((i * 37) % n) - static_cast<int>(n / 2)) / 8.0f;
  return z;
}

std::vector<std::int32_t> run(Sampler& s, const std::vector<float>& z, int count) {
  std::vector<std::int32_t> out;
  for (int i = 0; i < count; ++i) out.push_back(s.sample(z, {}));
  return out;
}

// Draws n tokens and checks each token's frequency against `expected`
// probabilities within 5 standard deviations (sqrt(p(1-p)/n)).
void expect_distribution(const SamplerParams& params, const std::vector<float>& z, const std::vector<double>& expected,
                         int n) {
  Sampler s(params);
  std::vector<int> count(z.size());
  for (int i = 0; i < n; ++i) ++count[static_cast<std::size_t>(s.sample(z, {}))];
  for (std::size_t t = 0; t < z.size(); ++t) {
    const double freq = static_cast<double>(count[t]) / n;
    const double sigma = std::sqrt(expected[t] * (1.0 - expected[t]) / n);
    if (expected[t] == 0.0)
      EXPECT_EQ(count[t], 0) << "token " << t;
    else
      EXPECT_NEAR(freq, expected[t], 5.0 * sigma) << "token " << t << " seed " << params.seed;
  }
}

// softmax(z / T) restricted to `keep` (others 0), in double.
std::vector<double> softmax(const std::vector<float>& z, double temperature, const std::vector<bool>& keep) {
  std::vector<double> p(z.size());
  double zmax = -1e300, total = 0;
  for (std::size_t i = 0; i < z.size(); ++i)
    if (keep[i]) zmax = std::max(zmax, static_cast<double>(z[i]));
  for (std::size_t i = 0; i < z.size(); ++i)
    if (keep[i]) total += p[i] = std::exp((z[i] - zmax) / temperature);
  for (double& x : p) x /= total;
  return p;
}

}  // namespace

TEST(Sampler, SameSeedGivesSameTokensAndDifferentSeedDifferentOnes) {
  const std::vector<float> z = grid_logits(1000);
  Sampler a(plain(1.5f, 42)), b(plain(1.5f, 42)), c(plain(1.5f, 43));
  const auto ta = run(a, z, 300), tb = run(b, z, 300), tc = run(c, z, 300);
  EXPECT_EQ(ta, tb);
  int differ = 0;
  for (std::size_t i = 0; i < ta.size(); ++i) differ += ta[i] != tc[i];
  EXPECT_GT(differ, 200);
  // Not a degenerate stream: at T = 1.5 on this 1/8 grid dozens of distinct ids occur.
  std::vector<std::int32_t> distinct = ta;
  std::sort(distinct.begin(), distinct.end());
  EXPECT_GT(std::unique(distinct.begin(), distinct.end()) - distinct.begin(), 20);
}

TEST(Sampler, MatchesPinnedTokensForDefaultSettings) {
  // Pins the whole definition (RNG, order, weights, filters, draw): a device
  // mirror must produce exactly these.
  SamplerParams p;  // T 0.8, top_k 40, top_p 0.95, min_p 0.05
  p.seed = 2025;
  Sampler s(p);
  const auto tokens = run(s, grid_logits(64), 16);
  EXPECT_EQ(tokens, (std::vector<std::int32_t>{57, 38, 31, 43, 50, 50, 29, 55, 50, 38, 38, 57, 36, 50, 12, 19}));
}

TEST(Sampler, StepCounterReplaysTheSequence) {
  const std::vector<float> z = grid_logits(200);
  Sampler s(plain(1.0f, 7));
  const auto first = run(s, z, 20);
  EXPECT_EQ(s.step(), 20u);
  s.set_step(0);
  EXPECT_EQ(run(s, z, 20), first);
  s.set_step(10);
  EXPECT_EQ(s.sample(z, {}), first[10]);
}

TEST(Sampler, TokenIsDrawnWithUFromSeedAndStep) {
  const std::vector<float> z = grid_logits(300);
  Sampler s(plain(1.0f, 99));
  SampleScratch scratch;
  for (std::uint64_t step = 0; step < 50; ++step)
    ASSERT_EQ(s.sample(z, {}), qvk::runtime::sample_token(z, s.config(), qvk::runtime::rng_uniform(99, step), scratch));
}

TEST(Sampler, NextDrawHandsADeviceTheDrawSampleWouldUseAndAdvances) {
  // A device that samples itself (VkForward::eval_sample) gets u = next_draw():
  // interleaving it with sample() keeps one draw per token, in order.
  const std::vector<float> z = grid_logits(300);
  Sampler s(plain(1.0f, 5)), t(plain(1.0f, 5));
  SampleScratch scratch;
  for (std::uint64_t step = 0; step < 30; ++step) {
    const std::int32_t want = t.sample(z, {});
    if (step % 2 == 0) {
      EXPECT_EQ(s.next_draw(), qvk::runtime::rng_uniform(5, step));
      s.set_step(step);
      EXPECT_EQ(qvk::runtime::sample_token(z, s.config(), s.next_draw(), scratch), want);
    } else {
      EXPECT_EQ(s.sample(z, {}), want);
    }
    EXPECT_EQ(s.step(), step + 1);
  }
}

TEST(Sampler, CandidateStageRefusesAnEmptyList) {
  std::vector<qvk::runtime::Candidate> none;
  std::vector<float> w;
  EXPECT_THROW(qvk::runtime::sample_candidates(none, qvk::runtime::SampleConfig{}, 0.5f, w), std::invalid_argument);
}

TEST(Sampler, EmpiricalDistributionMatchesSoftmax) {
  // 200,000 draws with fixed seeds; each frequency within 5 sigma (about 0.005
  // absolute for p ≈ 0.3).
  const std::vector<float> z = {2.0f, 1.5f, 1.0f, 0.0f, -0.5f, -3.0f};
  const std::vector<bool> all(z.size(), true);
  expect_distribution(plain(1.0f, 11), z, softmax(z, 1.0, all), 200000);
  expect_distribution(plain(0.7f, 12), z, softmax(z, 0.7, all), 200000);
  expect_distribution(plain(2.5f, 13), z, softmax(z, 2.5, all), 200000);
}

TEST(Sampler, EmpiricalDistributionAfterTopKIsRenormalizedSoftmax) {
  const std::vector<float> z = {0.5f, 2.0f, -1.0f, 1.5f, 1.0f, 0.0f};
  SamplerParams p = plain(1.25f, 21);
  p.top_k = 3;  // ids 1, 3, 4
  expect_distribution(p, z, softmax(z, 1.25, {false, true, false, true, true, false}), 200000);
}

TEST(Sampler, TopKOneIsGreedyAtAnyTemperature) {
  const std::vector<float> z = {1.0f, 4.0f, 4.0f, 3.9f};
  SamplerParams p = plain(5.0f, 3);
  p.top_k = 1;
  Sampler s(p);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(s.sample(z, {}), 1);
}

TEST(Sampler, TemperatureZeroIsGreedyWithTiesToLowestId) {
  const std::vector<float> z = {kNan, 1.0f, 4.0f, kNan, 4.0f};
  Sampler s(plain(0.0f, 3));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(s.sample(z, {}), 2);
}

TEST(Sampler, NanLogitsAreNeverSampled) {
  std::vector<float> z = grid_logits(100);
  for (std::size_t i = 0; i < z.size(); i += 3) z[i] = kNan;
  for (const int top_k : {0, 10, 100}) {
    SamplerParams p = plain(3.0f, 5);
    p.top_k = top_k;
    Sampler s(p);
    for (int i = 0; i < 2000; ++i) ASSERT_NE(s.sample(z, {}) % 3, 0) << "top_k " << top_k;
  }
}

TEST(Sampler, AllNanLogitsGiveTokenZero) {
  const std::vector<float> z = {kNan, -kInf, kNan};
  for (const float t : {0.0f, 1.0f}) {
    Sampler s(plain(t, 1));
    EXPECT_EQ(s.sample(z, {}), 0);
  }
}

TEST(Sampler, PlusInfLogitsShareAllTheMass) {
  const std::vector<float> z = {1e30f, kInf, 0.0f, kInf};
  Sampler s(plain(1.0f, 8));
  int ones = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::int32_t t = s.sample(z, {});
    ASSERT_TRUE(t == 1 || t == 3) << t;
    ones += t == 1;
  }
  EXPECT_NEAR(ones, 2000, 5 * 32);  // sqrt(4000 / 4) ≈ 32
}

TEST(Sampler, TopPUsesTemperatureOneProbabilities) {
  // At T = 1, p(token 0) = 1 / (1 + e^-2) ≈ 0.881 >= 0.85, so top-p keeps only
  // token 0, however flat the temperature makes the final draw.
  const std::vector<float> z = {2.0f, 0.0f};
  SamplerParams p = plain(100.0f, 4);
  p.top_p = 0.85f;
  Sampler s(p);
  for (int i = 0; i < 500; ++i) ASSERT_EQ(s.sample(z, {}), 0);
  p.top_p = 0.9f;  // now both survive and T = 100 makes them near 50/50
  Sampler both(p);
  int zeros = 0;
  for (int i = 0; i < 2000; ++i) zeros += both.sample(z, {}) == 0;
  EXPECT_NEAR(zeros, 1010, 5 * 23);  // p0 = 1 / (1 + e^-0.02) ≈ 0.505
}

TEST(Sampler, MinPUsesTemperatureOneProbabilities) {
  // exp(-1) ≈ 0.368 < 0.4: token 1 is cut, whatever the temperature.
  const std::vector<float> z = {0.0f, -1.0f};
  SamplerParams p = plain(50.0f, 6);
  p.min_p = 0.4f;
  Sampler s(p);
  for (int i = 0; i < 500; ++i) ASSERT_EQ(s.sample(z, {}), 0);
}

TEST(Sampler, FiltersComposeAsDocumented) {
  // top_k 4 -> ids {5, 4, 3, 2} (logits 3, 2, 1, 0); temperature-1 mass over them
  // ≈ 0.644, 0.237, 0.087, 0.032; top_p 0.95 keeps 3 (0.968); min_p 0.1 keeps
  // id 3 (w1 = e^-2 ≈ 0.135): survivors {5, 4, 3}.
  const std::vector<float> z = {-5.0f, -4.0f, 0.0f, 1.0f, 2.0f, 3.0f};
  SamplerParams p = plain(1.0f, 17);
  p.top_k = 4;
  p.top_p = 0.95f;
  p.min_p = 0.1f;
  expect_distribution(p, z, softmax(z, 1.0, {false, false, false, true, true, true}), 100000);
  p.min_p = 0.2f;  // e^-2 < 0.2: id 3 goes too
  expect_distribution(p, z, softmax(z, 1.0, {false, false, false, false, true, true}), 100000);
}

TEST(Sampler, RepetitionPenaltyChangesTheGreedyChoice) {
  const std::vector<float> z = {2.0f, -2.0f, 1.5f};
  SamplerParams p = plain(0.0f, 0);
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  EXPECT_EQ(s.sample(z, {}), 0);
  const std::vector<std::int32_t> history = {0};
  EXPECT_EQ(s.sample(z, history), 2);  // 2 / 2 = 1 < 1.5
  p.repeat_last_n = 1;
  Sampler window(p);
  const std::vector<std::int32_t> old = {0, 1};  // token 0 is outside the last 1
  EXPECT_EQ(window.sample(z, old), 0);
}

TEST(Sampler, RepetitionPenaltyOnNegativeLogitsPushesThemDown) {
  // Two negative logits; penalizing the better one (-1 * 3 = -3) flips the order.
  const std::vector<float> z = {-1.0f, -2.0f};
  SamplerParams p = plain(0.0f, 0);
  p.repeat_penalty = 3.0f;
  Sampler s(p);
  const std::vector<std::int32_t> history = {0};
  EXPECT_EQ(s.sample(z, history), 1);
}

TEST(Sampler, RejectsBadParametersEmptyLogitsAndBadHistory) {
  SamplerParams p;
  p.top_p = 0.0f;
  EXPECT_THROW(Sampler{p}, std::invalid_argument);
  Sampler s(SamplerParams{.repeat_penalty = 1.5f});
  EXPECT_THROW(s.sample({}, {}), std::invalid_argument);
  const std::vector<float> z = {1.0f, 2.0f};
  const std::vector<std::int32_t> bad = {5};
  EXPECT_THROW(s.sample(z, bad), std::out_of_range);
  EXPECT_EQ(s.step(), 0u);  // a failed call consumes no draw
}

