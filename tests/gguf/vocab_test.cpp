// The real Qwen3 vocabulary (data/qwen-vocab/ggml-vocab-qwen3.gguf, written
// by llama.cpp's tools): contents, open time, and a byte-exact rewrite.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "qvk/gguf/file.hpp"
#include "qvk/gguf/writer.hpp"
#include "test_files.hpp"

namespace qvk::gguf {
namespace {

using testing::read_file;
using testing::scratch_dir;
using testing::vocab_path;

TEST(GgufVocab, ReadsQwen3TokensMergesAndSpecialIds) {
  const File f = File::open(vocab_path());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_TRUE(f.tensors().empty());
  EXPECT_EQ(f.metadata().size(), 13u);
  EXPECT_EQ(*f.find("general.architecture")->as_string(), "qwen3");
  EXPECT_EQ(*f.find("tokenizer.ggml.model")->as_string(), "gpt2");
  EXPECT_EQ(*f.find("tokenizer.ggml.pre")->as_string(), "qwen2");

  const Value* tokens = f.find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->describe(), "array<string>[151936]");
  const auto& t = *tokens->as_array();
  EXPECT_EQ(t[0].s, "!");
  EXPECT_EQ(t[151643].s, "<|endoftext|>");
  EXPECT_EQ(t[151645].s, "<|im_end|>");
  EXPECT_EQ(t[151667].s, "<think>");
  EXPECT_EQ(t[151668].s, "</think>");
  EXPECT_EQ(t[151935].s, "[PAD151935]");

  const Value* types = f.find("tokenizer.ggml.token_type");
  ASSERT_NE(types, nullptr);
  EXPECT_EQ(types->elem_type, ValueType::INT32);
  EXPECT_EQ(types->items.size(), 151936u);
  EXPECT_EQ(types->items[0].i, 1);       // NORMAL
  EXPECT_EQ(types->items[151643].i, 3);  // CONTROL
  EXPECT_EQ(types->items[151667].i, 4);  // USER_DEFINED
  EXPECT_EQ(types->items[151935].i, 5);  // UNUSED

  const Value* merges = f.find("tokenizer.ggml.merges");
  ASSERT_NE(merges, nullptr);
  EXPECT_EQ(merges->items.size(), 151387u);
  EXPECT_EQ(merges->items[0].s, "\xc4\xa0 \xc4\xa0");  // "Ġ Ġ"

  EXPECT_EQ(f.find("tokenizer.ggml.eos_token_id")->as_uint(), 151645u);
  EXPECT_EQ(f.find("tokenizer.ggml.padding_token_id")->as_uint(), 151643u);
  EXPECT_EQ(f.find("tokenizer.ggml.add_bos_token")->as_bool(), false);
  EXPECT_NE(f.find("tokenizer.chat_template")->as_string()->find("<think>"), std::string::npos);
}

TEST(GgufVocab, RewritingQwen3VocabReproducesItByteForByte) {
  const File f = File::open(vocab_path());
  const auto out = scratch_dir() / "vocab.gguf";
  Writer w(out);
  for (const KeyValue& kv : f.metadata()) w.add_kv(kv.key, kv.value);
  EXPECT_EQ(w.total_bytes(), f.file_size());
  w.write_header();
  w.finish();
  EXPECT_TRUE(read_file(out) == read_file(vocab_path())) << "rewritten vocab differs from the original";
}

}  // namespace
}  // namespace qvk::gguf
