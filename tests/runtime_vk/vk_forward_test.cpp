// runtime::VkForward (the Vulkan interpreter of the forward schedule) against
// ref::Forward (the CPU interpreter that defines the bits): the logits of every
// position of a 70-token prompt (two attention chunks of 64) are memcmp-equal,
// and greedy token streams are identical, for tied/untied Qwen3 and Qwen2 (QKV
// bias) models of every quant mix; the runtime's options (replay, fusion,
// stacking, OpSDot) change dispatches, never bits.
#include "qvk/runtime/vk_forward.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "qvk/ref/forward.hpp"
#include "qvk/runtime/sampler_candidates.hpp"
#include "tiny_models.hpp"
#include "vk_test_device.hpp"

namespace qvk {
namespace {

using runtime::VkForward;
using runtime::VkForwardOptions;
using runtime_vk_test::first_mismatch;
using runtime_vk_test::kBigVocab;
using runtime_vk_test::kCtx;
using runtime_vk_test::kVocab;
using runtime_vk_test::prompt_tokens;
using runtime_vk_test::tiny_model;

struct Case {
  model::Arch arch;
  const char* mix;
  bool tied;
  std::uint32_t vocab = kVocab;
};

std::string case_name(const Case& c) {
  return std::string(model::arch_name(c.arch)) + "_" + c.mix + (c.tied ? "_tied" : "_untied") + "_vocab" +
         std::to_string(c.vocab);
}

void PrintTo(const Case& c, std::ostream* os) { *os << case_name(c); }

class VkForwardVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(VkForwardVsReference, LogitsOfEveryPositionAndGreedyTokensAreBitIdentical) {
  const Case c = GetParam();
  const auto m = model::open_model(tiny_model(c.arch, c.mix, c.tied, c.vocab));
  const auto toks = prompt_tokens(70, c.vocab);
  const std::size_t V = m.config.vocab;

  ref::Forward cpu(m, kCtx, 2);
  std::vector<float> want;
  cpu.eval(toks, 0, true, want);

  VkForward gpu(m, kCtx, vk::test::device());
  std::vector<float> got;
  // Chunked differently from the CPU (the GPU runs token by token anyway).
  for (std::size_t i = 0; i < toks.size(); i += 32) {
    std::vector<float> part;
    const std::size_t n = std::min<std::size_t>(32, toks.size() - i);
    gpu.eval(std::span(toks).subspan(i, n), std::uint32_t(i), true, part);
    got.insert(got.end(), part.begin(), part.end());
  }
  ASSERT_EQ(got.size(), 70 * V);
  EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0) << first_mismatch(got, want, V);
  EXPECT_NE(std::memcmp(got.data(), got.data() + V, V * sizeof(float)), 0) << "rows 0 and 1 are equal";

  // Greedy continuation: the GPU's argmax vs the CPU's greedy_token, 6 tokens.
  std::vector<std::int32_t> cpu_ids, gpu_ids;
  std::vector<float> last(want.end() - std::ptrdiff_t(V), want.end()), gl;
  std::int32_t cpu_id = runtime::greedy_token(last);
  std::int32_t gpu_id = gpu.eval_greedy(std::span(toks).last(1), 69, false, &gl);  // recomputes position 69
  EXPECT_EQ(std::memcmp(gl.data(), last.data(), V * sizeof(float)), 0) << "re-run of position 69";
  for (std::uint32_t pos = 70; pos < 76; ++pos) {
    cpu_ids.push_back(cpu_id);
    gpu_ids.push_back(gpu_id);
    const std::int32_t c_in[1] = {cpu_id}, g_in[1] = {gpu_id};
    std::vector<float> cl;
    cpu.eval(c_in, pos, false, cl);
    cpu_id = runtime::greedy_token(cl);
    // Alternate: id only, then id and logits (both must agree with the CPU).
    if (pos % 2 == 0) {
      gpu_id = gpu.eval_greedy(g_in, pos, false, nullptr);
    } else {
      std::vector<float> l;
      gpu_id = gpu.eval_greedy(g_in, pos, false, &l);
      EXPECT_EQ(std::memcmp(l.data(), cl.data(), V * sizeof(float)), 0)
          << "position " << pos << " " << first_mismatch(l, cl, V);
      EXPECT_EQ(gpu_id, runtime::greedy_token(l));
    }
  }
  EXPECT_EQ(gpu_ids, cpu_ids);
  vk::test::expect_validation_clean();
}

INSTANTIATE_TEST_SUITE_P(
    Mixes, VkForwardVsReference,
    ::testing::Values(Case{model::Arch::Qwen3, "q4_k_m", true}, Case{model::Arch::Qwen3, "q8_0", false, kBigVocab},
                      Case{model::Arch::Qwen3, "f16", true}, Case{model::Arch::Qwen2, "q4_k_m", true},
                      Case{model::Arch::Qwen2, "q8_0", false}, Case{model::Arch::Qwen3, "q4_0", true},
                      Case{model::Arch::Qwen3, "q6_k", false}, Case{model::Arch::Qwen3, "bf16", false},
                      Case{model::Arch::Qwen3, "f32", true}),
    [](const auto& p) { return case_name(p.param); });

// Every combination of the runtime's choices gives the reference's bits: the
// step re-recorded per token, the residual add and the SwiGLU unfused (a
// standalone SwiGlu and QuantizeAct of its f32 output), unstacked Q/K/V and
// gate/up GEMVs, OpSDot GEMVs (lavapipe supports them, unaccelerated).
TEST(VkForwardOptions, ReplayFusionStackingOverlapAndIntDotNeverChangeABit) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  // 70 positions cross attention's 64-position chunk; the sanitizer build stops short of it.
  const auto toks = prompt_tokens(runtime_vk_test::stream_length(70, 20), kVocab);
  const std::size_t V = m.config.vocab;
  ref::Forward cpu(m, kCtx, 2);
  std::vector<float> want;
  cpu.eval(toks, 0, false, want);  // the last position only (the LM head dominates on lavapipe)
  struct Variant {
    const char* name;
    VkForwardOptions o;
  };
  std::vector<Variant> variants;
  VkForwardOptions o;
  o.replay = false;
  o.fuse_residual = false;
  o.fuse_swiglu_quantize = false;
  o.overlap_independent = false;
  variants.push_back({"re-recorded per token, residual add and SwiGLU unfused, a barrier before every dispatch", o});
  o = {};
  o.stack_gemms = false;
  o.merge_rope = false;
  if (vk::test::device().features().integer_dot_product) o.int_dot = VkForwardOptions::IntDot::On;
  variants.push_back({"GEMVs unstacked, RoPEs unmerged, OpSDot where supported", o});
  o = {};
  o.fuse_swiglu_quantize = false;
  variants.push_back({"SwiGLU unfused, everything else as by default", o});
  for (const Variant& v : variants) {
    VkForward gpu(m, kCtx, vk::test::device(), v.o);
    std::size_t fused = 0, swiglus = 0;
    for (const auto& c : gpu.commands()) {
      fused += c.label.find("swiglu+quantize") != std::string::npos;
      swiglus += c.label.ends_with(" swiglu");
    }
    if (v.o.fuse_swiglu_quantize) {
      EXPECT_EQ(fused, m.config.layers) << v.name;
      EXPECT_EQ(swiglus, 0u) << v.name;
    } else {
      EXPECT_EQ(fused, 0u) << v.name;
      EXPECT_EQ(swiglus, m.config.layers) << v.name;
    }
    std::vector<float> got;
    gpu.eval(toks, 0, false, got);
    ASSERT_EQ(got.size(), V);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), V * sizeof(float)), 0)
        << v.name << " " << first_mismatch(got, want, V);
  }
  vk::test::expect_validation_clean();
}

// The step's dispatches for the tiny Qwen3 q4_k_m (2 layers): every command is
// one dispatch except attention (chunks + combine); per layer one quantize per
// distinct GEMV input (H for Q/K/V, Att, H for gate/up, A — the last one fused
// with the SwiGLU that makes A: no standalone SwiGLU), no separate residual
// add (fused into the norm after it), gate/up as one stacked GEMV, one RoPE for
// Q and K (their norms write them side by side). Replayed:
// nothing is recorded per token, one command buffer per set of outputs.
TEST(VkForwardProgram, CountsTheDispatchesOfAGreedyDecodeStepAndRecordsItOnce) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  VkForward gpu(m, kCtx, vk::test::device());
  EXPECT_EQ(gpu.recordings(), 3u) << "recorded at load: no logits, greedy, logits";
  std::int32_t t[1] = {42};
  for (std::uint32_t pos = 0; pos < 5; ++pos) t[0] = gpu.eval_greedy(t, pos, false, nullptr);
  EXPECT_EQ(gpu.recordings(), 3u) << "five greedy steps replay the recording";
  std::size_t quantize = 0, stacked = 0, attention = 0, per_token = 0, unfused_adds = 0, ropes = 0, overlapped = 0;
  std::size_t swiglu_quantize = 0, swiglus = 0;
  std::uint64_t want = 2;  // argmax: partial + final
  for (const auto& c : gpu.commands()) {
    ropes += c.label.find("rope Q+K") != std::string::npos;
    quantize += c.label.find("quantize") != std::string::npos;  // the fused one too
    swiglu_quantize += c.label.find("swiglu+quantize G,U -> A") != std::string::npos;
    swiglus += c.label.find("swiglu") != std::string::npos && c.label.find("swiglu+quantize") == std::string::npos;
    stacked += c.label.find("gemv") != std::string::npos && c.label.find('+') != std::string::npos;
    attention += c.label.find("attention") != std::string::npos;
    per_token += c.per_token;
    unfused_adds += c.label.ends_with(" add");
    overlapped += c.label.ends_with("(no barrier)");
    if (c.phase == runtime::VkPhase::Body || c.phase == runtime::VkPhase::LmHead)
      want += c.label.find("attention") != std::string::npos ? 2 : 1;
  }
  const auto& cfg = m.config;
  EXPECT_EQ(attention, cfg.layers);
  EXPECT_EQ(ropes, cfg.layers);
  EXPECT_EQ(per_token, 0u) << "replay: no command records the position";
  EXPECT_EQ(quantize, 4 * cfg.layers + 1);
  EXPECT_EQ(swiglu_quantize, cfg.layers) << "the down GEMV's blocks come from the fused SwiGLU in every layer";
  EXPECT_EQ(swiglus, 0u) << "no standalone SwiGLU: the down weights are quantized";
  EXPECT_EQ(unfused_adds, 0u) << "every residual add is fused into the norm after it";
  EXPECT_GE(stacked, cfg.layers) << "gate/up share Q4_K in every layer";
  EXPECT_GE(overlapped, cfg.layers) << "the K head norm runs without a barrier after the Q one in every layer";
  EXPECT_EQ(gpu.last_step_dispatches(), want);
  std::vector<float> l;
  gpu.eval(t, 5, false, l);
  gpu.eval(t, 6, false, l);
  EXPECT_EQ(gpu.recordings(), 3u) << "logits wanted: the logits recording, replayed";
  EXPECT_EQ(gpu.last_step_dispatches(), want - 2);
  std::vector<std::int32_t> two{1, 2};
  gpu.eval_greedy(two, 7, false, &l);  // a token without outputs, then greedy + logits
  EXPECT_EQ(gpu.recordings(), 4u) << "greedy and logits at once: a fourth set of outputs";
  EXPECT_EQ(gpu.last_step_dispatches(), want);
  std::printf("[dispatches] tiny qwen3 q4_k_m (%u layers): %llu per greedy decode step\n", cfg.layers,
              static_cast<unsigned long long>(want));
  for (const auto& c : gpu.commands()) std::printf("  %s\n", c.label.c_str());

  VkForwardOptions o;
  o.replay = false;
  VkForward per(m, kCtx, vk::test::device(), o);
  std::size_t attention_per_token = 0;
  for (const auto& c : per.commands()) attention_per_token += c.per_token;
  EXPECT_EQ(attention_per_token, cfg.layers) << "replay off: attention records n_pos";
  const std::uint64_t r0 = per.recordings();
  for (std::uint32_t pos = 0; pos < 3; ++pos) t[0] = per.eval_greedy(t, pos, false, nullptr);
  EXPECT_EQ(per.recordings() - r0, 3u) << "the first step was recorded at load; each records the next one ahead";
  EXPECT_EQ(per.last_step_dispatches(), want);

  // Unfused: a SwiGLU and a quantize of its f32 output per layer, one dispatch more.
  o = {};
  o.fuse_swiglu_quantize = false;
  VkForward unfused(m, kCtx, vk::test::device(), o);
  std::size_t unfused_swiglus = 0, unfused_quantize = 0;
  for (const auto& c : unfused.commands()) {
    unfused_swiglus += c.label.ends_with(" swiglu");
    unfused_quantize += c.label.ends_with(" quantize A");
  }
  EXPECT_EQ(unfused_swiglus, cfg.layers);
  EXPECT_EQ(unfused_quantize, cfg.layers);
  t[0] = 42;
  unfused.eval_greedy(t, 0, false, nullptr);
  EXPECT_EQ(unfused.last_step_dispatches(), want + cfg.layers);
  vk::test::expect_validation_clean();
}

// Program inputs for lowering only (nothing is dispatched): every cache, table and step word
// bound to one small buffer.
runtime::VkProgramInputs inputs_in(const vk::Buffer& small, std::uint32_t layers) {
  runtime::VkProgramInputs in;
  in.kv_capacity = 64;
  in.k_cache.assign(layers, vk::whole(small));
  in.v_cache.assign(layers, vk::whole(small));
  in.rope_cos = in.rope_sin = in.token = in.position = vk::whole(small);
  return in;
}

// The lowering tracks which logical buffer holds a value: a schedule that reads
// one never written (here: the forward pass without its Embed) is refused at
// lowering time, before anything is recorded.
TEST(VkForwardProgram, LoweringRefusesAScheduleThatReadsABufferNeverWritten) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  const model::Weights w = model::map_weights(m);
  std::vector<runtime::Op> schedule = runtime::forward_schedule(m.config, w);
  ASSERT_TRUE(std::holds_alternative<runtime::Embed>(schedule.front()));
  schedule.erase(schedule.begin());
  vk::Device& d = vk::test::device();
  runtime::VkWeights weights(d);
  runtime::VkScratch scratch(d);
  vk::Buffer small(d, 1 << 16);
  const runtime::VkProgramInputs in = inputs_in(small, m.config.layers);
  runtime::VkLowering lowering(m.config, in, weights, scratch, {}, 16);
  try {
    lowering.lower(schedule);
    ADD_FAILURE() << "lowered a schedule that reads X before writing it";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("reads buffer X"), std::string::npos) << e.what();
  }
}

// The SwiGLU is fused into the down GEMV's quantize only where nothing reads
// its f32 output: an op reading A after the down GEMV (even another quantized
// GEMV), or any op between the SwiGLU and its GEMV, gets the plain SwiGlu in
// that layer, and the schedule still lowers (had the fusion been taken, that
// reader's read(A) would throw: A holds no f32 value then). Other layers keep it.
TEST(VkForwardProgram, FusesTheSwiGluOnlyWhereNoOpReadsItsF32Output) {
  using runtime::Buf;
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  ASSERT_GE(m.config.layers, 2u);
  const model::Weights w = model::map_weights(m);
  const std::vector<runtime::Op> base = runtime::forward_schedule(m.config, w);
  vk::Device& d = vk::test::device();
  runtime::VkWeights weights(d);
  runtime::VkScratch scratch(d);
  vk::Buffer small(d, 1 << 16);
  const runtime::VkProgramInputs in = inputs_in(small, m.config.layers);
  struct Counts {
    std::size_t fused = 0, plain = 0;
  };
  auto lower = [&](const std::vector<runtime::Op>& s, bool fuse = true) {
    runtime::VkProgramOptions po;
    po.fuse_swiglu_quantize = fuse;
    const runtime::VkProgram p = runtime::VkLowering(m.config, in, weights, scratch, po, 16).lower(s);
    Counts c;
    for (const auto& cmd : p.commands) {
      c.fused += cmd.label.find("swiglu+quantize") != std::string::npos;
      c.plain += cmd.label.ends_with(" swiglu");
    }
    return c;
  };
  // Index of layer 0's SwiGlu (its down Gemm follows it).
  std::size_t sw = 0;
  while (!std::holds_alternative<runtime::SwiGlu>(base[sw])) ++sw;
  ASSERT_TRUE(std::holds_alternative<runtime::Gemm>(base[sw + 1]));
  const runtime::Gemm down = std::get<runtime::Gemm>(base[sw + 1]);
  ASSERT_EQ(down.in, Buf::A);
  const std::uint32_t L = m.config.layers;

  Counts c = lower(base);
  EXPECT_EQ(c.fused, L);
  EXPECT_EQ(c.plain, 0u);
  c = lower(base, /*fuse=*/false);
  EXPECT_EQ(c.fused, 0u);
  EXPECT_EQ(c.plain, L);

  std::vector<runtime::Op> s = base;  // an f32 reader of A after the down GEMV
  s.insert(s.begin() + std::ptrdiff_t(sw + 2), runtime::Add{Buf::A, Buf::A});
  c = lower(s);
  EXPECT_EQ(c.fused, L - 1);
  EXPECT_EQ(c.plain, 1u);

  s = base;  // an op between the SwiGLU and its GEMV
  s.insert(s.begin() + std::ptrdiff_t(sw + 1), runtime::Add{Buf::A, Buf::A});
  c = lower(s);
  EXPECT_EQ(c.fused, L - 1);
  EXPECT_EQ(c.plain, 1u);

  s = base;  // a second quantized GEMV of A, later in the layer (after the residual add)
  s.insert(s.begin() + std::ptrdiff_t(sw + 3), {runtime::Op{down}, runtime::Op{runtime::Add{Buf::X, Buf::O}}});
  ASSERT_TRUE(std::holds_alternative<runtime::Add>(s[sw + 2]));
  c = lower(s);
  EXPECT_EQ(c.fused, L - 1);
  EXPECT_EQ(c.plain, 1u);

  s = base;  // a second GEMV of A in the group after the SwiGLU (same activation kind: one quantize)
  runtime::Gemm down2 = down;
  down2.out = Buf::H;
  s.insert(s.begin() + std::ptrdiff_t(sw + 2), runtime::Op{down2});
  c = lower(s);
  EXPECT_EQ(c.fused, L) << "every reader of A is in the GEMV group after the SwiGLU";
  EXPECT_EQ(c.plain, 0u);
  vk::test::expect_validation_clean();
}

TEST(VkForwardMemory, ReportsWeightsAsStoredAndTheF16KvCache) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q8_0", false));
  VkForwardOptions o;
  o.stack_gemms = false;  // stacked groups share one padding
  VkForward gpu(m, kCtx, vk::test::device(), o);
  const auto& c = m.config;
  EXPECT_EQ(gpu.kv_bytes(), 2ull * c.layers * kCtx * c.kv_dim() * 2);
  std::uint64_t file_tensors = 0;
  for (const auto& t : m.file.tensors()) file_tensors += (t.n_bytes + 15) / 16 * 16;
  EXPECT_EQ(gpu.weight_bytes(), file_tensors) << "untied, unstacked: every tensor once, as stored";
  EXPECT_GT(gpu.scratch_bytes(), 4ull * c.vocab);
}

TEST(VkForwardErrors, RejectsPositionsPastTheContextAndBadTokenIds) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  VkForward gpu(m, 8, vk::test::device());
  std::vector<float> l;
  const std::int32_t ok[1] = {1}, bad[1] = {int(m.config.vocab)}, neg[1] = {-1};
  EXPECT_THROW(gpu.eval(ok, 8, false, l), std::out_of_range);
  EXPECT_THROW(gpu.eval(bad, 0, false, l), std::out_of_range);
  EXPECT_THROW(gpu.eval(neg, 0, false, l), std::out_of_range);
  EXPECT_THROW(gpu.eval({}, 0, false, l), std::invalid_argument);
  EXPECT_THROW(VkForward(m, 0, vk::test::device()), std::invalid_argument);
  gpu.eval(ok, 7, false, l);  // the last position of the context works
  EXPECT_EQ(l.size(), m.config.vocab);
}

}  // namespace
}  // namespace qvk
