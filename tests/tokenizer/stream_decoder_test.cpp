// StreamDecoder: whole characters only, U+FFFD for ill-formed bytes.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "qvk/tokenizer/stream_decoder.hpp"
#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(StreamDecoder, HoldsEmojiSplitAcrossTokensUntilComplete) {
  const Tokenizer& tok = testing::qwen3();
  const std::string emoji = "\xF0\x9F\x8C\x92";  // U+1F312 waxing crescent moon: 3 bytes + 1 byte
  const auto ids = tok.encode(emoji, false);
  ASSERT_GE(ids.size(), 2u) << "the emoji must span several tokens for this test to mean anything";
  StreamDecoder dec(tok);
  std::string out;
  for (std::size_t k = 0; k + 1 < ids.size(); ++k) {
    EXPECT_EQ(dec.push(ids[k]), "") << "token " << k << " emitted part of a character";
    EXPECT_GT(dec.pending_bytes(), 0u);
  }
  EXPECT_EQ(dec.push(ids.back()), emoji);
  EXPECT_EQ(dec.pending_bytes(), 0u);
  EXPECT_EQ(dec.flush(), "");
}

TEST(StreamDecoder, EmitsEachCompleteCharacterAsSoonAsItsLastByteArrives) {
  StreamDecoder dec(testing::qwen3());
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // a é € 😀 z
  std::string out;
  for (const char c : text) out += dec.push_bytes(std::string(1, c));
  EXPECT_EQ(out, text);
  EXPECT_EQ(dec.push_bytes("\xE2\x82"), "");
  EXPECT_EQ(dec.push_bytes("\xAC"), "\xE2\x82\xAC");
}

TEST(StreamDecoder, ReplacesIllFormedBytesAtOnce) {
  StreamDecoder dec(testing::qwen3());
  EXPECT_EQ(dec.push_bytes("\xFF" "a"), kFffd + "a");                  // never a lead byte
  EXPECT_EQ(dec.push_bytes("\xE2\x82" "b"), kFffd + "b");              // truncated by an ASCII byte: one U+FFFD
  EXPECT_EQ(dec.push_bytes("\xED\xA0\x80"), kFffd + kFffd + kFffd);    // surrogate: ED, A0, 80 each
  EXPECT_EQ(dec.push_bytes("\xC0\xAF"), kFffd + kFffd);                // overlong
  EXPECT_EQ(dec.pending_bytes(), 0u);
}

TEST(StreamDecoder, FlushReplacesAnUnfinishedCharacter) {
  StreamDecoder dec(testing::qwen3());
  EXPECT_EQ(dec.push_bytes("x\xF0\x9F\x98"), "x");
  EXPECT_EQ(dec.pending_bytes(), 3u);
  EXPECT_EQ(dec.flush(), kFffd);
  EXPECT_EQ(dec.pending_bytes(), 0u);
  EXPECT_EQ(dec.push_bytes("ok"), "ok");  // reusable after flush
}

TEST(StreamDecoder, ReproducesRandomTextTokenByToken) {
  const Tokenizer& tok = testing::qwen3();
  const unsigned seed = 20261122;
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> parts = {"Hello", " world", "\xF0\x9F\x98\x80", "\xF0\x9F\xA6\x99", "\xE4\xB8\xAD\xE6\x96\x87",
                                          "\xD0\xBF\xD1\x80\xD0\xB8", "\n", "  ", "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D",
                                          "<think>", "!?"};
  for (int trial = 0; trial < 200; ++trial) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) text += parts[rng() % parts.size()];
    StreamDecoder dec(tok);
    std::string out;
    for (const auto id : tok.encode(text, false)) out += dec.push(id);
    out += dec.flush();
    ASSERT_EQ(out, text) << "trial " << trial;
  }
}

TEST(StreamDecoder, DropsControlTokensWhenNotRenderingSpecial) {
  const Tokenizer& tok = testing::qwen3();
  StreamDecoder dec(tok, /*render_special=*/false);
  EXPECT_EQ(dec.push(*tok.find_token("<|im_end|>")), "");
  EXPECT_EQ(dec.push(*tok.find_token("<think>")), "<think>");  // USER_DEFINED stays visible
}

}  // namespace
}  // namespace qvk::tokenizer
