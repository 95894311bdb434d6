// runtime::VkForward's batched prefill (GEMMs, multi-row ops, multi-query
// attention; VkForwardOptions::prefill_chunk) against ref::Forward: the logits
// of every position are memcmp-equal to the reference's whatever the chunk
// size (1 = the decode path, 7, 64, 69 = a last chunk of one row, 256 = the
// whole prompt), however the caller splits its eval() calls, and with the
// attention split into sub-batches of one query row; decoding after a batched
// prefill continues with the reference's greedy tokens.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "qvk/ref/forward.hpp"
#include "qvk/runtime/sampler_candidates.hpp"
#include "qvk/runtime/vk_forward.hpp"
#include "tiny_models.hpp"
#include "vk_test_device.hpp"

namespace qvk {
namespace {

using runtime::VkForward;
using runtime::VkForwardOptions;
using runtime_vk_test::first_mismatch;
using runtime_vk_test::kCtx;
using runtime_vk_test::kVocab;
using runtime_vk_test::prompt_tokens;
using runtime_vk_test::tiny_model;

constexpr std::size_t kPrompt = 70;  // crosses attention's 64-position chunk

std::vector<float> reference_logits(const model::ModelFile& m, std::span<const std::int32_t> toks) {
  ref::Forward cpu(m, kCtx, 2);
  std::vector<float> want;
  cpu.eval(toks, 0, true, want);
  return want;
}

// Every position's logits from eval() calls of `call` tokens each.
std::vector<float> gpu_logits(VkForward& gpu, std::span<const std::int32_t> toks, std::size_t call) {
  std::vector<float> got;
  for (std::size_t i = 0; i < toks.size(); i += call) {
    std::vector<float> part;
    const std::size_t n = std::min(call, toks.size() - i);
    gpu.eval(toks.subspan(i, n), std::uint32_t(i), true, part);
    got.insert(got.end(), part.begin(), part.end());
  }
  return got;
}

TEST(VkPrefill, LogitsOfEveryPositionAreTheReferenceBitsForEveryChunkSize) {
  for (const char* mix : {"q4_k_m", "q8_0"}) {
    const auto m = model::open_model(tiny_model(model::Arch::Qwen3, mix, true));
    const auto toks = prompt_tokens(kPrompt, kVocab);
    const std::vector<float> want = reference_logits(m, toks);
    const std::size_t V = m.config.vocab;
    const std::vector<std::uint32_t> chunks = runtime_vk_test::kSanitized ? std::vector<std::uint32_t>{7, 69}
                                                                          : std::vector<std::uint32_t>{1, 7, 64, 69, 256};
    std::uint64_t decode_weights = 0;
    for (const std::uint32_t chunk : chunks) {
      VkForwardOptions o;
      o.prefill_chunk = chunk;
      VkForward gpu(m, kCtx, vk::test::device(), o);
      EXPECT_EQ(gpu.prefill_rows(), chunk == 1 ? 0u : std::min(chunk, kCtx)) << mix << " chunk " << chunk;
      // The batched program binds the parts of the stacked Q/K/V and gate/up
      // buffers: no weight is uploaded twice.
      if (decode_weights == 0) {
        VkForwardOptions d;
        d.prefill_chunk = 1;
        decode_weights = VkForward(m, kCtx, vk::test::device(), d).weight_bytes();
      }
      EXPECT_EQ(gpu.weight_bytes(), decode_weights) << mix << " chunk " << chunk;
      const std::vector<float> got = gpu_logits(gpu, toks, toks.size());
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
          << mix << " chunk " << chunk << ": " << first_mismatch(got, want, V);
    }
  }
  vk::test::expect_validation_clean();
}

TEST(VkPrefill, CallerChunksAndOneQueryRowPerAttentionDispatchGiveTheSameBits) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen2, "q4_k_m", true));  // QKV bias
  const auto toks = prompt_tokens(kPrompt, kVocab);
  const std::vector<float> want = reference_logits(m, toks);
  VkForwardOptions o;
  o.prefill_chunk = 16;
  o.prefill_attention_bytes = 1;  // one query row per attention dispatch pair
  VkForward gpu(m, kCtx, vk::test::device(), o);
  for (const std::size_t call : {std::size_t(5), std::size_t(33)}) {
    const std::vector<float> got = gpu_logits(gpu, toks, call);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
        << "eval calls of " << call << ": " << first_mismatch(got, want, m.config.vocab);
  }
  vk::test::expect_validation_clean();
}

TEST(VkPrefill, RowsAreBoundedByWhatTheKernelsTakeForTheModel) {
  // Qwen3-8B: QuantizeAct takes 65,535 workgroups of 256 elements, so 12,288-wide
  // FFN rows allow 1,365 per dispatch; 32B (25,600) 655.
  const model::Config q8b = *model::find_preset(model::Arch::Qwen3, "8b");
  const model::Config q32b = *model::find_preset(model::Arch::Qwen3, "32b");
  EXPECT_EQ(runtime::VkLowering::max_rows(q8b, 4096), 1365u);
  EXPECT_EQ(runtime::VkLowering::max_rows(q8b, 256), 256u);
  EXPECT_EQ(runtime::VkLowering::max_rows(q32b, 100000), 655u);
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  VkForwardOptions o;
  o.prefill_chunk = 1u << 16;
  EXPECT_EQ(VkForward(m, kCtx, vk::test::device(), o).prefill_rows(), kCtx) << "the context bounds it";
  EXPECT_EQ(VkForward(m, 1, vk::test::device(), o).prefill_rows(), 0u) << "a context of one token: no batched program";
}

TEST(VkPrefill, GreedyDecodeAfterABatchedPrefillFollowsTheReference) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  const auto toks = prompt_tokens(kPrompt, kVocab);
  ref::Forward cpu(m, kCtx, 2);
  std::vector<float> cl;
  cpu.eval(toks, 0, false, cl);
  VkForward gpu(m, kCtx, vk::test::device());  // default prefill_chunk
  ASSERT_GT(gpu.prefill_rows(), 1u);
  std::vector<float> gl;
  std::int32_t g = gpu.eval_greedy(toks, 0, false, &gl);  // 69 rows batched, the last one a decode step
  EXPECT_EQ(std::memcmp(gl.data(), cl.data(), cl.size() * sizeof(float)), 0) << first_mismatch(gl, cl, m.config.vocab);
  std::int32_t c = runtime::greedy_token(cl);
  std::vector<std::int32_t> cpu_ids, gpu_ids;
  for (std::uint32_t pos = kPrompt; pos < kPrompt + 6; ++pos) {
    cpu_ids.push_back(c);
    gpu_ids.push_back(g);
    const std::int32_t ci[1] = {c}, gi[1] = {g};
    cpu.eval(ci, pos, false, cl);
    c = runtime::greedy_token(cl);
    g = gpu.eval_greedy(gi, pos, false, nullptr);
  }
  EXPECT_EQ(gpu_ids, cpu_ids);
  vk::test::expect_validation_clean();
}

}  // namespace
}  // namespace qvk
