// bench/gpu/op_timer.hpp — GPU time from timestamp queries, two ways:
//
// time_op<Op>: one dispatch per sample. The op is recorded `reps` times in one
//   command buffer after one untimed warm-up dispatch; the recorder writes a
//   timestamp right before and after each dispatch (after its barrier and
//   bindings). Rep r binds bindings[(r + 1) % n] and the warm-up bindings[0]:
//   with n copies of the weights the reps cycle through them (cold_ring.hpp),
//   with n = 1 every rep reads the same buffers (warm).
//
// time_units: one "unit" of several dispatches per sample (attention's two
//   passes, or N GEMVs recorded without barriers): a barrier, a timestamp,
//   the unit, a timestamp. The sample is the bracket divided by `per_unit`
//   (time per GEMV of a back-to-back unit).
//
// Both keep every sample so callers report the best and the median.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"
#include "qvk/vk/timestamps.hpp"

namespace qvk::bench {

struct Samples {
  std::vector<double> ns;  // one per sample
  bool empty() const { return ns.empty(); }
  double best() const { return *std::min_element(ns.begin(), ns.end()); }
  double median() const {
    std::vector<double> s = ns;
    std::sort(s.begin(), s.end());
    return s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
  }
};

template <class Op>
Samples time_op(vk::Device& d, vk::PipelineCache& pipelines, std::span<const vk::Bindings<Op>> bindings,
                const typename Op::Problem& problem, std::uint32_t reps) {
  const std::size_t n = bindings.size();
  vk::Timestamps ts(d, reps);
  vk::Recorder warm(d, pipelines);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { vk::record<Op>(warm, cmd, bindings[0], problem); });
  vk::Recorder rec(d, pipelines);
  rec.set_timestamps(&ts);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
    ts.reset(cmd);
    for (std::uint32_t r = 0; r < reps; ++r) vk::record<Op>(rec, cmd, bindings[(r + 1) % n], problem);
  });
  Samples s;
  for (const auto& t : ts.results()) s.ns.push_back(t.ns);
  return s;
}

template <class Op>
Samples time_op(vk::Device& d, vk::PipelineCache& pipelines, const vk::Bindings<Op>& bindings,
                const typename Op::Problem& problem, std::uint32_t reps) {
  return time_op<Op>(d, pipelines, std::span<const vk::Bindings<Op>>(&bindings, 1), problem, reps);
}

// record(rec, cmd, unit) records unit number `unit`: 0 is the untimed warm-up,
// 1 … reps the timed ones (callers map it to a weight copy).
using RecordUnit = std::function<void(vk::Recorder&, VkCommandBuffer, std::uint32_t unit)>;

inline Samples time_units(vk::Device& d, vk::PipelineCache& pipelines, std::uint32_t reps, std::uint32_t per_unit,
                          const RecordUnit& record) {
  vk::Timestamps ts(d, reps);
  vk::Recorder warm(d, pipelines);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { record(warm, cmd, 0); });
  vk::Recorder rec(d, pipelines);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
    ts.reset(cmd);
    for (std::uint32_t r = 1; r <= reps; ++r) {
      // The barrier keeps the previous unit out of this one's bracket: the
      // top-of-pipe timestamp after it waits for that unit to finish.
      vk::full_barrier(d, cmd);
      ts.begin(cmd, "unit");
      record(rec, cmd, r);
      ts.end(cmd);
    }
  });
  Samples s;
  for (const auto& t : ts.results()) s.ns.push_back(t.ns / per_unit);
  return s;
}

}  // namespace qvk::bench
