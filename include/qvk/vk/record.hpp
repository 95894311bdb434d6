// qvk/vk/record.hpp — recording qvk ops into a caller's command buffer.
//
// vk::record<Op>(recorder, cmd, bindings, problem) is the only place in qvk
// that calls vkCmdDispatch. It takes the problem, never a group count: the
// workgroup counts come from Op::groups(problem), the push constants from
// Op::push_constants(problem), the specialization constants from the
// descriptor's template parameters — the same numbers the shader was
// generated from. Before each dispatch it records a barrier that makes every
// earlier compute or transfer write visible to this op (and orders this op's
// writes after earlier reads), so a runtime can record many ops in a row.
// A recorder set to BarrierPolicy::None (or inside an Unbarriered scope)
// leaves that barrier out, for dispatches independent of one another (below).
// After the last op, a caller who copies or maps results records its own
// barrier (or uses vk::download, which does).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "qvk/vk/buffer.hpp"
#include "qvk/vk/device.hpp"
#include "qvk/vk/error.hpp"
#include "qvk/vk/pipeline_cache.hpp"
#include "qvk/vk/timestamps.hpp"

namespace qvk::vk {

// One storage-buffer binding: a buffer and a byte range of it.
struct BufferRange {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize bytes = VK_WHOLE_SIZE;  // VK_WHOLE_SIZE: unknown, not range-checked
};

inline BufferRange whole(const Buffer& b) { return {b.handle(), 0, b.size()}; }

// Whether record() puts its barrier in front of each dispatch (the default) or
// none (see Unbarriered for when that is correct).
enum class BarrierPolicy { BeforeEachDispatch, None };

// What record() needs besides the command buffer: the device, the pipelines,
// the physical mapping choices and optional timestamps.
class Recorder {
 public:
  Recorder(Device& d, PipelineCache& pipelines) : device_(d), pipelines_(pipelines) {}

  // 0: let the driver choose; else a size from DeviceFeatures::allowed_subgroup_sizes().
  void set_subgroup_size(std::uint32_t size) { subgroup_size_ = size; }
  std::uint32_t subgroup_size() const { return subgroup_size_; }
  void set_timestamps(Timestamps* t) { timestamps_ = t; }
  void set_barrier_policy(BarrierPolicy b) { barrier_policy_ = b; }
  BarrierPolicy barrier_policy() const { return barrier_policy_; }

  Device& device() { return device_; }
  PipelineCache& pipelines() { return pipelines_; }
  Timestamps* timestamps() { return timestamps_; }
  // Dispatches recorded so far (tests assert they really dispatched).
  std::uint64_t dispatches() const { return dispatches_; }
  void count_dispatch() { ++dispatches_; }

 private:
  Device& device_;
  PipelineCache& pipelines_;
  Timestamps* timestamps_ = nullptr;
  std::uint32_t subgroup_size_ = 0;
  std::uint64_t dispatches_ = 0;
  BarrierPolicy barrier_policy_ = BarrierPolicy::BeforeEachDispatch;
};

// Records the ops of one scope without record()'s barrier, then restores the
// recorder's policy. For dispatches that may overlap on the GPU, e.g. the q, k
// and v GEMVs of one input:
//   vk::record<Q>(rec, cmd, ...);  // with its barrier: after the producer of x
//   { vk::Unbarriered u(rec); vk::record<K>(rec, cmd, ...); vk::record<V>(rec, cmd, ...); }
// Correct only when the ops recorded since the last barrier (Q's above, and the
// scope's) are independent: none writes a range another of them reads or
// writes; several reading one buffer is fine. That barrier orders all of them
// after the earlier work, and the next barriered record() orders its op after
// all of them (a barrier waits for every earlier dispatch, not only the last).
// Nothing checks the claim: the Khronos synchronization validation (layer
// 1.3.239 on lavapipe) did not report two unbarriered dispatches writing one
// range through push descriptors.
class Unbarriered {
 public:
  explicit Unbarriered(Recorder& rec) : rec_(rec), was_(rec.barrier_policy()) {
    rec.set_barrier_policy(BarrierPolicy::None);
  }
  Unbarriered(const Unbarriered&) = delete;
  Unbarriered& operator=(const Unbarriered&) = delete;
  ~Unbarriered() { rec_.set_barrier_policy(was_); }

 private:
  Recorder& rec_;
  BarrierPolicy was_;
};

template <class Op>
using Bindings = std::array<BufferRange, Op::kBindings.size()>;

template <class Op>
void record(Recorder& rec, VkCommandBuffer cmd, const Bindings<Op>& bindings, const typename Op::Problem& problem) {
  if (!Op::valid(problem)) {
    std::string why;  // a descriptor may say why (static std::string_view why_invalid(problem))
    if constexpr (requires { Op::why_invalid(problem); }) why = ": " + std::string(Op::why_invalid(problem));
    throw Error(std::string(Op::kVariant) + ": invalid problem" + why);
  }
  // A descriptor whose SPIR-V uses OpSDot says so (kNeedsIntegerDotProduct).
  if constexpr (requires { Op::kNeedsIntegerDotProduct; })
    if (Op::kNeedsIntegerDotProduct && !rec.device().features().integer_dot_product)
      throw Error(std::string(Op::kVariant) + ": the device lacks shaderIntegerDotProduct (use a config without int_dot)");
  if constexpr (requires { Op::kNeedsCooperativeMatrix; })
    if (Op::kNeedsCooperativeMatrix && !rec.device().cooperative_matrix_int8())
      throw Error(std::string(Op::kVariant) +
                  ": the device has no VK_NV_cooperative_matrix int8 16x16x32 enabled (Device::cooperative_matrix_int8())");
  const auto elements = Op::elements(problem);
  std::array<VkDescriptorBufferInfo, Op::kBindings.size()> infos{};
  std::array<VkWriteDescriptorSet, Op::kBindings.size()> writes{};
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const BufferRange& b = bindings[i];
    if (!b.buffer) throw Error(std::string(Op::kVariant) + ": binding '" + std::string(Op::kBindings[i].name) + "' is null");
    const std::uint64_t need = elements[i] * ops::scalar_bytes(Op::kBindings[i].element);
    if (b.bytes != VK_WHOLE_SIZE && b.bytes < need)
      throw Error(std::string(Op::kVariant) + ": binding '" + std::string(Op::kBindings[i].name) + "' holds " +
                  std::to_string(b.bytes) + " bytes, the problem needs " + std::to_string(need));
    infos[i] = {b.buffer, b.offset, b.bytes};
    writes[i] = make_struct<VkWriteDescriptorSet>(VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
    writes[i].dstBinding = Op::kBindings[i].index;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  const Pipeline& p = rec.pipelines().template get<Op>(rec.subgroup_size());
  const auto& fn = rec.device().fn();

  // With timestamps attached every dispatch keeps its barrier: an unbarriered
  // one would overlap its neighbour and both time windows would count the overlap.
  if (rec.barrier_policy() == BarrierPolicy::BeforeEachDispatch || rec.timestamps() != nullptr) {
    auto mb = make_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  }

  fn.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  fn.vkCmdPushDescriptorSetKHR(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, std::uint32_t(writes.size()),
                               writes.data());
  const typename Op::PushConstants pc = Op::push_constants(problem);
  fn.vkCmdPushConstants(cmd, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc, &pc);
  const ops::Groups g = Op::groups(problem);
  if (rec.timestamps()) rec.timestamps()->begin(cmd, std::string(Op::kVariant));
  fn.vkCmdDispatch(cmd, g.x, g.y, g.z);
  if (rec.timestamps()) rec.timestamps()->end(cmd);
  rec.count_dispatch();
}

}  // namespace qvk::vk
