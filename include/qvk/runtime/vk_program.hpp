// qvk/runtime/vk_program.hpp — the forward schedule (schedule.hpp) lowered to
// Vulkan dispatches: the Vulkan interpreter of the op list the CPU reference
// interprets. Nothing here knows the model's structure; it walks the list.
//
// Mapping (the decode program: one query row per step; docs/runtime.md has the
// table; with VkProgramOptions::rows > 1, the batched-prefill program, every op
// below runs over the step's rows and Gemm is ops::Gemm — docs/runtime.md,
// "Batched prefill"):
//   Embed     -> EmbedRow (token id read from a device word: replayable)
//   RmsNorm   -> RmsNorm; a directly preceding Add{acc, in} with acc == the
//                norm's input is fused into RmsNorm<.., AddResidual> (the same
//                add, then the same norm: identical bits, one dispatch less)
//   HeadNorm  -> RmsNorm(rows = heads, n = head_dim), written out of place
//   Gemm      -> QuantizeAct of the input (once per input and activation kind
//                while the input is unchanged) + Gemv of the weight's type.
//                Consecutive Gemms on one input (Q/K/V, gate/up) whose weights
//                share a type are one Gemv over the stacked weights, writing
//                their outputs side by side (each row computed as alone)
//   AddBias   -> Add<Broadcast>          Rope -> RopeNeox (position from a device word)
//   KvAppend  -> KvAppend (position from a device word)
//   Attention -> AttentionChunks + AttentionCombine, the attended count read
//                from the position word (Buffer form: the geometry covers the
//                whole cache, chunks past the position exit at once), or, with
//                attention_from_buffer = false, n_pos as a push constant and
//                the geometry cut to the chunks in use: then these two are the
//                step's only per-token commands
//   Add       -> Add (when not fused)
//   SwiGlu    -> SwiGlu; or, when every reader of its output takes Q8 blocks
//                (the next op starts a Gemm group on it whose weights all pair
//                with one activation kind, and no later op reads it before
//                it is written afresh), nothing here and QuantizeAct<..,
//                SwiGlu> ("swiglu+quantize") in place of the group's quantize:
//                the same bits, one dispatch less, and no f32 output at all
//   LmHead    -> RmsNorm (+ fused Add) + QuantizeAct + Gemv over the vocabulary
//
// Activations: every logical buffer (X, H, Q, ...) lives in a scratch region
// named after its role; the lowering tracks where each one is, so stacked
// outputs and out-of-place norms are renames, not copies. Reading a buffer whose
// region was overwritten since is a logic error found here, at lowering time.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "qvk/model/config.hpp"
#include "qvk/ops/add.hpp"
#include "qvk/ops/kv_append.hpp"
#include "qvk/ops/rmsnorm.hpp"
#include "qvk/ops/rope.hpp"
#include "qvk/ops/sample.hpp"
#include "qvk/ops/swiglu.hpp"
#include "qvk/runtime/schedule.hpp"
#include "qvk/runtime/vk_kernels.hpp"
#include "qvk/runtime/vk_scratch.hpp"
#include "qvk/runtime/vk_weights.hpp"
#include "qvk/vk/record.hpp"

namespace qvk::runtime {

// When a command runs: In (the step's inputs), Body (every step), LmHead (when
// logits or a token are wanted), Argmax (a greedy token), Sample (a top-k /
// top-p / min-p token), LogitsOut.
enum class VkPhase : std::uint8_t { In, Body, LmHead, Argmax, Sample, LogitsOut };

// What a command records besides its fixed bindings.
struct VkStepArgs {
  std::uint32_t n_pos = 0;     // positions attended: the step's position + 1 (per-token commands)
  ops::SampleProblem sample{};  // the Sample phase's settings (k = 0 when the step does not sample)
  std::uint32_t rows = 1;      // batched program: the step's token rows (<= VkProgramOptions::rows)
  vk::BufferRange logits_out;  // batched program: host-visible [rows][vocab] the LM head's rows are copied to
};

struct VkCommand {
  VkPhase phase = VkPhase::Body;
  bool per_token = false;  // records VkStepArgs values (re-recorded every step)
  std::string label;
  std::function<void(vk::Recorder&, VkCommandBuffer, const VkStepArgs&)> record;
};

struct VkProgramOptions {
  bool fuse_residual = true;          // Add + RmsNorm -> RmsNorm<.., AddResidual>
  bool fuse_swiglu_quantize = true;   // SwiGlu + QuantizeAct of its output -> QuantizeAct<.., SwiGlu> (no f32 reader)
  bool stack_gemms = true;            // same-type Gemms on one input -> one Gemv
  bool merge_rope = true;             // Q and K head norms side by side, their RoPEs as one dispatch
  bool int_dot = false;               // OpSDot GEMV variants
  bool attention_from_buffer = true;  // attention reads the position word (replayable)
  bool overlap_independent = true;    // independent neighbours (GEMVs of one input, Q/K head norms) without a barrier between
  // Rows of the program: 1 = the decode program (one token per step, GEMVs);
  // more = the batched-prefill program (up to `rows` consecutive tokens per
  // step, VkStepArgs::rows of them: GEMMs, multi-row norms/RoPE/KV appends,
  // multi-query attention; no stacking or RoPE merging, whose side-by-side
  // layouts are per row). Its LM head, when run, covers every row.
  std::uint32_t rows = 1;
  std::uint32_t lm_head_rows = 16;                   // batched LM head: rows per GEMM (bounds its logits region)
  std::uint64_t attention_partials_bytes = 64 << 20;  // batched attention: query rows per dispatch bounded by this
};

// The device buffers a program reads besides weights and activations.
struct VkProgramInputs {
  std::uint32_t kv_capacity = 0;                  // rows of each cache buffer (= context)
  std::vector<vk::BufferRange> k_cache, v_cache;  // per layer, f16 [capacity][kv_dim]
  vk::BufferRange rope_cos, rope_sin;             // [kv_capacity][head_dim/2]
  vk::BufferRange token;                          // word r: the token id of the step's row r
  vk::BufferRange position;                       // word 0: the step's (first row's) position
};

struct VkProgram {
  std::vector<VkCommand> commands;  // Body and LmHead phases, schedule order
  vk::BufferRange logits;           // LmHead's output [vocab] f32
};

class VkLowering {
 public:
  VkLowering(const model::Config& cfg, const VkProgramInputs& in, VkWeights& weights, VkScratch& scratch,
             const VkProgramOptions& opt, std::uint64_t offset_alignment)
      : cfg_(cfg), in_(in), weights_(weights), scratch_(scratch), opt_(opt), align_(offset_alignment) {
    if (opt_.rows == 0) throw std::invalid_argument("vulkan runtime: a program of 0 rows");
    if (opt_.lm_head_rows == 0) throw std::invalid_argument("vulkan runtime: lm_head_rows must be positive");
    if (opt_.rows > max_rows(cfg_, opt_.rows))
      throw std::invalid_argument("vulkan runtime: " + std::to_string(opt_.rows) +
                                  " rows exceed what the batched kernels take for this model (" +
                                  std::to_string(max_rows(cfg_, opt_.rows)) + ")");
    if (batched()) {
      opt_.stack_gemms = false;  // their outputs would interleave per row
      opt_.merge_rope = false;
      opt_.attention_from_buffer = true;
      // Commands address single rows of hidden and Q-sized buffers (embedding
      // rows, LM head and attention sub-batches) by binding offsets.
      for (const std::uint32_t w : {cfg_.hidden, cfg_.q_dim()})
        if ((4ull * w) % align_ != 0)
          throw std::invalid_argument("vulkan runtime: batched prefill needs rows of " + std::to_string(4ull * w) +
                                      " bytes aligned to the device's minStorageBufferOffsetAlignment " +
                                      std::to_string(align_));
    }
  }

  // The most rows (<= want) a batched program for cfg can take: every
  // multi-row dispatch of it must be valid() — the activation quantizations
  // over rows·width elements and the head norms over rows·heads rows bound it
  // (1,365 rows at the 8B shape, 655 at 32B). Every check grows with the rows,
  // so the largest that fits is found by bisection.
  static std::uint32_t max_rows(const model::Config& cfg, std::uint32_t want) {
    const std::uint32_t width = std::max({cfg.hidden, cfg.q_dim(), cfg.ffn});
    auto fits = [&](std::uint64_t r) {
      const auto n = [&](std::uint64_t w) { return std::uint32_t(std::min<std::uint64_t>(w * r, 0xffffffffu)); };
      return ops::QuantizeAct<32, vkk::kQuantizeWorkgroup>::valid({n(width)}) &&
             ops::QuantizeAct<256, vkk::kQuantizeWorkgroup>::valid({n(width) / 256 * 256}) &&
             ops::RmsNorm<vkk::kHeadNormWorkgroup>::valid({n(cfg.heads), cfg.head_dim, cfg.rms_eps}) &&
             ops::Add<vkk::kElementWorkgroup, false>::valid({std::uint32_t(r), width}) &&
             ops::SwiGlu<vkk::kElementWorkgroup>::valid({n(cfg.ffn)});
    };
    std::uint32_t lo = 1, hi = std::max<std::uint32_t>(want, 1);  // fits(lo) holds for every Qwen shape
    while (lo < hi) {
      const std::uint32_t mid = lo + (hi - lo + 1) / 2;
      if (fits(mid)) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  // Whether the device's offset alignment allows a batched program for cfg.
  static bool batch_alignment_ok(const model::Config& cfg, std::uint64_t offset_alignment) {
    return (4ull * cfg.hidden) % offset_alignment == 0 && (4ull * cfg.q_dim()) % offset_alignment == 0;
  }

  VkProgram lower(std::span<const Op> schedule) {
    ops_ = schedule;
    for (i_ = 0; i_ < ops_.size();) {
      const std::size_t before = i_;
      std::visit([&](const auto& o) { lower_op(o); }, ops_[i_]);
      if (i_ == before) ++i_;  // lower_op advances i_ itself only for groups
      if (swiglu_.active && i_ > swiglu_.op + 1)
        throw std::logic_error("vulkan runtime: a fused SwiGlu lost the quantized Gemm after it");
    }
    if (pending_.active) throw std::logic_error("vulkan runtime: a fused Add has no norm after it");
    if (swiglu_.active) throw std::logic_error("vulkan runtime: a fused SwiGlu has no Gemm after it");
    if (!program_.logits.buffer) throw std::logic_error("vulkan runtime: the schedule has no LmHead");
    return std::move(program_);
  }

 private:
  static constexpr std::size_t kBufs = std::size_t(Buf::Logits) + 1;
  static constexpr std::size_t kMaxGemmGroup = 8;

  struct Loc {
    vk::BufferRange range;
    std::size_t region = SIZE_MAX;
    bool valid = false;
    std::uint64_t version = 0;
  };
  struct ActCache {
    Buf buf = Buf::X;
    std::uint64_t version = 0;
    bool valid = false;
  };
  struct PendingAdd {
    Buf acc = Buf::X, in = Buf::X;
    bool active = false;
  };
  // A SwiGlu whose f32 output is never materialized: the Gemm group right
  // after it quantizes swiglu(g, u) directly (quantized() emits it).
  struct FusedSwiGlu {
    Buf gate = Buf::G, up = Buf::U, out = Buf::A;
    vk::BufferRange g, u;
    std::uint32_t n = 0;
    std::size_t op = 0;  // the SwiGlu's index in the schedule
    bool active = false;
  };

  static const char* name(Buf b) {
    static constexpr const char* kNames[] = {"X", "H", "Q", "K", "V", "Att", "O", "G", "U", "A", "Logits"};
    return kNames[std::size_t(b)];
  }
  std::uint32_t width(Buf b) const { return buf_width(b, cfg_); }
  bool batched() const { return opt_.rows > 1; }
  // Bytes of buffer b's region: `rows` rows.
  std::uint64_t row_bytes(Buf b) const { return 4ull * width(b) * opt_.rows; }
  std::string op_label() const { return "#" + std::to_string(i_) + " "; }  // the op's index in the schedule

  void emit(VkPhase phase, std::string label, std::function<void(vk::Recorder&, VkCommandBuffer, const VkStepArgs&)> f,
            bool per_token = false) {
    program_.commands.push_back({phase, per_token, std::move(label), std::move(f)});
  }
  // The command just emitted runs without record()'s barrier in front of it:
  // only for a command independent of every command since the last barrier
  // (here: the one directly before it, itself barriered; neither writes what
  // the other reads or writes), so that barrier orders both after earlier
  // work and the next one orders later work after both (vk::Unbarriered).
  // lavapipe runs dispatches one after another, so its tests cannot see a
  // wrong claim; the H100 runs (docs/perf.md) are the evidence.
  void unbarriered_last() {
    auto& f = program_.commands.back().record;
    f = [g = std::move(f)](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
      vk::Unbarriered u(rec);
      g(rec, cmd, a);
    };
    program_.commands.back().label += " (no barrier)";
  }

  // ---- where the logical buffers live
  vk::BufferRange read(Buf b) const {
    const Loc& l = loc_[std::size_t(b)];
    if (!l.valid)
      throw std::logic_error(std::string("vulkan runtime: the schedule reads buffer ") + name(b) +
                             " when it holds no value (never written, or its region was reused)");
    return l.range;
  }
  // Buffer b is written (in place or not): cached activation blocks of it are stale.
  void touched(Buf b) { loc_[std::size_t(b)].version = ++version_; }
  // b now lives at `range` of region `region`; every other buffer there is gone.
  void place(Buf b, std::size_t region, vk::BufferRange range, std::span<const Buf> also_written = {}) {
    for (std::size_t k = 0; k < kBufs; ++k) {
      if (Buf(k) == b || loc_[k].region != region) continue;
      bool kept = false;
      for (Buf w : also_written) kept |= w == Buf(k);
      if (!kept) loc_[k].valid = false;
    }
    loc_[std::size_t(b)] = {range, region, true, 0};
    touched(b);
  }
  VkScratch::Region fresh(Buf b, const std::string& role) {
    const VkScratch::Region r = scratch_.region(role + ":" + name(b), row_bytes(b));
    place(b, r.id, r.range);
    return r;
  }
  // A region for an out-of-place rewrite of b that is not where b is now.
  VkScratch::Region rewrite(Buf b, const std::string& role) {
    const Loc cur = loc_[std::size_t(b)];
    VkScratch::Region r = scratch_.region(role + ":" + name(b), row_bytes(b));
    if (r.id == cur.region) r = scratch_.region(role + "2:" + name(b), row_bytes(b));
    return r;
  }

  // ---- activation blocks for a quantized GEMV of input b
  vk::BufferRange act_region(ops::ActKind kind) {
    const std::uint64_t n = std::uint64_t(std::max({cfg_.hidden, cfg_.q_dim(), cfg_.ffn})) * opt_.rows;
    return scratch_.region(kind == ops::ActKind::Q8Act32 ? "act32" : "act256", vkk::act_bytes(kind, n)).range;
  }
  vk::BufferRange quantized(Buf b, ops::ActKind kind, VkPhase phase) {
    ActCache& c = act_[kind == ops::ActKind::Q8Act32 ? 0 : 1];
    const vk::BufferRange act = act_region(kind);
    if (c.valid && c.buf == b && c.version == loc_[std::size_t(b)].version) return act;
    if (swiglu_.active && swiglu_.out == b) {  // b is swiglu(g, u), computed here
      const FusedSwiGlu f = swiglu_;
      emit(phase, "#" + std::to_string(f.op) + " swiglu+quantize " + name(f.gate) + "," + name(f.up) + " -> " + name(b),
           [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
             vkk::record_swiglu_quantize(rec, cmd, kind, f.g, f.u, act, f.n * a.rows);
           });
      swiglu_.active = false;
      c = {b, loc_[std::size_t(b)].version, true};
      return act;
    }
    const vk::BufferRange x = read(b);
    const std::uint32_t n = width(b);
    emit(phase, op_label() + "quantize " + name(b), [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
      vkk::record_quantize(rec, cmd, kind, x, act, n * a.rows);
    });
    c = {b, loc_[std::size_t(b)].version, true};
    return act;
  }
  void forget_act(ops::ActKind kind) { act_[kind == ops::ActKind::Q8Act32 ? 0 : 1].valid = false; }

  // ---- ops
  void lower_op(const Embed& o) {
    const vk::BufferRange table = weights_.get(o.table), tok = in_.token;
    const auto y = fresh(o.out, "buf").range;
    const quant::Type t = o.table.type;
    const auto rows = std::uint32_t(o.table.rows), cols = std::uint32_t(o.table.cols);
    emit(VkPhase::Body, "embed " + vkk::type_name(t), [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
      // One dispatch per row (token word r, output row r); independent of each other.
      for (std::uint32_t r = 0; r < a.rows; ++r) {
        std::optional<vk::Unbarriered> free;
        if (r > 0) free.emplace(rec);
        vkk::record_embed(rec, cmd, t, table, tok, {y.buffer, y.offset + 4ull * cols * r, 4ull * cols}, rows, cols, r);
      }
    });
  }

  // The Add fused into the norm that follows, if any: returns its residual input.
  bool take_pending(Buf norm_in, Buf& residual) {
    if (!pending_.active) return false;
    if (pending_.acc != norm_in) throw std::logic_error("vulkan runtime: a fused Add lost its RmsNorm");
    residual = pending_.in;
    pending_.active = false;
    return true;
  }

  // y = rmsnorm(x [+ r]) with weight w over `n`; x is updated to x + r when fused.
  void norm(VkPhase phase, const std::string& label, Buf x_buf, vk::BufferRange y, const model::TensorView& weight) {
    const vk::BufferRange w = weights_.get(weight), x = read(x_buf);
    const std::uint32_t n = width(x_buf);
    const float eps = cfg_.rms_eps;
    Buf r_buf{};
    if (take_pending(x_buf, r_buf)) {
      const vk::BufferRange r = read(r_buf);
      touched(x_buf);
      emit(phase, op_label() + "add+" + label, [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
        vkk::record_hidden_norm<true>(rec, cmd, {x, r, w, y}, n, eps, a.rows);
      });
    } else {
      emit(phase, op_label() + label, [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
        vkk::record_hidden_norm<false>(rec, cmd, {x, w, y}, n, eps, a.rows);
      });
    }
  }

  void lower_op(const RmsNorm& o) {
    if (o.in == o.out) throw std::invalid_argument("vulkan runtime: in-place RmsNorm is not supported");
    // The output region must not hold the input (a norm never runs in place).
    const VkScratch::Region r = scratch_.region(std::string("buf:") + name(o.out), row_bytes(o.out));
    if (loc_[std::size_t(o.in)].region == r.id)
      throw std::logic_error("vulkan runtime: RmsNorm output aliases its input");
    norm(VkPhase::Body, "rmsnorm", o.in, r.range, o.weight);
    place(o.out, r.id, r.range);
  }

  void head_norm(const HeadNorm& o, vk::BufferRange x, vk::BufferRange y) {
    const vk::BufferRange w = weights_.get(o.weight);
    const std::uint32_t heads = o.heads, hd = cfg_.head_dim;
    const float eps = cfg_.rms_eps;
    emit(VkPhase::Body, op_label() + "head_norm " + name(o.buf),
         [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
           vk::record<ops::RmsNorm<vkk::kHeadNormWorkgroup>>(rec, cmd, {x, w, y}, {heads * a.rows, hd, eps});
         });
  }

  // Out of place (a norm never reads and writes one range). Two consecutive
  // head norms (Q, K) write side by side, so the RoPEs after them can be one.
  void lower_op(const HeadNorm& o) {
    const vk::BufferRange x = read(o.buf);
    const auto* next = i_ + 1 < ops_.size() ? std::get_if<HeadNorm>(&ops_[i_ + 1]) : nullptr;
    if (opt_.merge_rope && next && next->buf != o.buf && row_bytes(o.buf) % align_ == 0) {
      const vk::BufferRange x2 = read(next->buf);
      const std::uint64_t b1 = row_bytes(o.buf), b2 = row_bytes(next->buf);
      const VkScratch::Region r = scratch_.region(std::string("norm:") + name(o.buf) + "+" + name(next->buf), b1 + b2);
      if (r.id != loc_[std::size_t(o.buf)].region && r.id != loc_[std::size_t(next->buf)].region) {
        const vk::BufferRange y1{r.range.buffer, r.range.offset, b1}, y2{r.range.buffer, r.range.offset + b1, b2};
        head_norm(o, x, y1);
        ++i_;
        head_norm(*next, x2, y2);  // other input, other output: independent of the first
        if (opt_.overlap_independent) unbarriered_last();
        ++i_;
        const Buf both[2] = {o.buf, next->buf};
        place(o.buf, r.id, y1, both);
        place(next->buf, r.id, y2, both);
        return;
      }
    }
    const VkScratch::Region r = rewrite(o.buf, "norm");
    head_norm(o, x, r.range);
    place(o.buf, r.id, r.range);
  }

  void lower_op(const AddBias& o) {
    const vk::BufferRange x = read(o.buf), b = weights_.get(o.bias);
    const std::uint32_t n = width(o.buf);
    emit(VkPhase::Body, op_label() + "bias " + name(o.buf),
         [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
           vk::record<ops::Add<vkk::kElementWorkgroup, true>>(rec, cmd, {x, b}, {a.rows, n});
         });
    touched(o.buf);
  }

  // Consecutive RoPEs of buffers that lie side by side (Q and K after their
  // norms or in a stacked GEMV output) are one dispatch over all their heads:
  // the same rotation of every head at the same position.
  void lower_op(const Rope& o) {
    vk::BufferRange x = read(o.buf);
    std::uint32_t heads = o.heads;
    std::string what = name(o.buf);
    const auto* next = i_ + 1 < ops_.size() ? std::get_if<Rope>(&ops_[i_ + 1]) : nullptr;
    if (opt_.merge_rope && next && next->buf != o.buf) {
      const Loc& b = loc_[std::size_t(next->buf)];
      if (b.valid && b.range.buffer == x.buffer && x.bytes == row_bytes(o.buf) &&
          b.range.offset == x.offset + x.bytes && b.range.bytes == row_bytes(next->buf)) {
        x.bytes += b.range.bytes;
        heads += next->heads;
        what += std::string("+") + name(next->buf);
        touched(next->buf);
        ++i_;
      }
    }
    const vk::BufferRange c = in_.rope_cos, s = in_.rope_sin, p = in_.position;
    const std::uint32_t hd = cfg_.head_dim, table = in_.kv_capacity;
    emit(VkPhase::Body, op_label() + "rope " + what, [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
      vk::record<ops::RopeNeox<vkk::kRopeWorkgroup, ops::PositionFrom::Buffer>>(rec, cmd, {x, c, s, p},
                                                                                {a.rows, heads, hd, 0, table});
    });
    touched(o.buf);
    if (what.find('+') != std::string::npos) ++i_;  // both Ropes consumed
  }

  void lower_op(const KvAppend& o) {
    const vk::BufferRange k = read(o.k), v = read(o.v), kc = in_.k_cache.at(o.layer), vc = in_.v_cache.at(o.layer),
                          p = in_.position;
    const std::uint32_t kv_dim = cfg_.kv_dim(), cap = in_.kv_capacity;
    emit(VkPhase::Body, op_label() + "kv_append", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
      vk::record<ops::KvAppend<vkk::kKvWorkgroup, ops::PositionFrom::Buffer>>(rec, cmd, {k, v, kc, vc, p},
                                                                              {a.rows, kv_dim, 0, cap});
    });
  }

  void lower_op(const Attention& o) {
    const vk::BufferRange q = read(o.q), kc = in_.k_cache.at(o.layer), vc = in_.v_cache.at(o.layer);
    const std::uint32_t heads = cfg_.heads, kv_heads = cfg_.kv_heads, hd = cfg_.head_dim, cap = in_.kv_capacity;
    const std::uint64_t chunks = ops::attention_chunks(cap);
    // Query rows per dispatch pair: all of them, or as many as the partials budget holds.
    const std::uint64_t per_query = 4 * chunks * heads * (hd + 2);
    const auto qb = std::uint32_t(std::clamp<std::uint64_t>(opt_.attention_partials_bytes / per_query, 1, opt_.rows));
    const vk::BufferRange ml = scratch_.region("attn:ml", 4 * chunks * heads * 2 * qb).range;
    const vk::BufferRange po = scratch_.region("attn:o", 4 * chunks * heads * hd * qb).range;
    const vk::BufferRange out = fresh(o.out, "buf").range;
    if (batched()) {
      // Row r attends 1 + r + position[0] positions; sub-batches of qb rows
      // reuse the partials (each pair is barriered after the previous one).
      const vk::BufferRange p = in_.position;
      const std::uint64_t qrow = 4ull * heads * hd;
      emit(VkPhase::Body, op_label() + "attention", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
        for (std::uint32_t r0 = 0; r0 < a.rows; r0 += qb) {
          const std::uint32_t n = std::min(qb, a.rows - r0);
          vkk::record_attention(rec, cmd, hd, {heads, kv_heads, 1 + r0, cap, n}, {q.buffer, q.offset + qrow * r0, qrow * n},
                                kc, vc, ml, po, {out.buffer, out.offset + qrow * r0, qrow * n}, p);
        }
      });
      return;
    }
    if (opt_.attention_from_buffer) {
      // Attended count = 1 + position[0]; the geometry covers the whole cache.
      const vk::BufferRange p = in_.position;
      emit(VkPhase::Body, op_label() + "attention", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs&) {
        vkk::record_attention(rec, cmd, hd, {heads, kv_heads, 1, cap}, q, kc, vc, ml, po, out, p);
      });
      return;
    }
    // Per token: only the chunks holding positions are dispatched (the
    // geometry depends on `capacity`, which must cover n_pos; the bits do not).
    emit(
        VkPhase::Body, op_label() + "attention",
        [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
          const std::uint32_t c64 = std::uint32_t(ops::kAttnChunk);
          const std::uint32_t capacity = std::min(cap, (a.n_pos + c64 - 1) / c64 * c64);
          vkk::record_attention(rec, cmd, hd, {heads, kv_heads, a.n_pos, capacity}, q, kc, vc, ml, po, out, {});
        },
        /*per_token=*/true);
  }

  void lower_op(const Add& o) {
    const Op* next = i_ + 1 < ops_.size() ? &ops_[i_ + 1] : nullptr;
    bool fusable = false;
    if (opt_.fuse_residual && next && o.acc != o.in) {
      if (const auto* n = std::get_if<RmsNorm>(next)) fusable = n->in == o.acc && n->out != o.in;
      // Into the LmHead only as the schedule's last op: steps without outputs skip
      // the LmHead phase, and then nothing may read the un-added buffer.
      if (const auto* n = std::get_if<LmHead>(next)) fusable = n->in == o.acc && i_ + 2 == ops_.size();
    }
    if (fusable) {
      (void)read(o.acc);  // both must hold values now
      (void)read(o.in);
      pending_ = {o.acc, o.in, true};
      return;
    }
    const vk::BufferRange x = read(o.acc), y = read(o.in);
    const std::uint32_t n = width(o.acc);
    emit(VkPhase::Body, op_label() + "add", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
      vk::record<ops::Add<vkk::kElementWorkgroup, false>>(rec, cmd, {x, y}, {a.rows, n});
    });
    touched(o.acc);
  }

  // What an op does to buffer b: reads its value (in place or not), or writes
  // it afresh without reading it. One overload per op type, so a new op type
  // does not compile until it says.
  struct Access {
    bool reads = false, writes = false;
  };
  static Access access(const Op& op, Buf b) {
    struct Visitor {
      Buf b;
      Access operator()(const Embed& o) const { return {false, o.out == b}; }
      Access operator()(const RmsNorm& o) const { return {o.in == b, o.out == b}; }
      Access operator()(const HeadNorm& o) const { return {o.buf == b, false}; }
      Access operator()(const Gemm& o) const { return {o.in == b, o.out == b}; }
      Access operator()(const AddBias& o) const { return {o.buf == b, false}; }
      Access operator()(const Rope& o) const { return {o.buf == b, false}; }
      Access operator()(const KvAppend& o) const { return {o.k == b || o.v == b, false}; }
      Access operator()(const Attention& o) const { return {o.q == b, o.out == b}; }
      Access operator()(const Add& o) const { return {o.acc == b || o.in == b, false}; }
      Access operator()(const SwiGlu& o) const { return {o.gate == b || o.up == b, o.out == b}; }
      Access operator()(const LmHead& o) const { return {o.in == b, false}; }
    };
    return std::visit(Visitor{b}, op);
  }

  // True when the SwiGlu at i_ may skip its f32 output `out`: the next op
  // starts a Gemm group on `out` whose weights all take one Q8 activation kind
  // (so the group's first command is the one quantize, before any of its
  // GEMVs writes anything: g and u are read where the SwiGlu stood), and after
  // the group no op reads `out` before one writes it afresh or the schedule
  // ends. Any other schedule gets the plain SwiGlu.
  bool swiglu_fusable(Buf out) const {
    const std::size_t first = i_ + 1;
    const auto* g = first < ops_.size() ? std::get_if<Gemm>(&ops_[first]) : nullptr;
    if (!g || g->in != out || g->out == out) return false;
    const ops::ActKind kind = vkk::act_kind(g->weight.type);
    if (kind == ops::ActKind::Float) return false;
    const std::size_t end = gemm_group_end(first);
    for (std::size_t j = first; j < end; ++j)
      if (vkk::act_kind(std::get<Gemm>(ops_[j]).weight.type) != kind) return false;
    for (std::size_t j = end; j < ops_.size(); ++j) {
      const Access a = access(ops_[j], out);
      if (a.reads) return false;
      if (a.writes) return true;
    }
    return true;
  }

  void lower_op(const SwiGlu& o) {
    const vk::BufferRange g = read(o.gate), u = read(o.up);
    if (opt_.fuse_swiglu_quantize && swiglu_fusable(o.out)) {
      swiglu_ = {o.gate, o.up, o.out, g, u, width(o.out), i_, true};
      // out holds no f32 value anywhere (a read() of it is refused); its new
      // version keeps older activation blocks of it from being reused.
      loc_[std::size_t(o.out)] = Loc{};
      touched(o.out);
      return;
    }
    const VkScratch::Region r = scratch_.region(std::string("buf:") + name(o.out), row_bytes(o.out));
    if (r.id == loc_[std::size_t(o.gate)].region || r.id == loc_[std::size_t(o.up)].region)
      throw std::logic_error("vulkan runtime: SwiGlu output aliases an input");
    const std::uint32_t n = width(o.out);
    emit(VkPhase::Body, op_label() + "swiglu", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
      vk::record<ops::SwiGlu<vkk::kElementWorkgroup>>(rec, cmd, {g, u, r.range}, {n * a.rows});
    });
    place(o.out, r.id, r.range);
  }

  void lower_op(const LmHead& o) {
    if (batched()) return lm_head_rows(o);
    const VkScratch::Region hn = scratch_.region("lmhead:norm", 4ull * cfg_.hidden);
    norm(VkPhase::LmHead, "output_norm", o.in, hn.range, o.norm);
    const quant::Type t = o.weight.type;
    const ops::ActKind kind = vkk::act_kind(t);
    vk::BufferRange x = hn.range;
    if (kind != ops::ActKind::Float) {
      x = act_region(kind);
      const vk::BufferRange src = hn.range, act = x;
      const std::uint32_t n = cfg_.hidden;
      emit(VkPhase::LmHead, "lm_head quantize", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs&) {
        vkk::record_quantize(rec, cmd, kind, src, act, n);
      });
      forget_act(kind);
    }
    const vk::BufferRange w = weights_.get(o.weight);
    const vk::BufferRange y = scratch_.region("logits", 4ull * cfg_.vocab).range;
    const auto rows = std::uint32_t(o.weight.rows), cols = std::uint32_t(o.weight.cols);
    const bool dot = opt_.int_dot;
    emit(VkPhase::LmHead, "lm_head gemv " + vkk::type_name(t),
         [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs&) {
           vkk::record_gemv(rec, cmd, t, dot, w, x, y, rows, cols);
         });
    program_.logits = y;
  }

  // The batched program's LM head: the output norm of every row, then per
  // group of lm_head_rows rows their quantization, the GEMM over the
  // vocabulary and the copy of those logits rows to VkStepArgs::logits_out.
  void lm_head_rows(const LmHead& o) {
    const std::uint32_t H = cfg_.hidden, V = cfg_.vocab, L = std::min(opt_.lm_head_rows, opt_.rows);
    const VkScratch::Region hn = scratch_.region("lmhead:norm", row_bytes(Buf::X));
    norm(VkPhase::LmHead, "output_norm", o.in, hn.range, o.norm);
    const quant::Type t = o.weight.type;
    const ops::ActKind kind = vkk::act_kind(t);
    const vk::BufferRange act = kind == ops::ActKind::Float ? vk::BufferRange{} : act_region(kind);
    if (kind != ops::ActKind::Float) forget_act(kind);
    const vk::BufferRange w = weights_.get(o.weight), h = hn.range;
    const vk::BufferRange y = scratch_.region("logits", 4ull * V * L).range;
    const auto rows = std::uint32_t(o.weight.rows), cols = std::uint32_t(o.weight.cols);
    const bool dot = opt_.int_dot;
    emit(VkPhase::LmHead, "lm_head gemm " + vkk::type_name(t),
         [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
           if (!a.logits_out.buffer) throw std::logic_error("vulkan runtime: batched LM head without logits_out");
           const auto& fn = rec.device().fn();
           for (std::uint32_t r0 = 0; r0 < a.rows; r0 += L) {
             const std::uint32_t n = std::min(L, a.rows - r0);
             const vk::BufferRange x{h.buffer, h.offset + 4ull * H * r0, 4ull * H * n};
             if (kind != ops::ActKind::Float) vkk::record_quantize(rec, cmd, kind, x, act, H * n);
             vkk::record_gemm(rec, cmd, t, dot, w, kind == ops::ActKind::Float ? x : act, y, rows, cols, n);
             vk::full_barrier(rec.device(), cmd);  // the GEMM's writes, before the copy reads them
             const VkBufferCopy c{y.offset, a.logits_out.offset + 4ull * V * r0, 4ull * V * n};
             fn.vkCmdCopyBuffer(cmd, y.buffer, a.logits_out.buffer, 1, &c);
             vk::full_barrier(rec.device(), cmd);  // the copy, before the next group's GEMM overwrites y
           }
         });
    program_.logits = y;
  }

  // The end (exclusive) of the group of Gemms starting at `first`: the Gemms
  // right after it on the same input, up to kMaxGemmGroup, none writing the
  // input or an output of an earlier member.
  std::size_t gemm_group_end(std::size_t first) const {
    const Gemm& f = std::get<Gemm>(ops_[first]);
    std::size_t j = first + 1;
    for (; j < ops_.size() && j - first < kMaxGemmGroup; ++j) {
      const auto* g = std::get_if<Gemm>(&ops_[j]);
      if (!g || g->in != f.in || g->out == f.in) break;
      bool clash = false;
      for (std::size_t k = first; k < j; ++k) clash |= std::get<Gemm>(ops_[k]).out == g->out;
      if (clash) break;
    }
    return j;
  }

  // A run of Gemms on one input (as the CPU's gemm_multi groups them); members
  // of one weight type become one stacked Gemv when their outputs can sit side
  // by side at aligned offsets.
  void lower_op(const Gemm&) {
    const auto& first = std::get<Gemm>(ops_[i_]);
    if (first.in == first.out) throw std::invalid_argument("vulkan runtime: in-place Gemm is not supported");
    std::vector<Gemm> group;
    for (std::size_t j = i_, end = gemm_group_end(i_); j < end; ++j) group.push_back(std::get<Gemm>(ops_[j]));
    i_ += group.size();
    group_gemv_ = SIZE_MAX;  // no GEMV of this group emitted yet
    std::vector<bool> done(group.size(), false);
    for (std::size_t a = 0; a < group.size(); ++a) {
      if (done[a]) continue;
      std::vector<Gemm> part{group[a]};
      done[a] = true;
      if (opt_.stack_gemms)
        for (std::size_t b = a + 1; b < group.size(); ++b)
          if (!done[b] && group[b].weight.type == group[a].weight.type) {
            part.push_back(group[b]);
            done[b] = true;
          }
      if (part.size() > 1 && !stackable(part)) {
        for (std::size_t k = 1; k < part.size(); ++k)
          for (std::size_t b = 0; b < group.size(); ++b)
            if (group[b].out == part[k].out) done[b] = false;
        part.resize(1);
      }
      gemv(part);
    }
  }

  bool stackable(const std::vector<Gemm>& part) const {
    std::uint64_t offset = 0, bytes = 0;
    for (const Gemm& g : part) {
      if (offset % align_ != 0) return false;
      offset += row_bytes(g.out);
      bytes += g.weight.rows * g.weight.row_bytes();
    }
    return bytes + 15 <= weights_.max_range();
  }

  void gemv(const std::vector<Gemm>& part) {
    const Gemm& g0 = part[0];
    const quant::Type t = g0.weight.type;
    const ops::ActKind kind = vkk::act_kind(t);
    const vk::BufferRange x = kind == ops::ActKind::Float ? read(g0.in) : quantized(g0.in, kind, VkPhase::Body);
    std::vector<const model::TensorView*> ws;
    std::string outs;
    std::uint64_t total = 0;
    std::uint32_t rows = 0;
    for (const Gemm& g : part) {
      ws.push_back(&g.weight);
      outs += (outs.empty() ? "" : "+") + std::string(name(g.out));
      total += row_bytes(g.out);
      if (g.weight.rows != width(g.out) || g.weight.cols != width(g.in))
        throw std::logic_error(std::string("vulkan runtime: Gemm weight shape does not match ") + name(g.in) + " -> " +
                               name(g.out));
      rows += std::uint32_t(g.weight.rows);
    }
    const vk::BufferRange w = weights_.stacked(ws);
    const VkScratch::Region r = scratch_.region(part.size() > 1 ? "gemm:" + outs : "buf:" + outs, total);
    if (loc_[std::size_t(g0.in)].region == r.id)
      throw std::logic_error("vulkan runtime: Gemm output aliases its input");
    const auto cols = std::uint32_t(g0.weight.cols);
    const bool dot = opt_.int_dot;
    const vk::BufferRange y = r.range;
    // A GEMV right after another of its group (no quantize between them)
    // reads the same activations and writes another region: independent.
    const bool follows_sibling = group_gemv_ != SIZE_MAX && group_gemv_ + 1 == program_.commands.size();
    if (batched())
      emit(VkPhase::Body, op_label() + "gemm " + vkk::type_name(t) + " -> " + outs,
           [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
             vkk::record_gemm(rec, cmd, t, dot, w, x, y, rows, cols, a.rows);
           });
    else
      emit(VkPhase::Body, op_label() + "gemv " + vkk::type_name(t) + " -> " + outs,
           [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs&) {
             vkk::record_gemv(rec, cmd, t, dot, w, x, y, rows, cols);
           });
    if (follows_sibling && opt_.overlap_independent) unbarriered_last();
    group_gemv_ = program_.commands.size() - 1;
    std::vector<Buf> written;
    for (const Gemm& g : part) written.push_back(g.out);
    std::uint64_t offset = 0;
    for (const Gemm& g : part) {
      place(g.out, r.id, {y.buffer, y.offset + offset, row_bytes(g.out)}, written);
      offset += row_bytes(g.out);
    }
  }

  const model::Config& cfg_;
  const VkProgramInputs& in_;
  VkWeights& weights_;
  VkScratch& scratch_;
  VkProgramOptions opt_;
  std::uint64_t align_;
  std::span<const Op> ops_;
  std::size_t i_ = 0;
  std::array<Loc, kBufs> loc_{};
  std::array<ActCache, 2> act_{};
  PendingAdd pending_;
  FusedSwiGlu swiglu_;
  std::size_t group_gemv_ = SIZE_MAX;  // index of the current Gemm group's last GEMV command
  std::uint64_t version_ = 0;
  VkProgram program_;
};

}  // namespace qvk::runtime
