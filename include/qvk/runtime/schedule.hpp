// qvk/runtime/schedule.hpp — the Qwen forward pass as a list of ops.
//
// One schedule, two interpreters: the CPU reference (reference/…/interpreter)
// executes it op by op in the canonical arithmetic, and the Vulkan runtime
// (issue #5) records the same list as dispatches. Neither backend hand-writes
// the model; both walk this list, so they cannot drift apart.
//
// Activations live in named buffers of T rows (one per position of the batch);
// an op reads and writes whole rows. Row widths come from the config:
//   X, H, O: hidden   Q, Att: heads·head_dim   K, V: kv_heads·head_dim
//   G, U, A: ffn      Logits: vocab (only the rows the caller asked for)
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "qvk/model/config.hpp"
#include "qvk/model/weights.hpp"

namespace qvk::runtime {

enum class Buf : std::uint8_t { X, H, Q, K, V, Att, O, G, U, A, Logits };

inline std::uint32_t buf_width(Buf b, const model::Config& c) {
  switch (b) {
    case Buf::X: case Buf::H: case Buf::O: return c.hidden;
    case Buf::Q: case Buf::Att: return c.q_dim();
    case Buf::K: case Buf::V: return c.kv_dim();
    case Buf::G: case Buf::U: case Buf::A: return c.ffn;
    case Buf::Logits: return c.vocab;
  }
  return 0;
}

struct Embed { Buf out; model::TensorView table; };                 // out = dequantized rows of the tokens
struct RmsNorm { Buf in, out; model::TensorView weight; };          // per row over its full width
struct HeadNorm { Buf buf; model::TensorView weight; std::uint32_t heads; };  // RMSNorm per head_dim slice
struct Gemm { Buf in, out; model::TensorView weight; };             // out = W · in, per row
struct AddBias { Buf buf; model::TensorView bias; };
struct Rope { Buf buf; std::uint32_t heads; };                      // NeoX, at each row's position
struct KvAppend { std::uint32_t layer; Buf k, v; };                 // cache[layer][pos] = f16(k), f16(v)
struct Attention { std::uint32_t layer; Buf q, out; };              // causal over cache positions 0..pos
struct Add { Buf acc, in; };                                        // acc += in
struct SwiGlu { Buf gate, up, out; };
struct LmHead { Buf in; model::TensorView norm, weight; };          // Logits = W · rmsnorm(in) for selected rows

using Op = std::variant<Embed, RmsNorm, HeadNorm, Gemm, AddBias, Rope, KvAppend, Attention, Add, SwiGlu, LmHead>;

inline std::vector<Op> forward_schedule(const model::Config& c, const model::Weights& w) {
  std::vector<Op> s;
  s.push_back(Embed{Buf::X, w.token_embd});
  for (std::uint32_t il = 0; il < c.layers; ++il) {
    const model::LayerWeights& L = w.layers[il];
    s.push_back(RmsNorm{Buf::X, Buf::H, L.attn_norm});
    s.push_back(Gemm{Buf::H, Buf::Q, L.wq});
    s.push_back(Gemm{Buf::H, Buf::K, L.wk});
    s.push_back(Gemm{Buf::H, Buf::V, L.wv});
    if (c.qkv_bias()) {
      s.push_back(AddBias{Buf::Q, L.bq});
      s.push_back(AddBias{Buf::K, L.bk});
      s.push_back(AddBias{Buf::V, L.bv});
    }
    if (c.qk_norm()) {
      s.push_back(HeadNorm{Buf::Q, L.q_norm, c.heads});
      s.push_back(HeadNorm{Buf::K, L.k_norm, c.kv_heads});
    }
    s.push_back(Rope{Buf::Q, c.heads});
    s.push_back(Rope{Buf::K, c.kv_heads});
    s.push_back(KvAppend{il, Buf::K, Buf::V});
    s.push_back(Attention{il, Buf::Q, Buf::Att});
    s.push_back(Gemm{Buf::Att, Buf::O, L.wo});
    s.push_back(Add{Buf::X, Buf::O});
    s.push_back(RmsNorm{Buf::X, Buf::H, L.ffn_norm});
    s.push_back(Gemm{Buf::H, Buf::G, L.gate});
    s.push_back(Gemm{Buf::H, Buf::U, L.up});
    s.push_back(SwiGlu{Buf::G, Buf::U, Buf::A});
    s.push_back(Gemm{Buf::A, Buf::O, L.down});
    s.push_back(Add{Buf::X, Buf::O});
  }
  s.push_back(LmHead{Buf::X, w.output_norm, w.lm_head});
  return s;
}

}  // namespace qvk::runtime
