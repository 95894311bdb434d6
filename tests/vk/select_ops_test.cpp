// Greedy argmax and top-k candidate selection on the Vulkan device vs the CPU
// sampler (runtime::greedy_token, runtime::gather_candidates), bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
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

}  // namespace
}  // namespace qvk::vk::opstest
