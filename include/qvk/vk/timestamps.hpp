// qvk/vk/timestamps.hpp — per-op GPU time from timestamp queries.
//
// Attach a Timestamps to a Recorder; every recorded op then writes a
// timestamp before and after its dispatch. Call reset(cmd) at the start of
// the command buffer, and results() after it completed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qvk/vk/device.hpp"
#include "qvk/vk/error.hpp"

namespace qvk::vk {

struct OpTime {
  std::string name;  // the op's variant name
  double ns = 0;
};

class Timestamps {
 public:
  Timestamps(Device& d, std::uint32_t max_ops) : device_(d), capacity_(max_ops) {
    if (!d.features().timestamps || d.timestamp_valid_bits() == 0)
      throw Error("device '" + d.features().name + "' has no compute timestamps");
    auto ci = make_struct<VkQueryPoolCreateInfo>(VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO);
    ci.queryType = VK_QUERY_TYPE_TIMESTAMP;
    ci.queryCount = 2 * max_ops;
    check(d.fn().vkCreateQueryPool(d.handle(), &ci, nullptr, &pool_), "vkCreateQueryPool");
  }
  Timestamps(const Timestamps&) = delete;
  Timestamps& operator=(const Timestamps&) = delete;
  ~Timestamps() { device_.fn().vkDestroyQueryPool(device_.handle(), pool_, nullptr); }

  void reset(VkCommandBuffer cmd) {
    device_.fn().vkCmdResetQueryPool(cmd, pool_, 0, 2 * capacity_);
    names_.clear();
  }

  // Called by the recorder around one dispatch.
  void begin(VkCommandBuffer cmd, std::string name) {
    if (names_.size() >= capacity_) throw Error("more ops recorded than the Timestamps capacity");
    device_.fn().vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool_, std::uint32_t(2 * names_.size()));
    names_.push_back(std::move(name));
  }
  void end(VkCommandBuffer cmd) {
    device_.fn().vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool_,
                                     std::uint32_t(2 * names_.size() - 1));
  }

  // GPU time of each recorded op, in recording order (waits for the results).
  std::vector<OpTime> results() const {
    std::vector<OpTime> out;
    if (names_.empty()) return out;
    std::vector<std::uint64_t> t(2 * names_.size());
    check(device_.fn().vkGetQueryPoolResults(device_.handle(), pool_, 0, std::uint32_t(t.size()),
                                            t.size() * sizeof(std::uint64_t), t.data(), sizeof(std::uint64_t),
                                            VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
          "vkGetQueryPoolResults");
    const std::uint32_t bits = device_.timestamp_valid_bits();
    const std::uint64_t mask = bits >= 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << bits) - 1;
    const double period = device_.features().timestamp_period_ns;
    for (std::size_t i = 0; i < names_.size(); ++i)
      out.push_back({names_[i], double((t[2 * i + 1] - t[2 * i]) & mask) * period});
    return out;
  }

 private:
  Device& device_;
  std::uint32_t capacity_;
  VkQueryPool pool_ = VK_NULL_HANDLE;
  std::vector<std::string> names_;
};

}  // namespace qvk::vk
