// bench/gpu/op_timer.hpp — GPU time of one op from timestamp queries: the op is
// recorded `reps` times back to back in one command buffer (each dispatch gets
// its own timestamps), after one untimed warm-up dispatch; the result keeps
// every sample so callers report the best and the median.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "qvk/vk/record.hpp"
#include "qvk/vk/timestamps.hpp"

namespace qvk::bench {

struct Samples {
  std::vector<double> ns;  // one per dispatch
  double best() const { return *std::min_element(ns.begin(), ns.end()); }
  double median() const {
    std::vector<double> s = ns;
    std::sort(s.begin(), s.end());
    return s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
  }
};

template <class Op>
Samples time_op(vk::Device& d, vk::PipelineCache& pipelines, const vk::Bindings<Op>& bindings,
                const typename Op::Problem& problem, std::uint32_t reps) {
  vk::Timestamps ts(d, reps);
  vk::Recorder warm(d, pipelines);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) { vk::record<Op>(warm, cmd, bindings, problem); });
  vk::Recorder rec(d, pipelines);
  rec.set_timestamps(&ts);
  vk::submit_and_wait(d, [&](VkCommandBuffer cmd) {
    ts.reset(cmd);
    for (std::uint32_t r = 0; r < reps; ++r) vk::record<Op>(rec, cmd, bindings, problem);
  });
  Samples s;
  for (const auto& t : ts.results()) s.ns.push_back(t.ns);
  return s;
}

}  // namespace qvk::bench
