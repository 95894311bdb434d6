// The two merge loops agree, and the word cache returns what BPE computes.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "qvk/tokenizer/detail/bpe_merge.hpp"
#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

std::vector<std::int32_t> byte_ids(const Vocab& v, std::string_view word) {
  std::vector<std::int32_t> ids;
  for (const char c : word) ids.push_back(v.byte_token[static_cast<unsigned char>(c)]);
  return ids;
}

TEST(Bpe, ShortAndLongMergeLoopsAgree) {
  const Vocab& v = testing::qwen3().vocab();
  const unsigned seed = 4242;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  // Words from pieces real merges apply to, so the loops do many merges.
  const std::vector<std::string> parts = {"the", "ing", " ", "  ", "an", "\xE4\xB8\xAD", "\xE6\x96\x87", "er", "s", "==", "\n", "ab", "x"};
  detail::BpeScratch scratch;
  int merged_something = 0;
  for (int trial = 0; trial < 500; ++trial) {
    std::string word;
    for (int k = 1 + static_cast<int>(rng() % 40); k > 0; --k) word += parts[rng() % parts.size()];
    auto a = byte_ids(v, word), b = a;
    detail::bpe_merge_short(a, v.merges, scratch);
    detail::bpe_merge_long(b, v.merges, scratch);
    ASSERT_EQ(a, b) << "trial " << trial << " word [" << word << "]";
    merged_something += a.size() < word.size();
  }
  EXPECT_GT(merged_something, 400);
}

TEST(Bpe, MergesCommonWordsIntoOneToken) {
  const Tokenizer& tok = testing::qwen3();
  EXPECT_EQ(tok.bpe(" the"), (std::vector<std::int32_t>{*tok.find_token("\xC4\xA0the")}));
  EXPECT_EQ(tok.bpe("Hello"), (std::vector<std::int32_t>{*tok.find_token("Hello")}));
}

TEST(Bpe, CachedAndLongWordsEncodeLikeFreshBpe) {
  const Tokenizer& tok = testing::qwen3();
  const std::string long_word(300, '=');  // one punctuation word, past the cache's word limit
  const std::string cjk = "\xE4\xB8\xAD\xE6\x96\x87\xE6\xB5\x8B\xE8\xAF\x95\xE6\x96\x87\xE6\x9C\xAC";  // 中文测试文本: one word
  for (const std::string& w : {std::string("tokenization"), long_word, cjk}) {
    const auto fresh = tok.bpe(w);
    EXPECT_EQ(tok.encode(w, false), fresh);
    EXPECT_EQ(tok.encode(w, false), fresh);  // second time from the cache
    EXPECT_EQ(tok.decode(fresh), w);
  }
}

}  // namespace
}  // namespace qvk::tokenizer
