// decode(encode(x)) == x, no NFC normalization, ill-formed input.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "qvk/tokenizer/detail/utf8.hpp"
#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

// A random code point from ranges that exercise every split rule.
char32_t random_codepoint(std::mt19937& rng) {
  static const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x20, 0x7E},       {0x20, 0x7E},      {0x20, 0x7E},     // ASCII, weighted
      {'\t', '\r'},       {0xA0, 0xFF},      {0x300, 0x36F},   // controls/space, Latin-1, combining marks
      {0x400, 0x4FF},     {0x900, 0x97F},    {0x3000, 0x3040}, // Cyrillic, Devanagari, CJK punctuation
      {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3},  {0x1F300, 0x1FAFF},  // Han, Hangul, emoji
      {0x10000, 0x10FFFF}};                                   // anything, incl. unassigned
  const auto& [lo, hi] = ranges[rng() % ranges.size()];
  char32_t cp;
  do cp = lo + static_cast<char32_t>(rng() % (hi - lo + 1));
  while (cp >= 0xD800 && cp <= 0xDFFF);
  return cp;
}

TEST(TokenizerRoundTrip, DecodeOfEncodeIsIdentityForRandomUtf8) {
  const Tokenizer& tok = testing::qwen3();
  const unsigned seed = 12345;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> inserts = {"<think>", "</think>", "<|im_start|>", "<|im_end|>", "'s", "'LL", "\r\n", "   "};
  for (int trial = 0; trial < 400; ++trial) {
    std::string text;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) {
      if (rng() % 10 == 0)
        text += inserts[rng() % inserts.size()];
      else
        detail::append_utf8(text, random_codepoint(rng));
    }
    for (const bool parse_special : {false, true}) {
      const auto ids = tok.encode(text, parse_special);
      ASSERT_EQ(tok.decode(ids), text) << "trial " << trial << " bytes [" << testing::hex(text) << "]";
      for (const auto id : ids) ASSERT_TRUE(id >= 0 && id < tok.n_tokens());
    }
  }
}

TEST(TokenizerRoundTrip, DecomposedInputIsNotNormalizedToNfc) {
  const Tokenizer& tok = testing::qwen3();
  const std::string composed = "caf\xC3\xA9";     // café with U+00E9
  const std::string decomposed = "cafe\xCC\x81";  // café with e + U+0301
  const auto a = tok.encode(composed, false), b = tok.encode(decomposed, false);
  EXPECT_NE(a, b) << "decomposed text was normalized: qvk follows llama.cpp, which does not apply NFC";
  EXPECT_EQ(tok.decode(b), decomposed);
  EXPECT_EQ(tok.decode(a), composed);
}

TEST(TokenizerRoundTrip, IllFormedBytesBecomeReplacementCharacters) {
  const Tokenizer& tok = testing::qwen3();
  EXPECT_EQ(tok.decode(tok.encode("a\xFF" "b", false)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(tok.decode(tok.encode("\xE2\x82", false)), "\xEF\xBF\xBD\xEF\xBF\xBD");  // one per byte, as llama.cpp
}

TEST(TokenizerRoundTrip, ConcurrentEncodesAgreeWithSequentialOnes) {
  // A second instance (the override makes the test cache load it anew), so
  // the threads start on an empty word cache and insert concurrently.
  const Tokenizer& tok = testing::load_tokenizer(testing::qwen3_vocab_path(), PreTokenizer::kQwen2);
  std::vector<std::string> texts;
  for (int k = 0; k < 200; ++k) texts.push_back("Sentence " + std::to_string(k * 7919) + " about tokenization, caching and threads.\n");
  std::vector<std::vector<std::int32_t>> expected;
  for (const auto& t : texts) expected.push_back(testing::qwen3().encode(t, false));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w] {
      for (int round = 0; round < 5; ++round)
        for (std::size_t k = 0; k < texts.size(); ++k) mismatches[w] += tok.encode(texts[k], false) != expected[k];
    });
  for (auto& t : threads) t.join();
  for (int w = 0; w < 4; ++w) EXPECT_EQ(mismatches[w], 0) << "thread " << w;
}

TEST(TokenizerRoundTrip, EmptyTextGivesNoTokens) {
  EXPECT_TRUE(testing::qwen3().encode("", false).empty());
  EXPECT_EQ(testing::qwen3().decode({}), "");
}

TEST(TokenizerRoundTrip, TokenBytesDecodeByteLevelText) {
  const Tokenizer& tok = testing::qwen3();
  const auto id = *tok.find_token("\xC4\xA0the");  // "Ġthe"
  EXPECT_EQ(tok.token_bytes(id), " the");
  EXPECT_EQ(tok.token_text(id), "\xC4\xA0the");
  EXPECT_THROW((void)tok.token_bytes(-1), std::out_of_range);
  EXPECT_THROW((void)tok.token_bytes(tok.n_tokens()), std::out_of_range);
}

}  // namespace
}  // namespace qvk::tokenizer
