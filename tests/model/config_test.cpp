// Config reading and model validation: every kind of nonsense metadata or
// tensor table is an error that names the key or tensor, expected and found.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model_fixture.hpp"
#include "qvk/model/model_file.hpp"

namespace qvk {
namespace {

using gguf::Value;
using model::Arch;
using test::Edits;
using test::small_config;
using test::temp_path;
using test::write_model;

// Opens the model and returns the error text ("" if it loaded).
std::string load_error(const std::filesystem::path& p) {
  try {
    model::open_model(p);
    return "";
  } catch (const gguf::Error& e) {
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << "error must name the file: " << e.what();
    return e.what();
  }
}

#define EXPECT_LOAD_ERROR(path, ...)                                                  \
  do {                                                                                \
    const std::string err_ = load_error(path);                                        \
    ASSERT_FALSE(err_.empty()) << "expected an error";                                \
    for (const char* part_ : {__VA_ARGS__})                                           \
      EXPECT_NE(err_.find(part_), std::string::npos) << "missing '" << part_ << "' in: " << err_; \
  } while (0)

TEST(ModelConfig, ReadsQwen3ShapeFromMetadataAndTensors) {
  auto c = small_config(Arch::Qwen3, /*tied=*/false);
  c.rope_scaling = {model::RopeScalingType::Yarn, 4.0f, 128};
  const auto m = model::open_model(write_model(temp_path("qwen3.gguf"), c));
  EXPECT_EQ(m.config.arch, Arch::Qwen3);
  EXPECT_EQ(m.config.hidden, 32u);
  EXPECT_EQ(m.config.layers, 2u);
  EXPECT_EQ(m.config.heads, 4u);
  EXPECT_EQ(m.config.kv_heads, 2u);
  EXPECT_EQ(m.config.head_dim, 8u);
  EXPECT_EQ(m.config.ffn, 64u);
  EXPECT_EQ(m.config.vocab, 40u);
  EXPECT_EQ(m.config.context_length, 128u);
  EXPECT_EQ(m.config.rms_eps, 1e-6f);
  EXPECT_EQ(m.config.rope_base, 1e6f);
  EXPECT_EQ(m.config.rope_scaling.type, model::RopeScalingType::Yarn);
  EXPECT_EQ(m.config.rope_scaling.factor, 4.0f);
  EXPECT_EQ(m.config.rope_scaling.original_context, 128u);
  EXPECT_FALSE(m.config.tied_embeddings);
  EXPECT_TRUE(m.config.qk_norm());
  EXPECT_FALSE(m.config.qkv_bias());
  EXPECT_EQ(m.vocab.n_tokens, 40u);
  EXPECT_EQ(m.vocab.eos, 39u);
}

TEST(ModelConfig, TiedWhenOutputWeightIsAbsent) {
  const auto m = model::open_model(write_model(temp_path("tied.gguf"), small_config(Arch::Qwen3, true)));
  EXPECT_TRUE(m.config.tied_embeddings);
  EXPECT_EQ(m.file.tensor("output.weight"), nullptr);
}

TEST(ModelConfig, Qwen2HasQkvBiasAndDerivesHeadDimWithoutKeyLength) {
  Edits e;
  e.drop_keys = {"qwen2.attention.key_length", "qwen2.attention.value_length"};
  const auto m = model::open_model(write_model(temp_path("qwen2.gguf"), small_config(Arch::Qwen2), e));
  EXPECT_EQ(m.config.arch, Arch::Qwen2);
  EXPECT_EQ(m.config.head_dim, 8u);  // 32 / 4
  EXPECT_TRUE(m.config.qkv_bias());
  EXPECT_FALSE(m.config.qk_norm());
  EXPECT_NE(m.file.tensor("blk.1.attn_v.bias"), nullptr);
}

TEST(ModelConfig, RejectsMissingArchitecture) {
  Edits e;
  e.drop_keys = {"general.architecture"};
  EXPECT_LOAD_ERROR(write_model(temp_path("noarch.gguf"), small_config(), e), "general.architecture", "missing");
}

TEST(ModelConfig, RejectsUnknownArchitecture) {
  Edits e;
  e.set_keys = {{"general.architecture", Value::str("llama")}};
  EXPECT_LOAD_ERROR(write_model(temp_path("llama.gguf"), small_config(), e), "general.architecture", "unknown", "llama");
}

TEST(ModelConfig, SaysMoeArchitectureIsNotSupportedYet) {
  Edits e;
  e.set_keys = {{"general.architecture", Value::str("qwen3moe")}};
  EXPECT_LOAD_ERROR(write_model(temp_path("moe.gguf"), small_config(), e), "qwen3moe", "not supported yet");
}

TEST(ModelConfig, RejectsArchitectureOfWrongType) {
  Edits e;
  e.set_keys = {{"general.architecture", Value::u32(3)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("archtype.gguf"), small_config(), e), "general.architecture",
                    "expected a string");
}

TEST(ModelConfig, RejectsZeroHeads) {
  Edits e;
  e.set_keys = {{"qwen3.attention.head_count", Value::u32(0)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("zeroheads.gguf"), small_config(), e), "qwen3.attention.head_count",
                    "found 0");
}

TEST(ModelConfig, RejectsKvHeadsThatDoNotDivideHeads) {
  Edits e;
  e.set_keys = {{"qwen3.attention.head_count_kv", Value::u32(3)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("kvdiv.gguf"), small_config(), e), "head_count_kv", "divisor", "found 3");
}

TEST(ModelConfig, RejectsNegativeHeadCountStoredAsSignedInteger) {
  Edits e;
  e.set_keys = {{"qwen3.attention.head_count", Value::i32(-4)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("negheads.gguf"), small_config(), e), "qwen3.attention.head_count",
                    "unsigned integer");
}

TEST(ModelConfig, RejectsNanNormEpsilon) {
  Edits e;
  e.set_keys = {{"qwen3.attention.layer_norm_rms_epsilon", Value::f32(std::numeric_limits<float>::quiet_NaN())}};
  EXPECT_LOAD_ERROR(write_model(temp_path("naneps.gguf"), small_config(), e), "layer_norm_rms_epsilon", "finite");
}

TEST(ModelConfig, RejectsZeroAndNegativeRopeBase) {
  for (float base : {0.0f, -10000.0f, std::numeric_limits<float>::infinity()}) {
    Edits e;
    e.set_keys = {{"qwen3.rope.freq_base", Value::f32(base)}};
    EXPECT_LOAD_ERROR(write_model(temp_path("ropebase.gguf"), small_config(), e), "qwen3.rope.freq_base", "> 0");
  }
}

TEST(ModelConfig, RejectsOddHeadDim) {
  auto c = small_config();
  c.head_dim = 7;
  EXPECT_LOAD_ERROR(write_model(temp_path("oddhd.gguf"), c), "key_length", "even", "found 7");
}

TEST(ModelConfig, RejectsLayerCountBeyondTensorsPresent) {
  Edits e;
  e.set_keys = {{"qwen3.block_count", Value::u32(5)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("layers.gguf"), small_config(), e), "qwen3.block_count", "blk.0..blk.1",
                    "found 5");
}

TEST(ModelConfig, RejectsInsaneLayerCount) {
  Edits e;
  e.set_keys = {{"qwen3.block_count", Value::u32(4000000000u)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("insane.gguf"), small_config(), e), "qwen3.block_count", "at most 1024");
}

TEST(ModelConfig, RejectsYarnWithoutFactor) {
  Edits e;
  e.set_keys = {{"qwen3.rope.scaling.type", Value::str("yarn")}};
  EXPECT_LOAD_ERROR(write_model(temp_path("yarn.gguf"), small_config(), e), "qwen3.rope.scaling.factor", "missing");
}

TEST(ModelTensors, RejectsOutputWeightWithAQuarterOfTheElements) {
  Edits e;
  e.dims = {{"output.weight", {32, 10}}};
  EXPECT_LOAD_ERROR(write_model(temp_path("quarter.gguf"), small_config(Arch::Qwen3, false), e),
                    "tensor 'output.weight'", "expected shape [32, 40]", "found [32, 10]");
}

TEST(ModelTensors, RejectsMissingQkNormForQwen3) {
  Edits e;
  e.drop_tensors = {"blk.1.attn_k_norm.weight"};
  EXPECT_LOAD_ERROR(write_model(temp_path("nonorm.gguf"), small_config(), e), "blk.1.attn_k_norm.weight", "missing");
}

TEST(ModelTensors, RejectsUnexpectedTensor) {
  Edits e;
  e.extra_tensors = {{"blk.0.attn_q.bias", {32}}};
  EXPECT_LOAD_ERROR(write_model(temp_path("extra.gguf"), small_config(), e), "blk.0.attn_q.bias", "unexpected");
}

TEST(ModelTensors, RejectsTypeQvkCannotComputeWith) {
  Edits e;
  e.types = {{"blk.0.ffn_up.weight", quant::Type::Q4_1}};
  EXPECT_LOAD_ERROR(write_model(temp_path("q41.gguf"), small_config(), e), "blk.0.ffn_up.weight", "unsupported",
                    "Q4_1");
}

TEST(ModelTensors, RejectsQuantizedNormWeight) {
  Edits e;
  e.types = {{"output_norm.weight", quant::Type::F16}};
  EXPECT_LOAD_ERROR(write_model(temp_path("f16norm.gguf"), small_config(), e), "output_norm.weight", "expected F32");
}

TEST(ModelVocab, RejectsTokenizerShorterThanEmbeddingRows) {
  Edits e;
  e.n_tokens = 30;
  e.set_keys = {{"tokenizer.ggml.eos_token_id", Value::u32(1)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("shortvocab.gguf"), small_config(), e), "tokenizer.ggml.tokens", "(40)",
                    "found 30");
}

TEST(ModelVocab, RejectsSpecialTokenIdOutOfRange) {
  Edits e;
  e.set_keys = {{"tokenizer.ggml.eos_token_id", Value::u32(40)}};
  EXPECT_LOAD_ERROR(write_model(temp_path("eos.gguf"), small_config(), e), "tokenizer.ggml.eos_token_id",
                    "below 40", "found 40");
}

TEST(ModelVocab, RejectsNonBpeTokenizer) {
  Edits e;
  e.set_keys = {{"tokenizer.ggml.model", Value::str("llama")}};
  EXPECT_LOAD_ERROR(write_model(temp_path("spm.gguf"), small_config(), e), "tokenizer.ggml.model", "gpt2");
}

}  // namespace
}  // namespace qvk
