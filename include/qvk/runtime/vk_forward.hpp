// qvk/runtime/vk_forward.hpp — the Qwen2/Qwen3 forward pass on a Vulkan
// device: the Vulkan interpreter of runtime::forward_schedule, with the
// interface of the CPU reference (ref::Forward) and its bits.
//
// Construction uploads every weight as stored (vk_weights.hpp), allocates the
// f16 KV cache ([n_ctx][kv_dim] per layer and K/V, the reference's layout) and
// the RoPE tables, and lowers the schedule to commands (vk_program.hpp).
//
// A step is one token at one position: the host writes (token, position) into
// a staging buffer, and ONE vkQueueSubmit runs the whole step: copy them into
// device words, every dispatch of the schedule, and (when asked) the LM head,
// the token pick and the copies back. Nothing returns to the host inside a
// step. The pick is the sampler's (runtime::sample_token) on the GPU: the greedy
// argmax, or top-k -> top-p / min-p / temperature draw (ops::TopKPartial,
// TopKMerge, SampleCandidates) with the step's draw u written beside the token,
// so only the id comes back. With prefill_chunk = 1 a prompt runs as such
// steps, token by token; otherwise batched (below). The logits of a position do
// not depend on that (the reference is batch-invariant), so they equal
// ref::Forward's bit for bit however the caller chunks its eval() calls.
//
// Batched prefill (VkForwardOptions::prefill_chunk > 1, the default): an
// eval() of several tokens runs them through a second program lowered for
// up to prefill_chunk rows — GEMMs instead of GEMVs (ops/gemm.hpp: each column
// the GEMV's bits), every row-wise op over all rows, multi-query causal
// attention (row r attends pos0 + r + 1 positions, computed as a decode step
// would) — one submit per chunk of prefill_chunk tokens. The tokens whose
// logits are not wanted go through it; the last token goes through the decode
// step when a pick or only its logits are wanted (with every position's logits
// and no pick, the batched LM head computes them all). The logits are the same
// bits either way (the chunk-invariance tests hold it).
//
// Replay (the default): the token and the position are read from device
// words (EmbedRow, RopeNeox, KvAppend and attention in their Buffer forms), so
// a step's command buffer does not depend on the token or the position: it is
// recorded ONCE per set of outputs (none / logits / token pick / both) and
// resubmitted every step. Attention's geometry then covers the whole cache
// (chunks past the position exit at once). VkForwardOptions::replay = false
// records every step afresh instead, with attention's n_pos as a push
// constant and only the chunks in use dispatched; the command buffer of the
// likely next step is recorded while the GPU runs the current one. Same
// commands otherwise, same bits.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/model/model_file.hpp"
#include "qvk/model/weights.hpp"
#include "qvk/ops/argmax.hpp"
#include "qvk/ops/rope_table.hpp"
#include "qvk/ops/sample.hpp"
#include "qvk/ops/topk.hpp"
#include "qvk/runtime/eval_batch.hpp"
#include "qvk/runtime/sampler.hpp"
#include "qvk/runtime/schedule.hpp"
#include "qvk/runtime/vk_kernels.hpp"
#include "qvk/runtime/vk_program.hpp"
#include "qvk/runtime/vk_scratch.hpp"
#include "qvk/runtime/vk_weights.hpp"
#include "qvk/vk/buffer.hpp"
#include "qvk/vk/device.hpp"
#include "qvk/vk/error.hpp"
#include "qvk/vk/pipeline_cache.hpp"
#include "qvk/vk/record.hpp"
#include "qvk/vk/timestamps.hpp"

namespace qvk::runtime {

struct VkForwardOptions {
  enum class IntDot { Auto, On, Off };
  bool replay = true;                    // record a step once and resubmit it (see above); false: per token
  bool fuse_residual = true;             // Add + RmsNorm as one RmsNorm<.., AddResidual> dispatch
  bool fuse_swiglu_quantize = true;      // SwiGLU + the down GEMV's quantize as one QuantizeAct<.., SwiGlu> dispatch
  bool stack_gemms = true;               // same-type Q/K/V (gate/up) GEMVs as one dispatch
  bool merge_rope = true;                // the Q and K RoPEs as one dispatch
  bool overlap_independent = true;       // no barrier between independent neighbours (GEMVs of one input, Q/K norms)
  IntDot int_dot = IntDot::Auto;         // Auto: the OpSDot GEMVs where packed int8 dot is accelerated
  std::uint32_t prefill_chunk = 256;     // tokens per batched prefill submit; 1: token by token (decode steps)
  std::uint64_t prefill_attention_bytes = 64ull << 20;  // batched attention partials: bounds query rows per dispatch
  std::filesystem::path pipeline_cache;  // optional VkPipelineCache file
};

class VkForward {
 public:
  VkForward(const model::ModelFile& m, std::uint32_t n_ctx, vk::Device& device, VkForwardOptions options = {})
      : dev_(device),
        opt_(options),
        pipelines_(device, options.pipeline_cache),
        rec_(device, pipelines_),
        cfg_(m.config),
        w_(model::map_weights(m)),
        n_ctx_(n_ctx),
        weights_(device, storage_offset_alignment(device)),
        scratch_(device) {
    if (n_ctx == 0) throw std::invalid_argument("context size must be > 0");
    check_device();
    upload_constants();
    lower(runtime::forward_schedule(cfg_, w_));
    if (VkLowering::max_rows(cfg_, std::min(opt_.prefill_chunk, n_ctx_)) > 1 && VkLowering::batch_alignment_ok(cfg_, align_))
      lower_batched(runtime::forward_schedule(cfg_, w_));
    recorded_.reserve(kRecordedMax);
    // Pipelines are created as commands are recorded: record the usual steps
    // (prefill without logits, greedy, logits) now, so loading pays the compiles.
    for (const auto& [logits, argmax] : {std::pair{false, false}, std::pair{false, true}, std::pair{true, false}})
      recorded(key_for(0, logits, argmax, {}), VK_NULL_HANDLE);
    auto fi = vk::make_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    vk::check(dev_.fn().vkCreateFence(dev_.handle(), &fi, nullptr, &fence_), "vkCreateFence");
  }
  VkForward(const VkForward&) = delete;
  VkForward& operator=(const VkForward&) = delete;
  ~VkForward() {
    const auto& fn = dev_.fn();
    fn.vkQueueWaitIdle(dev_.queue());
    std::vector<VkCommandBuffer> all;
    for (const Recorded& r : recorded_) all.push_back(r.cb);
    if (!all.empty())
      fn.vkFreeCommandBuffers(dev_.handle(), dev_.command_pool(), std::uint32_t(all.size()), all.data());
    if (batch_cb_) fn.vkFreeCommandBuffers(dev_.handle(), dev_.command_pool(), 1, &batch_cb_);
    if (fence_) fn.vkDestroyFence(dev_.handle(), fence_, nullptr);
  }

  const model::Config& config() const { return cfg_; }
  std::uint32_t n_ctx() const { return n_ctx_; }
  const vk::Device& device() const { return dev_; }

  // Device memory: weights as stored, the f16 KV cache, and everything else
  // (activations, RoPE tables, argmax words, the host-visible staging buffer).
  std::uint64_t weight_bytes() const { return weights_.bytes(); }
  std::uint64_t kv_bytes() const { return kv_bytes_; }
  std::uint64_t scratch_bytes() const {
    return scratch_.bytes() + constant_bytes_ + (batch_scratch_ ? batch_scratch_->bytes() : 0) + batch_staging_.size() +
           batch_tokens_.size() + logits_all_.size();
  }
  // Rows of a batched prefill submit: prefill_chunk, at most the context and what
  // the kernels take for the model (VkLowering::max_rows); 0: prefill runs token
  // by token (prefill_chunk 1, a context of 1, or rows the device's offset
  // alignment cannot address, docs/runtime.md).
  std::uint32_t prefill_rows() const { return batch_rows_; }

  // The lowered program (In, Body, LmHead, Argmax, LogitsOut commands), the
  // dispatches of the last step run (for a greedy decode step: the whole
  // model, the LM head and the two argmax passes) and the command buffers
  // recorded so far (replay: one per set of outputs, whatever the step count).
  std::span<const VkCommand> commands() const { return commands_; }
  std::uint64_t last_step_dispatches() const { return last_step_dispatches_; }
  std::uint64_t recordings() const { return recordings_; }

  // As ref::Forward::eval: tokens at positions pos0..pos0+T-1; logits of every
  // position (T × vocab) if all_logits, else of the last one (vocab).
  void eval(std::span<const std::int32_t> tokens, std::uint32_t pos0, bool all_logits, std::vector<float>& logits) {
    check_batch(tokens, pos0);
    run(tokens, pos0, all_logits, &logits, nullptr, {}, 0.0f);
  }

  // Whether eval_sample() draws for `config` on the GPU: greedy, or top-k
  // keeping 1..ops::kTopKMaxK candidates. top_k = 0 (the whole vocabulary) or
  // above kTopKMaxK stays with the host's Sampler (logits copied back).
  bool samples_on_device(const SampleConfig& config) const {
    return config.greedy ||
           (config.top_k >= 1 && std::min<std::uint64_t>(config.top_k, cfg_.vocab) <= ops::kTopKMaxK);
  }

  // eval() whose last position also draws the next token on the GPU:
  // runtime::sample_token(its logits, config, u) bit for bit (greedy: the
  // argmax; u unused). Only that id comes back unless `logits` is given (then
  // filled exactly as eval() fills it). Throws std::invalid_argument when
  // !samples_on_device(config) or u is outside [0, 1).
  std::int32_t eval_sample(std::span<const std::int32_t> tokens, std::uint32_t pos0, bool all_logits,
                           std::vector<float>* logits, const SampleConfig& config, float u) {
    check_batch(tokens, pos0);
    if (!samples_on_device(config))
      throw std::invalid_argument("eval_sample: top_k " + std::to_string(config.top_k) +
                                  " is not sampled on the GPU (greedy or 1.." + std::to_string(ops::kTopKMaxK) +
                                  " candidates); sample the logits on the host");
    if (!(u >= 0.0f && u < 1.0f)) throw std::invalid_argument("eval_sample: draw u must be in [0, 1)");
    ops::SampleProblem sample{};
    if (!config.greedy) {
      sample = {std::min(config.top_k, cfg_.vocab), config.top_p, config.min_p, config.inv_temp};
      if (!ops::SampleCandidates<vkk::kSampleWorkgroup>::valid(sample))
        throw std::invalid_argument("eval_sample: sampler settings out of range (make them with make_sample_config)");
    }
    std::int32_t id = -1;
    run(tokens, pos0, all_logits, logits, &id, sample, u);
    return id;
  }

  // eval_sample() with the greedy pick (runtime::greedy_token of the last logits).
  std::int32_t eval_greedy(std::span<const std::int32_t> tokens, std::uint32_t pos0, bool all_logits,
                           std::vector<float>* logits) {
    SampleConfig greedy;
    greedy.greedy = true;
    return eval_sample(tokens, pos0, all_logits, logits, greedy, 0.0f);
  }

  // One batched prefill submit of `tokens` at pos0.. recorded alone with a
  // timestamp around every dispatch (profiling; the KV rows are written as by
  // eval). Requires prefill_rows() >= tokens.size() >= 1.
  std::vector<vk::OpTime> profile_prefill(std::span<const std::int32_t> tokens, std::uint32_t pos0) {
    check_batch(tokens, pos0);
    if (tokens.size() > batch_rows_)
      throw std::invalid_argument("profile_prefill: " + std::to_string(tokens.size()) + " tokens, batched prefill takes " +
                                  std::to_string(batch_rows_));
    vk::Timestamps ts(dev_, 16384);
    rec_.set_timestamps(&ts);
    try {
      batch_step(tokens, pos0, nullptr, &ts);
    } catch (...) {
      rec_.set_timestamps(nullptr);
      throw;
    }
    rec_.set_timestamps(nullptr);
    return ts.results();
  }

  // One step recorded alone with a timestamp around every dispatch (for
  // profiling: the KV row of `pos` is written as by a normal step). Returns
  // the GPU time of each dispatch, in order: a greedy decode step's work.
  std::vector<vk::OpTime> profile_step(std::int32_t token, std::uint32_t pos) {
    check_batch(std::span<const std::int32_t>(&token, 1), pos);
    write_inputs(token, pos, 0.0f);
    vk::Timestamps ts(dev_, 4096);
    rec_.set_timestamps(&ts);
    try {
      vk::submit_and_wait(dev_, [&](VkCommandBuffer cmd) {
        ts.reset(cmd);
        for (const VkCommand& c : commands_)
          if (c.phase != VkPhase::LogitsOut && c.phase != VkPhase::Sample) c.record(rec_, cmd, VkStepArgs{pos + 1, {}, 1, {}});
      });
    } catch (...) {
      rec_.set_timestamps(nullptr);
      throw;
    }
    rec_.set_timestamps(nullptr);
    return ts.results();
  }

 private:
  // ---- construction
  static std::uint64_t storage_offset_alignment(const vk::Device& d) {
    return std::max<std::uint64_t>(4, d.features().min_storage_buffer_offset_alignment);
  }

  void check_device() {
    const vk::DeviceFeatures& f = dev_.features();
    if (f.max_workgroup_invocations < 256)
      throw vk::Error("device '" + f.name + "' allows " + std::to_string(f.max_workgroup_invocations) +
                      " invocations per workgroup; the runtime needs 256");
    if (!vkk::attention_head_dim_supported(cfg_.head_dim))
      throw std::invalid_argument("vulkan runtime: head_dim " + std::to_string(cfg_.head_dim) +
                                  " has no attention kernel (64, 128 or 256)");
    if (cfg_.heads % cfg_.kv_heads != 0 || cfg_.heads / cfg_.kv_heads > vkk::kAttnMaxGroup)
      throw std::invalid_argument("vulkan runtime: " + std::to_string(cfg_.heads / cfg_.kv_heads) +
                                  " query heads per kv head (the attention kernel takes up to " +
                                  std::to_string(vkk::kAttnMaxGroup) + ")");
    const std::uint32_t shared = cfg_.head_dim == 64 ? ops::AttentionChunks<64, 128, vkk::kAttnMaxGroup>::kSharedBytes
                                 : cfg_.head_dim == 128
                                     ? std::max(ops::AttentionChunks<128, 128, vkk::kAttnMaxGroup>::kSharedBytes,
                                                ops::AttentionRows<>::kSharedBytes)  // decode and prefill
                                     : ops::AttentionChunks<256, 128, vkk::kAttnMaxGroup>::kSharedBytes;
    if (f.max_shared_memory < shared)
      throw vk::Error("device '" + f.name + "' has " + std::to_string(f.max_shared_memory) +
                      " bytes of shared memory; attention at head_dim " + std::to_string(cfg_.head_dim) + " needs " +
                      std::to_string(shared));
    int_dot_ = opt_.int_dot == VkForwardOptions::IntDot::On ||
               (opt_.int_dot == VkForwardOptions::IntDot::Auto && f.int8_packed_dot_accelerated);
    if (int_dot_ && !f.integer_dot_product)
      throw vk::Error("device '" + f.name + "' lacks shaderIntegerDotProduct (asked for the OpSDot GEMVs)");
    align_ = storage_offset_alignment(dev_);
  }

  void upload_constants() {
    const std::uint64_t kv_layer = std::uint64_t(n_ctx_) * cfg_.kv_dim() * 2;
    if (kv_layer > dev_.features().max_storage_buffer_range)
      throw vk::Error("a KV-cache layer of " + std::to_string(kv_layer) + " bytes (context " + std::to_string(n_ctx_) +
                      ") exceeds the device's maxStorageBufferRange of " +
                      std::to_string(dev_.features().max_storage_buffer_range));
    for (std::uint32_t l = 0; l < cfg_.layers; ++l) {
      kv_k_.emplace_back(dev_, kv_layer);
      kv_v_.emplace_back(dev_, kv_layer);
    }
    kv_bytes_ = 2ull * cfg_.layers * kv_layer;
    const ops::RopeTable rope = ops::make_rope_table(cfg_, n_ctx_);
    rope_cos_ = vk::Buffer(dev_, rope.cos.size() * 4);
    rope_sin_ = vk::Buffer(dev_, rope.sin.size() * 4);
    vk::upload(dev_, rope_cos_, std::span<const float>(rope.cos));
    vk::upload(dev_, rope_sin_, std::span<const float>(rope.sin));
    token_ = vk::Buffer(dev_, 16);
    position_ = vk::Buffer(dev_, 16);
    argmax_out_ = vk::Buffer(dev_, 16);
    argmax_partial_ = vk::Buffer(dev_, 8ull * ops::argmax_partials(cfg_.vocab));
    draw_ = vk::Buffer(dev_, 16);
    topk_partial_ = vk::Buffer(dev_, 8ull * ops::kTopKMaxK * ops::topk_partials(cfg_.vocab));
    topk_values_ = vk::Buffer(dev_, 4ull * ops::kTopKMaxK);
    topk_ids_ = vk::Buffer(dev_, 4ull * ops::kTopKMaxK);
    staging_ = vk::Buffer(dev_, kStagingLogits + 4ull * cfg_.vocab, vk::Buffer::Kind::Staging);
    constant_bytes_ = rope_cos_.size() + rope_sin_.size() + token_.size() + position_.size() + argmax_out_.size() +
                      argmax_partial_.size() + draw_.size() + topk_partial_.size() + topk_values_.size() +
                      topk_ids_.size() + staging_.size();
  }

  // What both programs read besides weights and activations; `token` holds their token words.
  VkProgramInputs program_inputs(const vk::Buffer& token) const {
    VkProgramInputs in;
    in.kv_capacity = n_ctx_;
    for (std::uint32_t l = 0; l < cfg_.layers; ++l) {
      in.k_cache.push_back(vk::whole(kv_k_[l]));
      in.v_cache.push_back(vk::whole(kv_v_[l]));
    }
    in.rope_cos = vk::whole(rope_cos_);
    in.rope_sin = vk::whole(rope_sin_);
    in.token = vk::whole(token);
    in.position = vk::whole(position_);
    return in;
  }

  // The lowering choices of VkForwardOptions (the batched program overrides what it cannot use).
  VkProgramOptions program_options() const {
    VkProgramOptions po;
    po.fuse_residual = opt_.fuse_residual;
    po.fuse_swiglu_quantize = opt_.fuse_swiglu_quantize;
    po.stack_gemms = opt_.stack_gemms;
    po.merge_rope = opt_.merge_rope;
    po.int_dot = int_dot_;
    po.attention_from_buffer = opt_.replay;
    po.overlap_independent = opt_.overlap_independent;
    return po;
  }

  void lower(const std::vector<Op>& schedule) {
    const VkProgramInputs in = program_inputs(token_);
    VkProgram p = VkLowering(cfg_, in, weights_, scratch_, program_options(), align_).lower(schedule);
    logits_ = p.logits;

    const VkBuffer staging = staging_.handle(), tok = token_.handle(), pos = position_.handle(), draw = draw_.handle();
    const vk::Device* d = &dev_;
    commands_.push_back({VkPhase::In, false, "inputs", [=](vk::Recorder&, VkCommandBuffer cmd, const VkStepArgs&) {
                           vk::full_barrier(*d, cmd);  // the previous step's reads of these words are done
                           const VkBufferCopy t{kStagingToken, 0, 4}, q{kStagingPosition, 0, 4}, u{kStagingDraw, 0, 4};
                           d->fn().vkCmdCopyBuffer(cmd, staging, tok, 1, &t);
                           d->fn().vkCmdCopyBuffer(cmd, staging, pos, 1, &q);
                           d->fn().vkCmdCopyBuffer(cmd, staging, draw, 1, &u);
                         }});
    for (VkCommand& c : p.commands) {
      per_token_ |= c.per_token;
      commands_.push_back(std::move(c));
    }
    const vk::BufferRange logits = logits_, partial = vk::whole(argmax_partial_), out = vk::whole(argmax_out_);
    const VkBuffer out_buf = argmax_out_.handle();
    const std::uint32_t vocab = cfg_.vocab;
    commands_.push_back(
        {VkPhase::Argmax, false, "argmax", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs&) {
           vk::record<ops::ArgmaxPartial<vkk::kArgmaxWorkgroup>>(rec, cmd, {logits, partial}, {vocab});
           vk::record<ops::ArgmaxFinal<vkk::kArgmaxWorkgroup>>(rec, cmd, {partial, out}, {vocab});
           to_transfer(*d, cmd);
           const VkBufferCopy c{0, kStagingArgmax, 8};
           d->fn().vkCmdCopyBuffer(cmd, out_buf, staging, 1, &c);
           to_host(*d, cmd);
         }});
    const vk::BufferRange tk_partial = vk::whole(topk_partial_), tk_values = vk::whole(topk_values_),
                          tk_ids = vk::whole(topk_ids_), draw_word = vk::whole(draw_);
    commands_.push_back(
        {VkPhase::Sample, false, "sample", [=](vk::Recorder& rec, VkCommandBuffer cmd, const VkStepArgs& a) {
           const ops::TopKProblem tp{vocab, a.sample.k};
           vk::record<ops::TopKPartial<vkk::kTopKWorkgroup>>(rec, cmd, {logits, tk_partial}, tp);
           vk::record<ops::TopKMerge<vkk::kTopKWorkgroup>>(rec, cmd, {tk_partial, tk_values, tk_ids}, tp);
           vk::record<ops::SampleCandidates<vkk::kSampleWorkgroup>>(rec, cmd, {tk_values, tk_ids, draw_word, out},
                                                                     a.sample);
           to_transfer(*d, cmd);
           const VkBufferCopy c{0, kStagingArgmax, 4};
           d->fn().vkCmdCopyBuffer(cmd, out_buf, staging, 1, &c);
           to_host(*d, cmd);
         }});
    commands_.push_back(
        {VkPhase::LogitsOut, false, "logits out", [=](vk::Recorder&, VkCommandBuffer cmd, const VkStepArgs&) {
           to_transfer(*d, cmd);
           const VkBufferCopy c{logits.offset, kStagingLogits, 4ull * vocab};
           d->fn().vkCmdCopyBuffer(cmd, logits.buffer, staging, 1, &c);
           to_host(*d, cmd);
         }});
  }

  // The batched-prefill program: the same schedule lowered for prefill_chunk
  // rows into its own scratch, its inputs (the rows' token ids, the first
  // position) copied from its own staging words.
  void lower_batched(const std::vector<Op>& schedule) {
    batch_rows_ = VkLowering::max_rows(cfg_, std::min(opt_.prefill_chunk, n_ctx_));  // the kernels' limits
    batch_scratch_ = std::make_unique<VkScratch>(dev_);
    batch_tokens_ = vk::Buffer(dev_, 4ull * batch_rows_);
    batch_staging_ = vk::Buffer(dev_, 16 + 4ull * batch_rows_, vk::Buffer::Kind::Staging);
    const VkProgramInputs in = program_inputs(batch_tokens_);
    VkProgramOptions po = program_options();  // VkLowering turns stacking, RoPE merging and push-form attention off for rows > 1
    po.rows = batch_rows_;
    po.attention_partials_bytes = opt_.prefill_attention_bytes;
    VkProgram p = VkLowering(cfg_, in, weights_, *batch_scratch_, po, align_).lower(schedule);
    const VkBuffer staging = batch_staging_.handle(), tok = batch_tokens_.handle(), pos = position_.handle();
    const vk::Device* d = &dev_;
    batch_commands_.push_back({VkPhase::In, false, "inputs", [=](vk::Recorder&, VkCommandBuffer cmd, const VkStepArgs& a) {
                                 vk::full_barrier(*d, cmd);
                                 const VkBufferCopy t{16, 0, 4ull * a.rows}, q{0, 0, 4};
                                 d->fn().vkCmdCopyBuffer(cmd, staging, tok, 1, &t);
                                 d->fn().vkCmdCopyBuffer(cmd, staging, pos, 1, &q);
                               }});
    for (VkCommand& c : p.commands) batch_commands_.push_back(std::move(c));
    batch_cb_ = allocate();
  }

  // Rows of tokens at pos0.. through the batched program in one submit; with
  // logits_out, every row's logits ([rows][vocab]).
  void batch_step(std::span<const std::int32_t> tokens, std::uint32_t pos0, float* logits_out,
                  vk::Timestamps* ts = nullptr) {
    const auto rows = static_cast<std::uint32_t>(tokens.size());
    auto* p = static_cast<std::byte*>(batch_staging_.mapped());
    std::memcpy(p, &pos0, 4);
    std::memcpy(p + 16, tokens.data(), 4ull * rows);
    VkStepArgs args;
    args.rows = rows;
    if (logits_out) {
      const std::uint64_t need = 4ull * cfg_.vocab * batch_rows_;
      if (logits_all_.size() < need) logits_all_ = vk::Buffer(dev_, need, vk::Buffer::Kind::Staging);
      args.logits_out = vk::whole(logits_all_);
    }
    const auto& fn = dev_.fn();
    vk::check(fn.vkResetCommandBuffer(batch_cb_, 0), "vkResetCommandBuffer");
    auto bi = vk::make_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    vk::check(fn.vkBeginCommandBuffer(batch_cb_, &bi), "vkBeginCommandBuffer");
    if (ts) ts->reset(batch_cb_);
    const std::uint64_t d0 = rec_.dispatches();
    for (const VkCommand& c : batch_commands_)
      if (c.phase == VkPhase::In || c.phase == VkPhase::Body || (c.phase == VkPhase::LmHead && logits_out))
        c.record(rec_, batch_cb_, args);
    if (logits_out) to_host(dev_, batch_cb_);
    vk::check(fn.vkEndCommandBuffer(batch_cb_), "vkEndCommandBuffer");
    vk::check(fn.vkResetFences(dev_.handle(), 1, &fence_), "vkResetFences");
    auto si = vk::make_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
    si.commandBufferCount = 1;
    si.pCommandBuffers = &batch_cb_;
    vk::check(fn.vkQueueSubmit(dev_.queue(), 1, &si, fence_), "vkQueueSubmit");
    vk::check(fn.vkWaitForFences(dev_.handle(), 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
    last_step_dispatches_ = rec_.dispatches() - d0;
    if (logits_out) std::memcpy(logits_out, logits_all_.mapped(), 4ull * cfg_.vocab * rows);
  }

  static void to_transfer(const vk::Device& d, VkCommandBuffer cmd) {
    auto mb = vk::make_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    d.fn().vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0,
                                nullptr, 0, nullptr);
  }
  static void to_host(const vk::Device& d, VkCommandBuffer cmd) {
    auto mb = vk::make_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    d.fn().vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr,
                                0, nullptr);
  }

  // ---- a step
  // What a step's command buffer depends on: the outputs (the sampler's
  // settings when it samples), and the position only when a command records
  // it (replay = false).
  struct StepKey {
    std::uint32_t n_pos = 0;
    bool lm_head = false, argmax = false, logits = false;
    ops::SampleProblem sample{};  // k = 0: no sampling
    friend bool operator==(const StepKey&, const StepKey&) = default;
  };
  static bool runs(VkPhase p, const StepKey& k) {
    switch (p) {
      case VkPhase::In:
      case VkPhase::Body:
        return true;
      case VkPhase::LmHead:
        return k.lm_head;
      case VkPhase::Argmax:
        return k.argmax;
      case VkPhase::Sample:
        return k.sample.k != 0;
      case VkPhase::LogitsOut:
        return k.logits;
    }
    return false;
  }
  StepKey key_for(std::uint32_t pos, bool logits, bool argmax, const ops::SampleProblem& sample) const {
    const bool draws = sample.k != 0;
    return {per_token_ ? pos + 1 : 0, logits || argmax || draws, argmax, logits, sample};
  }

  struct Recorded {
    StepKey key;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    std::uint64_t dispatches = 0;
    std::uint64_t last_use = 0;
  };
  // Replay needs one per set of outputs (none / logits / greedy / sample, the
  // last two with or without logits: 6 for one sampler's settings); per-token
  // recording and other settings rotate through the rest.
  static constexpr std::size_t kRecordedMax = 8;

  VkCommandBuffer allocate() {
    auto ai = vk::make_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
    ai.commandPool = dev_.command_pool();
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    vk::check(dev_.fn().vkAllocateCommandBuffers(dev_.handle(), &ai, &cb), "vkAllocateCommandBuffers");
    return cb;
  }

  // The command buffer of a step for `key`, recorded if needed, never the one
  // in flight (`busy`).
  Recorded& recorded(const StepKey& key, VkCommandBuffer busy) {
    ++uses_;
    for (Recorded& r : recorded_)
      if (r.key == key) {
        r.last_use = uses_;
        return r;
      }
    Recorded* slot = nullptr;
    if (recorded_.size() < kRecordedMax) {
      recorded_.push_back({key, allocate(), 0, 0});
      slot = &recorded_.back();
    } else {
      for (Recorded& r : recorded_)
        if (r.cb != busy && (!slot || r.last_use < slot->last_use)) slot = &r;
    }
    const auto& fn = dev_.fn();
    slot->key = {UINT32_MAX, false, false, false, {}};  // nothing valid until recorded
    vk::check(fn.vkResetCommandBuffer(slot->cb, 0), "vkResetCommandBuffer");
    auto bi = vk::make_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    vk::check(fn.vkBeginCommandBuffer(slot->cb, &bi), "vkBeginCommandBuffer");
    const std::uint64_t d0 = rec_.dispatches();
    for (const VkCommand& c : commands_)
      if (runs(c.phase, key)) c.record(rec_, slot->cb, VkStepArgs{key.n_pos, key.sample, 1, {}});
    vk::check(fn.vkEndCommandBuffer(slot->cb), "vkEndCommandBuffer");
    slot->key = key;
    slot->dispatches = rec_.dispatches() - d0;
    slot->last_use = uses_;
    ++recordings_;
    return *slot;
  }

  void write_inputs(std::int32_t token, std::uint32_t pos, float u) {
    auto* p = static_cast<std::byte*>(staging_.mapped());
    const auto t = static_cast<std::uint32_t>(token);
    std::memcpy(p + kStagingToken, &t, 4);
    std::memcpy(p + kStagingPosition, &pos, 4);
    std::memcpy(p + kStagingDraw, &u, 4);
  }

  // One token at position pos: logits_out (vocab floats) when non-null, and
  // into token_out the greedy id (sample.k == 0) or the id drawn with u.
  void step(std::int32_t token, std::uint32_t pos, float* logits_out, std::int32_t* token_out,
            const ops::SampleProblem& sample, float u) {
    const ops::SampleProblem draws = token_out ? sample : ops::SampleProblem{};
    const bool argmax = token_out && sample.k == 0;
    const StepKey key = key_for(pos, logits_out != nullptr, argmax, draws);
    write_inputs(token, pos, u);
    const Recorded& r = recorded(key, VK_NULL_HANDLE);
    const VkCommandBuffer cb = r.cb;
    const std::uint64_t dispatches = r.dispatches;
    const auto& fn = dev_.fn();
    vk::check(fn.vkResetFences(dev_.handle(), 1, &fence_), "vkResetFences");
    auto si = vk::make_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cb;
    vk::check(fn.vkQueueSubmit(dev_.queue(), 1, &si, fence_), "vkQueueSubmit");
    // While the GPU runs: when steps are recorded per position, the likely next
    // one (next position, same outputs).
    if (per_token_ && pos + 2 <= n_ctx_) {
      try {
        recorded(key_for(pos + 1, key.logits, key.argmax, key.sample), cb);
      } catch (...) {
        fn.vkWaitForFences(dev_.handle(), 1, &fence_, VK_TRUE, UINT64_MAX);
        throw;
      }
    }
    vk::check(fn.vkWaitForFences(dev_.handle(), 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
    last_step_dispatches_ = dispatches;
    const auto* p = static_cast<const std::byte*>(staging_.mapped());
    if (token_out) {
      std::uint32_t id = 0;
      std::memcpy(&id, p + kStagingArgmax, 4);
      *token_out = static_cast<std::int32_t>(id);
    }
    if (logits_out) std::memcpy(logits_out, p + kStagingLogits, 4ull * cfg_.vocab);
  }

  // The steps of tokens at pos0..: logits (when non-null) filled as eval()
  // documents; the last step also picks into token_out (when non-null).
  void run(std::span<const std::int32_t> tokens, std::uint32_t pos0, bool all_logits, std::vector<float>* logits,
           std::int32_t* token_out, const ops::SampleProblem& sample, float u) {
    const std::size_t T = tokens.size(), V = cfg_.vocab;
    if (logits) logits->resize((all_logits ? T : 1) * V);
    if (batch_rows_ > 1 && T > 1) {
      // Batched: every token, or all but the last when only its logits or a pick
      // are wanted (the decode step gives those).
      const bool every = logits && all_logits;
      const std::size_t nb = token_out || (logits && !all_logits) ? T - 1 : T;
      for (std::size_t c0 = 0; c0 < nb; c0 += batch_rows_) {
        const std::size_t n = std::min<std::size_t>(batch_rows_, nb - c0);
        batch_step(tokens.subspan(c0, n), pos0 + std::uint32_t(c0), every ? logits->data() + c0 * V : nullptr);
      }
      if (nb == T) return;
      float* row = !logits ? nullptr : all_logits ? logits->data() + (T - 1) * V : logits->data();
      step(tokens[T - 1], pos0 + std::uint32_t(T - 1), row, token_out, sample, u);
      return;
    }
    for (std::size_t t = 0; t < T; ++t) {
      const bool last = t + 1 == T;
      float* row = !logits ? nullptr : all_logits ? logits->data() + t * V : (last ? logits->data() : nullptr);
      step(tokens[t], pos0 + std::uint32_t(t), row, last ? token_out : nullptr, sample, u);
    }
  }

  void check_batch(std::span<const std::int32_t> tokens, std::uint32_t pos0) const {
    runtime::check_eval_batch(tokens, pos0, n_ctx_, cfg_.vocab);
  }

  // Staging layout: inputs (token, position, draw u), the picked token, the logits row.
  static constexpr VkDeviceSize kStagingToken = 0, kStagingPosition = 4, kStagingDraw = 8, kStagingArgmax = 64,
                                kStagingLogits = 256;

  vk::Device& dev_;
  VkForwardOptions opt_;
  vk::PipelineCache pipelines_;
  vk::Recorder rec_;
  model::Config cfg_;
  model::Weights w_;
  std::uint32_t n_ctx_;
  bool int_dot_ = false;
  std::uint64_t align_ = 4;
  VkWeights weights_;
  VkScratch scratch_;
  std::vector<vk::Buffer> kv_k_, kv_v_;
  std::uint64_t kv_bytes_ = 0;
  vk::Buffer rope_cos_, rope_sin_, token_, position_, argmax_out_, argmax_partial_, draw_, topk_partial_, topk_values_,
      topk_ids_, staging_;
  std::uint64_t constant_bytes_ = 0;
  vk::BufferRange logits_;
  std::vector<VkCommand> commands_;
  bool per_token_ = false;  // some command records the position (replay = false)
  std::vector<Recorded> recorded_;
  std::uint64_t uses_ = 0, recordings_ = 0;
  VkFence fence_ = VK_NULL_HANDLE;
  std::uint64_t last_step_dispatches_ = 0;
  // Batched prefill (lower_batched): rows per submit (0: off), its program,
  // scratch, token words, staging (position, then the tokens), one command
  // buffer recorded per submit, and the host-visible logits of every row
  // (created on the first batched eval that wants them).
  std::uint32_t batch_rows_ = 0;
  std::vector<VkCommand> batch_commands_;
  std::unique_ptr<VkScratch> batch_scratch_;
  vk::Buffer batch_tokens_, batch_staging_, logits_all_;
  VkCommandBuffer batch_cb_ = VK_NULL_HANDLE;
};

}  // namespace qvk::runtime
