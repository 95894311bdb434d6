// qvk/vk/pipeline_cache.hpp — compute pipelines created lazily, one per
// (variant, specialization constant values, required subgroup size), and
// reused. Optionally backed by an on-disk VkPipelineCache.
//
// The key is everything that changes the compiled pipeline: the op's SPIR-V
// variant (its types), the values of its specialization constants (its
// sizes, from the descriptor's template parameters) and the subgroup size
// pinned for it (0 = driver's choice). Descriptor-set layouts use push
// descriptors, so recording never allocates descriptor sets.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "qvk/ops/descriptor.hpp"
#include "qvk/shaders/registry.hpp"
#include "qvk/vk/device.hpp"
#include "qvk/vk/error.hpp"

namespace qvk::vk {

struct Pipeline {
  VkPipeline pipeline = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  std::uint32_t push_bytes = 0;
};

struct PipelineKey {
  std::string variant;
  std::vector<std::uint32_t> spec;  // (id, value) pairs in the descriptor's order
  std::uint32_t subgroup_size = 0;
  friend bool operator<(const PipelineKey& a, const PipelineKey& b) {
    return std::tie(a.variant, a.spec, a.subgroup_size) < std::tie(b.variant, b.spec, b.subgroup_size);
  }
};

class PipelineCache {
 public:
  // disk_cache: a file to load a VkPipelineCache from (if present) and save it to in save()/the destructor.
  explicit PipelineCache(Device& d, std::filesystem::path disk_cache = {}) : device_(d), path_(std::move(disk_cache)) {
    std::vector<char> blob;
    if (!path_.empty()) {
      std::ifstream f(path_, std::ios::binary);
      if (f) blob.assign(std::istreambuf_iterator<char>(f), {});
    }
    auto ci = make_struct<VkPipelineCacheCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO);
    ci.initialDataSize = blob.size();
    ci.pInitialData = blob.empty() ? nullptr : blob.data();
    // A stale or foreign blob is ignored by the driver (the header names the device).
    if (device_.fn().vkCreatePipelineCache(device_.handle(), &ci, nullptr, &cache_) != VK_SUCCESS) {
      ci.initialDataSize = 0;
      ci.pInitialData = nullptr;
      check(device_.fn().vkCreatePipelineCache(device_.handle(), &ci, nullptr, &cache_), "vkCreatePipelineCache");
    }
  }
  PipelineCache(const PipelineCache&) = delete;
  PipelineCache& operator=(const PipelineCache&) = delete;
  ~PipelineCache() {
    try {
      save();
    } catch (...) {  // a failed save must not throw from a destructor
    }
    const auto& fn = device_.fn();
    const VkDevice dev = device_.handle();
    for (auto& [key, p] : pipelines_) fn.vkDestroyPipeline(dev, p.pipeline, nullptr);
    for (auto& [name, l] : layouts_) {
      fn.vkDestroyPipelineLayout(dev, l.pipeline_layout, nullptr);
      fn.vkDestroyDescriptorSetLayout(dev, l.set_layout, nullptr);
      fn.vkDestroyShaderModule(dev, l.module, nullptr);
    }
    fn.vkDestroyPipelineCache(dev, cache_, nullptr);
  }

  // The pipeline of op descriptor Op (see qvk/ops/*.hpp), created on first use.
  template <class Op>
  const Pipeline& get(std::uint32_t subgroup_size = 0) {
    PipelineKey key{std::string(Op::kVariant), {}, subgroup_size};
    for (const ops::SpecConstant& c : Op::kSpecConstants) {
      key.spec.push_back(c.id);
      key.spec.push_back(c.value);
    }
    if (auto it = pipelines_.find(key); it != pipelines_.end()) return it->second;
    for (const ops::SpecConstant& c : Op::kSpecConstants)
      if (c.name == "WORKGROUP_SIZE" && !device_.features().workgroup_fits_subgroup(c.value, subgroup_size))
        throw Error(std::string(Op::kVariant) + ": a workgroup of " + std::to_string(c.value) +
                    " invocations cannot be pinned to subgroup size " + std::to_string(subgroup_size) + " (at most " +
                    std::to_string(device_.features().max_compute_workgroup_subgroups) +
                    " subgroups per workgroup on this device)");
    return create(key, std::uint32_t(Op::kBindings.size()), std::uint32_t(sizeof(typename Op::PushConstants)));
  }

  std::size_t size() const { return pipelines_.size(); }
  std::size_t created() const { return created_; }

  // The driver's compile statistics of a pipeline ("name = value" per entry,
  // every executable), or none unless the device captures them
  // (Device::pipeline_statistics()). What is reported is the driver's choice.
  std::vector<std::string> statistics(const Pipeline& p) const {
    std::vector<std::string> out;
    const auto& fn = device_.fn();
    if (!device_.pipeline_statistics() || !fn.vkGetPipelineExecutablePropertiesKHR) return out;
    auto pi = make_struct<VkPipelineInfoKHR>(VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR);
    pi.pipeline = p.pipeline;
    std::uint32_t n = 0;
    check(fn.vkGetPipelineExecutablePropertiesKHR(device_.handle(), &pi, &n, nullptr), "vkGetPipelineExecutablePropertiesKHR");
    for (std::uint32_t e = 0; e < n; ++e) {
      auto ei = make_struct<VkPipelineExecutableInfoKHR>(VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR);
      ei.pipeline = p.pipeline;
      ei.executableIndex = e;
      std::uint32_t m = 0;
      check(fn.vkGetPipelineExecutableStatisticsKHR(device_.handle(), &ei, &m, nullptr), "vkGetPipelineExecutableStatisticsKHR");
      std::vector<VkPipelineExecutableStatisticKHR> st(m);
      for (auto& x : st) x = make_struct<VkPipelineExecutableStatisticKHR>(VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR);
      check(fn.vkGetPipelineExecutableStatisticsKHR(device_.handle(), &ei, &m, st.data()), "vkGetPipelineExecutableStatisticsKHR");
      for (const auto& x : st) {
        std::string v;
        switch (x.format) {
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR: v = x.value.b32 ? "true" : "false"; break;
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR: v = std::to_string(x.value.i64); break;
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR: v = std::to_string(x.value.u64); break;
          case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR: v = std::to_string(x.value.f64); break;
          default: v = "(format " + std::to_string(int(x.format)) + ")"; break;
        }
        out.push_back(std::string(x.name) + " = " + v);
      }
    }
    return out;
  }

  void save() const {
    if (path_.empty()) return;
    std::size_t n = 0;
    check(device_.fn().vkGetPipelineCacheData(device_.handle(), cache_, &n, nullptr), "vkGetPipelineCacheData");
    std::vector<char> blob(n);
    check(device_.fn().vkGetPipelineCacheData(device_.handle(), cache_, &n, blob.data()), "vkGetPipelineCacheData");
    const auto tmp = path_.string() + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary);
      f.write(blob.data(), std::streamsize(n));
      if (!f) throw Error("cannot write pipeline cache " + tmp);
    }
    std::filesystem::rename(tmp, path_);  // atomic replace: a concurrent reader never sees half a file
  }

 private:
  struct Layout {
    VkShaderModule module = VK_NULL_HANDLE;
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
  };

  const Layout& layout_for(const std::string& variant, std::uint32_t bindings, std::uint32_t push_bytes) {
    if (auto it = layouts_.find(variant); it != layouts_.end()) return it->second;
    const std::span<const std::uint32_t> code = shaders::find(variant);
    if (code.empty()) throw Error("no embedded SPIR-V for variant '" + variant + "' (shaders/CMakeLists.txt)");
    const auto& fn = device_.fn();
    const VkDevice dev = device_.handle();
    Layout l;
    auto mi = make_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
    mi.codeSize = code.size_bytes();
    mi.pCode = code.data();
    check(fn.vkCreateShaderModule(dev, &mi, nullptr, &l.module), "vkCreateShaderModule");
    std::vector<VkDescriptorSetLayoutBinding> b(bindings);
    for (std::uint32_t i = 0; i < bindings; ++i)
      b[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
    auto di = make_struct<VkDescriptorSetLayoutCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
    di.flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR;
    di.bindingCount = bindings;
    di.pBindings = b.data();
    check(fn.vkCreateDescriptorSetLayout(dev, &di, nullptr, &l.set_layout), "vkCreateDescriptorSetLayout");
    VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
    auto pi = make_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
    pi.setLayoutCount = 1;
    pi.pSetLayouts = &l.set_layout;
    pi.pushConstantRangeCount = push_bytes ? 1 : 0;
    pi.pPushConstantRanges = &range;
    check(fn.vkCreatePipelineLayout(dev, &pi, nullptr, &l.pipeline_layout), "vkCreatePipelineLayout");
    return layouts_.emplace(variant, l).first->second;
  }

  const Pipeline& create(const PipelineKey& key, std::uint32_t bindings, std::uint32_t push_bytes) {
    if (key.subgroup_size != 0 && !device_.can_pin_subgroup_size())
      throw Error("subgroup size " + std::to_string(key.subgroup_size) + " requested but the device cannot pin it");
    const Layout& l = layout_for(key.variant, bindings, push_bytes);
    const std::size_t n = key.spec.size() / 2;
    std::vector<VkSpecializationMapEntry> entries(n);
    std::vector<std::uint32_t> values(n);
    for (std::size_t i = 0; i < n; ++i) {
      entries[i] = {key.spec[2 * i], std::uint32_t(i * 4), 4};
      values[i] = key.spec[2 * i + 1];
    }
    VkSpecializationInfo si{std::uint32_t(n), entries.data(), n * 4, values.data()};
    auto sg = make_struct<VkPipelineShaderStageRequiredSubgroupSizeCreateInfo>(
        VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO);
    sg.requiredSubgroupSize = key.subgroup_size;
    auto ci = make_struct<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.pNext = key.subgroup_size ? &sg : nullptr;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = l.module;
    ci.stage.pName = "main";
    ci.stage.pSpecializationInfo = &si;
    ci.layout = l.pipeline_layout;
    if (device_.pipeline_statistics())
      ci.flags |= VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR;
    Pipeline p;
    p.layout = l.pipeline_layout;
    p.push_bytes = push_bytes;
    check(device_.fn().vkCreateComputePipelines(device_.handle(), cache_, 1, &ci, nullptr, &p.pipeline),
          ("vkCreateComputePipelines(" + key.variant + ")").c_str());
    ++created_;
    return pipelines_.emplace(key, p).first->second;
  }

  Device& device_;
  std::filesystem::path path_;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::map<std::string, Layout> layouts_;
  std::map<PipelineKey, Pipeline> pipelines_;
  std::size_t created_ = 0;
};

}  // namespace qvk::vk
