// qvk/model/tensor_specs.hpp — the tensors a dense Qwen model must have, with
// their shapes: the one list that the model writer emits, the loader checks
// and the forward pass reads. Dims are in GGML order (dims[0] = row length).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qvk/model/config.hpp"

namespace qvk::model {

// What a tensor is for; the quantization recipe and the forward pass key on it.
enum class Role {
  TokenEmbd, Output, OutputNorm, AttnNorm, AttnQ, AttnK, AttnV, AttnQBias, AttnKBias, AttnVBias,
  AttnOutput, AttnQNorm, AttnKNorm, FfnNorm, FfnGate, FfnUp, FfnDown,
};

struct TensorSpec {
  std::string name;
  Role role;
  int layer;                          // -1 for tensors outside the blocks
  std::vector<std::uint64_t> dims;    // GGML order
  bool is_matrix() const { return dims.size() == 2; }
};

inline std::vector<TensorSpec> tensor_specs(const Config& c) {
  using D = std::vector<std::uint64_t>;
  std::vector<TensorSpec> t;
  t.push_back({"token_embd.weight", Role::TokenEmbd, -1, D{c.hidden, c.vocab}});
  for (std::uint32_t il = 0; il < c.layers; ++il) {
    const int l = static_cast<int>(il);
    const std::string b = "blk." + std::to_string(il) + ".";
    t.push_back({b + "attn_norm.weight", Role::AttnNorm, l, D{c.hidden}});
    t.push_back({b + "attn_q.weight", Role::AttnQ, l, D{c.hidden, c.q_dim()}});
    t.push_back({b + "attn_k.weight", Role::AttnK, l, D{c.hidden, c.kv_dim()}});
    t.push_back({b + "attn_v.weight", Role::AttnV, l, D{c.hidden, c.kv_dim()}});
    if (c.qkv_bias()) {
      t.push_back({b + "attn_q.bias", Role::AttnQBias, l, D{c.q_dim()}});
      t.push_back({b + "attn_k.bias", Role::AttnKBias, l, D{c.kv_dim()}});
      t.push_back({b + "attn_v.bias", Role::AttnVBias, l, D{c.kv_dim()}});
    }
    if (c.qk_norm()) {
      t.push_back({b + "attn_q_norm.weight", Role::AttnQNorm, l, D{c.head_dim}});
      t.push_back({b + "attn_k_norm.weight", Role::AttnKNorm, l, D{c.head_dim}});
    }
    t.push_back({b + "attn_output.weight", Role::AttnOutput, l, D{c.q_dim(), c.hidden}});
    t.push_back({b + "ffn_norm.weight", Role::FfnNorm, l, D{c.hidden}});
    t.push_back({b + "ffn_gate.weight", Role::FfnGate, l, D{c.hidden, c.ffn}});
    t.push_back({b + "ffn_up.weight", Role::FfnUp, l, D{c.hidden, c.ffn}});
    t.push_back({b + "ffn_down.weight", Role::FfnDown, l, D{c.ffn, c.hidden}});
  }
  t.push_back({"output_norm.weight", Role::OutputNorm, -1, D{c.hidden}});
  if (!c.tied_embeddings) t.push_back({"output.weight", Role::Output, -1, D{c.hidden, c.vocab}});
  return t;
}

}  // namespace qvk::model
