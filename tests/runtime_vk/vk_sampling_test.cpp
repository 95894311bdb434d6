// runtime::VkForward::eval_sample (top-k -> top-p / min-p / temperature draw on
// the GPU, only the id read back) against ref::Forward + runtime::Sampler (the
// CPU chain that defines the token): identical token streams over whole
// generations, for several settings and vocabularies that span one and two
// top-k workgroups; settings the GPU does not take are refused with an error.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/ref/forward.hpp"
#include "qvk/runtime/sampler.hpp"
#include "qvk/runtime/vk_forward.hpp"
#include "tiny_models.hpp"
#include "vk_test_device.hpp"

namespace qvk {
namespace {

using runtime::SamplerParams;
using runtime::VkForward;
using runtime_vk_test::kBigVocab;
using runtime_vk_test::kCtx;
using runtime_vk_test::kVocab;
using runtime_vk_test::prompt_tokens;
using runtime_vk_test::stream_length;
using runtime_vk_test::tiny_model;

SamplerParams params(float temperature, int top_k, float top_p, float min_p, std::uint64_t seed) {
  SamplerParams p;
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  p.min_p = min_p;
  p.seed = seed;
  return p;
}

std::string describe(const SamplerParams& p) {
  return "temp " + std::to_string(p.temperature) + " top_k " + std::to_string(p.top_k) + " top_p " +
         std::to_string(p.top_p) + " min_p " + std::to_string(p.min_p) + " seed " + std::to_string(p.seed);
}

// Prompt of 5 tokens, then `n` tokens: the CPU samples its logits, the GPU draws
// from its own (u from a second Sampler with the same settings, so both consume
// the same draw sequence).
void expect_same_stream(const model::ModelFile& m, VkForward& gpu, const SamplerParams& p, std::size_t n) {
  const auto prompt = prompt_tokens(5, m.config.vocab);
  ref::Forward cpu(m, kCtx, 2);
  runtime::Sampler cs(p), gs(p);
  ASSERT_TRUE(gpu.samples_on_device(gs.config())) << describe(p);
  std::vector<float> logits;
  cpu.eval(prompt, 0, false, logits);
  std::vector<std::int32_t> history(prompt), cpu_ids, gpu_ids;
  std::int32_t g = gpu.eval_sample(prompt, 0, false, nullptr, gs.config(), gs.next_draw());
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t c = cs.sample(logits, history);
    cpu_ids.push_back(c);
    gpu_ids.push_back(g);
    history.push_back(c);
    const auto pos = static_cast<std::uint32_t>(history.size() - 1);
    const std::int32_t in[1] = {c};  // both continue from the CPU's token, so one mismatch does not cascade
    cpu.eval(in, pos, false, logits);
    g = gpu.eval_sample(in, pos, false, nullptr, gs.config(), gs.next_draw());
  }
  EXPECT_EQ(gpu_ids, cpu_ids) << describe(p);
  if (n >= 8) {  // shorter (sanitizer) streams may repeat a token by chance
    EXPECT_GT(std::set<std::int32_t>(cpu_ids.begin(), cpu_ids.end()).size(), 2u)
        << describe(p) << ": the stream hardly varies, so it does not exercise the draw";
  }
}

TEST(VkSampling, GpuDrawsTheCpuSamplersTokensForEverySetting) {
  for (const std::uint32_t vocab : {kVocab, kBigVocab}) {
    const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true, vocab));
    VkForward gpu(m, kCtx, vk::test::device());
    const std::uint64_t r0 = gpu.recordings();
    const SamplerParams settings[] = {
        params(0.8f, 40, 0.95f, 0.05f, 1),   // llama.cpp's defaults
        params(2.0f, 128, 0.9f, 0.01f, 2),   // hot, the largest k the GPU takes
        params(1.3f, 7, 1.0f, 0.0f, 3),      // top-k only: no filter pass
        params(1.0f, 64, 1.0f, 0.2f, 4),     // min-p only
        params(0.5f, 100, 0.5f, 0.0f, 5),    // top-p only
    };
    for (const SamplerParams& p : settings) expect_same_stream(m, gpu, p, stream_length(16, 4));
    EXPECT_EQ(gpu.recordings() - r0, std::size(settings)) << "one recording per setting, replayed for every token";
    if (vocab == kVocab) {
      // Four more settings overflow the 8 recordings (3 at load + 5) and evict the
      // least recently used: the three from load (the prompts run as batched
      // prefill, which records afresh per submit), then the first setting's,
      // which is recorded again and still draws the CPU's tokens.
      expect_same_stream(m, gpu, params(0.9f, 20, 0.8f, 0.1f, 6), stream_length(6, 2));
      expect_same_stream(m, gpu, params(1.1f, 30, 0.7f, 0.0f, 7), stream_length(6, 2));
      expect_same_stream(m, gpu, params(1.4f, 50, 0.9f, 0.0f, 8), stream_length(6, 2));
      expect_same_stream(m, gpu, params(1.2f, 60, 0.85f, 0.0f, 9), stream_length(6, 2));
      const std::uint64_t before = gpu.recordings();
      expect_same_stream(m, gpu, settings[0], stream_length(6, 2));
      EXPECT_EQ(gpu.recordings(), before + 1) << "the first setting's recording was evicted and recorded again";
    }
  }
  vk::test::expect_validation_clean();
}

TEST(VkSampling, PerTokenRecordingDrawsTheSameTokens) {
  // replay = false: every step recorded afresh, the next one ahead with the same settings.
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  runtime::VkForwardOptions o;
  o.replay = false;
  VkForward gpu(m, kCtx, vk::test::device(), o);
  expect_same_stream(m, gpu, params(0.8f, 40, 0.95f, 0.05f, 21), stream_length(8, 3));
  expect_same_stream(m, gpu, params(1.5f, 128, 1.0f, 0.0f, 22), stream_length(8, 3));
  vk::test::expect_validation_clean();
}

TEST(VkSampling, TopKAboveATinyVocabularyDrawsFromEveryToken) {
  // vocab 100 <= kTopKMaxK: top_k 200 (and 100) keep the whole vocabulary, which
  // the CPU sorts and the GPU selects as k = vocab.
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true, 100));
  VkForward gpu(m, kCtx, vk::test::device());
  expect_same_stream(m, gpu, params(1.2f, 200, 0.9f, 0.0f, 31), stream_length(10, 3));
  expect_same_stream(m, gpu, params(1.2f, 100, 1.0f, 0.02f, 32), stream_length(10, 3));
  vk::test::expect_validation_clean();
}

TEST(VkSampling, DrawsOnTheGpuOnlyForTopKUpToTheMaximum) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  VkForward gpu(m, kCtx, vk::test::device());
  runtime::SampleConfig c = runtime::make_sample_config(params(1.0f, 0, 1.0f, 0.0f, 0));
  EXPECT_FALSE(gpu.samples_on_device(c)) << "top_k 0 (the whole vocabulary) is left to the host";
  c.top_k = ops::kTopKMaxK + 1;
  EXPECT_FALSE(gpu.samples_on_device(c));
  c.top_k = ops::kTopKMaxK;
  EXPECT_TRUE(gpu.samples_on_device(c));
  const runtime::SampleConfig greedy_all = runtime::make_sample_config(params(0.0f, 0, 1.0f, 0.0f, 0));
  EXPECT_TRUE(greedy_all.greedy && gpu.samples_on_device(greedy_all)) << "greedy with top_k 0 is the argmax";
}

TEST(VkSampling, RefusesSettingsItCannotDrawAndDrawsOutsideTheUnitInterval) {
  const auto m = model::open_model(tiny_model(model::Arch::Qwen3, "q4_k_m", true));
  VkForward gpu(m, kCtx, vk::test::device());
  const std::int32_t t[1] = {3};
  runtime::SampleConfig all = runtime::make_sample_config(params(1.0f, 0, 0.9f, 0.0f, 0));
  try {
    gpu.eval_sample(t, 0, false, nullptr, all, 0.5f);
    ADD_FAILURE() << "top_k 0 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("top_k 0"), std::string::npos) << e.what();
  }
  const runtime::SampleConfig ok = runtime::make_sample_config(params(1.0f, 40, 0.9f, 0.0f, 0));
  EXPECT_THROW(gpu.eval_sample(t, 0, false, nullptr, ok, 1.0f), std::invalid_argument);
  EXPECT_THROW(gpu.eval_sample(t, 0, false, nullptr, ok, -0.25f), std::invalid_argument);
  runtime::SampleConfig bad = ok;
  bad.min_p = 1e-40f;  // subnormal: make_sample_config flushes it; the GPU refuses it as given
  EXPECT_THROW(gpu.eval_sample(t, 0, false, nullptr, bad, 0.5f), std::invalid_argument);
  // u = 0 draws the first candidate with a positive weight, as on the CPU.
  ref::Forward cpu(m, 8, 2);
  std::vector<float> logits;
  cpu.eval(t, 0, false, logits);
  runtime::SampleScratch scratch;
  EXPECT_EQ(gpu.eval_sample(t, 0, false, nullptr, ok, 0.0f), runtime::sample_token(logits, ok, 0.0f, scratch));
}

}  // namespace
}  // namespace qvk
