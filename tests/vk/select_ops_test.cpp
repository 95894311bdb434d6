// Greedy argmax, top-k candidate selection and the sampler's draw on the Vulkan
// device vs the CPU sampler (runtime::greedy_token, runtime::gather_candidates,
// runtime::sample_candidates / sample_token), bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <vector>
#include <random>

#include "select_ops_runner.hpp"

namespace qvk::vk::opstest {
namespace {

constexpr std::uint64_t kSeed = 0x53'45'4c'45'43'54ULL;  // "SELECT"

SelectCase select_case(std::uint32_t n, std::uint32_t k, Logits kind, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  SelectCase c;
  c.n = n;
  c.k = k;
  c.kind = kind;
  c.logits = make_logits(rng, n, kind);
  return c;
}

constexpr std::uint32_t kQwenVocabs[] = {151936, 248320};

TEST(Argmax, PicksTheGreedyTokenOverQwenVocabulariesForEveryLogitKind) {
  std::cerr << "seed " << kSeed << " on " << device().features().name << "\n";
  std::uint64_t seed = kSeed;
  for (std::uint32_t n : kQwenVocabs)
    for (int kind = 0; kind < kLogitKinds; ++kind) {
      const SelectCase c = select_case(n, 1, static_cast<Logits>(kind), ++seed);
      const Comparison cmp = run_argmax(c);
      EXPECT_TRUE(cmp.ok) << describe(c) << " seed=" << seed << ": " << cmp.message;
    }
  expect_validation_clean();
}

TEST(Argmax, TiesGoToTheLowestIdAcrossWorkgroups) {
  // The maximum appears in many workgroups (and in the ragged last one): id of the first wins.
  for (std::uint32_t first : {0u, 4095u, 4096u, 100000u, 151935u}) {
    SelectCase c = select_case(151936, 1, Logits::Normal, kSeed + first);
    for (auto& z : c.logits) z = std::min(z, 50.0f);
    for (std::uint32_t i = first; i < c.n; i += 8191) c.logits[i] = 60.0f;
    c.logits[c.n - 1] = 60.0f;
    const Comparison cmp = run_argmax(c);
    EXPECT_TRUE(cmp.ok) << "first=" << first << ": " << cmp.message;
  }
  // −0, +0 and subnormals all sanitize to +0: a tie, lowest id wins.
  SelectCase z;
  z.n = 9000;
  z.logits.assign(z.n, -1.0f);
  z.logits[8999] = 0.0f;
  z.logits[5000] = -0.0f;
  z.logits[6000] = std::bit_cast<float>(0x00000001u);
  z.logits[7000] = std::bit_cast<float>(0x80800000u);  // −FLT_MIN: also +0
  EXPECT_TRUE(run_argmax(z).ok) << run_argmax(z).message;
  EXPECT_EQ(runtime::greedy_token(z.logits), 5000);
  expect_validation_clean();
}

TEST(Argmax, RaggedAndTinyVocabulariesAndEveryWorkgroupSize) {
  std::uint64_t seed = kSeed + 100;
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices())
      for (std::uint32_t n : {1u, 2u, 7u, 4095u, 4096u, 4097u, 12289u}) {
        ++seed;
        SelectCase c = select_case(n, 1, static_cast<Logits>(seed % kLogitKinds), seed);
        c.workgroup = wg;
        c.subgroup = sg;
        const Comparison cmp = run_argmax(c);
        EXPECT_TRUE(cmp.ok) << describe(c) << " seed=" << seed << ": " << cmp.message;
      }
  expect_validation_clean();
}

TEST(TopK, SelectsTheSamplersCandidatesInOrderOverQwenVocabularies) {
  std::uint64_t seed = kSeed + 200;
  for (std::uint32_t n : kQwenVocabs)
    for (int kind = 0; kind < kLogitKinds; ++kind)
      for (std::uint32_t k : {1u, 40u, 128u}) {
        const SelectCase c = select_case(n, k, static_cast<Logits>(kind), ++seed);
        const Comparison cmp = run_topk(c);
        EXPECT_TRUE(cmp.ok) << describe(c) << " seed=" << seed << ": " << cmp.message;
      }
  expect_validation_clean();
}

TEST(TopK, RaggedAndTinyVocabulariesAndEveryWorkgroupSize) {
  std::uint64_t seed = kSeed + 300;
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices())
      for (std::uint32_t n : {1u, 5u, 128u, 129u, 4097u, 9000u}) {
        const std::uint32_t k = std::min<std::uint32_t>(n, 1 + std::uint32_t(seed % 128));
        ++seed;
        SelectCase c = select_case(n, k, static_cast<Logits>(seed % kLogitKinds), seed);
        c.workgroup = wg;
        c.subgroup = sg;
        const Comparison cmp = run_topk(c);
        EXPECT_TRUE(cmp.ok) << describe(c) << " seed=" << seed << ": " << cmp.message;
      }
  expect_validation_clean();
}

TEST(TopK, KEqualToTheVocabularyListsEveryToken) {
  const SelectCase c = select_case(128, 128, Logits::Specials, kSeed + 400);
  const Comparison cmp = run_topk(c);
  EXPECT_TRUE(cmp.ok) << cmp.message;
}

TEST(TopK, RejectsKAboveTheDocumentedMaximum) {
  EXPECT_TRUE(ops::TopKPartial<64>::valid({151936, ops::kTopKMaxK}));
  EXPECT_FALSE(ops::TopKPartial<64>::valid({151936, ops::kTopKMaxK + 1}));
  EXPECT_FALSE(ops::TopKMerge<64>::valid({151936, 0}));
}

// ---- the sampler's draw (ops::SampleCandidates) ---------------------------

struct Settings {
  float temperature, top_p, min_p;
};
// llama.cpp's defaults first, then no filter, top-p only, min-p only, both strong.
constexpr Settings kSettings[] = {{0.8f, 0.95f, 0.05f}, {1.0f, 1.0f, 0.0f}, {1.5f, 0.9f, 0.0f},
                                  {0.5f, 1.0f, 0.1f},   {0.7f, 0.5f, 0.2f}};
constexpr float kLastU = 1.0f - 0x1p-24f;  // the largest draw on the grid

SampleCase sample_case(std::uint32_t n, std::uint32_t k, Logits kind, std::uint64_t seed, Settings s, float u) {
  std::mt19937_64 rng(seed);
  SampleCase c;
  c.n = n;
  c.k = k;
  c.kind = kind;
  c.temperature = s.temperature;
  c.top_p = s.top_p;
  c.min_p = s.min_p;
  c.u = u;
  c.logits = make_logits(rng, n, kind);
  return c;
}

TEST(SampleCandidates, DrawsTheCpuSamplersTokenOverQwenVocabularies) {
  std::uint64_t seed = kSeed + 500, step = 0;
  SampleCoverage cov;
  for (std::uint32_t n : kQwenVocabs)
    for (int kind = 0; kind < kLogitKinds; ++kind) {
      SampleCase c = sample_case(n, 1, static_cast<Logits>(kind), ++seed, kSettings[0], 0.0f);
      for (std::uint32_t k : {2u, 40u, 128u})
        for (const Settings& s : kSettings) {
          c.k = k;
          c.temperature = s.temperature;
          c.top_p = s.top_p;
          c.min_p = s.min_p;
          c.u = runtime::rng_uniform(seed, step++);
          cov.add(sample_path(c));
          const Comparison cmp = run_sample_chain(c);
          EXPECT_TRUE(cmp.ok) << describe(c) << " seed=" << seed << ": " << cmp.message;
        }
    }
  std::cerr << "branches: " << cov.summary() << "\n";
  EXPECT_GT(cov.pick_above_0, cov.cases / 4);
  EXPECT_GT(cov.top_p_cut, 0);
  EXPECT_GT(cov.min_p_cut, 0);
  EXPECT_GT(cov.single, 0);
  EXPECT_GT(cov.all_neg_inf, 0);
  expect_validation_clean();
}

TEST(SampleCandidates, EveryWorkgroupAndSubgroupSizeDrawsTheSameToken) {
  // k above and below every workgroup size (the weights loop strides), tiny lists.
  std::vector<SampleCase> cases;
  std::uint64_t seed = kSeed + 600;
  for (std::uint32_t k : {1u, 2u, 7u, 33u, 64u, 100u, 128u})
    for (int kind : {0, 1, 2}) {
      ++seed;
      cases.push_back(sample_case(std::max(k, 300u), k, static_cast<Logits>(kind), seed,
                                  kSettings[seed % std::size(kSettings)], runtime::rng_uniform(seed, 0)));
    }
  SampleCoverage cov;
  for (const SampleCase& c : cases) cov.add(sample_path(c));
  for (std::uint32_t wg : kWorkgroupSizes)
    for (std::uint32_t sg : subgroup_choices())
      for (SampleCase c : cases) {
        c.workgroup = wg;
        c.subgroup = sg;
        const Comparison cmp = run_sample_candidates(c);
        EXPECT_TRUE(cmp.ok) << describe(c) << ": " << cmp.message;
      }
  std::cerr << "branches: " << cov.summary() << "\n";
  EXPECT_GT(cov.pick_above_0, cov.cases / 4);
  EXPECT_GT(cov.top_p_cut, 0);
  EXPECT_GT(cov.min_p_cut, 0);
  expect_validation_clean();
}

TEST(SampleCandidates, EdgeSettings) {
  SampleCoverage cov;
  std::uint64_t seed = kSeed + 700;
  // Runs c (the draw alone, and as the chain) and returns the path the CPU took.
  auto check = [&](const SampleCase& c, const char* what) {
    const SamplePath path = sample_path(c);
    cov.add(path);
    const Comparison alone = run_sample_candidates(c);
    EXPECT_TRUE(alone.ok) << what << ": " << describe(c) << ": " << alone.message;
    const Comparison chain = run_sample_chain(c);
    EXPECT_TRUE(chain.ok) << what << " (chain): " << describe(c) << ": " << chain.message;
    return path;
  };
  auto normal = [&](std::uint32_t k, Settings s, float u, Logits kind = Logits::Normal, std::uint32_t n = 1000) {
    return sample_case(n, k, kind, ++seed, s, u);
  };

  // top_p tiny: the first candidate's cumulative (1) reaches top_p * total at once.
  for (float top_p : {1e-30f, 0x1p-24f, std::bit_cast<float>(0x00800001u)})
    EXPECT_TRUE(check(normal(40, {0.8f, top_p, 0.0f}, kLastU), "top_p tiny").single);
  // min_p = 1: only ties of the best survive (one, or every tie of the top level).
  EXPECT_TRUE(check(normal(40, {0.8f, 1.0f, 1.0f}, kLastU), "min_p 1").single);
  {
    const SamplePath p = check(normal(128, {0.8f, 1.0f, 1.0f}, kLastU, Logits::Ties), "min_p 1, ties");
    EXPECT_EQ(p.after_min_p, 128u);
    EXPECT_EQ(p.pick, 127u);
  }
  // No filter (top_p = 1, min_p = 0) at draws across [0, 1), including both ends.
  for (float u : {0.0f, 0x1p-24f, 0.25f, 0.5f, 0.75f, kLastU}) {
    const SamplePath p = check(normal(128, {1.0f, 1.0f, 0.0f}, u), "no filter");
    EXPECT_EQ(p.after_min_p, 128u);
    if (u == 0.0f) {
      EXPECT_EQ(p.pick, 0u);
    }
  }
  // u = 0 and the last grid point under llama.cpp's defaults.
  for (float u : {0.0f, kLastU}) check(normal(40, kSettings[0], u), "defaults, u at an end");
  // Temperature tiny (inv_temp huge: every weight but the ties of the best is 0)
  // and huge (inv_temp tiny, down to its floor above FLT_MIN: every weight 1).
  for (float t : {1e-30f, 2e-38f, 0.01f, 100.0f, 1e30f, 3e38f})
    for (Logits kind : {Logits::Normal, Logits::Ties, Logits::Specials})
      for (float u : {0.5f, kLastU}) check(normal(64, {t, 1.0f, 0.0f}, u, kind), "temperature extreme");
  // All logits NaN / -inf: the first candidate (the lowest id); and mostly NaN,
  // where the list ends in -inf candidates of weight 0.
  EXPECT_TRUE(check(normal(40, kSettings[0], kLastU, Logits::AllNan, 300), "all NaN").all_neg_inf);
  for (std::uint32_t k : {40u, 128u})
    check(normal(k, {1.0f, 1.0f, 0.0f}, kLastU, Logits::MostlyNan, 300), "mostly NaN");
  // k = 1: the only candidate, whatever the settings.
  for (const Settings& s : kSettings) EXPECT_TRUE(check(normal(1, s, kLastU), "k 1").single);
  // Heavy ties (128 equal weights): top_p = 0.5 makes the 64th cumulative equal
  // the threshold exactly (>= keeps 64), and u = 0.5 makes a cumulative equal
  // u * total exactly (the draw needs >, so index 64 / 32).
  {
    const SamplePath p = check(normal(128, {1.0f, 0.5f, 0.0f}, kLastU, Logits::Ties), "ties, top_p 0.5");
    EXPECT_EQ(p.after_top_p, 64u);
    EXPECT_EQ(p.pick, 63u);
    EXPECT_EQ(check(normal(128, {1.0f, 1.0f, 0.0f}, 0.5f, Logits::Ties), "ties, u 0.5").pick, 64u);
    EXPECT_EQ(check(normal(128, {1.0f, 0.5f, 0.0f}, 0.5f, Logits::Ties), "ties, top_p 0.5, u 0.5").pick, 32u);
  }
  // +inf / FLT_MAX ties at the top and at both ends of the vocabulary.
  for (const Settings& s : kSettings) check(normal(40, s, 0.75f, Logits::EdgeMax), "edge max");
  // The last-positive fallback: the sequential cumulative ends a few ulps below
  // u * total (lane-tree rounding). Found by a CPU search from the fixed seed;
  // the second kind ends the list in 28 -inf candidates (weight 0), so the
  // fallback's index is not the list's last.
  for (bool zero_tail : {false, true}) {
    int found = 0;
    for (int tries = 0; tries < 20000 && found < 2; ++tries) {
      SampleCase c = sample_case(zero_tail ? 200 : 128, 128, Logits::Normal, kSeed + 10000 + std::uint64_t(tries),
                                 {1.0f, 1.0f, 0.0f}, kLastU);
      if (zero_tail) std::fill(c.logits.begin() + 100, c.logits.end(), std::numeric_limits<float>::quiet_NaN());
      const SamplePath p = sample_path(c);
      if (p.fallback && !p.single) {
        ++found;
        EXPECT_EQ(check(c, "fallback").pick, zero_tail ? 99u : 127u);
      }
    }
    EXPECT_GT(found, 0) << "no fallback case found, zero tail " << zero_tail;
  }
  // min_p = 0 with a unit weight of 0 (z_i - z_0 = -100): no filter, so the
  // temperature-100 weight e^-1 keeps it drawable. (A subnormal min_p would drop
  // it on a CPU and maybe not on a device that flushes the push constant in the
  // compare: make_sample_config flushes it to 0 and the op refuses subnormals.)
  {
    SampleCase c;
    c.n = c.k = 2;
    c.logits = {0.0f, -100.0f};
    c.temperature = 100.0f;
    c.min_p = 0.0f;
    c.u = 0.9f;
    const SamplePath p = check(c, "min_p 0, zero unit weight");
    EXPECT_FALSE(p.single);
    EXPECT_EQ(p.pick, 1u);
  }
  std::cerr << "branches: " << cov.summary() << "\n";
  EXPECT_GT(cov.fallback, 0);
  EXPECT_GT(cov.pick_last, 0);
  EXPECT_GT(cov.pick_above_0, 0);
  expect_validation_clean();
}

TEST(SampleCandidates, RejectsInvalidParameters) {
  using Op = ops::SampleCandidates<64>;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(Op::valid({1, 1.0f, 0.0f, 1.0f}));
  EXPECT_TRUE(Op::valid({ops::kTopKMaxK, 1e-30f, 1.0f, 1.0f}));
  EXPECT_FALSE(Op::valid({0, 1.0f, 0.0f, 1.0f}));
  EXPECT_FALSE(Op::valid({ops::kTopKMaxK + 1, 1.0f, 0.0f, 1.0f}));
  const float sub = std::bit_cast<float>(0x00000001u), flt_min = std::numeric_limits<float>::min();
  for (float top_p : {sub, flt_min, -1.0f, 1.0000001f, inf, nan}) EXPECT_FALSE(Op::valid({40, top_p, 0.0f, 1.0f})) << top_p;
  for (float min_p : {sub, flt_min, -1e-30f, -1.0f, 1.0000001f, inf, nan})
    EXPECT_FALSE(Op::valid({40, 1.0f, min_p, 1.0f})) << min_p;
  EXPECT_TRUE(Op::valid({40, 0.0f, 0.0f, 1.0f})) << "top_p 0: the first candidate only";
  for (float inv : {0.0f, -1.0f, std::numeric_limits<float>::min(), inf, nan})
    EXPECT_FALSE(Op::valid({40, 1.0f, 0.0f, inv})) << inv;
  // Every temperature runtime::validate accepts for sampling (t > FLT_MIN)
  // gives an inv_temp the op accepts, down to the clamp at the largest t.
  for (float t : {std::bit_cast<float>(0x00800001u), 1e-30f, 0.8f, 1.0f, 1e30f, std::numeric_limits<float>::max()})
    EXPECT_TRUE(Op::valid({40, 0.95f, 0.05f, runtime::inv_temperature(t)})) << t;
  // Every top_p / min_p runtime::validate accepts reaches the op valid through
  // make_sample_config (subnormals flushed to 0), and nothing else does.
  for (float v : {0.0f, sub, flt_min, 1e-30f, 0.5f, 1.0f, 1.0000001f, -1e-30f, nan}) {
    runtime::SamplerParams top_p, min_p;
    top_p.top_p = v;
    min_p.min_p = v;
    auto accepted = [](const runtime::SamplerParams& p) {
      try {
        runtime::validate(p);
        return true;
      } catch (const std::invalid_argument&) {
        return false;
      }
    };
    if (accepted(top_p))
      EXPECT_TRUE(Op::valid({40, runtime::make_sample_config(top_p).top_p, 0.0f, 1.0f})) << "top_p " << v;
    else if (v != 0.0f)  // top_p 0 is refused by validate but is what a subnormal top_p flushes to
      EXPECT_FALSE(Op::valid({40, v, 0.0f, 1.0f})) << "top_p " << v;
    if (accepted(min_p))
      EXPECT_TRUE(Op::valid({40, 1.0f, runtime::make_sample_config(min_p).min_p, 1.0f})) << "min_p " << v;
    else
      EXPECT_FALSE(Op::valid({40, 1.0f, v, 1.0f})) << "min_p " << v;
  }
  // record() refuses an invalid problem before dispatching.
  SampleCase c = sample_case(100, 40, Logits::Normal, kSeed, {0.8f, 0.95f, 0.05f}, 0.5f);
  c.top_p = std::bit_cast<float>(0x00000001u);
  EXPECT_THROW(run_sample_candidates(c), Error);
}

}  // namespace
}  // namespace qvk::vk::opstest
