// qvk/ref/steps.hpp — how the CPU interpreter groups the forward schedule
// (qvk/runtime/schedule.hpp) into passes over the batch.
//
// Grouping never changes a value, only how work is shared between threads:
//   - a run of row-local ops (each reads and writes only row t of its buffers,
//     plus the KV-cache row of position t) becomes one pass over positions, so
//     a decode step does not wake the thread pool once per small op;
//   - consecutive Gemm ops on the same input (Q/K/V, gate/up) become one
//     gemm_multi: the input is quantized once and all rows share one parallel
//     pass. Each output row is computed exactly as by a lone gemm.
// Embed, Attention and LmHead are steps of their own.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>
#include <variant>
#include <vector>

#include "qvk/runtime/schedule.hpp"

namespace qvk::ref {

enum class StepKind : unsigned char { Embed, RowLocal, Gemms, Attention, LmHead };

// Ops [begin, end) of the schedule, run as one pass.
struct Step {
  StepKind kind;
  std::size_t begin, end;
};

// At most this many matrices share one gemm_multi (its fixed-size argument list).
inline constexpr std::size_t kMaxGemmGroup = 8;

inline StepKind step_kind(const runtime::Op& op) {
  return std::visit(
      [](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, runtime::Embed>) return StepKind::Embed;
        else if constexpr (std::is_same_v<T, runtime::Gemm>) return StepKind::Gemms;
        else if constexpr (std::is_same_v<T, runtime::Attention>) return StepKind::Attention;
        else if constexpr (std::is_same_v<T, runtime::LmHead>) return StepKind::LmHead;
        else return StepKind::RowLocal;  // RmsNorm, HeadNorm, AddBias, Rope, KvAppend, Add, SwiGlu
      },
      op);
}

// Whether Gemm `next` may join the group schedule[begin, end) of Gemms: same
// input, and no two members write the same buffer or the input (else the order
// of the ops would matter).
inline bool joins_gemm_group(std::span<const runtime::Op> schedule, std::size_t begin, std::size_t end,
                             const runtime::Gemm& next) {
  const auto& first = std::get<runtime::Gemm>(schedule[begin]);
  if (next.in != first.in || next.out == first.in) return false;
  for (std::size_t k = begin; k < end; ++k)
    if (std::get<runtime::Gemm>(schedule[k]).out == next.out) return false;
  return true;
}

inline std::vector<Step> group_steps(std::span<const runtime::Op> schedule) {
  std::vector<Step> steps;
  for (std::size_t i = 0; i < schedule.size();) {
    const StepKind kind = step_kind(schedule[i]);
    std::size_t j = i + 1;
    if (kind == StepKind::RowLocal) {
      while (j < schedule.size() && step_kind(schedule[j]) == StepKind::RowLocal) ++j;
    } else if (kind == StepKind::Gemms) {
      const auto& first = std::get<runtime::Gemm>(schedule[i]);
      if (first.out != first.in)  // an in-place Gemm stays alone
        while (j < schedule.size() && j - i < kMaxGemmGroup && std::holds_alternative<runtime::Gemm>(schedule[j]) &&
               joins_gemm_group(schedule, i, j, std::get<runtime::Gemm>(schedule[j])))
          ++j;
    }
    steps.push_back({kind, i, j});
    i = j;
  }
  return steps;
}

}  // namespace qvk::ref
