// qvk/model/config.hpp — a dense Qwen model's hyper-parameters, read from GGUF
// metadata and checked for sense before any weight is touched.
//
// Keys follow llama.cpp's convention `<arch>.<name>` (e.g. `qwen3.block_count`).
// Nonsense is an error naming the key: head counts of 0 or that do not divide,
// non-positive or non-finite eps / rope base, odd head dims (RoPE pairs),
// layer counts beyond any sane limit. `tied_embeddings` is not metadata: it is
// the absence of `output.weight`, decided by `read_config` from the tensor list.
#pragma once

#include <cstdint>
#include <string>

#include "qvk/gguf/file.hpp"
#include "qvk/model/arch.hpp"
#include "qvk/model/metadata.hpp"

namespace qvk::model {

enum class RopeScalingType { None, Linear, Yarn };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::None;
  float factor = 1.0f;                      // context extension factor
  std::uint32_t original_context = 0;       // training context before extension
};

struct Config {
  Arch arch = Arch::Qwen3;
  std::uint32_t hidden = 0;          // embedding_length
  std::uint32_t layers = 0;          // block_count
  std::uint32_t heads = 0;           // attention.head_count
  std::uint32_t kv_heads = 0;        // attention.head_count_kv
  std::uint32_t head_dim = 0;        // attention.key_length (default hidden / heads)
  std::uint32_t ffn = 0;             // feed_forward_length
  std::uint32_t vocab = 0;           // rows of token_embd.weight
  std::uint32_t context_length = 0;  // context_length
  float rms_eps = 1e-6f;             // attention.layer_norm_rms_epsilon
  float rope_base = 10000.0f;        // rope.freq_base
  RopeScaling rope_scaling;
  bool tied_embeddings = true;       // no output.weight: the LM head is token_embd

  bool qkv_bias() const { return has_qkv_bias(arch); }
  bool qk_norm() const { return has_qk_norm(arch); }
  std::uint32_t q_dim() const { return heads * head_dim; }
  std::uint32_t kv_dim() const { return kv_heads * head_dim; }
};

// Sanity limits: far beyond any Qwen model, small enough that products of them
// cannot overflow 64 bits and a typo is caught before a huge allocation.
inline constexpr std::uint32_t kMaxLayers = 1024;
inline constexpr std::uint32_t kMaxHidden = 1u << 17;
inline constexpr std::uint32_t kMaxHeads = 1024;
inline constexpr std::uint32_t kMaxHeadDim = 1024;
inline constexpr std::uint32_t kMaxFfn = 1u << 19;
inline constexpr std::uint32_t kMaxVocab = 1u << 22;
inline constexpr std::uint32_t kMaxContext = 1u << 24;

// Throws gguf::Error naming the file and the key or tensor at fault.
inline Config read_config(const gguf::File& f) {
  const std::string arch_str = *read_string(f, "general.architecture", true);
  const ArchName* found = nullptr;
  for (const ArchName& a : kArchNames)
    if (a.name == arch_str) found = &a;
  if (!found)
    throw gguf::Error(f.path(), "general.architecture",
                      "expected one of qwen2, qwen3, found unknown architecture '" + arch_str + "'");
  if (!found->arch)
    throw gguf::Error(f.path(), "general.architecture",
                      "architecture '" + arch_str + "' is recognized but not supported yet (supported: qwen2, qwen3)");

  Config c;
  c.arch = *found->arch;
  const std::string p = arch_str + ".";
  auto u32 = [&](const std::string& key, bool required, std::uint32_t max) -> std::uint32_t {
    auto v = read_uint(f, p + key, required, max);
    return v ? static_cast<std::uint32_t>(*v) : 0u;
  };
  auto nonzero = [&](const std::string& key, std::uint32_t v) {
    if (v == 0) throw gguf::Error(f.path(), p + key, "expected a value > 0, found 0");
    return v;
  };
  c.hidden = nonzero("embedding_length", u32("embedding_length", true, kMaxHidden));
  c.layers = nonzero("block_count", u32("block_count", true, kMaxLayers));
  c.heads = nonzero("attention.head_count", u32("attention.head_count", true, kMaxHeads));
  c.kv_heads = read_uint(f, p + "attention.head_count_kv", false, kMaxHeads)
                   ? nonzero("attention.head_count_kv", u32("attention.head_count_kv", false, kMaxHeads))
                   : c.heads;
  c.ffn = nonzero("feed_forward_length", u32("feed_forward_length", true, kMaxFfn));
  c.context_length = nonzero("context_length", u32("context_length", true, kMaxContext));
  c.rms_eps = *read_positive_float(f, p + "attention.layer_norm_rms_epsilon", true);
  if (auto base = read_positive_float(f, p + "rope.freq_base", false)) c.rope_base = *base;

  if (c.heads % c.kv_heads != 0)
    throw gguf::Error(f.path(), p + "attention.head_count_kv",
                      "expected a divisor of head_count " + std::to_string(c.heads) + ", found " +
                          std::to_string(c.kv_heads));
  if (auto kl = read_uint(f, p + "attention.key_length", false, kMaxHeadDim)) {
    c.head_dim = nonzero("attention.key_length", static_cast<std::uint32_t>(*kl));
  } else {
    if (c.hidden % c.heads != 0)
      throw gguf::Error(f.path(), p + "attention.head_count",
                        "without attention.key_length, expected a divisor of embedding_length " +
                            std::to_string(c.hidden) + ", found " + std::to_string(c.heads));
    c.head_dim = c.hidden / c.heads;
  }
  if (auto vl = read_uint(f, p + "attention.value_length", false, kMaxHeadDim); vl && *vl != c.head_dim)
    throw gguf::Error(f.path(), p + "attention.value_length",
                      "expected equal to key_length " + std::to_string(c.head_dim) + ", found " + std::to_string(*vl));
  if (c.head_dim % 2 != 0 || c.head_dim > kMaxHeadDim)
    throw gguf::Error(f.path(), p + "attention.key_length",
                      "expected an even head dimension (RoPE rotates pairs) of at most " +
                          std::to_string(kMaxHeadDim) + ", found " + std::to_string(c.head_dim));

  if (auto type = read_string(f, p + "rope.scaling.type", false); type && *type != "none") {
    if (*type == "yarn") c.rope_scaling.type = RopeScalingType::Yarn;
    else if (*type == "linear") c.rope_scaling.type = RopeScalingType::Linear;
    else
      throw gguf::Error(f.path(), p + "rope.scaling.type", "expected none, linear or yarn, found '" + *type + "'");
    c.rope_scaling.factor = *read_positive_float(f, p + "rope.scaling.factor", true);
    if (c.rope_scaling.type == RopeScalingType::Yarn)
      c.rope_scaling.original_context = nonzero(
          "rope.scaling.original_context_length", u32("rope.scaling.original_context_length", true, kMaxContext));
  }

  // Vocabulary size and head tying come from the tensors, which the file has validated.
  const gguf::TensorInfo* embd = f.tensor("token_embd.weight");
  if (!embd) throw gguf::Error(f.path(), "tensor 'token_embd.weight'", "required tensor is missing");
  if (embd->dims.size() != 2)
    throw gguf::Error(f.path(), "tensor 'token_embd.weight'",
                      "expected 2 dims [hidden, vocab], found " + embd->shape_string());
  if (embd->dims[1] == 0 || embd->dims[1] > kMaxVocab)
    throw gguf::Error(f.path(), "tensor 'token_embd.weight'",
                      "expected 1.." + std::to_string(kMaxVocab) + " rows, found " + embd->shape_string());
  c.vocab = static_cast<std::uint32_t>(embd->dims[1]);
  c.tied_embeddings = f.tensor("output.weight") == nullptr;
  return c;
}

}  // namespace qvk::model
