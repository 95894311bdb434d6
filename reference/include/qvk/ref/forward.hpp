// qvk/ref/forward.hpp — the Qwen2/Qwen3 forward pass on the CPU: the reference
// interpreter that defines the bits, and the CPU backend of example_generate.
//
// An interpreter of the op list in qvk/runtime/schedule.hpp — the same list the
// Vulkan runtime records — not a hand-written model: eval() walks the schedule
// grouped into passes (steps.hpp) and runs each op with the reference functions
// of ops.hpp / gemm.hpp.
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
#include <variant>
#include <vector>

#include <Eigen/Core>

#include "qvk/model/model_file.hpp"
#include "qvk/model/weights.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/ops/rope_table.hpp"
#include "qvk/ref/gemm.hpp"
#include "qvk/ref/ops.hpp"
#include "qvk/ref/steps.hpp"
#include "qvk/runtime/eval_batch.hpp"
#include "qvk/runtime/schedule.hpp"
#include "qvk/ref/thread_pool.hpp"

namespace qvk::ref {

// Row-major activations: one row per token position in the batch.
using Rows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class Forward {
 public:
  Forward(const model::ModelFile& m, std::uint32_t n_ctx, unsigned n_threads)
      : cfg_(m.config), w_(model::map_weights(m)), rope_(ops::make_rope_table(cfg_, n_ctx)), n_ctx_(n_ctx),
        pool_(n_threads), kv_(cfg_.layers), schedule_(checked(runtime::forward_schedule(cfg_, w_))),
        steps_(group_steps(schedule_)) {
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

  // The op list this interpreter runs (qvk/runtime/schedule.hpp) and how it
  // groups it into passes (steps.hpp).
  std::span<const runtime::Op> schedule() const { return schedule_; }
  std::span<const Step> steps() const { return steps_; }

  // Runs tokens at positions pos0..pos0+T-1 and writes logits: for every
  // position (T × vocab) if `all_logits`, else for the last one only (vocab).
  void eval(std::span<const std::int32_t> tokens, std::uint32_t pos0, bool all_logits, std::vector<float>& logits) {
    runtime::check_eval_batch(tokens, pos0, n_ctx_, cfg_.vocab);
    const std::size_t T = tokens.size();
    for (std::size_t b = 0; b < kRowBuffers; ++b) bufs_[b].resize(Eigen::Index(T), buf_width(runtime::Buf(b), cfg_));
    Batch batch{tokens, pos0, all_logits ? 0 : T - 1, &logits};
    for (const Step& st : steps_) run_step(st, batch);
  }

 private:
  static constexpr std::size_t kRowBuffers = std::size_t(runtime::Buf::Logits);  // X..A; logits go to the caller

  struct Batch {
    std::span<const std::int32_t> tokens;
    std::uint32_t pos0;
    std::size_t first_logit_row;  // LmHead evaluates rows first_logit_row..T-1
    std::vector<float>* logits;
    std::size_t size() const { return tokens.size(); }
  };

  float* row(runtime::Buf b, std::size_t t) { return bufs_[std::size_t(b)].row(Eigen::Index(t)).data(); }
  float* data(runtime::Buf b) { return bufs_[std::size_t(b)].data(); }

  void run_step(const Step& st, const Batch& batch) {
    const std::span<const runtime::Op> ops(schedule_.data() + st.begin, st.end - st.begin);
    const std::size_t T = batch.size();
    switch (st.kind) {
      case StepKind::Embed: {
        const auto& e = std::get<runtime::Embed>(ops[0]);
        for (std::size_t t = 0; t < T; ++t) embed(e.table, batch.tokens[t], row(e.out, t));
        break;
      }
      case StepKind::RowLocal:
        // Positions split across the pool; each row's values are computed alone.
        pool_.parallel_for(T, 4, [&](std::size_t t0, std::size_t t1) {
          for (std::size_t t = t0; t < t1; ++t)
            for (const runtime::Op& op : ops) std::visit([&](const auto& o) { row_op(o, t, batch.pos0 + std::uint32_t(t)); }, op);
        });
        break;
      case StepKind::Gemms: {
        std::array<const model::TensorView*, kMaxGemmGroup> ws{};
        std::array<float*, kMaxGemmGroup> ys{};
        for (std::size_t i = 0; i < ops.size(); ++i) {
          const auto& g = std::get<runtime::Gemm>(ops[i]);
          ws[i] = &g.weight;
          ys[i] = data(g.out);
        }
        const auto in = std::get<runtime::Gemm>(ops[0]).in;
        if (ops.size() == 1)
          gemm(*ws[0], data(in), T, ys[0], pool_);
        else
          gemm_multi(std::span(ws.data(), ops.size()), data(in), T, std::span(ys.data(), ops.size()), pool_);
        break;
      }
      case StepKind::Attention: {
        const auto& a = std::get<runtime::Attention>(ops[0]);
        // Causal: position p sees 0..p. Work items are (position, head); one head's
        // output does not depend on the others, so any split gives the same bits.
        const std::size_t nh = cfg_.heads;
        pool_.parallel_for(T * nh, 1, [&](std::size_t i0, std::size_t i1) {
          for (std::size_t i = i0; i < i1;) {
            const std::size_t t = i / nh, head = i % nh, h_end = std::min(nh, head + (i1 - i));
            attention(row(a.q, t), kv_[a.layer], batch.pos0 + t + 1, nh, cfg_.kv_heads, cfg_.head_dim, row(a.out, t),
                      head, h_end);
            i += h_end - head;
          }
        });
        break;
      }
      case StepKind::LmHead: {
        const auto& l = std::get<runtime::LmHead>(ops[0]);
        const std::size_t first = batch.first_logit_row, n_out = T - first, H = cfg_.hidden;
        hn_.resize(Eigen::Index(n_out), Eigen::Index(H));
        for (std::size_t t = first; t < T; ++t)
          rmsnorm(row(l.in, t), f32_data(l.norm), H, cfg_.rms_eps, hn_.row(Eigen::Index(t - first)).data());
        batch.logits->resize(n_out * cfg_.vocab);
        gemm(l.weight, hn_.data(), n_out, batch.logits->data(), pool_);  // [n_out, vocab]
        break;
      }
    }
  }

  // The row-local ops on row t (position pos).
  void row_op(const runtime::RmsNorm& o, std::size_t t, std::uint32_t) {
    rmsnorm(row(o.in, t), f32_data(o.weight), buf_width(o.in, cfg_), cfg_.rms_eps, row(o.out, t));
  }
  void row_op(const runtime::HeadNorm& o, std::size_t t, std::uint32_t) {
    const std::size_t hd = cfg_.head_dim;
    float* x = row(o.buf, t);
    for (std::size_t h = 0; h < o.heads; ++h) rmsnorm(x + h * hd, f32_data(o.weight), hd, cfg_.rms_eps, x + h * hd);
  }
  void row_op(const runtime::AddBias& o, std::size_t t, std::uint32_t) { add_bias(row(o.buf, t), o.bias); }
  void row_op(const runtime::Rope& o, std::size_t t, std::uint32_t pos) {
    rope_neox(row(o.buf, t), o.heads, cfg_.head_dim, rope_.cos_row(pos), rope_.sin_row(pos));
  }
  void row_op(const runtime::KvAppend& o, std::size_t t, std::uint32_t pos) {  // rotated K and V as f16
    const std::size_t KD = cfg_.kv_dim();
    to_f16(row(o.k, t), kv_[o.layer].k.data() + std::size_t(pos) * KD, KD);
    to_f16(row(o.v, t), kv_[o.layer].v.data() + std::size_t(pos) * KD, KD);
  }
  void row_op(const runtime::Add& o, std::size_t t, std::uint32_t) {
    add_inplace(row(o.acc, t), row(o.in, t), buf_width(o.acc, cfg_));
  }
  void row_op(const runtime::SwiGlu& o, std::size_t t, std::uint32_t) {
    swiglu(row(o.gate, t), row(o.up, t), row(o.out, t), buf_width(o.out, cfg_));
  }
  template <class Other>
  [[noreturn]] void row_op(const Other&, std::size_t, std::uint32_t) {
    throw std::logic_error("reference interpreter: op is not row-local");  // group_steps never does this
  }

  // The interpreter's preconditions on the schedule, checked once.
  static std::vector<runtime::Op> checked(std::vector<runtime::Op> s) {
    for (const runtime::Op& op : s)
      if (const auto* g = std::get_if<runtime::Gemm>(&op); g && g->in == g->out)
        throw std::invalid_argument("reference interpreter: in-place Gemm is not supported");
    return s;
  }

  model::Config cfg_;
  model::Weights w_;
  ops::RopeTable rope_;
  std::uint32_t n_ctx_;
  ThreadPool pool_;
  std::vector<KvLayer> kv_;
  std::vector<runtime::Op> schedule_;
  std::vector<Step> steps_;
  std::array<Rows, kRowBuffers> bufs_;
  Rows hn_;
};

}  // namespace qvk::ref
