// qvk/ref/forward.hpp — the Qwen2/Qwen3 forward pass on the CPU: the reference
// interpreter that defines the bits, and the CPU backend of example_generate.
//
// eval(tokens, pos0) runs T consecutive tokens. Every per-position value is
// computed exactly as for a single token (the T vectors only share passes over
// the weights), so logits do not depend on how a prompt is chunked.
// Weights stay quantized in the file mapping; memory ≈ file + KV cache + scratch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "qvk/model/model_file.hpp"
#include "qvk/model/weights.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/ops/rope_table.hpp"
#include "qvk/ref/gemm.hpp"
#include "qvk/ref/ops.hpp"
#include "qvk/ref/thread_pool.hpp"

namespace qvk::ref {

// Row-major activations: one row per token position in the batch.
using Rows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class Forward {
 public:
  Forward(const model::ModelFile& m, std::uint32_t n_ctx, unsigned n_threads)
      : cfg_(m.config), w_(model::map_weights(m)), rope_(ops::make_rope_table(cfg_, n_ctx)), n_ctx_(n_ctx),
        pool_(n_threads), kv_(cfg_.layers) {
    if (n_ctx == 0) throw std::invalid_argument("context size must be > 0");
    const std::size_t per_layer = std::size_t(n_ctx) * cfg_.kv_dim();
    for (auto& l : kv_) {
      l.k.assign(per_layer, 0);
      l.v.assign(per_layer, 0);
    }
  }

  const model::Config& config() const { return cfg_; }
  std::uint32_t n_ctx() const { return n_ctx_; }
  std::size_t kv_bytes() const { return kv_.size() * 2 * kv_.front().k.size() * sizeof(std::uint16_t); }

  // Runs tokens at positions pos0..pos0+T-1 and writes logits: for every
  // position (T × vocab) if `all_logits`, else for the last one only (vocab).
  void eval(std::span<const std::int32_t> tokens, std::uint32_t pos0, bool all_logits, std::vector<float>& logits) {
    const std::size_t T = tokens.size();
    if (T == 0) throw std::invalid_argument("eval: no tokens");
    if (std::size_t(pos0) + T > n_ctx_)
      throw std::out_of_range("eval: positions " + std::to_string(pos0) + ".." + std::to_string(pos0 + T - 1) +
                              " exceed the context of " + std::to_string(n_ctx_));
    const std::size_t H = cfg_.hidden, QD = cfg_.q_dim(), KD = cfg_.kv_dim(), F = cfg_.ffn, hd = cfg_.head_dim;
    Rows x(T, H), h(T, H), q(T, QD), k(T, KD), v(T, KD), att(T, QD), o(T, H), g(T, F), u(T, F), a(T, F);

    for (std::size_t t = 0; t < T; ++t) {  // [T, hidden]
      if (tokens[t] < 0 || std::uint64_t(tokens[t]) >= cfg_.vocab)
        throw std::out_of_range("eval: token id " + std::to_string(tokens[t]) + " outside the vocabulary of " +
                                std::to_string(cfg_.vocab));
      embed(w_.token_embd, tokens[t], x.row(t).data());
    }
    for (std::uint32_t il = 0; il < cfg_.layers; ++il) {
      const model::LayerWeights& L = w_.layers[il];
      per_token(T, [&](std::size_t t) { rmsnorm(x.row(t).data(), f32_data(L.attn_norm), H, cfg_.rms_eps, h.row(t).data()); });
      // q: [T, heads·head_dim]; k, v: [T, kv_heads·head_dim]
      gemm_multi(std::array{&L.wq, &L.wk, &L.wv}, h.data(), T, std::array{q.data(), k.data(), v.data()}, pool_);
      per_token(T, [&](std::size_t t) {
        const std::uint32_t pos = pos0 + std::uint32_t(t);
        if (cfg_.qkv_bias()) {
          add_bias(q.row(t).data(), L.bq);
          add_bias(k.row(t).data(), L.bk);
          add_bias(v.row(t).data(), L.bv);
        }
        if (cfg_.qk_norm()) {
          for (std::size_t hh = 0; hh < cfg_.heads; ++hh)
            rmsnorm(q.row(t).data() + hh * hd, f32_data(L.q_norm), hd, cfg_.rms_eps, q.row(t).data() + hh * hd);
          for (std::size_t hh = 0; hh < cfg_.kv_heads; ++hh)
            rmsnorm(k.row(t).data() + hh * hd, f32_data(L.k_norm), hd, cfg_.rms_eps, k.row(t).data() + hh * hd);
        }
        rope_neox(q.row(t).data(), cfg_.heads, hd, rope_.cos_row(pos), rope_.sin_row(pos));
        rope_neox(k.row(t).data(), cfg_.kv_heads, hd, rope_.cos_row(pos), rope_.sin_row(pos));
        to_f16(k.row(t).data(), kv_[il].k.data() + std::size_t(pos) * KD, KD);  // append rotated K and V as f16
        to_f16(v.row(t).data(), kv_[il].v.data() + std::size_t(pos) * KD, KD);
      });
      // causal: position p sees 0..p. Work items are (position, head); one head's output
      // does not depend on the others, so any split gives the same bits.
      const std::size_t nh = cfg_.heads;
      pool_.parallel_for(T * nh, 1, [&](std::size_t i0, std::size_t i1) {
        for (std::size_t i = i0; i < i1;) {
          const std::size_t t = i / nh, head = i % nh, h_end = std::min(nh, head + (i1 - i));
          attention(q.row(t).data(), kv_[il], pos0 + t + 1, nh, cfg_.kv_heads, hd, att.row(t).data(), head, h_end);
          i += h_end - head;
        }
      });
      gemm(L.wo, att.data(), T, o.data(), pool_);  // [T, hidden]
      per_token(T, [&](std::size_t t) {
        add_inplace(x.row(t).data(), o.row(t).data(), H);
        rmsnorm(x.row(t).data(), f32_data(L.ffn_norm), H, cfg_.rms_eps, h.row(t).data());
      });
      gemm_multi(std::array{&L.gate, &L.up}, h.data(), T, std::array{g.data(), u.data()}, pool_);  // [T, ffn]
      pool_.parallel_for(T * F, 512, [&](std::size_t i0, std::size_t i1) {  // element-wise: any split
        swiglu(g.data() + i0, u.data() + i0, a.data() + i0, i1 - i0);
      });
      gemm(L.down, a.data(), T, o.data(), pool_);  // [T, hidden]
      pool_.parallel_for(T * H, 512, [&](std::size_t i0, std::size_t i1) {
        add_inplace(x.data() + i0, o.data() + i0, i1 - i0);
      });
    }
    const std::size_t first = all_logits ? 0 : T - 1, n_out = T - first;
    Rows hn(n_out, H);
    for (std::size_t t = first; t < T; ++t)
      rmsnorm(x.row(t).data(), f32_data(w_.output_norm), H, cfg_.rms_eps, hn.row(t - first).data());
    logits.resize(n_out * cfg_.vocab);
    gemm(w_.lm_head, hn.data(), n_out, logits.data(), pool_);  // [n_out, vocab]
  }

 private:
  // fn(t) for every position, positions split across the pool (each one's values are
  // computed alone, so the split does not matter).
  template <class Fn>
  void per_token(std::size_t T, const Fn& fn) {
    pool_.parallel_for(T, 4, [&](std::size_t t0, std::size_t t1) {
      for (std::size_t t = t0; t < t1; ++t) fn(t);
    });
  }

  model::Config cfg_;
  model::Weights w_;
  ops::RopeTable rope_;
  std::uint32_t n_ctx_;
  ThreadPool pool_;
  std::vector<KvLayer> kv_;
};

}  // namespace qvk::ref
