// Quantization recipe and presets: the per-tensor types llama.cpp's mixes give
// dense Qwen models, and the published shapes.
#include <gtest/gtest.h>

#include <map>

#include "qvk/model/presets.hpp"
#include "qvk/model/recipe.hpp"

namespace qvk {
namespace {

using model::Arch;
using model::Mix;
using quant::Type;

std::map<std::string, Type> types_of(Mix mix, const model::Config& c) {
  std::map<std::string, Type> m;
  for (const auto& s : model::tensor_specs(c)) m[s.name] = model::tensor_type(mix, s, c);
  return m;
}

TEST(Presets, Qwen3_0_6BHasThePublishedShape) {
  const auto c = *model::find_preset(Arch::Qwen3, "0.6b");
  EXPECT_EQ(c.hidden, 1024u);
  EXPECT_EQ(c.layers, 28u);
  EXPECT_EQ(c.heads, 16u);
  EXPECT_EQ(c.kv_heads, 8u);
  EXPECT_EQ(c.head_dim, 128u);
  EXPECT_EQ(c.ffn, 3072u);
  EXPECT_EQ(c.vocab, 151936u);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_FALSE(model::find_preset(Arch::Qwen3, "8b")->tied_embeddings);
}

TEST(TensorSpecs, CountsTensorsPerArchitecture) {
  // qwen3: embd + 11 per layer (norms, q/k/v/o, q/k norms, gate/up/down) + output norm (+ output).
  EXPECT_EQ(model::tensor_specs(*model::find_preset(Arch::Qwen3, "0.6b")).size(), 1u + 28u * 11u + 1u);
  EXPECT_EQ(model::tensor_specs(*model::find_preset(Arch::Qwen3, "8b")).size(), 1u + 36u * 11u + 2u);
  // qwen2: 3 biases instead of 2 QK norms.
  EXPECT_EQ(model::tensor_specs(*model::find_preset(Arch::Qwen2, "7b")).size(), 1u + 28u * 12u + 2u);
}

TEST(UseMoreBits, MatchesLlamaCppPatternFor28Layers) {
  // First 3 (28/8), last 4 (>= 7*28/8 = 24), and every third from layer 3+2.
  std::vector<int> more;
  for (int i = 0; i < 28; ++i)
    if (model::use_more_bits(i, 28)) more.push_back(i);
  EXPECT_EQ(more, (std::vector<int>{0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27}));
}

TEST(Recipe, Q4KMTiedPutsEmbeddingInQ6KAndSomeAttnVFfnDownInQ6K) {
  const auto c = *model::find_preset(Arch::Qwen3, "0.6b");
  const auto t = types_of(Mix::Q4_K_M, c);
  EXPECT_EQ(t.at("token_embd.weight"), Type::Q6_K);
  EXPECT_EQ(t.at("blk.0.attn_v.weight"), Type::Q6_K);
  EXPECT_EQ(t.at("blk.3.attn_v.weight"), Type::Q4_K);
  EXPECT_EQ(t.at("blk.5.ffn_down.weight"), Type::Q6_K);
  EXPECT_EQ(t.at("blk.6.ffn_down.weight"), Type::Q4_K);
  EXPECT_EQ(t.at("blk.6.attn_q.weight"), Type::Q4_K);
  EXPECT_EQ(t.at("blk.6.ffn_gate.weight"), Type::Q4_K);
  EXPECT_EQ(t.at("blk.6.attn_norm.weight"), Type::F32);
  EXPECT_EQ(t.at("blk.6.attn_q_norm.weight"), Type::F32);
  EXPECT_EQ(t.at("output_norm.weight"), Type::F32);
}

TEST(Recipe, Q4KMUntiedPutsOutputInQ6KAndEmbeddingInQ4K) {
  const auto t = types_of(Mix::Q4_K_M, *model::find_preset(Arch::Qwen3, "8b"));
  EXPECT_EQ(t.at("output.weight"), Type::Q6_K);
  EXPECT_EQ(t.at("token_embd.weight"), Type::Q4_K);
}

TEST(Recipe, Q8_0KeepsTheHeadInQ8_0AndQ4_0MovesItToQ6K) {
  const auto c = *model::find_preset(Arch::Qwen3, "8b");
  EXPECT_EQ(types_of(Mix::Q8_0, c).at("output.weight"), Type::Q8_0);
  EXPECT_EQ(types_of(Mix::Q4_0, c).at("output.weight"), Type::Q6_K);
  EXPECT_EQ(types_of(Mix::Q4_0, c).at("blk.0.ffn_down.weight"), Type::Q4_0);
}

TEST(Recipe, FloatMixesKeepNormsF32) {
  const auto t = types_of(Mix::BF16, *model::find_preset(Arch::Qwen2, "tiny"));
  EXPECT_EQ(t.at("blk.0.attn_q.weight"), Type::BF16);
  EXPECT_EQ(t.at("blk.0.attn_q.bias"), Type::F32);
}

TEST(Recipe, RefusesK4WhenRowsAreNot256Multiples) {
  const auto c = *model::find_preset(Arch::Qwen2, "0.5b");  // hidden 896
  EXPECT_THROW(types_of(Mix::Q4_K_M, c), std::invalid_argument);
  // ...while the head alone falls back to Q8_0, as in llama.cpp.
  const auto t = types_of(Mix::Q4_0, c);
  EXPECT_EQ(t.at("token_embd.weight"), Type::Q8_0);
}

}  // namespace
}  // namespace qvk
