// Decode attention (AttentionChunks + AttentionCombine) on the Vulkan device vs
// ref::portable::attention and ref::attention, bit for bit (attention_runner.hpp
// says everything each case checks).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <iostream>

#include "attention_runner.hpp"

namespace qvk::vk::attntest {
namespace {

constexpr std::uint64_t kSeed = 0x41'54'54'4e'44'45'43ULL;  // "ATTNDEC"

AttentionCase make(std::uint32_t heads, std::uint32_t kv_heads, std::uint32_t head_dim, std::uint32_t n_pos,
                   Data data, std::uint64_t seed, std::uint32_t capacity = 0) {
  AttentionCase c;
  c.heads = heads;
  c.kv_heads = kv_heads;
  c.head_dim = head_dim;
  c.n_pos = n_pos;
  c.capacity = capacity;
  fill_inputs(c, seed, data);
  return c;
}

void expect_case(const AttentionCase& c, const char* what, std::uint64_t seed) {
  const Comparison cmp = run_and_check(c);
  EXPECT_TRUE(cmp.ok) << what << ": " << describe(c) << " seed=" << seed << ": " << cmp.message;
}

bool any_nonzero(const std::vector<float>& v) {
  for (float x : v)
    if (x != 0.0f) return true;
  return false;
}

TEST(Attention, MatchesReferenceBitForBitAroundChunkBoundaries) {
  std::cerr << "seed " << kSeed << " on " << device().features().name << "\n";
  std::uint64_t seed = kSeed;
  for (std::uint32_t n : {1u, 63u, 64u, 65u, 1000u, 4096u}) {
    const AttentionCase c = make(32, 8, 128, n, Data::Normal, ++seed);  // Qwen3-8B heads
    ASSERT_TRUE(any_nonzero(reference_portable(c)));
    expect_case(c, "Qwen3-8B shape", seed);
  }
  expect_validation_clean();
}

TEST(Attention, MatchesReferenceForQwenHeadConfigs) {
  struct Config {
    const char* name;
    std::uint32_t heads, kv_heads, head_dim;
  };
  const Config configs[] = {{"Qwen3-0.6B", 16, 8, 128},  {"Qwen3-8B", 32, 8, 128},    {"Qwen3-32B", 64, 8, 128},
                            {"Qwen2.5-0.5B", 14, 2, 64}, {"Qwen3-235B (group 16)", 64, 4, 128},
                            {"head_dim 256", 16, 2, 256}};
  std::uint64_t seed = kSeed + 100;
  for (const Config& k : configs)
    for (std::uint32_t n : {129u, 700u}) {
      ++seed;
      expect_case(make(k.heads, k.kv_heads, k.head_dim, n, Data::Mixed, seed), k.name, seed);
    }
  expect_validation_clean();
}

TEST(Attention, MatchesReferenceAtA32kContextForOneKvGroup) {
  const std::uint64_t seed = kSeed + 200;
  expect_case(make(4, 1, 128, 32768, Data::Normal, seed), "32k positions, 512 chunks", seed);
  expect_validation_clean();
}

TEST(Attention, LargeScoreGapsUnderflowExpLikeTheReference) {
  // Scores ~ N(0, 30²): within a chunk p_j = exp(s_j − m_c) spans 1 to tiny (the flushed
  // p·v path) to 0. Scores ~ N(0, 1000²): p is nearly one-hot and across chunks a or b
  // underflows to 0.
  std::uint64_t seed = kSeed + 300;
  bool fold_underflowed = false;  // some a or b of the fold is exp(< −87.34) = 0
  for (Data data : {Data::WideScores, Data::HugeGaps})
    for (std::uint32_t n : {64u, 300u, 1000u}) {
      ++seed;
      const AttentionCase c = make(8, 2, 128, n, data, seed);
      const Partials p = reference_partials(c);
      for (std::uint32_t h = 0; h < c.heads; ++h) {
        float M = p.ml[h * 2];
        for (std::uint32_t ch = 1; ch < ops::attention_chunks(n); ++ch) {
          const float m = p.ml[(ch * c.heads + h) * 2];
          fold_underflowed |= std::fabs(m - M) > 88.0f;
          M = m > M ? m : M;
        }
      }
      expect_case(c, name(data), seed);
    }
  EXPECT_TRUE(fold_underflowed) << "no case made a or b underflow";
  expect_validation_clean();
}

TEST(Attention, HugeFiniteValuesMatchTheReference) {
  std::uint64_t seed = kSeed + 400;
  for (std::uint32_t n : {65u, 1000u}) {
    ++seed;
    expect_case(make(8, 4, 128, n, Data::HugeFinite, seed), "huge finite", seed);
  }
  expect_validation_clean();
}

TEST(Attention, OverflowingScoresGiveNaNWhereTheReferenceDoes) {
  // |q| = 1e38: scores are ±inf or NaN, p = exp(inf − inf) = NaN; NaN payloads are not part of
  // the contract, so NaN matches NaN and every other value still compares bits.
  std::uint64_t seed = kSeed + 500;
  const AttentionCase c = make(8, 2, 64, 200, Data::OverflowScores, ++seed);
  const std::vector<float> want = reference_portable(c);
  std::size_t nans = 0;
  for (float x : want) nans += std::isnan(x) ? 1 : 0;
  EXPECT_GT(nans, 0u) << "the case should make NaN outputs";
  expect_case(c, "overflowing scores", seed);
  expect_validation_clean();
}

// A NaN in K at position `pos` of kv head `g`: the score of that position is NaN for
// every query head of g, so (whether the NaN is the chunk's first score, m_c = NaN and
// every p is NaN, or a later one, its p is NaN) l_c and every o_c of that chunk are
// NaN, and the fold keeps them: every output of g's heads is NaN. Other kv heads are
// untouched and compare bit for bit.
TEST(Attention, NaNInAKRowMakesItsKvHeadsOutputNaNAndLeavesTheOthersExact) {
  std::uint64_t seed = kSeed + 600;
  for (std::uint32_t pos : {0u, 64u, 70u, 999u}) {
    AttentionCase c = make(16, 4, 128, 1000, Data::Normal, ++seed);
    const std::uint32_t g = 1, group = 4;
    c.kv.k[std::size_t(pos) * c.kv_dim() + g * 128 + 5] = 0x7e00u;  // f16 quiet NaN
    c.nan_ok = true;
    const std::vector<float> want = reference_portable(c);
    for (std::uint32_t h = 0; h < c.heads; ++h)
      for (std::uint32_t i = 0; i < 128; ++i)
        ASSERT_EQ(std::isnan(want[h * 128 + i]), h / group == g) << "reference: pos " << pos << " head " << h << " i " << i;
    expect_case(c, "NaN in K", seed);
  }
  expect_validation_clean();
}

TEST(Attention, NaNInAVElementMakesOnlyThatElementNaN) {
  std::uint64_t seed = kSeed + 700;
  AttentionCase c = make(8, 2, 128, 300, Data::Normal, ++seed);
  c.kv.v[std::size_t(130) * c.kv_dim() + 0 * 128 + 17] = 0xfe00u;  // negative quiet NaN, kv head 0, element 17
  c.nan_ok = true;
  const std::vector<float> want = reference_portable(c);
  for (std::uint32_t h = 0; h < c.heads; ++h)
    for (std::uint32_t i = 0; i < 128; ++i) ASSERT_EQ(std::isnan(want[h * 128 + i]), h < 4 && i == 17);
  expect_case(c, "NaN in V", seed);
  expect_validation_clean();
}

TEST(Attention, SubnormalF16CacheValuesConvertExactly) {
  std::uint64_t seed = kSeed + 800;
  for (std::uint32_t d : kHeadDims) {
    const AttentionCase c = make(8, 2, d, 150, Data::SubnormalCache, ++seed);
    ASSERT_TRUE(any_nonzero(reference_portable(c)));
    expect_case(c, "subnormal f16 cache", seed);
  }
  expect_validation_clean();
}

TEST(Attention, TinyQUsesTheFlushedDotAndMatches) {
  std::uint64_t seed = kSeed + 900;
  for (std::uint32_t n : {64u, 257u}) {
    ++seed;
    expect_case(make(8, 2, 128, n, Data::TinyQ, seed), "tiny q", seed);
  }
  expect_validation_clean();
}

TEST(Attention, SubnormalQIsFlushedAtLoadAndMatchesTheUnflushedReferenceToo) {
  // The op flushes q at load; the reference does not. A subnormal q_i gives products below
  // 2^-110 (|k| <= 65504), which any score large enough to move exp(s_j − m_c) off 1
  // absorbs (only a chain of exact rounding ties could carry them up), so the outputs
  // agree with both; the partial m_c may differ (the runner compares it with flush(q)).
  std::uint64_t seed = kSeed + 1000;
  AttentionCase c = make(4, 1, 64, 100, Data::HugeFinite, ++seed);
  for (std::size_t i = 0; i < c.q.size(); ++i)
    if (i % 3 != 0) c.q[i] = std::bit_cast<float>(std::uint32_t(((i * 0x9e3779b9u) & 0x807fffffu) | 1u));  // subnormal
  std::vector<float> unflushed(c.q.size());
  ref::portable::attention(c.q.data(), c.kv, c.n_pos, c.heads, c.kv_heads, c.head_dim, unflushed.data());
  EXPECT_EQ(words(unflushed), words(reference_portable(c)));
  expect_case(c, "subnormal q", seed);
  expect_validation_clean();
}

TEST(Attention, ZeroScoresAndSignedZerosTieLikeTheReference) {
  std::uint64_t seed = kSeed + 1100;
  for (std::uint32_t n : {1u, 65u, 200u}) {
    ++seed;
    expect_case(make(8, 2, 64, n, Data::Zeros, seed), "zeros", seed);
  }
  expect_validation_clean();
}

TEST(Attention, BitsDoNotDependOnWorkgroupOrSubgroupSize) {
  std::uint64_t seed = kSeed + 1200;
  auto sizes = device().features().allowed_subgroup_sizes();
  if (!device().can_pin_subgroup_size()) sizes = {0};
  AttentionCase c = make(16, 4, 128, 333, Data::Mixed, ++seed);
  for (std::uint32_t wc : kChunkWorkgroups)
    for (std::uint32_t wm : kCombineWorkgroups)
      for (std::uint32_t sg : sizes) {
        c.chunk_wg = wc;
        c.combine_wg = wm;
        c.subgroup = sg;
        expect_case(c, "workgroup/subgroup sweep", seed);
      }
  expect_validation_clean();
}

TEST(Attention, WorkgroupsPastNPosWriteNothingAndCachePastNPosIsNeverRead) {
  // capacity > n_pos: the dispatch covers every chunk of the capacity; the runner
  // checks that partials past n_pos keep their NaN fill, and fill_inputs puts NaN in
  // the cache past n_pos, so a read there would poison the output.
  std::uint64_t seed = kSeed + 1300;
  for (std::uint32_t n : {1u, 64u, 100u, 640u}) {
    ++seed;
    expect_case(make(8, 2, 128, n, Data::Normal, seed, 1000), "capacity 1000", seed);
  }
  expect_validation_clean();
}

TEST(Attention, PositionFromABufferAttendsNPosPlusPositionClampedToTheCapacity) {
  // The replay form: n_pos = 1 recorded, pos[0] = the token's position p: p + 1 positions.
  std::uint64_t seed = kSeed + 1400;
  struct Step {
    std::uint32_t push_n_pos, position, capacity, attended;
  };
  const Step steps[] = {{1, 0, 1000, 1}, {1, 63, 1000, 64}, {1, 64, 1000, 65}, {1, 999, 1000, 1000},
                        {5, 100, 1000, 105}, {1, 5000, 1000, 1000} /* past the capacity: all of it */,
                        {1, 0xffffffffu, 300, 300} /* no wrap-around */};
  for (const Step& st : steps) {
    ++seed;
    AttentionCase c = make(16, 4, 128, st.attended, Data::Mixed, seed, st.capacity);
    c.pos_buffer = true;
    c.push_n_pos = st.push_n_pos;
    c.position = st.position;
    expect_case(c, "position buffer", seed);
  }
  expect_validation_clean();
}

TEST(Attention, RejectsProblemsItsDescriptorsCallInvalid) {
  using Chunks = ops::AttentionChunks<128, 64>;
  Device& d = device();
  Buffer b(d, 1 << 20), tiny(d, 64);
  Recorder rec(d, pipelines());
  auto try_record = [&](const ops::AttentionProblem& p, const Buffer& q) {
    submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Chunks>(rec, cmd, {whole(q), whole(b), whole(b), whole(b), whole(b)}, p); });
  };
  EXPECT_THROW(try_record({32, 3, 10, 10}, b), Error);   // heads not a multiple of kv_heads
  EXPECT_THROW(try_record({72, 8, 10, 10}, b), Error);   // group 9 > MaxGroup 8
  EXPECT_THROW(try_record({32, 8, 0, 10}, b), Error);    // no positions
  EXPECT_THROW(try_record({32, 8, 11, 10}, b), Error);   // n_pos past the capacity
  EXPECT_THROW(try_record({32, 8, 10, 10}, tiny), Error);  // q binding too small
  EXPECT_EQ(rec.dispatches(), 0u);
}

}  // namespace
}  // namespace qvk::vk::attntest
