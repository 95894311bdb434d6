// Special and added tokens: which are matched when, and overlap priority.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "qvk/tokenizer/special_tokens.hpp"
#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

constexpr std::int32_t kFirstAdded = 151643;  // <|endoftext|>, the first non-BPE id

bool has_added_token(const std::vector<std::int32_t>& ids) {
  return std::any_of(ids.begin(), ids.end(), [](std::int32_t id) { return id >= kFirstAdded; });
}

TEST(SpecialTokens, ControlTokensAreSingleTokensWithParseSpecial) {
  const Tokenizer& tok = testing::qwen3();
  const auto ids = tok.encode("<|im_start|>user\nhi<|im_end|>", /*parse_special=*/true);
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids.front(), 151644);
  EXPECT_EQ(ids.back(), 151645);
  EXPECT_EQ(std::count_if(ids.begin(), ids.end(), [](std::int32_t id) { return id >= kFirstAdded; }), 2);
  EXPECT_EQ(tok.decode(ids), "<|im_start|>user\nhi<|im_end|>");
}

TEST(SpecialTokens, ControlTokensAreJustTextWithoutParseSpecial) {
  const Tokenizer& tok = testing::qwen3();
  const std::string text = "<|im_start|>user\nhi<|im_end|><|endoftext|>";
  const auto ids = tok.encode(text, /*parse_special=*/false);
  EXPECT_FALSE(has_added_token(ids));
  EXPECT_GT(ids.size(), 8u);
  EXPECT_EQ(tok.decode(ids), text);
}

TEST(SpecialTokens, UserDefinedTagsMatchEvenWithoutParseSpecial) {
  const Tokenizer& tok = testing::qwen3();
  const auto think = *tok.find_token("<think>"), end_think = *tok.find_token("</think>");
  const auto call = *tok.find_token("<tool_call>");
  EXPECT_EQ(tok.token_type(think), TokenType::kUserDefined);
  for (const bool parse_special : {false, true}) {
    const auto ids = tok.encode("<think>\nhmm\n</think>\n\n<tool_call>x", parse_special);
    EXPECT_EQ(ids.front(), think);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), end_think), 1);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), call), 1);
  }
}

TEST(SpecialTokens, UnusedPaddingTokensAreNeverMatched) {
  const Tokenizer& tok = testing::qwen3();
  ASSERT_EQ(tok.token_type(151669), TokenType::kUnused);
  EXPECT_FALSE(has_added_token(tok.encode("[PAD151669]", true)));
}

TEST(SpecialTokens, TextAroundSpecialTokensIsSplitIndependently) {
  const Tokenizer& tok = testing::qwen3();
  // " hello" before <|im_end|> encodes as it would alone; the special token
  // does not glue onto its neighbours.
  auto expected = tok.encode("a hello", false);
  expected.push_back(151645);
  const auto rest = tok.encode("world", false);
  expected.insert(expected.end(), rest.begin(), rest.end());
  EXPECT_EQ(tok.encode("a hello<|im_end|>world", true), expected);
}

TEST(SpecialTokens, DecodeCanDropControlTokensButKeepsTags) {
  const Tokenizer& tok = testing::qwen3();
  const auto ids = tok.encode("<|im_start|><think>x</think><|im_end|>", true);
  EXPECT_EQ(tok.decode(ids, /*render_special=*/false), "<think>x</think>");
  EXPECT_EQ(tok.decode(ids), "<|im_start|><think>x</think><|im_end|>");
}

TEST(SpecialTokens, Qwen3EosAndEndOfGenerationIds) {
  const Tokenizer& tok = testing::qwen3();
  EXPECT_EQ(tok.eos(), 151645);  // <|im_end|>
  EXPECT_TRUE(tok.is_eog(151645));
  EXPECT_TRUE(tok.is_eog(151643));  // <|endoftext|>
  EXPECT_FALSE(tok.is_eog(151644));
  EXPECT_FALSE(tok.is_eog(9707));
  EXPECT_TRUE(tok.encode("", true).empty());  // no BOS, no EOS added
  EXPECT_EQ(tok.encode("Hello", true).size(), 1u);
}

std::vector<TextPiece> cut(const SpecialTokenMatcher& m, std::string_view text, bool parse_special = true) {
  std::vector<TextPiece> out;
  m.partition(text, parse_special, out);
  return out;
}

TEST(SpecialTokenMatcher, LongerTokensWinOverlapsAsInLlamaCpp) {
  const SpecialTokenMatcher m({{"ab", 1, true}, {"bcd", 2, true}});
  const auto p = cut(m, "abcd");  // "bcd" is longer, so it is taken first: "a" + bcd
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].token, -1);
  EXPECT_EQ(p[0].end, 1u);
  EXPECT_EQ(p[1].token, 2);
}

TEST(SpecialTokenMatcher, RepeatedTokenMatchesLeftToRightWithoutOverlap) {
  const SpecialTokenMatcher m({{"aa", 7, true}});
  const auto p = cut(m, "aaaaa");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].token, 7);
  EXPECT_EQ(p[1].token, 7);
  EXPECT_EQ(p[2].token, -1);
  EXPECT_EQ(p[2].begin, 4u);
}

TEST(SpecialTokenMatcher, ControlEntriesNeedParseSpecial) {
  const SpecialTokenMatcher m({{"<c>", 1, true}, {"<u>", 2, false}});
  const auto off = cut(m, "x<c>y<u>z", false);
  ASSERT_EQ(off.size(), 3u);
  EXPECT_EQ(off[1].token, 2);
  EXPECT_EQ(cut(m, "x<c>y<u>z", true).size(), 5u);
}

}  // namespace
}  // namespace qvk::tokenizer
