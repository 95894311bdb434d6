// qvk/model/weights.hpp — typed views of a validated model's tensors, by role.
//
// Nothing is copied or dequantized: each view points into the file mapping.
// The CPU reference reads these directly; the GPU runtime uploads the same
// bytes. A matrix is `rows` rows of `cols` elements in GGML order (dims[0] =
// cols), i.e. y[r] = Σ_c W[r][c]·x[c].
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qvk/model/model_file.hpp"
#include "qvk/model/tensor_specs.hpp"
#include "qvk/quant/type.hpp"

namespace qvk::model {

struct TensorView {
  quant::Type type = quant::Type::F32;
  const std::byte* data = nullptr;
  std::uint64_t cols = 0;  // elements per row (dims[0])
  std::uint64_t rows = 0;  // product of the other dims (1 for vectors)
  std::uint64_t row_bytes() const {
    const auto i = quant::info(type);
    return cols / i.block_elems * i.block_bytes;
  }
  const std::byte* row(std::uint64_t r) const { return data + r * row_bytes(); }
  explicit operator bool() const { return data != nullptr; }
};

struct LayerWeights {
  TensorView attn_norm, wq, wk, wv, bq, bk, bv, q_norm, k_norm, wo, ffn_norm, gate, up, down;
};

struct Weights {
  TensorView token_embd, output_norm, lm_head;  // lm_head is token_embd when tied
  std::vector<LayerWeights> layers;
};

inline Weights map_weights(const ModelFile& m) {
  Weights w;
  w.layers.resize(m.config.layers);
  for (const TensorSpec& s : tensor_specs(m.config)) {
    const gguf::TensorInfo* t = m.file.tensor(s.name);  // present: check_tensors ran
    TensorView v{t->type, m.file.data(*t).data(), t->dims[0], t->dims.size() > 1 ? t->dims[1] : 1};
    LayerWeights* l = s.layer >= 0 ? &w.layers[static_cast<std::size_t>(s.layer)] : nullptr;
    switch (s.role) {
      case Role::TokenEmbd: w.token_embd = v; break;
      case Role::Output: w.lm_head = v; break;
      case Role::OutputNorm: w.output_norm = v; break;
      case Role::AttnNorm: l->attn_norm = v; break;
      case Role::AttnQ: l->wq = v; break;
      case Role::AttnK: l->wk = v; break;
      case Role::AttnV: l->wv = v; break;
      case Role::AttnQBias: l->bq = v; break;
      case Role::AttnKBias: l->bk = v; break;
      case Role::AttnVBias: l->bv = v; break;
      case Role::AttnQNorm: l->q_norm = v; break;
      case Role::AttnKNorm: l->k_norm = v; break;
      case Role::AttnOutput: l->wo = v; break;
      case Role::FfnNorm: l->ffn_norm = v; break;
      case Role::FfnGate: l->gate = v; break;
      case Role::FfnUp: l->up = v; break;
      case Role::FfnDown: l->down = v; break;
    }
  }
  if (m.config.tied_embeddings) w.lm_head = w.token_embd;
  return w;
}

}  // namespace qvk::model
