// llama.cpp's tokenizer test vectors: every input must give exactly the
// expected ids.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.hpp"

namespace qvk::tokenizer {
namespace {

using testing::load_tokenizer;
using testing::read_vectors;

// Returns the number of vectors that passed; records a failure per mismatch.
int check_vectors(const Tokenizer& tok, const std::string& name) {
  const auto vectors = read_vectors(name);
  EXPECT_GT(vectors.size(), 30u) << "too few vectors read from " << name;
  int passed = 0;
  for (std::size_t k = 0; k < vectors.size(); ++k) {
    const auto& v = vectors[k];
    const auto got = tok.encode(v.input, /*parse_special=*/false);
    if (got == v.ids) {
      ++passed;
    } else {
      ADD_FAILURE() << name << " vector #" << k << " input bytes [" << testing::hex(v.input) << "]: ids differ";
    }
    // What the vectors contain also decodes back to the input.
    EXPECT_EQ(tok.decode(got), v.input) << name << " vector #" << k;
  }
  std::printf("%s: %d/%zu vectors pass\n", name.c_str(), passed, vectors.size());
  return passed;
}

void skip_without(const std::filesystem::path& p) {
  if (!std::filesystem::exists(p))
    GTEST_SKIP() << p << " is missing: this test needs ../shared/data/qwen-vocab beside the checkout "
                 << "(or -DQVK_SHARED_VOCAB_DIR=...)";
}

TEST(TokenizerVectors, Qwen2VectorsPassWithCommittedQwen3Vocab) {
  // Same 151,643 BPE tokens and merges as Qwen2's; the vectors hold no added tokens.
  const Tokenizer& tok = testing::qwen3();
  EXPECT_EQ(tok.pre_tokenizer(), PreTokenizer::kQwen2);
  const auto n = read_vectors("qwen2").size();
  EXPECT_EQ(check_vectors(tok, "qwen2"), static_cast<int>(n));
}

TEST(TokenizerVectors, Qwen35VectorsPassWithCommittedVocabAndQwen35Split) {
  // ggml-vocab-qwen35.gguf is ggml-vocab-qwen2.gguf with tokenizer.ggml.pre = "qwen35".
  const Tokenizer& tok = load_tokenizer(testing::qwen3_vocab_path(), PreTokenizer::kQwen35);
  const auto n = read_vectors("qwen35").size();
  EXPECT_EQ(check_vectors(tok, "qwen35"), static_cast<int>(n));
}

TEST(TokenizerVectors, Qwen2VectorsPassWithQwen2Vocab) {
  const auto path = testing::shared_vocab_path("qwen2");
  skip_without(path);
  const Tokenizer& tok = load_tokenizer(path);
  EXPECT_EQ(tok.pre_tokenizer(), PreTokenizer::kQwen2);
  const auto n = read_vectors("qwen2").size();
  EXPECT_EQ(check_vectors(tok, "qwen2"), static_cast<int>(n));
}

TEST(TokenizerVectors, Qwen35VectorsPassWithQwen35Vocab) {
  const auto path = testing::shared_vocab_path("qwen35");
  skip_without(path);
  const Tokenizer& tok = load_tokenizer(path);
  EXPECT_EQ(tok.pre_tokenizer(), PreTokenizer::kQwen35);
  const auto n = read_vectors("qwen35").size();
  EXPECT_EQ(check_vectors(tok, "qwen35"), static_cast<int>(n));
}

TEST(TokenizerVectors, Qwen2VocabMatchesItsUserDefinedPadTokensWithoutParseSpecial) {
  const auto path = testing::shared_vocab_path("qwen2");
  skip_without(path);
  const Tokenizer& tok = load_tokenizer(path);
  ASSERT_EQ(tok.token_type(151646), TokenType::kUserDefined);  // "[PAD151646]" in this older file
  EXPECT_EQ(tok.encode("x[PAD151646]", false), (std::vector<std::int32_t>{87, 151646}));
  EXPECT_EQ(tok.eos(), 151643);
}

// (llama.cpp's qwen35 vectors give the same ids under the qwen2 split; the
// difference is tested in pre_tokenizer_test.cpp.)

}  // namespace
}  // namespace qvk::tokenizer
