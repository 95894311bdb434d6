// The qwen2 / qwen35 word splits, rule by rule.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "qvk/tokenizer/detail/utf8.hpp"
#include "qvk/tokenizer/pre_tokenizer.hpp"
#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view text, PreTokenizer pre = PreTokenizer::kQwen2) {
  Words out;
  for (const auto w : split_words(text, pre)) out.emplace_back(w);
  return out;
}

TEST(PreTokenizer, LettersTakeOneLeadingNonLetter) {
  EXPECT_EQ(split("Hello world"), (Words{"Hello", " world"}));
  EXPECT_EQ(split("\tfoo (bar)"), (Words{"\tfoo", " (", "bar", ")"}));
  EXPECT_EQ(split("$x"), (Words{"$x"}));
  EXPECT_EQ(split("\nfoo"), (Words{"\n", "foo"}));  // a newline never leads a word
}

TEST(PreTokenizer, ContractionsAreCaseInsensitive) {
  EXPECT_EQ(split("I'm WE'LL they're"), (Words{"I", "'m", " WE", "'LL", " they", "'re"}));
  EXPECT_EQ(split("'xyz"), (Words{"'xyz"}));  // not a contraction: the apostrophe leads the letters
}

TEST(PreTokenizer, NumbersSplitIntoSingleDigits) {
  EXPECT_EQ(split("x 1234"), (Words{"x", " ", "1", "2", "3", "4"}));
  EXPECT_EQ(split("\xD9\xA1\xD9\xA2"), (Words{"\xD9\xA1", "\xD9\xA2"}));  // Arabic-Indic digits are \p{N}
}

TEST(PreTokenizer, PunctuationTakesOneLeadingSpaceAndTrailingNewlines) {
  EXPECT_EQ(split("a !!!\n\nb"), (Words{"a", " !!!\n\n", "b"}));
  EXPECT_EQ(split("a  !!"), (Words{"a", " ", " !!"}));
}

TEST(PreTokenizer, WhiteSpaceRules) {
  EXPECT_EQ(split("a   b"), (Words{"a", "  ", " b"}));   // \s+(?!\S) leaves one space to lead "b"
  EXPECT_EQ(split("a \n \n  b"), (Words{"a", " \n \n", " ", " b"}));  // \s*[\r\n]+ ends at the last newline
  EXPECT_EQ(split("a   "), (Words{"a", "   "}));         // trailing run stays whole
  EXPECT_EQ(split("a\r\n"), (Words{"a", "\r\n"}));
  EXPECT_EQ(split("a\xE3\x80\x80\xE3\x80\x80" "b"), (Words{"a", "\xE3\x80\x80", "\xE3\x80\x80" "b"}));  // U+3000 is \s
}

TEST(PreTokenizer, Qwen35LetterRunsAbsorbCombiningMarks) {
  const std::string text = "e\xCC\x81t\xC3\xA9";  // e U+0301 t é
  EXPECT_EQ(split(text, PreTokenizer::kQwen2), (Words{"e", "\xCC\x81t\xC3\xA9"}));
  EXPECT_EQ(split(text, PreTokenizer::kQwen35), (Words{text}));
  const std::string hindi = "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87";  // नमस्ते
  EXPECT_EQ(split(hindi, PreTokenizer::kQwen35).size(), 1u);
  EXPECT_GT(split(hindi, PreTokenizer::kQwen2).size(), 1u);
}

TEST(PreTokenizer, Qwen35GivesOtherIdsThanQwen2WhereMarksSplitWords) {
  const Tokenizer& q2 = testing::qwen3();
  const Tokenizer& q35 = testing::load_tokenizer(testing::qwen3_vocab_path(), PreTokenizer::kQwen35);
  // สวัสดี: Thai vowel and tone marks are \p{M}, so qwen2 cuts the word at them.
  const std::string thai = "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5";
  EXPECT_NE(q2.encode(thai, false), q35.encode(thai, false));
  EXPECT_EQ(q2.decode(q35.encode(thai, false)), thai);
  EXPECT_EQ(q2.encode("Hello world", false), q35.encode("Hello world", false));
}

TEST(PreTokenizer, WordsTileTheInput) {
  const unsigned seed = 777;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  const char32_t alphabet[] = {'a', 'Z', '0', ' ', ' ', '\n', '\r', '\t', '\'', 's', '!', 0x301, 0xA0, 0x3000, 0x4E2D, 0x1F600};
  for (const PreTokenizer pre : {PreTokenizer::kQwen2, PreTokenizer::kQwen35}) {
    for (int trial = 0; trial < 300; ++trial) {
      std::string text;
      for (int k = static_cast<int>(rng() % 30); k > 0; --k) detail::append_utf8(text, alphabet[rng() % std::size(alphabet)]);
      std::string joined;
      for (const auto w : split_words(text, pre)) {
        ASSERT_FALSE(w.empty());
        joined += w;
      }
      ASSERT_EQ(joined, text) << "trial " << trial;
    }
  }
}

TEST(PreTokenizer, NamesMapLikeLlamaCpp) {
  EXPECT_EQ(pre_tokenizer_from_name("qwen2"), PreTokenizer::kQwen2);
  EXPECT_EQ(pre_tokenizer_from_name("deepseek-r1-qwen"), PreTokenizer::kQwen2);
  EXPECT_EQ(pre_tokenizer_from_name("qwen35"), PreTokenizer::kQwen35);
  EXPECT_FALSE(pre_tokenizer_from_name("llama3").has_value());
}

}  // namespace
}  // namespace qvk::tokenizer
