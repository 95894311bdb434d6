// qvk/vk/buffer.hpp — device-local storage buffers and the staging copies
// that fill and read them.
//
// Weights are uploaded as stored (quantized bytes, no conversion). Each
// upload/download goes through a temporary host-visible staging buffer and a
// one-shot submission that waits for completion: simple and enough for model
// loading and tests; a runtime records its per-token work with vk::record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <utility>

#include "qvk/vk/device.hpp"
#include "qvk/vk/error.hpp"

namespace qvk::vk {

// A memory barrier from every earlier command's writes to every later
// command's reads and writes. Used around qvk's own transfers.
inline void full_barrier(const Device& d, VkCommandBuffer cmd) {
  auto mb = make_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
  mb.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT;
  d.fn().vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1, &mb, 0,
                              nullptr, 0, nullptr);
}

// Records `body` into a fresh command buffer of the device's pool, submits it
// and waits. Not for hot paths.
inline void submit_and_wait(Device& d, const std::function<void(VkCommandBuffer)>& body) {
  const auto& fn = d.fn();
  auto ai = make_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  ai.commandPool = d.command_pool();
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  check(fn.vkAllocateCommandBuffers(d.handle(), &ai, &cmd), "vkAllocateCommandBuffers");
  VkFence fence = VK_NULL_HANDLE;
  auto cleanup = [&] {
    if (fence) fn.vkDestroyFence(d.handle(), fence, nullptr);
    fn.vkFreeCommandBuffers(d.handle(), d.command_pool(), 1, &cmd);
  };
  try {
    auto bi = make_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(fn.vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer");
    body(cmd);
    check(fn.vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
    auto fi = make_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
    check(fn.vkCreateFence(d.handle(), &fi, nullptr, &fence), "vkCreateFence");
    auto si = make_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd;
    check(fn.vkQueueSubmit(d.queue(), 1, &si, fence), "vkQueueSubmit");
    check(fn.vkWaitForFences(d.handle(), 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
  } catch (...) {
    cleanup();
    throw;
  }
  cleanup();
}

inline std::uint32_t find_memory_type(const Device& d, std::uint32_t type_bits, VkMemoryPropertyFlags want,
                                      VkMemoryPropertyFlags fallback) {
  const VkPhysicalDeviceMemoryProperties& mp = d.memory_properties();
  for (VkMemoryPropertyFlags flags : {want, fallback})
    for (std::uint32_t i = 0; i < mp.memoryTypeCount; ++i)
      if ((type_bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & flags) == flags) return i;
  throw Error("no suitable memory type");
}

// A buffer with its own memory allocation. Movable, not copyable.
class Buffer {
 public:
  enum class Kind { DeviceLocal, Staging };

  Buffer() = default;
  Buffer(Device& d, VkDeviceSize bytes, Kind kind = Kind::DeviceLocal) : device_(&d), size_(bytes) {
    if (bytes == 0) throw Error("a buffer of 0 bytes");
    const auto& fn = d.fn();
    auto ci = make_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
    ci.size = bytes;
    ci.usage = kind == Kind::DeviceLocal
                   ? VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT
                   : VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    ci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    check(fn.vkCreateBuffer(d.handle(), &ci, nullptr, &buffer_), "vkCreateBuffer");
    VkMemoryRequirements req{};
    fn.vkGetBufferMemoryRequirements(d.handle(), buffer_, &req);
    auto ai = make_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
    ai.allocationSize = req.size;
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    ai.memoryTypeIndex = kind == Kind::DeviceLocal
                             ? find_memory_type(d, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0)
                             : find_memory_type(d, req.memoryTypeBits, host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, host);
    const VkResult r = fn.vkAllocateMemory(d.handle(), &ai, nullptr, &memory_);
    if (r != VK_SUCCESS) {
      fn.vkDestroyBuffer(d.handle(), buffer_, nullptr);
      check(r, "vkAllocateMemory");
    }
    check(fn.vkBindBufferMemory(d.handle(), buffer_, memory_, 0), "vkBindBufferMemory");
    if (kind == Kind::Staging) check(fn.vkMapMemory(d.handle(), memory_, 0, VK_WHOLE_SIZE, 0, &mapped_), "vkMapMemory");
  }
  Buffer(Buffer&& o) noexcept { swap(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    Buffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (!device_) return;
    const auto& fn = device_->fn();
    if (buffer_) fn.vkDestroyBuffer(device_->handle(), buffer_, nullptr);
    if (memory_) fn.vkFreeMemory(device_->handle(), memory_, nullptr);  // unmaps implicitly
  }

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  void* mapped() const { return mapped_; }

 private:
  void swap(Buffer& o) noexcept {
    std::swap(device_, o.device_);
    std::swap(buffer_, o.buffer_);
    std::swap(memory_, o.memory_);
    std::swap(size_, o.size_);
    std::swap(mapped_, o.mapped_);
  }
  Device* device_ = nullptr;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  void* mapped_ = nullptr;
};

// Copies `bytes` into `dst` at `offset` (waits for completion).
inline void upload(Device& d, const Buffer& dst, std::span<const std::byte> bytes, VkDeviceSize offset = 0) {
  if (bytes.empty()) return;
  if (offset + bytes.size() > dst.size()) throw Error("upload past the end of the buffer");
  Buffer staging(d, bytes.size(), Buffer::Kind::Staging);
  std::memcpy(staging.mapped(), bytes.data(), bytes.size());
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    full_barrier(d, cmd);
    VkBufferCopy region{0, offset, bytes.size()};
    d.fn().vkCmdCopyBuffer(cmd, staging.handle(), dst.handle(), 1, &region);
    full_barrier(d, cmd);
  });
}

// Copies `out.size()` bytes from `src` at `offset` into `out` (waits).
inline void download(Device& d, const Buffer& src, std::span<std::byte> out, VkDeviceSize offset = 0) {
  if (out.empty()) return;
  if (offset + out.size() > src.size()) throw Error("download past the end of the buffer");
  Buffer staging(d, out.size(), Buffer::Kind::Staging);
  submit_and_wait(d, [&](VkCommandBuffer cmd) {
    full_barrier(d, cmd);
    VkBufferCopy region{offset, 0, out.size()};
    d.fn().vkCmdCopyBuffer(cmd, src.handle(), staging.handle(), 1, &region);
    auto mb = make_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    d.fn().vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr,
                                0, nullptr);
  });
  std::memcpy(out.data(), staging.mapped(), out.size());
}

template <class T>
void upload(Device& d, const Buffer& dst, std::span<const T> values, VkDeviceSize offset = 0) {
  upload(d, dst, std::as_bytes(values), offset);
}
template <class T>
void download(Device& d, const Buffer& src, std::span<T> values, VkDeviceSize offset = 0) {
  download(d, src, std::as_writable_bytes(values), offset);
}

}  // namespace qvk::vk
