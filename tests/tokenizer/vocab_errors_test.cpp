// Bad tokenizer metadata throws qvk::gguf::Error naming the file and key;
// a small synthetic vocabulary works end to end.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "qvk/gguf/writer.hpp"
#include "qvk/tokenizer/detail/byte_unicode.hpp"
#include "qvk/tokenizer/detail/utf8.hpp"
#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

using gguf::Value;
using gguf::ValueType;
using Kvs = std::map<std::string, Value>;

// 256 byte tokens, "ab", "abc", "<|im_end|>" (CONTROL), "<think>" (USER_DEFINED).
Kvs tiny_vocab() {
  std::vector<Value> tokens, types;
  for (int b = 0; b < 256; ++b) {
    std::string t;
    detail::append_utf8(t, detail::kByteToCodepoint[b]);
    tokens.push_back(Value::str(t));
    types.push_back(Value::i32(1));
  }
  for (const char* t : {"ab", "abc"}) tokens.push_back(Value::str(t)), types.push_back(Value::i32(1));
  tokens.push_back(Value::str("<|im_end|>")), types.push_back(Value::i32(3));
  tokens.push_back(Value::str("<think>")), types.push_back(Value::i32(4));
  Kvs kv;
  kv["tokenizer.ggml.model"] = Value::str("gpt2");
  kv["tokenizer.ggml.pre"] = Value::str("qwen2");
  kv["tokenizer.ggml.tokens"] = Value::array(ValueType::STRING, tokens);
  kv["tokenizer.ggml.token_type"] = Value::array(ValueType::INT32, types);
  kv["tokenizer.ggml.merges"] = Value::array(ValueType::STRING, {Value::str("a b"), Value::str("ab c")});
  kv["tokenizer.ggml.eos_token_id"] = Value::u32(258);
  return kv;
}

std::filesystem::path write_vocab(const Kvs& kv) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(QVK_BINARY_DIR) / "tests" / "tokenizer" / "scratch";
  std::filesystem::create_directories(dir);
  const auto path = dir / (std::string(info->name()) + ".gguf");
  gguf::Writer w(path);
  for (const auto& [k, v] : kv) w.add_kv(k, v);
  w.write_header();
  w.finish();
  return path;
}

// Loading must throw an Error whose message names the file, the key and `what`.
void expect_error(const Kvs& kv, const std::string& key, const std::string& what) {
  const auto path = write_vocab(kv);
  const gguf::File f = gguf::File::open(path);
  try {
    (void)Tokenizer::from_gguf(f);
    ADD_FAILURE() << "no error for " << key;
  } catch (const gguf::Error& e) {
    EXPECT_EQ(e.file(), path.string());
    EXPECT_EQ(e.item(), key);
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(TokenizerVocab, TinyVocabEncodesWithMergesAndSpecials) {
  const gguf::File f = gguf::File::open(write_vocab(tiny_vocab()));
  const Tokenizer tok = Tokenizer::from_gguf(f);
  EXPECT_EQ(tok.n_tokens(), 260);
  EXPECT_EQ(tok.encode("abc", false), (std::vector<std::int32_t>{257}));
  EXPECT_EQ(tok.encode("abd", false), (std::vector<std::int32_t>{256, 'd'}));
  EXPECT_EQ(tok.encode("<think>ab<|im_end|>", true), (std::vector<std::int32_t>{259, 256, 258}));
  EXPECT_EQ(tok.eos(), 258);
}

TEST(TokenizerVocab, RejectsMissingTokens) {
  auto kv = tiny_vocab();
  kv.erase("tokenizer.ggml.tokens");
  expect_error(kv, "tokenizer.ggml.tokens", "required key is missing");
}

TEST(TokenizerVocab, RejectsNonBpeModel) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.model"] = Value::str("llama");
  expect_error(kv, "tokenizer.ggml.model", "found 'llama'");
}

TEST(TokenizerVocab, RejectsUnknownPreTokenizer) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.pre"] = Value::str("llama3");
  expect_error(kv, "tokenizer.ggml.pre", "found 'llama3'");
}

TEST(TokenizerVocab, RejectsMergeOfUnknownToken) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.merges"] = Value::array(ValueType::STRING, {Value::str("a b"), Value::str("zz c")});
  expect_error(kv, "tokenizer.ggml.merges", "merge #1 'zz c': expected a known left token, found unknown 'zz'");
}

TEST(TokenizerVocab, RejectsMergeWhoseResultIsNoToken) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.merges"] = Value::array(ValueType::STRING, {Value::str("b c")});
  expect_error(kv, "tokenizer.ggml.merges", "merged text 'bc' to be a token");
}

TEST(TokenizerVocab, RejectsMalformedMerge) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.merges"] = Value::array(ValueType::STRING, {Value::str("ab")});
  expect_error(kv, "tokenizer.ggml.merges", "expected 'LEFT RIGHT'");
}

TEST(TokenizerVocab, RejectsDuplicateTokenText) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.tokens"].items[257] = Value::str("ab");
  expect_error(kv, "tokenizer.ggml.tokens", "expected unique token texts, found 'ab' at #256 and #257");
}

TEST(TokenizerVocab, RejectsNormalTokenThatIsNotByteLevel) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.tokens"].items[257] = Value::str("a c");  // a raw space is not byte-level text
  expect_error(kv, "tokenizer.ggml.tokens", "expected byte-level text for NORMAL token #257");
}

TEST(TokenizerVocab, RejectsMissingByteToken) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.token_type"].items['x'] = Value::i32(3);  // byte 'x' no longer NORMAL
  expect_error(kv, "tokenizer.ggml.tokens", "for byte 120");
}

TEST(TokenizerVocab, RejectsTokenTypeCountMismatch) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.token_type"].items.pop_back();
  expect_error(kv, "tokenizer.ggml.token_type", "expected 260 entries (one per token), found 259");
}

TEST(TokenizerVocab, RejectsTokenTypeCodeOutOfRange) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.token_type"].items[5] = Value::i32(9);
  expect_error(kv, "tokenizer.ggml.token_type", "found 9");
}

TEST(TokenizerVocab, RejectsWrongArrayType) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.merges"] = Value::array(ValueType::UINT32, {Value::u32(1)});
  expect_error(kv, "tokenizer.ggml.merges", "expected array<string>");
}

TEST(TokenizerVocab, RejectsEosOutsideVocab) {
  auto kv = tiny_vocab();
  kv["tokenizer.ggml.eos_token_id"] = Value::u32(260);
  expect_error(kv, "tokenizer.ggml.eos_token_id", "expected a token id below 260");
}

TEST(TokenizerVocab, RejectsMissingEos) {
  auto kv = tiny_vocab();
  kv.erase("tokenizer.ggml.eos_token_id");
  expect_error(kv, "tokenizer.ggml.eos_token_id", "required key is missing");
}

TEST(TokenizerVocab, RealVocabularyShape) {
  const Tokenizer& tok = testing::qwen3();
  EXPECT_EQ(tok.n_tokens(), 151936);
  EXPECT_EQ(tok.token_type(151643), TokenType::kControl);
  EXPECT_EQ(tok.token_type(151667), TokenType::kUserDefined);
  EXPECT_EQ(tok.token_text(151667), "<think>");
  EXPECT_FALSE(tok.bos().has_value() && *tok.bos() != 151643);
  EXPECT_EQ(tok.token_bytes(151669), "");  // UNUSED padding renders as nothing
}

}  // namespace
}  // namespace qvk::tokenizer
