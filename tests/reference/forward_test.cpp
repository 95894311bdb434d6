// The reference forward pass: logits are deterministic, independent of prompt
// chunking and thread count (memcmp), finite and not degenerate, for every
// architecture and quant mix.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "qvk/ref/forward.hpp"
#include "tiny_models.hpp"

namespace qvk {
namespace {

std::vector<std::int32_t> prompt_tokens(std::size_t n) {
  std::vector<std::int32_t> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<std::int32_t>((i * 7919 + 13) % 151643);
  return t;
}

// Logits of every position, evaluating the prompt in chunks of `chunk`.
std::vector<float> run(const model::ModelFile& m, const std::vector<std::int32_t>& toks, std::size_t chunk,
                       unsigned threads) {
  ref::Forward f(m, 128, threads);
  std::vector<float> all, part;
  for (std::size_t i = 0; i < toks.size(); i += chunk) {
    const std::size_t n = std::min(chunk, toks.size() - i);
    f.eval(std::span(toks).subspan(i, n), static_cast<std::uint32_t>(i), true, part);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

void expect_sane(const std::vector<float>& logits, std::size_t vocab) {
  ASSERT_EQ(logits.size() % vocab, 0u);
  std::size_t finite = 0;
  for (float v : logits) finite += std::isfinite(v);
  EXPECT_EQ(finite, logits.size());
  // Positions differ, and a row is not constant.
  const std::size_t rows = logits.size() / vocab;
  ASSERT_GE(rows, 2u);
  EXPECT_NE(std::memcmp(logits.data(), logits.data() + vocab, vocab * sizeof(float)), 0);
  float lo = logits[0], hi = logits[0];
  for (std::size_t i = 0; i < vocab; ++i) lo = std::min(lo, logits[i]), hi = std::max(hi, logits[i]);
  EXPECT_GT(hi - lo, 0.1f);
}

struct Case {
  model::Arch arch;
  const char* mix;
  bool tied;
};

class ReferenceForward : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceForward, LogitsAreIdenticalForEveryChunkingAndThreadCount) {
  const Case c = GetParam();
  const auto m = model::open_model(test::tiny_model(c.arch, c.mix, c.tied));
  const auto toks = prompt_tokens(70);  // spans two attention chunks of 64
  const auto whole = run(m, toks, 70, 2);
  expect_sane(whole, m.config.vocab);
  for (std::size_t chunk : {1u, 7u, 64u}) {
    const auto chunked = run(m, toks, chunk, chunk == 7 ? 1 : 2);
    ASSERT_EQ(chunked.size(), whole.size());
    EXPECT_EQ(std::memcmp(chunked.data(), whole.data(), whole.size() * sizeof(float)), 0) << "chunk " << chunk;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Mixes, ReferenceForward,
    ::testing::Values(Case{model::Arch::Qwen3, "q4_k_m", true}, Case{model::Arch::Qwen3, "q8_0", false},
                      Case{model::Arch::Qwen3, "f16", true}, Case{model::Arch::Qwen3, "bf16", false},
                      Case{model::Arch::Qwen3, "q4_0", true}, Case{model::Arch::Qwen3, "q6_k", false},
                      Case{model::Arch::Qwen3, "f32", true}, Case{model::Arch::Qwen2, "q4_k_m", true}),
    [](const auto& p) {
      return std::string(model::arch_name(p.param.arch)) + "_" + p.param.mix + (p.param.tied ? "_tied" : "_untied");
    });

TEST(ReferenceForwardErrors, RejectsPositionsPastTheContextAndBadTokenIds) {
  const auto m = model::open_model(test::tiny_model(model::Arch::Qwen3, "q8_0", false));
  ref::Forward f(m, 8, 1);
  std::vector<float> out;
  const std::vector<std::int32_t> two{1, 2};
  EXPECT_THROW(f.eval(two, 7, false, out), std::out_of_range);
  const std::vector<std::int32_t> bad{151936};
  EXPECT_THROW(f.eval(bad, 0, false, out), std::out_of_range);
}

}  // namespace
}  // namespace qvk
