// Multi-row attention (a prefill chunk): AttentionRows + AttentionCombine vs the
// reference per row and vs AttentionChunks, bit for bit (attention_rows_runner.hpp
// says everything each case checks).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>

#include "attention_rows_runner.hpp"

namespace qvk::vk::attntest {
namespace {

constexpr std::uint64_t kSeed = 0x52'4f'57'53ULL;  // "ROWS"

void expect_rows(const RowsCase& c, const char* what, std::uint64_t seed) {
  const Comparison cmp = run_and_check_rows(c);
  EXPECT_TRUE(cmp.ok) << what << ": " << describe(c) << " seed=" << seed << ": " << cmp.message;
}

TEST(AttentionRows, MatchesReferenceAndDecodePassForQwenGroupsAndRaggedVectorBlocks) {
  std::cerr << "seed " << kSeed << " on " << device().features().name << "\n";
  struct Config {
    const char* name;
    std::uint32_t heads, kv_heads;
  };
  // Groups 1, 2, 4, 5, 7, 8 and 16: blocks of 16 query vectors end mid-row for 5 and 7.
  const Config configs[] = {{"group 1", 4, 4},    {"Qwen3-0.6B", 16, 8}, {"Qwen3-8B", 32, 8},
                            {"Qwen3-14B", 40, 8}, {"Qwen2.5-7B", 28, 4}, {"Qwen3-32B", 64, 8},
                            {"group 16", 32, 2}};
  struct Span {
    std::uint32_t n_pos, queries;
  };
  // A prefill from position 0, a chunk whose rows cross a 64-position boundary,
  // one row, and a run that starts on a boundary.
  const Span spans[] = {{1, 23}, {50, 19}, {130, 1}, {65, 64}};
  std::uint64_t seed = kSeed;
  for (const Config& cfg : configs)
    for (const Span& s : spans) {
      if (cfg.heads >= 40 && s.queries > 30) continue;  // lavapipe time; the property test covers it
      ++seed;
      expect_rows(make_rows(cfg.heads, cfg.kv_heads, s.n_pos, s.queries, Data::Normal, seed), cfg.name, seed);
    }
  expect_validation_clean();
}

TEST(AttentionRows, ExtremeDataTakesTheFlushedAndMaskedPathsWithTheSameBits) {
  std::uint64_t seed = kSeed + 100;
  for (Data data : {Data::WideScores, Data::HugeGaps, Data::HugeFinite, Data::OverflowScores, Data::SubnormalCache,
                    Data::TinyQ, Data::Zeros, Data::Mixed}) {
    // Rows 40 … 48 attend 41 … 49 positions of chunk 0, so every workgroup masks;
    // rows from 60 cross into chunk 1 with capacity to spare.
    seed += 2;
    expect_rows(make_rows(32, 8, 41, 9, data, seed), name(data), seed);
    expect_rows(make_rows(16, 8, 60, 13, data, seed + 1, 200), name(data), seed + 1);
  }
  expect_validation_clean();
}

// The runtime appends a whole chunk's K/V before its attention, so the rows a
// query row must not attend hold real values of later tokens; one that
// overflowed f16 must not reach the earlier rows (p = +0 there, but +0·inf = NaN).
TEST(AttentionRows, InfiniteKeysAndValuesOfLaterRowsDoNotReachEarlierRows) {
  std::uint64_t seed = kSeed + 300;
  // Row r attends n_pos + r positions (group 4: rows 4b … 4b+3 share block b).
  // Position n_pos + 6 is attended by rows 7 and 8 only, inside block 1; at
  // n_pos 62, position 63 by rows 2 … 8: block 0 (counts 62 … 65) masks chunk 0
  // although its last row attends all of it.
  struct Late {
    std::uint32_t n_pos, position;
  };
  for (const Late l : {Late{41, 47}, Late{100, 106}, Late{62, 63}}) {
    ++seed;
    RowsCase c = make_rows(32, 8, l.n_pos, 9, Data::Normal, seed);
    const std::size_t late = l.position, kv_dim = c.base.kv_dim();
    for (std::size_t i = 0; i < kv_dim; ++i) {
      c.base.kv.k[late * kv_dim + i] = i % 2 ? 0x7c00u : 0xfc00u;  // ±inf
      c.base.kv.v[late * kv_dim + i] = i % 3 ? 0xfc00u : 0x7c00u;
    }
    c.base.nan_ok = true;  // the rows attending it are NaN; the earlier rows must match bit for bit
    expect_rows(c, "inf at a position only later rows attend", seed);
  }
  expect_validation_clean();
}

// m_c keeps the first of equal scores (a −0 before a +0 stays −0) and a NaN
// first score, as the sequential scan does. Scores are built exactly: q = (−2^-124,
// 1, 0, …) and key dims 0 and 1 per position make a score of −0 (k0 = 1),
// +0 (k0 = −1), a negative normal (k1 = −8) or NaN (k0 = NaN); the product
// q0·k0 flushes after the scale, and the other dims add +0.
TEST(AttentionRows, MaxKeepsTheFirstOfEqualScoresAndANaNFirstScore) {
  struct Pattern {
    const char* scores;  // per position: '-' −0, '+' +0, 'N' negative normal, 'x' NaN
    std::uint32_t m_bits;  // the reference's m_c of chunk 0 for row 0
  };
  const Pattern patterns[] = {{"-++-+-++-+", 0x80000000u}, {"+--+-+--+-", 0x00000000u},
                              {"NN+NN-++--", 0x00000000u}, {"NNNNN-+N++", 0x80000000u},
                              {"x+NN-+N+-+", 0x7fc00000u}, {"NN+Nx-NN+-", 0x00000000u}};
  std::uint64_t seed = kSeed + 400;
  for (const Pattern& pat : patterns) {
    const std::uint32_t n = std::uint32_t(std::strlen(pat.scores)) - 2;  // rows 0 … 2 attend n … n + 2
    RowsCase c = make_rows(4, 1, n, 3, Data::Normal, ++seed);
    for (std::size_t i = 0; i < c.q.size(); ++i) {
      const std::size_t dim = i % 128;
      c.q[i] = dim == 0 ? -std::ldexp(1.0f, -124) : dim == 1 ? 1.0f : 0.0f;
    }
    for (std::size_t j = 0; j < n + 2; ++j) {
      const char s = pat.scores[j];
      c.base.kv.k[j * 128] = s == 'x' ? 0x7e00u : s == '+' ? 0xbc00u : 0x3c00u;  // NaN, −1, 1
      c.base.kv.k[j * 128 + 1] = s == 'N' ? 0xc800u : 0u;                       // −8
    }
    c.base.nan_ok = std::strchr(pat.scores, 'x') != nullptr;  // a NaN score makes its row's output NaN
    const Partials ref = reference_partials(c.row(0));  // the construction does what it says
    const std::uint32_t m = std::bit_cast<std::uint32_t>(ref.ml[0]);
    ASSERT_TRUE(pat.m_bits == 0x7fc00000u ? is_nan_bits(m) : m == pat.m_bits) << pat.scores << ": m_c " << hex(m);
    expect_rows(c, pat.scores, seed);
  }
  expect_validation_clean();
}

TEST(AttentionRows, BufferFormAttendsPositionPlusRowPlusOne) {
  std::uint64_t seed = kSeed + 200;
  for (std::uint32_t position : {0u, 63u, 100u}) {
    RowsCase c = make_rows(32, 8, position + 1, 20, Data::Normal, ++seed, 256);
    c.base.pos_buffer = true;
    c.base.push_n_pos = 1;
    c.base.position = position;
    expect_rows(c, "position buffer", seed);
  }
  expect_validation_clean();
}

TEST(AttentionRows, RejectsProblemsItsDescriptorCallsInvalid) {
  using Rows = ops::AttentionRows<>;
  Device& d = device();
  Buffer b(d, 1 << 20), tiny(d, 64);
  Recorder rec(d, pipelines());
  auto try_record = [&](const ops::AttentionProblem& p, const Buffer& q) {
    submit_and_wait(d, [&](VkCommandBuffer cmd) { record<Rows>(rec, cmd, {whole(q), whole(b), whole(b), whole(b), whole(b)}, p); });
  };
  EXPECT_THROW(try_record({32, 3, 10, 10, 1}, b), Error);  // heads not a multiple of kv_heads
  EXPECT_THROW(try_record({32, 8, 5, 10, 7}, b), Error);   // the last row's positions past the capacity
  EXPECT_THROW(try_record({32, 8, 10, 40, 0}, b), Error);  // no rows
  EXPECT_THROW(try_record({32, 8, 10, 40, 4}, tiny), Error);  // q binding too small
  EXPECT_EQ(rec.dispatches(), 0u);
}

}  // namespace
}  // namespace qvk::vk::attntest
