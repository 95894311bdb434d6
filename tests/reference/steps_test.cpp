// How the reference interpreter groups the forward schedule into passes
// (qvk/ref/steps.hpp): every op runs exactly once, in schedule order; Q/K/V and
// gate/up share one weight pass; nothing that could change a value is grouped.
#include <gtest/gtest.h>

#include <vector>

#include "qvk/ref/forward.hpp"
#include "qvk/ref/steps.hpp"
#include "tiny_models.hpp"

namespace qvk {
namespace {

using runtime::Buf;

void expect_steps_partition(std::span<const runtime::Op> s, std::span<const ref::Step> steps) {
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.front().begin, 0u);
  EXPECT_EQ(steps.back().end, s.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_LT(steps[i].begin, steps[i].end) << "step " << i;
    if (i > 0) EXPECT_EQ(steps[i].begin, steps[i - 1].end) << "step " << i;
    for (std::size_t k = steps[i].begin; k < steps[i].end; ++k)
      EXPECT_EQ(ref::step_kind(s[k]), steps[i].kind) << "op " << k << " in step " << i;
  }
}

std::vector<std::size_t> gemm_group_sizes(std::span<const ref::Step> steps) {
  std::vector<std::size_t> sizes;
  for (const auto& st : steps)
    if (st.kind == ref::StepKind::Gemms) sizes.push_back(st.end - st.begin);
  return sizes;
}

TEST(ReferenceSteps, EveryScheduleOpRunsOnceInOrderAndQkvAndGateUpShareAPass) {
  for (const auto arch : {model::Arch::Qwen3, model::Arch::Qwen2}) {
    const auto m = model::open_model(test::tiny_model(arch, "q4_k_m", true));
    ref::Forward f(m, 8, 1);
    const auto& c = f.config();
    EXPECT_EQ(f.schedule().size(), runtime::forward_schedule(c, model::map_weights(m)).size());
    expect_steps_partition(f.schedule(), f.steps());
    // Per layer: {Q,K,V}, {O}, {gate, up}, {down}.
    std::vector<std::size_t> expected;
    for (std::uint32_t l = 0; l < c.layers; ++l) expected.insert(expected.end(), {3, 1, 2, 1});
    EXPECT_EQ(gemm_group_sizes(f.steps()), expected) << model::arch_name(arch);
    // Per layer: norm; bias/qk-norm/rope/kv-append; residual + norm; swiglu; the
    // last residual joins nothing (LmHead follows) — 4 row-local passes, and no
    // attention or embedding op is ever grouped.
    std::size_t row_local = 0, attention = 0;
    for (const auto& st : f.steps()) {
      row_local += st.kind == ref::StepKind::RowLocal;
      if (st.kind == ref::StepKind::Attention || st.kind == ref::StepKind::Embed || st.kind == ref::StepKind::LmHead) {
        EXPECT_EQ(st.end - st.begin, 1u);
      }
      attention += st.kind == ref::StepKind::Attention;
    }
    EXPECT_EQ(attention, c.layers);
    EXPECT_EQ(row_local, 4u * c.layers + 1);
  }
}

TEST(ReferenceSteps, GemmsAreGroupedOnlyOnTheSameInputWithDistinctOutputs) {
  const model::TensorView w{};
  const std::vector<runtime::Op> s{
      runtime::Gemm{Buf::H, Buf::Q, w}, runtime::Gemm{Buf::H, Buf::K, w},  // same input: one pass
      runtime::Gemm{Buf::H, Buf::K, w},                                    // writes K again: new pass
      runtime::Gemm{Buf::A, Buf::O, w},                                    // other input: new pass
      runtime::Gemm{Buf::A, Buf::A, w},                                    // writes the group's input: new pass
      runtime::Add{Buf::X, Buf::O},
  };
  const auto steps = ref::group_steps(s);
  expect_steps_partition(s, steps);
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(gemm_group_sizes(steps), (std::vector<std::size_t>{2, 1, 1, 1}));
}

TEST(ReferenceSteps, AtMostEightGemmsShareAPass) {
  const model::TensorView w{};
  std::vector<runtime::Op> s;
  const Buf outs[] = {Buf::X, Buf::Q, Buf::K, Buf::V, Buf::Att, Buf::O, Buf::G, Buf::U, Buf::A, Buf::Logits};
  for (Buf out : outs) s.push_back(runtime::Gemm{Buf::H, out, w});
  EXPECT_EQ(gemm_group_sizes(ref::group_steps(s)), (std::vector<std::size_t>{8, 2}));
}

}  // namespace
}  // namespace qvk
